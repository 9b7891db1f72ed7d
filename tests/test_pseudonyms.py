"""Keyed pseudonyms and default-deny classification on real Delta tables, with a fixture domain the tests declare.

Two fixture sources (tests/fixture_people) carry the same synthetic people's identifiers: registrations
(id, name, e-mail, phone) and complaints (by person id). They run through the real pipeline.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jobs import declarations, lake, pipeline, publish, pseudonyms
from jobs.audit import RunContext
from jobs.landing import land_file
from jobs.settings import PROJECT_ROOT
from tests.conftest import CONNECT_SCRIPT, engine_environment, free_port

FIXTURE = PROJECT_ROOT / "tests" / "fixture_people"
DAY = "2024-03-01"
PEOPLE = [
    # synthetic people: id, name, e-mail, phone, borough
    (f"P-{n:04d}", f"Testperson Nummer{n}", f"testperson{n}@example.org", f"+1-555-01{n:02d}", ("Bronx", "Queens", "Brooklyn")[n % 3])
    for n in range(1, 13)
]


@pytest.fixture
def fixture_domain(monkeypatch):
    """The registry with the tests' fixture domain declared beside the lake's own."""
    monkeypatch.setenv("CITYLAKE_DECLARATION_PACKAGES", "tests")
    declarations.registry.cache_clear()
    yield declarations.registry()
    monkeypatch.delenv("CITYLAKE_DECLARATION_PACKAGES")
    declarations.registry.cache_clear()


@pytest.fixture
def expectations_dir(tmp_path):
    folder = tmp_path / "expectations"
    shutil.copytree(FIXTURE / "expectations", folder)
    shutil.copy(PROJECT_ROOT / "expectations" / pipeline.DRIFT_SUITE, folder)
    return folder


def deliveries(folder: Path) -> tuple[Path, Path]:
    registrations = folder / "registrations.csv"
    registrations.write_text("person_id,full_name,email,phone,borough,registered_at\n" + "".join(f"{p},{name},{mail},{phone},{borough},{DAY}T09:00:00\n" for p, name, mail, phone, borough in PEOPLE))
    complaints = folder / "complaints.csv"
    complaints.write_text("complaint_id,person_id,created_at,topic\n" + "".join(f"C-{n},{PEOPLE[n % 5][0]},{DAY}T10:00:00,noise\n" for n in range(20)))
    return registrations, complaints


def run_source(spark, settings, spec, path: Path, expectations_dir: Path) -> None:
    land_file(settings, spec.name, DAY, path, spec.columns)
    pipeline.run(spark, settings, RunContext(f"run-{spec.name}", spec.declared.dag_id, "bronze_to_gold", DAY), spec, expectations_dir)


def expected_pseudonym(identifier: str) -> str:
    """Computed independently of jobs/pseudonyms.py: HMAC-SHA-256 under the test run's key."""
    return expected_pseudonym_under(os.environ["CITYLAKE_PSEUDONYM_KEY"], identifier)


def every_value(spark, settings, zones: tuple[str, ...]) -> str:
    """Every value of every table in ``zones``, as one text to search."""
    values = []
    for zone in zones:
        for table in lake.tables_in(spark, settings, zone):
            frame = lake.read_table(spark, settings, zone, table)
            values += [json.dumps(row.asDict(), default=str) for row in frame.collect()]
    return "\n".join(values)


def test_identifiers_are_pseudonymised_into_silver_the_same_in_both_sources_and_nowhere_in_clear(spark, lake, fixture_domain, expectations_dir, tmp_path):
    from tests.fixture_people import complaints, registrations

    registrations_file, complaints_file = deliveries(tmp_path)
    run_source(spark, lake, registrations.SOURCE_SPEC, registrations_file, expectations_dir)
    run_source(spark, lake, complaints.SOURCE_SPEC, complaints_file, expectations_dir)

    people = {row.person_id: row for row in lake_table(spark, lake, "silver.fixture_registrations").collect()}
    assert set(people) == {expected_pseudonym(p[0]) for p in PEOPLE}
    assert {row.pseudonym_key_version for row in people.values()} == {1}
    # The same identifier has the same pseudonym in both sources: they join.
    joined = lake_table(spark, lake, "silver.fixture_complaints").join(lake_table(spark, lake, "silver.fixture_registrations"), "person_id")
    assert joined.count() == 20
    gold = lake_table(spark, lake, "gold.fixture_complaints_daily").collect()
    assert [(row.complaints, row.complainants) for row in gold] == [(20, 5)]

    # No clear identifier, name, e-mail or phone past bronze: silver, gold, audit, the report and Data Docs.
    published = every_value(spark, lake, ("silver", "gold", "audit"))
    reports = "\n".join(path.read_text(errors="replace") for path in Path(lake.reports_root).rglob("*") if path.is_file() and path.suffix in {".html", ".json"})
    delta_logs = "\n".join(path.read_text(errors="replace") for zone in ("silver", "gold", "audit") for path in Path(lake.zone_path(zone)).rglob("_delta_log/*.json"))
    for person in PEOPLE:
        for clear in person[:4]:
            assert clear not in published and clear not in reports and clear not in delta_logs, clear
    # They are where they may be: bronze (restricted) keeps the delivery as it came.
    assert PEOPLE[0][2] in every_value(spark, lake, ("bronze",))
    # The auditor's report lists every column with its classification and treatment.
    tables_page = (Path(lake.reports_root) / "quality" / "tables.html").read_text()
    assert "silver.fixture_registrations" in tables_page and "pseudonymise" in tables_page


def lake_table(spark, settings, name: str):
    return lake.read_table(spark, settings, *name.split("."))


def test_a_column_the_declaration_lacks_or_a_declared_column_the_data_lacks_stops_the_write(spark, lake, fixture_domain, expectations_dir):
    table = fixture_domain.table("gold.fixture_complaints_daily")
    extra = spark.createDataFrame([("2024-03-01", 1, 1, "x@example.org")], "day string, complaints bigint, complainants bigint, email string").selectExpr("to_date(day) AS day", "complaints", "complainants", "email")
    with pytest.raises(declarations.UndeclaredColumnsError, match=r"gold\.fixture_complaints_daily.*not declared.*'email'"):
        publish.write_audit_publish(spark, lake, RunContext("r", "d", "t", DAY), table, extra, "b1", expectations_dir, lambda staged: None, [])
    missing = extra.drop("complainants", "email")
    with pytest.raises(declarations.UndeclaredColumnsError, match=r"declared but not in the data: \['complainants'\]"):
        publish.write_audit_publish(spark, lake, RunContext("r", "d", "t", DAY), table, missing, "b1", expectations_dir, lambda staged: None, [])
    # Nothing was staged: the unclassified column never left the job.
    assert not Path(lake.zone_path(publish.STAGING_ZONE)).exists()


def test_a_missing_empty_or_short_key_stops_the_job_and_the_error_never_shows_the_key(settings):
    with pytest.raises(pseudonyms.PseudonymKeyError, match="unset or empty; there is no default key"):
        pseudonyms.read_key(settings, {})
    with pytest.raises(pseudonyms.PseudonymKeyError, match="unset or empty"):
        pseudonyms.read_key(settings, {"CITYLAKE_PSEUDONYM_KEY": ""})
    short = "tooshort-secret-value"
    with pytest.raises(pseudonyms.PseudonymKeyError, match=f"holds {len(short)} bytes; at least 32") as error:
        pseudonyms.read_key(settings, {"CITYLAKE_PSEUDONYM_KEY": short})
    assert short not in str(error.value)
    key = pseudonyms.read_key(settings, {"CITYLAKE_PSEUDONYM_KEY": "k" * 40})
    assert "k" * 8 not in repr(key) and key.fingerprint[:12] in repr(key)


def test_the_key_can_come_from_an_airflow_connection(settings, monkeypatch):
    import dataclasses

    secret = "0123456789abcdef" * 3
    monkeypatch.setenv("AIRFLOW_CONN_CITYLAKE_PSEUDONYM_TEST", json.dumps({"conn_type": "generic", "password": secret}))
    from_connection = dataclasses.replace(settings, pseudonym_key_source="airflow-conn:citylake_pseudonym_test")
    assert pseudonyms.read_key(from_connection, {}).materials == (secret.encode(),)
    missing = dataclasses.replace(settings, pseudonym_key_source="airflow-conn:no_such_connection")
    with pytest.raises(pseudonyms.PseudonymKeyError, match="'no_such_connection' cannot be read"):
        pseudonyms.read_key(missing, {})


def test_a_key_that_changes_without_a_rotation_is_refused_and_so_is_a_rollback(spark, lake):
    import dataclasses

    first, second = "a" * 32 + "-first", "b" * 32 + "-second"
    assert pseudonyms.checked_key(spark, lake, "run-1", {"CITYLAKE_PSEUDONYM_KEY": first}).version == 1
    assert pseudonyms.checked_key(spark, lake, "run-2", {"CITYLAKE_PSEUDONYM_KEY": first}).version == 1
    with pytest.raises(pseudonyms.PseudonymKeyError, match="version 1 was first used with key fingerprint .* without a rotation"):
        pseudonyms.checked_key(spark, lake, "run-3", {"CITYLAKE_PSEUDONYM_KEY": second})
    version_2 = dataclasses.replace(lake, pseudonym_key_version="2")
    with pytest.raises(pseudonyms.PseudonymKeyError, match=r"CITYLAKE_PSEUDONYM_KEY_V1 \(key version 1"):
        pseudonyms.checked_key(spark, version_2, "run-4", {"CITYLAKE_PSEUDONYM_KEY": second})
    both = {"CITYLAKE_PSEUDONYM_KEY_V1": first, "CITYLAKE_PSEUDONYM_KEY": second}
    with pytest.raises(pseudonyms.PseudonymKeyError, match="run `citylake pseudonyms rotate` first"):
        pseudonyms.checked_key(spark, version_2, "run-5", both)
    assert pseudonyms.rotate(spark, version_2, "rotation-1", both) == {}  # no pseudonyms yet: only the version is recorded
    assert pseudonyms.checked_key(spark, version_2, "run-6", both).version == 2
    with pytest.raises(pseudonyms.PseudonymKeyError, match="older than version 2 already in use; refusing a rollback"):
        pseudonyms.checked_key(spark, lake, "run-7", {"CITYLAKE_PSEUDONYM_KEY": first})
    recorded = lake_table(spark, lake, "audit.pseudonym_keys").collect()
    assert sorted(row.key_version for row in recorded) == [1, 2]
    assert all(first not in row.fingerprint and second not in row.fingerprint for row in recorded)


def test_a_rotation_rekeys_every_pseudonym_without_clear_identifiers_and_joins_still_work(spark, lake, fixture_domain, expectations_dir, tmp_path, monkeypatch):
    import dataclasses

    from tests.fixture_people import complaints, registrations

    registrations_file, complaints_file = deliveries(tmp_path)
    run_source(spark, lake, registrations.SOURCE_SPEC, registrations_file, expectations_dir)
    first = os.environ["CITYLAKE_PSEUDONYM_KEY"]
    second = "rotated-" + os.urandom(16).hex()
    monkeypatch.setenv("CITYLAKE_PSEUDONYM_KEY_V1", first)
    monkeypatch.setenv("CITYLAKE_PSEUDONYM_KEY", second)
    rotated = dataclasses.replace(lake, pseudonym_key_version="2")

    assert pseudonyms.rotate(spark, rotated, "rotation-1") == {"silver.fixture_registrations": len(PEOPLE)}
    layered = {expected_pseudonym_under(second, expected_pseudonym_under(first, p[0])) for p in PEOPLE}
    people = lake_table(spark, lake, "silver.fixture_registrations").collect()
    assert {row.person_id for row in people} == layered and {row.pseudonym_key_version for row in people} == {2}
    assert pseudonyms.rotate(spark, rotated, "rotation-2") == {}  # done: a rerun changes nothing

    # New deliveries under version 2 get the same pseudonyms as the rotated rows: they still join.
    land_file(rotated, complaints.SOURCE_SPEC.name, DAY, complaints_file, complaints.SOURCE_SPEC.columns)
    pipeline.run(spark, rotated, RunContext("run-v2", "fixture_complaints_daily", "bronze_to_gold", DAY), complaints.SOURCE_SPEC, expectations_dir)
    joined = lake_table(spark, lake, "silver.fixture_complaints").join(lake_table(spark, lake, "silver.fixture_registrations"), "person_id")
    assert joined.count() == 20


def expected_pseudonym_under(key: str, identifier: str) -> str:
    """Computed here, not by jobs.pseudonyms: HMAC-SHA-256 of the identifier, its first 128 bits in hex."""
    return hmac.new(key.encode(), identifier.encode(), hashlib.sha256).hexdigest()[:32]


KEY_LEAK_PROBE = """
from jobs import declarations, pseudonyms
from jobs.settings import load_settings
from jobs.spark_config import build_session
settings = load_settings()
spark = build_session(settings, "key-leak-probe")
key = pseudonyms.read_key(settings)
(table,), *_ = declarations.parse("probe", '''
owner: probe
tables:
  - name: silver.people
    columns:
      - {name: person_id, type: string, classification: direct_identifier, treatment: pseudonymise}
''')
frame = pseudonyms.pseudonymise(spark.createDataFrame([("P-0001",), ("P-0002",)], "person_id string"), table, key)
frame.explain(extended=True)
print(key, frame.collect())
spark.stop()
"""


def test_the_key_is_in_no_plan_log_or_event_log(tmp_path):
    """A job on an engine of its own with Spark's event log on: the job's output and plans, the engine's log
    and its event log never hold the key (it travels only inside the UDF's closure)."""
    secret = "probe-key-" + os.urandom(16).hex()
    events = tmp_path / "events"
    events.mkdir()
    port = free_port()
    engine = engine_environment(tmp_path / "engine", port, CITYLAKE_SPARK_EVENT_LOG_DIR=events.as_uri(), CITYLAKE_PSEUDONYM_KEY="engine-has-no-key-" + os.urandom(16).hex())
    subprocess.run([str(CONNECT_SCRIPT), "start"], env=engine, check=True, timeout=240)
    try:
        environment = {**os.environ, "CITYLAKE_PSEUDONYM_KEY": secret, "CITYLAKE_SPARK_REMOTE": f"sc://127.0.0.1:{port}", "PYTHONPATH": str(PROJECT_ROOT)}
        result = subprocess.run([sys.executable, "-c", KEY_LEAK_PROBE], capture_output=True, text=True, env=environment, timeout=300)
    finally:
        subprocess.run([str(CONNECT_SCRIPT), "stop"], env=engine, check=True, timeout=90)
    assert result.returncode == 0, result.stderr[-3000:]
    assert expected_pseudonym_under(secret, "P-0001") in result.stdout  # the probe did pseudonymise
    event_logs = [path.read_bytes() for path in events.rglob("*") if path.is_file()]
    assert event_logs
    engine_log = (tmp_path / "engine" / "spark-connect" / "server.log").read_bytes()
    for where, text in [("stdout", result.stdout.encode()), ("stderr", result.stderr.encode()), ("engine log", engine_log), *[("event log", log) for log in event_logs]]:
        assert secret.encode() not in text and secret.encode().hex().encode() not in text, where



def test_a_quarantine_row_with_an_undeclared_column_stops_the_run_before_any_write(spark, lake, fixture_domain, expectations_dir, tmp_path):
    """Quarantine keeps rows as delivered, personal data included, so it too holds only declared columns."""
    from pyspark.sql import functions as F

    from jobs.lake import table_exists
    from tests.fixture_people import registrations

    spec = registrations.SOURCE_SPEC

    def leaky_split(typed):
        published, quarantined = spec.split(typed)
        return published, quarantined.withColumn("email", F.lit("x@example.org"))

    with pytest.raises(declarations.UndeclaredColumnsError, match=r"quarantine\.fixture_registrations.*not declared.*'email'"):
        run_source(spark, lake, dataclasses.replace(spec, split=leaky_split), deliveries(tmp_path)[0], expectations_dir)
    assert not table_exists(spark, lake, "silver", "fixture_registrations")
    assert not table_exists(spark, lake, "quarantine", "fixture_registrations")
