"""The audit trail as tables: quality results and reconciliations, one set per run and batch.

Rows are keyed by (run_id, batch_id): clearing and rerunning the same Airflow run replaces its rows,
while a new run adds its own, so the trail shows every run that touched a batch.

A job opens its run's trail (``with recording(spark, settings, run):``) and every row it records is
kept until the run ends, then written with one Delta commit per audit table, also when the run
fails: the audit tables take commits from every DAG at once, so each commit saved is a conflict
avoided. A run's first write to an audit table appends (``lake.replace_rows``: a blind append costs a
fraction of a ``replaceWhere``); a retry or a cleared run replaces. A row recorded with no trail
open (a test, a one-off call) is written at once. Once written, the run's figures go to the report's
index (``jobs/run_index.py``)."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone

from pyspark.sql import SparkSession

from jobs import lake, run_index
from jobs.declarations import registry
from jobs.phases import phase
from jobs.quality import ExpectationResult
from jobs.settings import Settings

# The audit tables' schemas are their declarations' (jobs/lake_tables/declarations.yaml).
DQ_RESULTS_SCHEMA = registry().table("audit.dq_results").ddl()
PUBLICATIONS_SCHEMA = registry().table("audit.publications").ddl()
RECONCILIATION_SCHEMA = registry().table("audit.reconciliation").ddl()
CONSENT_APPLIED_SCHEMA = registry().table("audit.consent_applied").ddl()


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


log = logging.getLogger(__name__)
_SCHEMAS = {"dq_results": DQ_RESULTS_SCHEMA, "publications": PUBLICATIONS_SCHEMA, "reconciliation": RECONCILIATION_SCHEMA, "consent_applied": CONSENT_APPLIED_SCHEMA}


class Trail:
    """One run's audit rows: audit table -> (batch_id, table_name) -> rows in the declared column order.

    Kept after the run ends too, so that its report page is built from what the run recorded instead of
    reading the audit tables back."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[tuple[str, str | None], list[tuple]]] = {}
        # Rows quarantined per (quarantine table, batch): rule -> rows; for the run's page, not a table of its own.
        self.quarantined: dict[tuple[str, str], dict[str, int]] = {}

    def dicts(self, table: str) -> list[dict]:
        """The run's rows of ``audit.<table>`` as the table would return them (column name -> value)."""
        names = registry().table(f"audit.{table}").column_names
        return [dict(zip(names, row)) for batch_rows in self.rows.get(table, {}).values() for row in batch_rows]

    def quarantine_counts(self) -> list[dict]:
        """Rows quarantined per table, batch and rule, as the run's page lists them."""
        return [
            {"table": table, "batch_id": batch_id, "rule_id": rule_id, "rows": rows}
            for (table, batch_id), rules in self.quarantined.items() for rule_id, rows in rules.items()
        ]


# Open trails, per run.
_TRAILS: dict[RunContext, Trail] = {}


@contextmanager
def recording(spark: SparkSession, settings: Settings, run: RunContext):
    """Keep the run's audit rows and write them when the block ends, one commit per audit table.

    Yields the run's :class:`Trail`."""
    if run in _TRAILS:
        raise RuntimeError(f"an audit trail is already open for run {run.run_id}")
    trail = _TRAILS[run] = Trail()
    failed = False
    try:
        yield trail
    except BaseException:
        failed = True
        raise
    finally:
        errors = []
        del _TRAILS[run]
        # This run creating the quality results table: the lake has no audit rows older than the index's documents.
        creates_results = "dq_results" in trail.rows and not lake.table_exists(spark, settings, "audit", "dq_results")
        # One table after the other. Written at once from threads, a run's audit phase was 0.6 s shorter alone
        # on the engine, but the demo (four DAGs at once) logged 312 DELTA_CONCURRENT_APPEND errors on the audit
        # tables (each a retry after a pause) and took 1,669 s; in turn, the same day: 42 such errors, 1,522 s.
        with phase("audit"):
            for table, rows in trail.rows.items():
                try:
                    _write_run_rows(spark, settings, table, rows, run)
                except Exception as error:  # noqa: BLE001 - every table is tried; the first error is raised below
                    log.exception("could not write audit.%s for run %s", table, run.run_id)
                    errors.append(error)
        if not errors:
            _index_run(settings, run, trail, creates_results)
        # A failed run's own error is the one to see (the audit writes' are logged beside it).
        if errors and not failed:
            raise errors[0]


def _index_run(settings: Settings, run: RunContext, trail: Trail, new_lake: bool) -> None:
    """The run's figures for the report's index (``jobs/run_index.py``), once its audit rows are written.

    ``new_lake``: this run created the audit trail, so no run's figures are missing from the documents."""
    figures = run_index.summary(trail.dicts("dq_results"), trail.dicts("publications"), trail.dicts("reconciliation"))
    if any(figures.values()):
        run_index.record(settings, run.dag_id, run.run_id, run.logical_date, figures)
    if new_lake:
        run_index.mark_complete(settings)


def record_quarantined(run: RunContext, table_name: str, batch_id: str, rows_by_rule: dict[str, int]) -> None:
    """Keep in the run's open trail how many rows each rule quarantined from a batch (its report page lists them)."""
    if run in _TRAILS:
        _TRAILS[run].quarantined[(table_name, batch_id)] = dict(rows_by_rule)


def _replace_run_rows(
    spark: SparkSession, settings: Settings, table: str, rows: list[tuple], run: RunContext, batch_id: str | None, table_name: str | None = None
) -> None:
    """Record rows for one batch (and table), or for one table (``batch_id`` None): kept in the open trail, else written now.

    One batch feeds several tables (silver and gold): each table's rows replace only that table's.
    """
    keyed = {(batch_id, table_name): rows}
    if run in _TRAILS:
        _TRAILS[run].rows.setdefault(table, {}).update(keyed)
    else:
        _write_run_rows(spark, settings, table, keyed, run)


def _write_run_rows(spark: SparkSession, settings: Settings, table: str, rows: dict[tuple[str, str | None], list[tuple]], run: RunContext) -> None:
    """Replace the run's rows of these batches (and tables) in ``audit.<table>`` with one commit."""
    if not rows:
        return
    batches = " OR ".join(
        "(" + " AND ".join(([f"batch_id = {lake.sql_literal(batch_id)}"] if batch_id else []) + ([f"table_name = {lake.sql_literal(table_name)}"] if table_name else [])) + ")"
        for batch_id, table_name in sorted(rows, key=str)
    )
    with phase(f"audit {table}"):
        frame = spark.createDataFrame([row for batch_rows in rows.values() for row in batch_rows], _SCHEMAS[table])
        # The DAG's partition first (the tables are partitioned by DAG): Delta then checks this commit only
        # against commits to that partition, so DAGs writing at once do not conflict.
        predicate = f"dag_id = {lake.sql_literal(run.dag_id)} AND run_id = {lake.sql_literal(run.run_id)} AND ({batches})"
        lake.replace_rows(frame, settings, "audit", table, predicate, key=run_index.run_stem(run.dag_id, run.run_id))


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
    _replace_run_rows(spark, settings, "dq_results", rows, run, batch_id, table_name)


def record_publication(
    spark: SparkSession, settings: Settings, run: RunContext, table_name: str, batch_id: str, delta_version: int, rows: int, source_files: list[str]
) -> None:
    """Record what a publication produced: the table's Delta version, its rows and the raw files behind it."""
    logical_date = datetime.strptime(run.logical_date, "%Y-%m-%d").date()
    row = (run.run_id, run.dag_id, run.task_id, logical_date, table_name, batch_id, delta_version, rows, sorted(source_files), _now())
    _replace_run_rows(spark, settings, "publications", [row], run, batch_id, table_name)


def record_reconciliation(spark: SparkSession, settings: Settings, run: RunContext, check: Reconciliation) -> None:
    """Record one file's reconciliation in ``audit.reconciliation``; raise if it does not balance."""
    logical_date = datetime.strptime(run.logical_date, "%Y-%m-%d").date()
    values = asdict(check)
    row = (
        run.run_id, run.dag_id, logical_date, values["source"], values["batch_id"], values["source_file"],
        values["manifest_rows"], values["bronze_rows"], values["published_rows"], values["quarantined_rows"],
        check.balanced, _now(),
    )
    _replace_run_rows(spark, settings, "reconciliation", [row], run, check.batch_id)
    if not check.balanced:
        raise ReconciliationError(
            f"{check.source_file} (batch {check.batch_id}): manifest {check.manifest_rows} rows, bronze "
            f"{check.bronze_rows}, published {check.published_rows} + quarantined {check.quarantined_rows}"
        )


def record_consent_applied(
    spark: SparkSession, settings: Settings, run: RunContext, table_name: str, purposes: list[str], subjects: int, rows: int,
    version_before: int | None, version_after: int | None,
) -> None:
    """Record that withdrawn consent dropped rows from ``table_name`` (or from a product's output) in this run."""
    row = (run.run_id, run.dag_id, date.fromisoformat(run.logical_date), table_name, list(purposes), subjects, rows, version_before, version_after, _now())
    _replace_run_rows(spark, settings, "consent_applied", [row], run, None, table_name)
