"""Gold ``sanctions_hits``: every account whose holder's name matches a listed name, screened in the
restricted zone.

A product over ``bronze.bank_accounts`` (the holders' names in clear: the only place they are) and
``silver.sanctions_entries`` (the list in force). Each run rebuilds it whole: the latest KYC record of every
account against the latest list. The names never leave this job: the product runner keys the account
number before anything is written past bronze (see jobs/products.py), and a hit shows the listed entry
(public), its score and the list's version, not the customer's name. Individuals are screened against
listed individuals, businesses against listed entities, vessels and aircraft. An individual's hit whose
birth year is more than a year from every year the entry lists is kept as ``discounted``, not ``open``:
name-only screening alerts on many people with common names, and the date of birth is what compliance
teams use to clear them.

    python -m jobs.run sanctions_screening --logical-date 2022-05-08 --expectations-dir expectations
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, DoubleType, IntegerType, StringType, StructField, StructType

from jobs import products
from jobs.finance import accounts, screening
from jobs.finance.sanctions import TABLE as ENTRIES

PRODUCT = "sanctions_screening"
ACCOUNTS = "bronze.bank_accounts"
BIRTH_YEAR_TOLERANCE = 1  # years either way: a listed "1960" may be a 1959 or 1961 birth in another calendar or record
HITS = ArrayType(StructType([StructField("ent_num", IntegerType()), StructField("listed_name", StringType()), StructField("score", DoubleType())]))


def latest_records(bronze: DataFrame) -> DataFrame:
    """Each account's latest record the row rules published (a later delivery is the bank's correction)."""
    named = accounts.published_records(bronze).select(
        "account_id", "customer_name", "customer_type", F.year("date_of_birth").alias("birth_year"),
        F.col("_logical_date").alias("record_date"), "_ingested_at", "_batch_id",
    )
    newest = Window.partitionBy("account_id").orderBy(F.col("record_date").desc(), F.col("_ingested_at").desc(), F.col("_batch_id").desc(), F.col("customer_name"))
    return named.withColumn("_rank", F.row_number().over(newest)).where("_rank = 1").drop("_rank", "_ingested_at", "_batch_id")


def screen_udf(names: list[tuple[int, str]], threshold: float):
    """A UDF: a name -> its hits on ``names`` (ent_num, listed name, score), the index built once here and
    shipped with the function (the list is small; the accounts are the many side)."""
    index = screening.Screening(names)

    @F.udf(HITS)
    def screen(name):
        return [(hit.entry, hit.listed_name, hit.score) for hit in index.screen(name, threshold)]

    return screen


def sanctions_hits(accounts: DataFrame, entries: DataFrame, threshold: float = screening.THRESHOLD) -> DataFrame:
    """Hits of the accounts' latest records on the list, with the account number still in clear (the runner keys it)."""
    listed = entries.select("ent_num", "listed_name", F.col("sdn_type") == "individual").collect()
    by_kind = {
        kind: screen_udf([(row.ent_num, row.listed_name) for row in listed if row[2] == (kind == "individual")], threshold)
        for kind in ("individual", "business")
    }
    records = latest_records(accounts)
    found = records.withColumn(
        "hit", F.explode(F.when(F.col("customer_type") == "individual", by_kind["individual"]("customer_name")).otherwise(by_kind["business"]("customer_name")))
    )
    details = entries.select("ent_num", "listed_name", "name_kind", "sdn_type", "programs", "birth_years", "snapshot_id", "snapshot_date")
    # A name listed twice for one entry (as primary and as an alias) is one hit: the primary first.
    details = details.withColumn("_rank", F.row_number().over(Window.partitionBy("ent_num", "listed_name").orderBy(F.col("name_kind") != "primary", "name_kind"))).where("_rank = 1").drop("_rank")
    hits = found.select("account_id", "customer_type", "birth_year", "record_date", "hit.*").join(details, ["ent_num", "listed_name"])
    return hits.withColumn("birth_year_check", birth_year_check()).select(
        F.col("account_id").alias("account"), "customer_type", "ent_num", "listed_name", "name_kind", "sdn_type", "programs",
        F.round("score", 4).alias("score"), F.lit(threshold).alias("threshold"),
        F.col("snapshot_date").alias("list_date"), F.col("snapshot_id").alias("list_snapshot_id"),
        "birth_year_check", "record_date",
        F.when(F.col("birth_year_check") == "mismatch", F.lit("discounted")).otherwise(F.lit("open")).alias("status"),
    )


def birth_year_check():
    """match, mismatch or unknown: the holder's birth year against the years the entry lists."""
    listed = F.coalesce(F.col("birth_years"), F.array().cast("array<int>"))
    near = F.exists(listed, lambda year: F.abs(year - F.col("birth_year")) <= BIRTH_YEAR_TOLERANCE)
    return F.when(F.col("birth_year").isNull() | (F.size(listed) == 0), F.lit("unknown")).when(near, F.lit("match")).otherwise(F.lit("mismatch"))


def build(tables: dict[str, DataFrame]) -> DataFrame | None:
    """Nothing to screen until both the accounts and a list exist."""
    if ACCOUNTS not in tables or ENTRIES not in tables:
        return None
    return sanctions_hits(tables[ACCOUNTS], tables[ENTRIES])


def main(argv: list[str] | None = None, spark=None) -> None:
    products.main(PRODUCT, build, argv, spark)
