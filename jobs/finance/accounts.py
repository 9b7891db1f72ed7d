"""Accounts (KYC) as pure DataFrame transforms: bronze -> typed -> (published, quarantined) -> silver.

A bank's customer system delivers the records of its active accounts daily; silver keeps each account's
latest record. Personal data leaves the restricted zones only as the declaration says
(``jobs/finance/declarations.yaml``): the account number, national id, phone and address as keyed
pseudonyms (the platform keys them: accounts join payments on the same pseudonym, and accounts sharing
a holder, phone or address stay visible as such), the date of birth as a year, the name not at all.
Sanctions screening, which needs the names, reads them in bronze.
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from jobs import row_rules
from jobs.delivered import blank_to_null, pick
from jobs.finance import account_columns as raw

# No one on the books was born before this: an earlier date is a typing error, not a customer.
EARLIEST_BIRTH = date(1900, 1, 1)

ROW_RULES = {
    "malformed_row": "the CSV row does not have the header's shape (kept whole in raw_record)",
    "account_id_missing": "account_id is empty",
    "duplicate_id_other_content": "the file holds this account_id more than once with different contents: which record is true is unknown, so none is published",
    "name_missing": "customer_name is empty: an account cannot be screened without its holder's name",
    "customer_type_unknown": f"customer_type is not one of {', '.join(raw.CUSTOMER_TYPES)}",
    "date_of_birth_unparseable": "date_of_birth is not an ISO 8601 date (YYYY-MM-DD)",
    "date_of_birth_implausible": f"date_of_birth is in the future or before {EARLIEST_BIRTH}",
    "opening_date_unparseable": "opening_date is not an ISO 8601 date (YYYY-MM-DD)",
    "duplicate_identical_in_file": "the file holds this exact record more than once; one copy is published",
}


def typed_accounts(bronze_batch: DataFrame, delivered_columns: tuple[str, ...] | None = None) -> DataFrame:
    """The delivered strings trimmed and typed; a date that does not parse is NULL beside its delivered text."""

    def delivered(name: str) -> Column:
        return blank_to_null(pick(bronze_batch, name))

    fields = {name: delivered(name) for name in raw.COLUMNS}
    metadata_columns = [name for name in bronze_batch.columns if name.startswith("_")]
    return bronze_batch.select(
        *metadata_columns,
        row_rules.raw_record(bronze_batch, delivered_columns).alias("_raw_record"),
        fields["account_id"].alias("account_id"),
        fields["customer_name"].alias("customer_name"),
        fields["date_of_birth"].alias("_date_of_birth_text"),
        fields["date_of_birth"].try_cast("date").alias("date_of_birth"),
        fields["national_id"].alias("national_id"),
        fields["phone"].alias("phone"),
        fields["address"].alias("address"),
        F.upper(fields["country"]).alias("country"),
        fields["opening_date"].alias("_opening_date_text"),
        fields["opening_date"].try_cast("date").alias("opening_date"),
        F.lower(fields["customer_type"]).alias("customer_type"),
        # What a record says besides its id: two rows of one id that differ here conflict.
        F.sha2(F.to_json(F.struct(*[fields[name].alias(name) for name in raw.COLUMNS if name != "account_id"]), {"ignoreNullFields": "false"}), 256).alias("_content"),
    )


def _broken_rule(key: str) -> Column:
    contents = F.size(F.collect_set("_content").over(Window.partitionBy(key)))
    return (
        F.when(F.col("_corrupt_record").isNotNull(), F.lit("malformed_row"))
        .when(F.col("account_id").isNull(), F.lit("account_id_missing"))
        .when(contents > 1, F.lit("duplicate_id_other_content"))
        .when(F.col("customer_name").isNull(), F.lit("name_missing"))
        .when(~F.col("customer_type").isin(*raw.CUSTOMER_TYPES) | F.col("customer_type").isNull(), F.lit("customer_type_unknown"))
        .when(F.col("_date_of_birth_text").isNotNull() & F.col("date_of_birth").isNull(), F.lit("date_of_birth_unparseable"))
        .when((F.col("date_of_birth") > F.col("_logical_date")) | (F.col("date_of_birth") < F.lit(EARLIEST_BIRTH)), F.lit("date_of_birth_implausible"))
        .when(F.col("_opening_date_text").isNotNull() & F.col("opening_date").isNull(), F.lit("opening_date_unparseable"))
    )


def split_by_row_rules(typed: DataFrame, key: str = "account_id") -> tuple[DataFrame, DataFrame]:
    """``(published, quarantined)``: every row in exactly one; one copy of a record delivered twice is published.

    ``key``: the column whose equal values are one account's records of one delivery (a batch's account id).
    """
    return row_rules.split_by_row_rules(
        typed, _broken_rule(key), ROW_RULES, key=key, newest_first=[], duplicate_rule="duplicate_identical_in_file",
        record_key=F.col("account_id"), record_key_name="account_id",
    )


def published_records(bronze: DataFrame) -> DataFrame:
    """Every delivery's records that its row rules publish, typed, judged delivery by delivery as the job does.

    What screening reads: the holders' names are only in bronze, and a record the rules quarantine (no known
    customer type, one account with two contents) is not the bank's word on anyone until it is corrected.
    """
    # A delivery is a file for a day: the same file delivered for two days is two deliveries (as two runs judge it).
    typed = typed_accounts(bronze).withColumn("_delivery_account", F.concat_ws("/", F.col("_logical_date").cast("string"), "_batch_id", "account_id"))
    published, _ = split_by_row_rules(typed, key="_delivery_account")
    return published.drop("_delivery_account")


def bank_accounts(published: DataFrame) -> DataFrame:
    """Silver's columns, before the platform keys the identifiers: no name, the birth date as a year."""
    return published.select(
        "account_id",
        F.col("national_id").alias("holder_id"),
        "phone", "address",
        F.year("date_of_birth").alias("birth_year"),
        "country", "opening_date", "customer_type",
        F.col("_logical_date").alias("record_date"),
        F.col("_source_file").alias("source_file"), F.col("_batch_id").alias("batch_id"),
    )
