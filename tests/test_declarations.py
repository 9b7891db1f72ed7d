"""The table registry, without Spark: one declaration per table, default-deny classification, every consumer covers it."""

from __future__ import annotations

import importlib
import json

import pytest

from jobs import declarations
from jobs.declarations import DeclarationError, UndeclaredColumnsError, registry
from jobs.settings import PROJECT_ROOT

EXPECTATIONS = PROJECT_ROOT / "expectations"


def one_table(columns: str, name: str = "silver.people", extra: str = "") -> str:
    return f"owner: tests\ntables:\n  - name: {name}\n{extra}    columns:\n{columns}"


def test_the_lake_declares_every_zone_and_every_source_table():
    lake = registry()
    assert {table.zone for table in lake.tables.values()} == {"landing", "bronze", "silver", "gold", "quarantine", "audit"}
    for ingestion in lake.ingestions.values():
        assert [lake.table(name).zone for name in ingestion.tables] == ["bronze", "quarantine", "silver", *["gold"] * len(ingestion.gold)]
    for table in lake.tables.values():
        assert table.owner and table.description and all(column.description for column in table.columns), table.name


def test_a_column_without_a_classification_cannot_be_declared():
    text = one_table("      - {name: person_id, type: string, treatment: keep}\n")
    with pytest.raises(DeclarationError, match=r"silver\.people: column 'person_id' has no classification"):
        declarations.parse("tests", text)


@pytest.mark.parametrize(
    ("classification", "treatment"),
    [("direct_identifier", "keep"), ("direct_identifier", "coarsen"), ("precise_location", "keep"), ("precise_location", "mask")],
)
def test_past_the_restricted_zones_an_identifier_or_a_precise_location_is_never_kept_in_clear(classification, treatment):
    text = one_table(f"      - {{name: person_id, type: string, classification: {classification}, treatment: {treatment}}}\n")
    with pytest.raises(DeclarationError, match=rf"silver\.people\.person_id: a {classification} may leave the restricted zones only"):
        declarations.parse("tests", text)
    # The same column may be kept as delivered in a restricted zone.
    (bronze,), *_ = declarations.parse("tests", text.replace("silver.people", "bronze.people"))
    assert bronze.restricted


def test_a_restricted_zone_can_never_be_declared_for_bi():
    text = one_table("      - {name: a, type: string, classification: none, treatment: keep}\n", name="quarantine.people", extra="    bi: true\n")
    with pytest.raises(DeclarationError, match="never exposed to BI"):
        declarations.parse("tests", text)


def test_a_retention_is_whole_days_counted_on_the_day_a_row_was_delivered_for():
    delivered = "      - {name: _logical_date, type: date, classification: none, treatment: keep, description: d}\n"
    (table,), *_ = declarations.parse("tests", one_table(delivered, name="bronze.people", extra="    retention_days: 30\n"))
    assert table.retention_days == 30
    undated = "      - {name: a, type: string, classification: none, treatment: keep}\n"
    for columns, days in ((undated, "30"), (delivered, "0"), (delivered, "'30 days'")):
        with pytest.raises(DeclarationError, match=r"bronze\.people: retention_days must be a whole number of days .* _logical_date"):
            declarations.parse("tests", one_table(columns, name="bronze.people", extra=f"    retention_days: {days}\n"))


def test_only_columns_classified_none_get_delta_statistics_and_a_cluster_column_must_be_one():
    columns = (
        "      - {name: Full Name, type: string, classification: direct_identifier, treatment: keep, spellings: [full_name]}\n"
        "      - {name: Post Id, type: string, classification: none, treatment: keep, spellings: [post_id]}\n"
        "      - {name: tags, type: array<string>, classification: none, treatment: keep}\n"
        "      - {name: _logical_date, type: date, classification: none, treatment: keep}\n"
    )
    (bronze,), *_ = declarations.parse("tests", one_table(columns, name="bronze.people", extra="    partition_by: [_logical_date]\n"))
    # As created: a delivered spelling counts; a drifted column, an array and the partition column get none.
    assert bronze.statistics_properties(["full_name", "post_id", "tags", "new_field", "_logical_date"]) == {"delta.dataSkippingStatsColumns": "`post_id`"}
    assert bronze.statistics_properties(["Full Name", "Post Id"]) == {"delta.dataSkippingStatsColumns": "`Post Id`"}
    assert bronze.statistics_properties(["Full Name"]) == {"delta.dataSkippingNumIndexedCols": "0"}
    (public,), *_ = declarations.parse("tests", one_table("      - {name: day, type: date, classification: none, treatment: keep}\n", name="gold.counts"))
    assert public.statistics_properties(["day"]) == {}  # nothing classified: Delta's defaults
    with pytest.raises(DeclarationError, match=r"bronze\.people: cluster column 'Full Name' must be classified none"):
        declarations.parse("tests", one_table(columns, name="bronze.people", extra="    cluster_by: [Full Name]\n"))


def test_a_silver_table_with_pseudonyms_gets_the_key_version_column():
    (table,), *_ = declarations.parse("tests", one_table("      - {name: person_id, type: string, classification: direct_identifier, treatment: pseudonymise}\n"))
    assert table.pseudonymised == ("person_id",)
    assert table.column_names == ["person_id", declarations.KEY_VERSION_COLUMN]


def test_a_write_must_match_its_declaration_and_the_error_names_table_and_columns():
    table = registry().table("gold.service_requests_daily")
    fields = [(column.name, column.type) for column in table.columns]
    table.check_written(fields)
    with pytest.raises(UndeclaredColumnsError, match=r"gold\.service_requests_daily .*not declared .*\['incident_address'\]"):
        table.check_written(fields + [("incident_address", "string")])
    with pytest.raises(UndeclaredColumnsError, match=r"declared but not in the data: \['borough'\]"):
        table.check_written([field for field in fields if field[0] != "borough"])
    with pytest.raises(UndeclaredColumnsError, match=r"requests_opened \(string, declared bigint\)"):
        table.check_written([(name, "string" if name == "requests_opened" else kind) for name, kind in fields])


def test_two_writers_or_a_dangling_reference_are_refused():
    documents = declarations.read_documents()
    copy = documents["taxi"].replace("dag_id: taxi_daily", "dag_id: taxi_again").replace("source: nyc_tlc_yellow", "source: taxi_again")
    with pytest.raises(DeclarationError, match="declared twice"):
        declarations.build({**documents, "taxi_again": copy})
    dangling = documents["city_themes"].replace("gold.mobility_daily,", "gold.no_such_table,")
    with pytest.raises(DeclarationError, match="'gold.no_such_table' is not a declared table"):
        declarations.build({**documents, "city_themes": dangling})


def test_the_suites_ordered_columns_come_from_the_declaration():
    for table in registry().in_zones("silver", "gold"):
        suite = json.loads((EXPECTATIONS / table.suite).read_text())
        ordered = [e for e in suite["expectations"] if e["type"] == "expect_table_columns_to_match_ordered_list"]
        assert [e["kwargs"]["column_list"] for e in ordered] == [{"$PARAMETER": "declared_columns"}], table.name
        assert "personal_columns" not in suite.get("meta", {}), table.name


# What bronze adds to every delivered row (jobs/pipeline.py); a delivered field may start with "_" too (twarc2's "__twarc").
BRONZE_LINEAGE = {"_corrupt_record", "_source_file", "_batch_id", "_ingested_at", "_logical_date"}


def test_bronze_declares_every_delivered_column_of_every_known_layout():
    for ingestion in registry().ingestions.values():
        bronze = registry().table(ingestion.bronze)
        delivered = importlib.import_module(ingestion.delivery_columns).REQUIRED_COLUMNS
        known = {name for layout in (delivered.layouts or delivered.spellings) for name in layout}
        declared = {name for column in bronze.columns for name in (column.name, *column.spellings) if column.name not in BRONZE_LINEAGE}
        assert known <= declared, (bronze.name, sorted(known - declared))
        assert bronze.accepts_new_columns


def test_every_consumer_covers_every_declared_table_and_names_no_domain(monkeypatch):
    """Adding a source is a folder: the job runner, quarantine, generators, maintenance and BI follow the registry."""
    from jobs import maintenance, quarantine, run

    lake = registry()
    assert set(run.jobs()) == {pipeline.job for pipeline in lake.pipelines} | set(run.PLATFORM_JOBS)
    for module in run.jobs().values():
        assert importlib.util.find_spec(module), module
    assert set(quarantine.sources()) == set(lake.ingestions)
    assert {source.table for source in quarantine.sources().values()} == {lake.table(i.quarantine).address for i in lake.ingestions.values()}
    for ingestion in lake.ingestions.values():
        assert hasattr(importlib.import_module(ingestion.generator), "write_range"), ingestion.source
    assert set(maintenance.clustered_tables()) == {table.name for table in lake.clustered()}
    assert {table.name for table in lake.retained()} == {table.name for table in lake.tables.values() if table.retention_days}
    assert {table.zone for table in lake.bi_tables()} <= {"gold", "audit"}
    assert {table.name for table in lake.in_zones("gold")} <= {table.name for table in lake.bi_tables()}
    # Platform modules name no domain: no source, DAG or domain table name in their code.
    domain_names = {*lake.ingestions, *(i.dag_id for i in lake.pipelines), *(t.table for t in lake.tables.values() if t.zone != "audit")}
    platform = ["pipeline", "publish", "declarations", "pseudonyms", "lake", "audit", "quality", "report", "run", "quarantine", "maintenance", "bi_server", "airflow_support", "landing", "summary", "consent", "erasure", "erasure_requests", "subject_rows", "retention"]
    for module in platform:
        code = (PROJECT_ROOT / "jobs" / f"{module}.py").read_text()
        named = sorted(name for name in domain_names if f'"{name}"' in code or f"'{name}'" in code)
        assert not named, (module, named)
    for dag_file in (PROJECT_ROOT / "dags").glob("*.py"):
        named = sorted(name for name in domain_names if f'"{name}"' in dag_file.read_text())
        assert not named, (dag_file.name, named)


def test_a_new_domain_is_served_by_every_consumer_without_touching_a_platform_module(monkeypatch):
    """The tests' fixture domain (tests/fixture_people, added by CITYLAKE_DECLARATION_PACKAGES) gets its jobs,
    quarantine export, DAGs and BI exposure from its folder alone."""
    from jobs import airflow_support, quarantine, run

    monkeypatch.setenv("CITYLAKE_DECLARATION_PACKAGES", "tests")
    registry.cache_clear()
    try:
        lake = registry()
        fixtures = [ingestion for ingestion in lake.ingestions.values() if ingestion.domain == "fixture_people"]
        assert {ingestion.source for ingestion in fixtures} == {"fixture_registrations", "fixture_complaints"}
        assert {"fixture_registrations", "fixture_complaints"} <= set(run.jobs()) and set(quarantine.sources()) == set(lake.ingestions)
        for ingestion in fixtures:
            dag = airflow_support.source_dag(ingestion)
            assert [task.task_id for task in dag.topological_sort()] == ["land", "bronze_to_gold"]
            assert dag.doc_md.startswith("### Fixture people") and dag.owner == "citylake-tests"
        assert {"gold.fixture_registrations_daily", "gold.fixture_complaints_daily"} <= {table.name for table in lake.bi_tables()}
    finally:
        monkeypatch.delenv("CITYLAKE_DECLARATION_PACKAGES")
        registry.cache_clear()
