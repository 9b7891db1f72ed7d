"""Right to erasure: an approved request removes its data subject from every place the declarations say can
hold them, purges the deleted files, and proves it with a certificate that names the subject by pseudonym only.

Requests are reviewed data: CSV files in ``<inbox>/erasure_requests/`` with the columns ``REQUEST_FIELDS``, one
request a record. A request nobody approved (empty ``approved_by``) does nothing; a malformed file, an unknown
kind of subject or an identifier of the wrong form stops the run naming file and line (never the identifier).

Where a subject is: each domain declares its kinds of subject (``subjects:``) and each table where it may hold
one (``Table.subjects``). In a restricted table (bronze, quarantine: rows as delivered) a row holds the subject
when their identifier appears anywhere in it as a whole token; elsewhere when a declared column holds the
subject's keyed pseudonym. What is computed from those rows is computed again: a source's gold for the
periods the removed silver rows touched, and every product over a table that changed.

One ``erase`` task per pipeline that writes such tables, in that pipeline's pool (never beside its writer):
1. each of its Delta tables: one ``MERGE ... WHEN MATCHED THEN DELETE`` against the pending requests. A MERGE,
   not a DELETE: Delta writes a DELETE's predicate, the identifier in it, into the table's log, where a MERGE
   names only the join. Bronze is append-only: the property is lifted for the commit and set again;
2. its gold recomputed for the touched periods, a product rebuilt, then any row still holding the subject deleted;
3. staging copies (failed batches kept for inspection) that hold the subject deleted whole;
4. landed files rewritten without the subject's records; the manifest keeps the old and new hashes and the
   request ids (``landing.rewrite_without``);
5. once ``erasure_purge_hours`` have passed since the deletion: ``REORG ... APPLY (PURGE)`` where deletion
   vectors are on, then ``VACUUM ... RETAIN`` that many hours, so no file of an older version keeps the rows.
   The log holds none of their values: classified columns have no per-file statistics
   (``declarations.Table.statistics_properties``).
Each step is a row of ``audit.erasure_steps`` (request, place, versions, rows, files, purge time); a retry that
finds nothing left keeps the earlier attempt's figures. An attempt killed between a deletion's commit and its
record leaves the commit's note (Delta's ``userMetadata``: the request ids), from which the retry rebuilds the
step, so what the killed attempt deleted is still purged and certified with its figures.

Then ``certify`` checks every place: a query counting the subject's rows in the current version, a search of
every data file in storage (current or not), of the Delta log, of staging copies and of the landed files; all
zero, and every place purged, or there is no certificate and the task fails naming what is left (a rerun of
the DAG completes the erasure). The certificate, JSON under ``<reports>/erasure/`` and a page of the quality
report, holds the pseudonym only; the request's line is then rewritten with the identifier replaced by that
pseudonym, so the clear identifier outlives the erasure nowhere the lake keeps.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import re
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs import audit, faults, lake, landing, pipeline, pseudonyms, publish, subject_rows
from jobs.erasure_requests import CARRIED_OUT, Request, mark_certified, pending, token_pattern
from jobs.report import CERTIFICATES_FOLDER
from jobs.audit import RunContext
from jobs.declarations import Ingestion, Product, Snapshot, Table, registry
from jobs.settings import Settings

STEPS_TABLE = "audit.erasure_steps"
# The start of a deletion commit's note (Delta's userMetadata), followed by the request ids it carried out.
ERASURE_COMMIT_NOTE = "citylake erasure of request(s) "
# Delta refuses VACUUM with less than a week's retention unless told the operator means it.
_RETENTION_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled"

log = logging.getLogger("citylake.erasure")


class ErasureIncomplete(RuntimeError):
    """Verification found the subject somewhere: no certificate; the message names the places."""


def subject_pseudonym(keys: pseudonyms.PseudonymKeys, request: Request) -> str:
    if request.certified:
        return request.identifier[len(CARRIED_OUT):]
    return pseudonyms.pseudonym(keys.materials, request.identifier)


# --- where a subject is ------------------------------------------------------------------------------


def _subjects_view(spark: SparkSession, keys: pseudonyms.PseudonymKeys, requests: list[Request]) -> str:
    """The requests' subjects as a view (jobs/subject_rows.py), keyed by request id."""
    return subject_rows.subjects_view(spark, [(request.request_id, request.identifier, token_pattern(request.identifier), subject_pseudonym(keys, request)) for request in requests])


# --- the steps, recorded -----------------------------------------------------------------------------


@dataclass
class Step:
    request_id: str
    subject_kind: str
    subject_pseudonym: str
    place: str
    version_before: int | None = None
    version_after: int | None = None
    rows_removed: int = 0
    files_rewritten: int = 0
    detail: str | None = None
    erased_at: datetime | None = None
    purged_at: datetime | None = None
    run_id: str | None = None


def recorded_steps(spark: SparkSession, settings: Settings, request_ids: list[str] | None = None) -> list[Step]:
    table = registry().table(STEPS_TABLE)
    if not lake.table_exists(spark, settings, *table.address):
        return []
    rows = lake.read_table(spark, settings, *table.address)
    if request_ids is not None:
        rows = rows.where(F.col("request_id").isin(request_ids))
    fields = [name for name in Step.__dataclass_fields__]
    return [Step(**{name: row[name] for name in fields}) for row in rows.collect()]


def _record(spark: SparkSession, settings: Settings, keys: pseudonyms.PseudonymKeys, steps: list[Step]) -> None:
    """Write the steps; a step that removed nothing never replaces an earlier attempt's record of the same place."""
    if not steps:
        return
    earlier = {(step.request_id, step.place): step for step in recorded_steps(spark, settings, sorted({step.request_id for step in steps}))}
    rows = []
    for step in steps:
        before = earlier.get((step.request_id, step.place))
        if before and not step.rows_removed and not step.files_rewritten and (before.rows_removed or before.files_rewritten or before.detail):
            step = Step(**{**asdict(before), "purged_at": step.purged_at or before.purged_at, "run_id": step.run_id})
        rows.append((*asdict(step).values(), keys.version))
    table = registry().table(STEPS_TABLE)
    frame = spark.createDataFrame(rows, table.ddl()).select(*table.column_names)
    lake.merge_by_key(frame, settings, *table.address, table.key)


# --- the erase task -----------------------------------------------------------------------------------


def _pipeline_named(dag_id: str) -> Ingestion | Snapshot | Product:
    for candidate in registry().pipelines:
        if candidate.dag_id == dag_id:
            return candidate
    raise KeyError(f"no pipeline has the DAG id {dag_id!r}")


def _erase_from_table(spark, settings, table: Table, kind: str, view: str, requests: list[Request], keys, run: RunContext, recorded: frozenset[str] = frozenset()) -> list[Step]:
    """Delete the subject's rows from one table; a step per request.

    A request with no row left and no step recorded here (``recorded``: the ids with one) may have been carried
    out by an attempt killed between its commit and its record: the commit, found by its note, gives the step.
    """
    path = settings.table_path(*table.address)
    if not lake.table_exists(spark, settings, *table.address):  # visited: nothing can be held where nothing was written
        return [Step(request.request_id, kind, subject_pseudonym(keys, request), table.name, detail="the table does not exist (yet)", run_id=run.run_id) for request in requests]
    condition = subject_rows.match_condition(table, kind, lake.read_table(spark, settings, *table.address).schema)
    before = lake.latest_version(spark, settings, *table.address)
    counts = subject_rows.count_by_subject(spark, path, view, condition)
    metrics, after, erased_at = {}, before, None
    if counts:
        metrics = subject_rows.delete_matching(spark, table, path, view, condition, note=ERASURE_COMMIT_NOTE + ",".join(sorted(counts)))
        faults.point(f"erasure.deleted:{table.name}")
        after, erased_at = lake.latest_version(spark, settings, *table.address), _now()
        log.info("%s: %d rows of %d erasure request(s) deleted (version %s -> %s)", table.name, sum(counts.values()), len(counts), before, after)
    files = int(metrics.get("numTargetFilesRemoved", 0))
    steps = {
        request.request_id: Step(request.request_id, kind, subject_pseudonym(keys, request), table.name, before, after, counts.get(request.request_id, 0),
                                 files if counts.get(request.request_id) else 0, None, erased_at if counts.get(request.request_id) else None, None, run.run_id)
        for request in requests
    }
    unexplained = {request.request_id for request in requests} - set(counts) - recorded
    if unexplained:
        steps.update(_deleted_by_killed_attempt(spark, path, view, condition, unexplained, steps))
    return list(steps.values())


def _deleted_by_killed_attempt(spark, path: str, view: str, condition: str, request_ids: set[str], steps: dict[str, Step]) -> dict[str, Step]:
    """Steps rebuilt from the newest deletion commit noting each request (if any): versions, time, rows, files."""
    rebuilt = {}
    for entry in spark.sql(f"DESCRIBE HISTORY delta.{lake.quoted(path)}").collect():  # newest first
        note = entry["userMetadata"] or ""
        noted = set(note.removeprefix(ERASURE_COMMIT_NOTE).split(",")) & (request_ids - set(rebuilt)) if note.startswith(ERASURE_COMMIT_NOTE) else set()
        if not noted:
            continue
        rows = subject_rows.count_by_subject(spark, path, view, condition, entry["version"] - 1)
        files = int((entry["operationMetrics"] or {}).get("numTargetFilesRemoved", 0))
        for request_id in noted:
            rebuilt[request_id] = Step(**{**asdict(steps[request_id]), "version_before": entry["version"] - 1, "version_after": entry["version"],
                                          "rows_removed": rows.get(request_id, 0), "files_rewritten": files, "erased_at": entry["timestamp"],
                                          "detail": "deleted by an earlier attempt, killed before it recorded the step"})
            log.info("%s: request %s was carried out by an earlier attempt (version %d)", path, request_id, entry["version"])
    return rebuilt


def _recompute_gold(spark, settings, ingestion: Ingestion, removed_silver: DataFrame, run: RunContext, expectations_dir: Path) -> str | None:
    """The source's gold for the periods the removed silver rows touched, through its gate; which periods."""
    source = importlib.import_module(ingestion.job_module).SOURCE
    if source.gold is None:
        return None
    span = source.gold.touched(removed_silver)
    if span is None:
        return None
    with audit.recording(spark, settings, run):
        pipeline.publish_gold(spark, settings, run, source, [removed_silver], [], expectations_dir)
    first, last = source.gold.refresh(*span)
    return f"{source.gold.period_column}s {first} to {last} recomputed from the remaining silver rows"


def _rebuild_product(spark, settings, product: Product, run: RunContext, expectations_dir: Path) -> str:
    """The product rebuilt whole from its inputs as they are now, through its gate (its module's ``build``)."""
    from jobs import products

    products.run(spark, settings, run, product, importlib.import_module(product.job_module).build, expectations_dir)
    return f"rebuilt from {', '.join(product.inputs)}"


def _erase_staging(spark, settings, table: Table, kind: str, view: str, requests: list[Request], keys, run: RunContext) -> list[Step]:
    """Delete whole every staging copy (a failed batch, kept for inspection) of ``table`` holding a subject."""
    store = landing.store_for(settings.lake_root)
    removed: dict[str, int] = {}
    rows: dict[str, int] = {}
    for key in publish.staging_copies(settings, table):
        path = f"{settings.lake_root.rstrip('/')}/{key}"
        try:
            schema = spark.read.format("delta").load(path).schema
        except Exception:  # noqa: BLE001 - a copy whose write never committed holds no table: searched as files by certify
            continue
        counts = subject_rows.count_by_subject(spark, path, view, subject_rows.match_condition(table, kind, schema))
        if counts:
            store.delete_tree(key)
            for request_id, n in counts.items():
                removed[request_id] = removed.get(request_id, 0) + 1
                rows[request_id] = rows.get(request_id, 0) + n
    now = _now()
    return [
        Step(request.request_id, kind, subject_pseudonym(keys, request), f"staging:{table.name}", None, None, rows.get(request.request_id, 0),
             removed.get(request.request_id, 0), "staging copies holding the subject deleted whole" if request.request_id in removed else None,
             now if request.request_id in removed else None, now if request.request_id in removed else None, run.run_id)
        for request in requests
    ]


def _erase_landing(settings: Settings, source: str, kind: str, requests: list[Request], keys, run: RunContext) -> list[Step]:
    """Rewrite the source's landed files without the records holding a subject; a step per request.

    Records an attempt killed before its manifest write removed are counted for every request of this run: the
    file no longer says whose they were (with one request pending, as usual, the figure is exact).
    """
    patterns = {request.request_id: re.compile(token_pattern(request.identifier)) for request in requests}
    removed = {request_id: 0 for request_id in patterns}
    files = {request_id: 0 for request_id in patterns}
    hashes: dict[str, list[str]] = {request_id: [] for request_id in patterns}
    for entry in landing.manifest_entries(settings, source):
        if entry.expired_at:  # retention deleted the file already
            continue
        found: set[str] = set()
        matched = [0]  # records this attempt removed

        def holds_subject(record: str) -> bool:
            hits = {request_id for request_id, pattern in patterns.items() if pattern.search(record)}
            found.update(hits)
            matched[0] += bool(hits)
            for request_id in hits:
                removed[request_id] += 1
            return bool(hits)

        count, after = landing.rewrite_without(settings, entry, holds_subject, sorted(patterns))
        if count > matched[0]:  # removed by a killed attempt
            found.update(patterns)
            for request_id in patterns:
                removed[request_id] += count - matched[0]
        for request_id in found:
            files[request_id] += 1
            hashes[request_id].append(f"{entry.file_name}: {entry.rewrites[-1]['sha256_after'] if entry.rewrites else entry.sha256} -> {after}")
    now = _now()
    return [
        Step(request.request_id, kind, subject_pseudonym(keys, request), f"landing:{source}", None, None, removed[request.request_id],
             files[request.request_id], "; ".join(hashes[request.request_id]) or None,
             now if removed[request.request_id] else None, now if removed[request.request_id] else None, run.run_id)
        for request in requests
    ]


def _purge(spark, settings, tables: list[Table], steps: list[Step], hours: int, view: str) -> None:
    """REORG where deletion vectors are on, then VACUUM the tables whose deletions are older than the window.

    ``VACUUM ... LITE`` finds the files to delete in the log (the erased rows' files are there, removed by the
    deletion) instead of listing the table's folder: measured here, 2 s against 16-21 s on a small table. A file
    the log never knew (a write that died before its commit) is not among them: if the table's folder still holds
    the subject afterwards, a full VACUUM follows.
    """
    now = _now()
    due = {step.place for step in steps if step.erased_at and not step.purged_at and step.erased_at + timedelta(hours=hours) <= now}
    for table in tables:
        if table.name not in due:
            continue
        path = settings.table_path(*table.address)
        quoted = lake.quoted(path)
        properties = spark.sql(f"DESCRIBE DETAIL delta.{quoted}").first()["properties"] or {}
        if properties.get("delta.enableDeletionVectors") == "true":
            spark.sql(f"REORG TABLE delta.{quoted} APPLY (PURGE)").collect()
        checked = spark.conf.get(_RETENTION_CHECK, "true")
        spark.conf.set(_RETENTION_CHECK, "false")  # the window is the operator's setting, not Delta's week
        try:
            spark.sql(f"VACUUM delta.{quoted} RETAIN {hours} HOURS LITE").collect()
            if sum(_search_files(spark, path, view).values()):
                log.info("%s: a file the log does not list holds the subject: full VACUUM", table.name)
                spark.sql(f"VACUUM delta.{quoted} RETAIN {hours} HOURS").collect()
        finally:
            spark.conf.set(_RETENTION_CHECK, checked)
        purged = _now()
        for step in steps:
            if step.place == table.name and step.erased_at and not step.purged_at:
                step.purged_at = purged
        log.info("%s: files of the erased rows purged (VACUUM RETAIN %d HOURS)", table.name, hours)


def erase(spark: SparkSession, settings: Settings, run: RunContext, dag_id: str, expectations_dir: Path) -> list[Step]:
    """Erase every pending request's subject from one pipeline's tables, staging copies and landed files."""
    requests = pending(settings)
    if not requests:
        log.info("no approved erasure request is pending")
        return []
    keys = pseudonyms.checked_key(spark, settings, run.run_id)
    chosen = _pipeline_named(dag_id)
    lake_tables = registry()
    tables = [lake_tables.table(name) for name in chosen.tables]
    steps: list[Step] = []
    for kind in sorted({request.subject_kind for request in requests}):
        of_kind = [request for request in requests if request.subject_kind == kind]
        if not isinstance(chosen, Product) and not any(table.subject_columns(kind) for table in tables):
            continue
        view = _subjects_view(spark, keys, of_kind)
        steps_of_kind: list[Step] = []
        try:
            earlier = {(step.request_id, step.place): step for step in recorded_steps(spark, settings, [request.request_id for request in of_kind])}
            for table in tables:
                derived = isinstance(chosen, Ingestion) and table.name in chosen.gold
                # The silver version before the deletion: this attempt's, or an earlier attempt's whose recomputation never ran.
                silver_version = derived and next(
                    (step.version_before for step in steps_of_kind if step.place == chosen.silver and step.rows_removed),
                    next((step.version_before for step in earlier.values() if step.place == chosen.silver and step.rows_removed and (step.request_id, table.name) not in earlier), None),
                )
                if derived and silver_version is not None:
                    silver = lake_tables.table(chosen.silver)
                    removed = spark.sql(
                        f"SELECT t.* FROM delta.{lake.quoted(settings.table_path(*silver.address))} VERSION AS OF {silver_version} AS t "
                        f"LEFT SEMI JOIN {view} AS s ON {subject_rows.match_condition(silver, kind, lake.read_table(spark, settings, *silver.address).schema)}"
                    )
                    before = _version(spark, settings, table)
                    detail = _recompute_gold(spark, settings, chosen, removed, run, expectations_dir)
                    steps_of_kind += _derived_steps(spark, settings, table, kind, view, of_kind, keys, run, before, detail)
                elif isinstance(chosen, Product) and table.name in chosen.outputs:
                    changed = {step.place for step in earlier.values() if step.erased_at}
                    if not (set(chosen.inputs) & changed or table.subject_columns(kind)):
                        continue
                    before = _version(spark, settings, table)
                    detail = _rebuild_product(spark, settings, chosen, run, expectations_dir)
                    steps_of_kind += _derived_steps(spark, settings, table, kind, view, of_kind, keys, run, before, detail)
                elif table.subject_columns(kind):
                    recorded = frozenset(request_id for request_id, place in earlier if place == table.name)
                    steps_of_kind += _erase_from_table(spark, settings, table, kind, view, of_kind, keys, run, recorded)
                if table.subject_columns(kind) and not table.restricted:
                    steps_of_kind += _erase_staging(spark, settings, table, kind, view, of_kind, keys, run)
            if isinstance(chosen, (Ingestion, Snapshot)) and any(lake_tables.table(name).restricted and lake_tables.table(name).subject_columns(kind) for name in chosen.tables):
                steps_of_kind += _erase_landing(settings, chosen.source, kind, of_kind, keys, run)
            for step in steps_of_kind:  # a retry: what an earlier attempt deleted still has to be purged
                before = earlier.get((step.request_id, step.place))
                if before and not step.erased_at and before.erased_at and not before.purged_at:
                    step.erased_at = before.erased_at
            _purge(spark, settings, tables, steps_of_kind, int(settings.erasure_purge_hours), view)
        finally:
            spark.catalog.dropTempView(view)
        steps += steps_of_kind
    _record(spark, settings, keys, steps)
    return steps


def _derived_steps(spark, settings, table: Table, kind: str, view: str, requests: list[Request], keys, run: RunContext, before: int | None, detail: str | None) -> list[Step]:
    """After a recomputation: delete any row still holding the subject; a step per request with what was done."""
    held: dict[str, int] = {}
    if table.subject_columns(kind) and before is not None:
        held = subject_rows.count_by_subject(spark, settings.table_path(*table.address), view, subject_rows.match_condition(table, kind, lake.read_table(spark, settings, *table.address).schema), before)
    residual = _erase_from_table(spark, settings, table, kind, view, requests, keys, run) if table.subject_columns(kind) else []
    after = _version(spark, settings, table)
    changed = after != before
    erased_at = _now() if changed else None
    steps = []
    for request in requests:
        rows = max(held.get(request.request_id, 0), next((step.rows_removed for step in residual if step.request_id == request.request_id), 0))
        steps.append(Step(request.request_id, kind, subject_pseudonym(keys, request), table.name, before, after, rows, 0, detail if changed else None,
                          erased_at if changed and (rows or detail) else None, None, run.run_id))
    return steps


def _version(spark, settings, table: Table) -> int | None:
    """The table's newest Delta version; None before its first write."""
    return lake.latest_version(spark, settings, *table.address) if lake.table_exists(spark, settings, *table.address) else None


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


# --- verification and the certificate -----------------------------------------------------------------


def _absent(error: Exception) -> bool:
    """Spark found no file at the path, or no data file in it (any other error fails the verification, never passes it)."""
    from pyspark.errors import PySparkException

    return isinstance(error, PySparkException) and error.getCondition() in ("PATH_NOT_FOUND", "UNABLE_TO_INFER_SCHEMA")


def _count_cells_holding(spark: SparkSession, frame_of, view: str, column: str | None = None) -> Counter:
    """Per request of the view, the rows of ``frame_of()`` (every cell as JSON text, or ``column``) holding its subject; none without files."""
    try:
        frame = frame_of()
        text = F.col(column) if column else F.to_json(F.struct(*[F.col(f"`{name}`") for name in frame.columns]))
        found = frame.select(text.alias("cells")).join(spark.table(view), F.expr("cells RLIKE pattern OR instr(cells, pseudonym) > 0")).groupBy("subject_key").count()
        return Counter({row["subject_key"]: row["count"] for row in found.collect()})
    except Exception as error:
        if _absent(error):
            return Counter()
        raise


def _search_files(spark: SparkSession, path: str, view: str) -> Counter:
    """Data files under ``path`` (every file in storage, current or not; Parquet, cell by cell) holding each subject of the view."""
    reader = spark.read.option("recursiveFileLookup", "true").option("mergeSchema", "true").option("pathGlobFilter", "*.parquet")
    return _count_cells_holding(spark, lambda: reader.parquet(path), view)


def _search_log(spark: SparkSession, path: str, view: str) -> Counter:
    """Entries of a table's Delta log (commits and checksums as text, checkpoints cell by cell) holding each subject."""
    return _count_cells_holding(spark, lambda: spark.read.text(f"{path}/_delta_log/*.{{json,crc}}"), view, "value") + _count_cells_holding(
        spark, lambda: spark.read.parquet(f"{path}/_delta_log/*.checkpoint*.parquet"), view
    )


def verify(spark: SparkSession, settings: Settings, requests: list[Request], keys) -> dict[str, list[dict]]:
    """Every check of the erasure of each request (all of one kind, checked in one pass per place): by request,
    the place, what was checked, the query or search, its result (0: clean)."""
    (kind,) = {request.subject_kind for request in requests}
    lake_tables = registry()
    checks: dict[str, list[dict]] = {request.request_id: [] for request in requests}

    def add(place: str, check: str, query: str, results) -> None:
        for request_id, found in checks.items():
            found.append({"place": place, "check": check, "query": query, "result": int(results.get(request_id, 0))})

    view = _subjects_view(spark, keys, requests)
    try:
        for table in lake_tables.holding(kind):
            path = settings.table_path(*table.address)
            if lake.table_exists(spark, settings, *table.address):
                condition = subject_rows.match_condition(table, kind, lake.read_table(spark, settings, *table.address).schema)
                subject = ":subject_pseudonym" if not table.restricted else ":subject_identifier_token"
                query = f"SELECT count(*) FROM {table.name} AS t WHERE {condition.replace('s.pseudonym', subject).replace('s.pattern', subject).replace('s.identifier', subject)}"
                add(table.name, "rows of the subject in the current version", query, subject_rows.count_by_subject(spark, path, view, condition))
            add(table.name, "data files in storage (any version) holding the identifier or pseudonym", f"every Parquet file under {table.name}'s folder, cell by cell", _search_files(spark, path, view))
            add(table.name, "Delta log entries holding the identifier or pseudonym", f"{table.name}/_delta_log: commits, checksums, checkpoints", _search_log(spark, path, view))
            if not table.restricted:
                staged = f"{settings.lake_root.rstrip('/')}/{publish.STAGING_ZONE}/{table.name}"
                add(f"staging:{table.name}", "staging copies holding the identifier or pseudonym", "every Parquet file of its staging copies", _search_files(spark, staged, view))
        patterns = {request.request_id: re.compile(token_pattern(request.identifier)) for request in requests if not request.certified}
        for source in sorted({ingestion.source for ingestion in lake_tables.ingestions.values() if any(lake_tables.table(name).subject_columns(kind) for name in ingestion.tables)}):
            entries = [entry for entry in landing.manifest_entries(settings, source) if not entry.expired_at]
            found = Counter()
            for entry in entries:
                _, text = landing.landed_content(settings, entry)
                found.update(request_id for request_id, pattern in patterns.items() if pattern.search(text))
            add(f"landing:{source}", "landed files holding the identifier", f"{len(entries)} landed file(s), record by record", found)
    finally:
        spark.catalog.dropTempView(view)
    return checks


def certificate(request: Request, pseudonym: str, steps: list[Step], checks: list[dict], key_version: int) -> dict:
    removed = sum(step.rows_removed for step in steps)
    return {
        "request_id": request.request_id,
        "subject_kind": request.subject_kind,
        "subject_pseudonym": pseudonym,
        "pseudonym_key_version": key_version,
        "reason": request.reason,
        "requested_by": request.requested_by,
        "approved_by": request.approved_by,
        "requested_at": request.requested_at,
        "certified_at": _now().isoformat(timespec="seconds") + "Z",
        "outcome": "erased" if removed else "nothing found: the lake held no record of this subject",
        "rows_removed": removed,
        "places": [
            {**{name: value for name, value in asdict(step).items() if name not in ("request_id", "subject_kind", "subject_pseudonym", "run_id")},
             "erased_at": step.erased_at.isoformat(timespec="seconds") + "Z" if step.erased_at else None,
             "purged_at": step.purged_at.isoformat(timespec="seconds") + "Z" if step.purged_at else None}
            for step in sorted(steps, key=lambda step: step.place)
        ],
        "verification": checks,
    }


def certify(spark: SparkSession, settings: Settings, run: RunContext) -> list[dict]:
    """Verify every pending request's erasure and write its certificate; fail naming what is left, if anything."""
    requests = pending(settings)
    if not requests:
        return []
    keys = pseudonyms.checked_key(spark, settings, run.run_id)
    store = landing.store_for(settings.reports_root)
    certificates, incomplete = [], []
    expected_places = {kind: _places(kind) for kind in {request.subject_kind for request in requests}}
    all_checks = {}
    for kind in sorted(expected_places):
        all_checks.update(verify(spark, settings, [request for request in requests if request.subject_kind == kind], keys))
    all_steps = recorded_steps(spark, settings, [request.request_id for request in requests])
    for request in requests:
        pseudonym = subject_pseudonym(keys, request)
        steps = [step for step in all_steps if step.request_id == request.request_id]
        checks = all_checks[request.request_id]
        dirty = [f"{check['place']} ({check['check']}: {check['result']})" for check in checks if check["result"]]
        unpurged = [step.place for step in steps if step.erased_at and not step.purged_at]
        unvisited = sorted(expected_places[request.subject_kind] - {step.place for step in steps})
        if dirty or unpurged or unvisited:
            incomplete.append(f"request {request.request_id}: still held in {dirty or 'no place'}; not purged yet: {unpurged or 'none'}; not erased yet: {unvisited or 'none'}")
            continue
        document = certificate(request, pseudonym, steps, checks, keys.version)
        store.put_text(f"{CERTIFICATES_FOLDER}/{request.request_id}.json", json.dumps(document, indent=2, default=str))
        mark_certified(request, pseudonym)
        certificates.append(document)
        log.info("erasure request %s certified: %d rows removed, every check zero", request.request_id, document["rows_removed"])
    if incomplete:
        raise ErasureIncomplete("no certificate for: " + " | ".join(incomplete) + " (rerun the erasure DAG once the cause is fixed)")
    return certificates


def _places(kind: str) -> set[str]:
    """Where an erase task records a step for a subject of ``kind``: every table that may hold one."""
    return {table.name for table in registry().holding(kind)}


# --- the job ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="erasure", description="Carry out approved erasure requests (erase), then prove them (certify).")
    parser.add_argument("--action", choices=("erase", "certify"), required=True)
    parser.add_argument("--pipeline", help="erase: the DAG id of the pipeline whose tables, staging copies and landed files to erase from")
    parser.add_argument("--logical-date", required=True, type=date.fromisoformat)
    parser.add_argument("--run-id", default="manual")
    parser.add_argument("--dag-id", default="erasure")
    parser.add_argument("--task-id", default="erase")
    parser.add_argument("--expectations-dir", type=Path, required=True)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, spark: SparkSession | None = None) -> None:
    from jobs.settings import load_settings
    from jobs.spark_config import build_session

    args = parse_args(argv)
    if args.action == "erase" and not args.pipeline:
        raise SystemExit("erasure --action erase needs --pipeline <dag id>")
    settings = load_settings()
    spark = spark or build_session(settings, f"citylake-erasure-{args.action}")
    run = RunContext(args.run_id, args.dag_id, args.task_id, args.logical_date.isoformat())
    if args.action == "erase":
        erase(spark, settings, run, args.pipeline, args.expectations_dir)
    else:
        certify(spark, settings, run)
        from jobs import report

        report.write_report_logging_errors(spark, settings, args.dag_id, args.run_id)  # the certificates' pages and the index
