"""The audit trail as tables: quality results and reconciliations, one set per run and batch.

Rows are keyed by (run_id, batch_id): clearing and rerunning the same Airflow run replaces its rows,
while a new run adds its own, so the trail shows every run that touched a batch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from pyspark.sql import SparkSession

from jobs import lake
from jobs.declarations import registry
from jobs.quality import ExpectationResult
from jobs.settings import Settings

# The audit tables' schemas are their declarations' (jobs/lake_tables/declarations.yaml).
DQ_RESULTS_SCHEMA = registry().table("audit.dq_results").ddl()
PUBLICATIONS_SCHEMA = registry().table("audit.publications").ddl()
RECONCILIATION_SCHEMA = registry().table("audit.reconciliation").ddl()


class ReconciliationError(RuntimeError):
    """Rows went missing between layers."""


@dataclass(frozen=True)
class RunContext:
    """Which Airflow run, DAG and task produced a write (``manual`` outside Airflow)."""

    run_id: str
    dag_id: str
    task_id: str
    logical_date: str


@dataclass(frozen=True)
class Reconciliation:
    """Raw rows in = rows published + rows quarantined, for one delivered file."""

    source: str
    batch_id: str
    source_file: str
    manifest_rows: int
    bronze_rows: int
    published_rows: int
    quarantined_rows: int

    @property
    def balanced(self) -> bool:
        return self.manifest_rows == self.bronze_rows == self.published_rows + self.quarantined_rows


def _now():
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _replace_run_rows(
    spark: SparkSession, settings: Settings, table: str, rows: list[tuple], schema: str, run: RunContext, batch_id: str, table_name: str | None = None
) -> None:
    frame = spark.createDataFrame(rows, schema)
    predicate = f"run_id = {lake.sql_literal(run.run_id)} AND batch_id = {lake.sql_literal(batch_id)}"
    if table_name:
        # One batch feeds several tables (silver and gold): each table's rows are replaced on their own.
        predicate += f" AND table_name = {lake.sql_literal(table_name)}"
    lake.replace_where(frame, settings, "audit", table, predicate)


def record_quality(
    spark: SparkSession,
    settings: Settings,
    run: RunContext,
    table_name: str,
    batch_id: str,
    delta_version: int | None,
    results: list[ExpectationResult],
) -> None:
    """Append one run's expectation results for one batch to ``audit.dq_results``."""
    validated_at = _now()
    logical_date = datetime.strptime(run.logical_date, "%Y-%m-%d").date()
    rows = [
        (
            run.run_id, run.dag_id, run.task_id, logical_date, table_name, delta_version, batch_id,
            result.suite, result.expectation_type, result.column, result.severity, result.success,
            result.observed_value, result.unexpected_count,
            None if result.unexpected_percent is None else float(result.unexpected_percent),
            result.exception, validated_at,
        )
        for result in results
    ]
    _replace_run_rows(spark, settings, "dq_results", rows, DQ_RESULTS_SCHEMA, run, batch_id, table_name)


def record_publication(
    spark: SparkSession, settings: Settings, run: RunContext, table_name: str, batch_id: str, delta_version: int, rows: int, source_files: list[str]
) -> None:
    """Record what a publication produced: the table's Delta version, its rows and the raw files behind it."""
    logical_date = datetime.strptime(run.logical_date, "%Y-%m-%d").date()
    row = (run.run_id, run.dag_id, run.task_id, logical_date, table_name, batch_id, delta_version, rows, sorted(source_files), _now())
    _replace_run_rows(spark, settings, "publications", [row], PUBLICATIONS_SCHEMA, run, batch_id, table_name)


def record_reconciliation(spark: SparkSession, settings: Settings, run: RunContext, check: Reconciliation) -> None:
    """Record one file's reconciliation in ``audit.reconciliation``; raise if it does not balance."""
    logical_date = datetime.strptime(run.logical_date, "%Y-%m-%d").date()
    values = asdict(check)
    row = (
        run.run_id, run.dag_id, logical_date, values["source"], values["batch_id"], values["source_file"],
        values["manifest_rows"], values["bronze_rows"], values["published_rows"], values["quarantined_rows"],
        check.balanced, _now(),
    )
    _replace_run_rows(spark, settings, "reconciliation", [row], RECONCILIATION_SCHEMA, run, check.batch_id)
    if not check.balanced:
        raise ReconciliationError(
            f"{check.source_file} (batch {check.batch_id}): manifest {check.manifest_rows} rows, bronze "
            f"{check.bronze_rows}, published {check.published_rows} + quarantined {check.quarantined_rows}"
        )
