"""The sanctions list as a snapshot and the screening products on real Delta tables.

Landing reads the OFAC files by their declared layouts (no Spark); then, on Delta: a list is published
as one version, an identical or an older list changes nothing, a new list is a new version, and a list
that does not read fails naming file and line while the list in force stays; screening finds the
generated customers named after listed people, writes them only as pseudonyms, and the account risk
adds alerts and hits up in its columns.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from jobs.audit import RunContext
from jobs.finance import ofac
from jobs.finance import sanctions_columns as raw
from jobs.landing import LandingError, land_file
from jobs.settings import PROJECT_ROOT
from tests import pipeline_runs
from tests.conftest import make_settings

LIST = PROJECT_ROOT / "tests" / "data" / "ofac_sdn"
FILES = ("sdn.csv", "alt.csv", "add.csv")
FIRST, SECOND, BROKEN = date(2022, 5, 1), date(2022, 5, 3), date(2022, 5, 4)


def land_list(settings, folder: Path, day: date) -> None:
    for name in FILES:
        inbox = Path(settings.inbox_root) / raw.SOURCE / day.isoformat()
        inbox.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / name, inbox / name)
        land_file(settings, raw.SOURCE, day.isoformat(), inbox / name, raw.REQUIRED_COLUMNS)


def names_listed(folder: Path) -> int:
    listed = ofac.read_list(folder)
    return len(listed.entries) + len(listed.aliases)


def test_landing_reads_the_headerless_files_by_their_layout_and_refuses_one_that_does_not_fit(tmp_path):
    settings = make_settings(tmp_path)
    land_list(settings, LIST, FIRST)
    from jobs.landing import manifest_entries

    entries = {entry.file_name: entry for entry in manifest_entries(settings, raw.SOURCE, FIRST.isoformat())}
    assert entries["sdn.csv"].rows == len(ofac.read_rows(LIST / "sdn.csv")) and entries["sdn.csv"].columns == ofac.LAYOUTS["sdn.csv"]
    broken = tmp_path / "broken" / "alt.csv"
    broken.parent.mkdir()
    lines = (LIST / "alt.csv").read_bytes().split(b"\r\n")
    broken.write_bytes(b"\r\n".join([*lines[:9], lines[9] + b",extra", *lines[10:]]))
    with pytest.raises(LandingError, match=r"alt.csv line 10: 6 fields, its declared layout has 5"):
        land_file(settings, raw.SOURCE, SECOND.isoformat(), broken, raw.REQUIRED_COLUMNS)
    with pytest.raises(LandingError, match="not a file of this source"):
        land_file(settings, raw.SOURCE, SECOND.isoformat(), other_file(tmp_path), raw.REQUIRED_COLUMNS)


def other_file(tmp_path: Path) -> Path:
    path = tmp_path / "names.csv"
    path.write_text("a,b\n1,2\n")
    return path


@pytest.fixture(scope="module")
def second_list(tmp_path_factory) -> Path:
    """The sample with its first ten entries (and their aliases and addresses) delisted and an alias added to the eleventh."""
    folder = tmp_path_factory.mktemp("second-list")
    listed = ofac.read_list(LIST)
    delisted = {entry["ent_num"] for entry in listed.entries[:10]}
    for name in FILES:
        lines = (LIST / name).read_bytes().split(b"\r\n")
        kept = [line for line in lines if not line or line == b"\x1a" or int(line.split(b",")[0]) not in delisted]
        if name == "alt.csv":
            kept.insert(-1, f'{listed.entries[10]["ent_num"]},99999,"aka","NEW ALIAS HOLDINGS",-0- '.encode())
        (folder / name).write_bytes(b"\r\n".join(kept))
    return folder


@pytest.fixture(scope="module")
def sanctions_lake(spark, tmp_path_factory):
    from tests.conftest import point_catalog_at

    settings = make_settings(tmp_path_factory.mktemp("sanctions-lake"))
    point_catalog_at(spark, settings)
    return settings


def publish(spark, settings, day: date, run: str = "1"):
    from jobs import snapshots
    from jobs.declarations import registry
    from jobs.finance import sanctions

    snapshot = registry().snapshots[raw.SOURCE]
    snapshots.run(spark, settings, RunContext(f"list-{day}-{run}", snapshot.dag_id, "publish_list", day.isoformat()), snapshot, sanctions.read, pipeline_runs.EXPECTATIONS)


def history(spark, settings) -> list[int]:
    return [row.version for row in spark.sql(f"DESCRIBE HISTORY delta.`{settings.table_path('silver', 'sanctions_entries')}`").collect()]


def entries(spark, settings):
    from tests.test_nyc311_job import table

    return table(spark, settings, "silver.sanctions_entries").toPandas()


def test_a_list_is_one_version_and_only_a_new_list_makes_another(spark, sanctions_lake, second_list):
    land_list(sanctions_lake, LIST, FIRST)
    publish(spark, sanctions_lake, FIRST)
    first = entries(spark, sanctions_lake)
    assert len(first) == names_listed(LIST) and set(first["snapshot_date"]) == {FIRST}
    assert set(first["sdn_type"]) == {"individual", "entity", "vessel", "aircraft"}
    bnc = first[(first["ent_num"] == 306) & (first["name_kind"] == "primary")].iloc[0]
    assert bnc["listed_name"] == "BANCO NACIONAL DE CUBA" and list(bnc["name_tokens"]) == ["banco", "nacional", "cuba"] and list(bnc["programs"]) == ["CUBA"]
    publish(spark, sanctions_lake, FIRST, run="again")  # a rerun
    land_list(sanctions_lake, LIST, date(2022, 5, 2))  # the next day's pull: the same files
    publish(spark, sanctions_lake, date(2022, 5, 2))
    assert len(history(spark, sanctions_lake)) == 1

    land_list(sanctions_lake, second_list, SECOND)
    publish(spark, sanctions_lake, SECOND)
    second = entries(spark, sanctions_lake)
    assert len(second) == names_listed(second_list) and set(second["snapshot_date"]) == {SECOND}
    assert "NEW ALIAS HOLDINGS" in set(second["listed_name"]) and not set(first["ent_num"].head(10)) & set(second["ent_num"])
    publish(spark, sanctions_lake, FIRST, run="backfill")  # an older list never replaces a newer one
    assert len(history(spark, sanctions_lake)) == 2 and set(entries(spark, sanctions_lake)["snapshot_date"]) == {SECOND}


def test_a_list_that_does_not_read_fails_naming_file_and_line_and_the_list_in_force_stays(spark, sanctions_lake, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in FILES:
        shutil.copyfile(LIST / name, broken / name)
    text = (broken / "alt.csv").read_bytes().replace(b'306,220,"aka"', b'999999999,220,"aka"')  # an alias of no listed entry
    (broken / "alt.csv").write_bytes(text)
    land_list(sanctions_lake, broken, BROKEN)  # the right shape: landing accepts it
    versions = history(spark, sanctions_lake)
    with pytest.raises(ofac.ListFormatError, match=r"alt.csv: rows of entries not in sdn.csv: ent_num \[999999999\]"):
        publish(spark, sanctions_lake, BROKEN)
    assert history(spark, sanctions_lake) == versions and set(entries(spark, sanctions_lake)["snapshot_date"]) == {SECOND}


QUARANTINED = ("AC9900000001", "AC9900000002")  # an unknown customer type; one account with two contents


@pytest.fixture(scope="module")
def customers(tmp_path_factory):
    """KYC records of 600 accounts, 5 % of the individuals named after listed individuals: (path, rows, variants)."""
    from jobs.synthetic import accounts as generator
    from jobs.synthetic.payments import account_id

    rows, variants = generator.generate([account_id(number) for number in range(600)], 7, generator.listed_individuals(LIST), 0.05, generator.listed_birth_years(LIST))
    listed = next(row for row in rows if row["account_id"] == variants[0].account_id)
    rows = rows + [  # records the row rules quarantine, under a listed name: never screened
        {**listed, "account_id": QUARANTINED[0], "customer_type": "trust"},
        {**listed, "account_id": QUARANTINED[1]}, {**listed, "account_id": QUARANTINED[1], "phone": "+1-212-555-0199"},
    ]
    path = tmp_path_factory.mktemp("kyc") / generator.FILE_NAME.format(day=FIRST.isoformat())
    path.write_text(generator.to_csv(rows), encoding="utf-8")
    return path, rows, variants


def test_screening_finds_the_customers_named_after_listed_people_and_writes_them_only_as_pseudonyms(spark, sanctions_lake, customers):
    import pandas as pd

    from jobs import products
    from jobs.declarations import registry
    from jobs.finance import accounts_job, screening_job
    from tests.test_nyc311_job import table
    from tests.test_pseudonyms import expected_pseudonym

    path, rows, variants = customers
    pipeline_runs.land_and_run(spark, sanctions_lake, accounts_job.SOURCE, "accounts_daily", FIRST.isoformat(), [path], "accounts-kyc")
    product = registry().products[screening_job.PRODUCT]
    products.run(spark, sanctions_lake, RunContext("screening-1", product.dag_id, "rebuild", SECOND.isoformat()), product, screening_job.build, pipeline_runs.EXPECTATIONS)
    hits = table(spark, sanctions_lake, "gold.sanctions_hits").toPandas()
    found = {(hit.account, hit.ent_num) for hit in hits.itertuples()}
    assert sum((expected_pseudonym(variant.account_id), variant.entry) in found for variant in variants) >= 0.9 * len(variants)
    variant_accounts = {expected_pseudonym(variant.account_id) for variant in variants}
    assert not {expected_pseudonym(account) for account in QUARANTINED} & set(hits["account"])
    assert set(hits["customer_type"]) <= {"individual", "business"}
    opened = hits[hits["status"] == "open"]
    # The listed people are born when the list says: their hits stay open; most chance namesakes are not.
    assert set(opened["account"]) >= {account for account in variant_accounts if account in set(hits["account"])}
    chance = hits[~hits["account"].isin(variant_accounts)]
    assert (chance["status"] == "open").sum() <= 0.5 * len(chance) + 1
    assert set(hits.loc[hits["status"] == "discounted", "birth_year_check"]) <= {"mismatch"}
    assert set(hits["list_date"]) == {SECOND} and (hits["score"] >= hits["threshold"]).all()
    # The listed name is the list's (public; a customer named after a listed person shares it by construction).
    assert set(hits["listed_name"]) <= set(entries(spark, sanctions_lake)["listed_name"])
    cells = "\n".join(hits.drop(columns="listed_name").astype(str).to_numpy().ravel())
    personal = {row[name] for row in rows for name in ("account_id", "customer_name", "date_of_birth", "national_id", "phone", "address") if row[name]}
    assert not [value for value in personal if value in cells]
    assert pd.api.types.is_string_dtype(hits["account"]) and hits["account"].str.fullmatch("[0-9a-f]{32}").all()


def test_account_risk_adds_its_parts_from_alerts_open_hits_and_payments_with_hit_counterparties(spark):
    from decimal import Decimal

    from jobs.finance import risk

    day = date(2022, 5, 2)
    alerts = spark.createDataFrame(
        [("a", day, "fan_out", 1.5, 1), ("a", day, "structuring", 1.1, 1), ("a", day, "fan_out", 2.0, 1), ("c", date(2022, 5, 3), "cycle", 1.0, 1)],
        "account string, alert_date date, rule_id string, score double, pseudonym_key_version int",
    )
    hits = spark.createDataFrame(
        [("b", 0.95, 12, "open", 1), ("b", 0.91, 7, "open", 1), ("b", 0.99, 3, "discounted", 1), ("d", 0.97, 5, "discounted", 1)],
        "account string, score double, ent_num int, status string, pseudonym_key_version int",
    )
    payments = spark.createDataFrame(
        [("a", "b", day, Decimal("100.00"), 1), ("a", "b", day, Decimal("50.00"), 1), ("c", "d", day, Decimal("10.00"), 1)],
        "from_account string, to_account string, booked_date date, amount_reporting decimal(18,2), pseudonym_key_version int",
    )
    rows = {(row.account, row.risk_date): row for row in risk.account_risk_daily(alerts, hits, payments).collect()}
    assert set(rows) == {("a", day), ("b", day), ("c", date(2022, 5, 3))}
    a, b, c = rows[("a", day)], rows[("b", day)], rows[("c", date(2022, 5, 3))]
    assert (a.alerts, a.alert_rules, a.alert_part, a.hit_counterparty_payments, a.hit_counterparty_amount, a.counterparty_part, a.sanctions_part) == (
        3, ["fan_out", "structuring"], 40.0, 2, Decimal("150.00"), 20.0, 0.0)
    assert a.risk_score == 60.0 and a.max_alert_score == 2.0
    assert (b.sanctions_score, b.sanctions_ent_num, b.sanctions_part, b.alert_part, b.counterparty_part, b.risk_score) == (0.95, 12, 38.0, 0.0, 0.0, 38.0)
    assert (c.alert_part, c.risk_score, c.hit_counterparty_payments) == (20.0, 20.0, 0)
