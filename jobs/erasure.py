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
finds nothing left keeps the earlier attempt's figures.

Then ``certify`` checks every place: a query counting the subject's rows in the current version, a search of
every data file in storage (current or not), of the Delta log, of staging copies and of the landed files; all
zero, and every place purged, or there is no certificate and the task fails naming what is left (a rerun of
the DAG completes the erasure). The certificate, JSON under ``<reports>/erasure/`` and a page of the quality
report, holds the pseudonym only; the request's line is then rewritten with the identifier replaced by that
pseudonym, so the clear identifier outlives the erasure nowhere the lake keeps.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import io
import json
import logging
import re
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs import audit, lake, landing, pipeline, pseudonyms, publish
from jobs.audit import RunContext
from jobs.declarations import ANYWHERE, Ingestion, Product, Snapshot, Table, registry
from jobs.settings import Settings

REQUESTS_FOLDER = "erasure_requests"  # under the inbox
REQUEST_FIELDS = ("request_id", "subject_kind", "subject_identifier", "reason", "requested_by", "approved_by", "requested_at")
CARRIED_OUT = "pseudonym:"  # a certified request's identifier, replaced by this and the subject's pseudonym
CERTIFICATES_FOLDER = "erasure"  # under the reports root
STEPS_TABLE = "audit.erasure_steps"
# A whole token: the identifier not inside a longer run of letters or digits (an account inside another).
_EDGE = "0-9A-Za-z"
# Delta refuses VACUUM with less than a week's retention unless told the operator means it.
_RETENTION_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled"

log = logging.getLogger("citylake.erasure")


class RequestFileError(ValueError):
    """A request file cannot be read as requests; the message names file and line, never an identifier."""


class ErasureIncomplete(RuntimeError):
    """Verification found the subject somewhere: no certificate; the message names the places."""


@dataclass(frozen=True)
class Request:
    request_id: str
    subject_kind: str
    identifier: str = field(repr=False)  # personal data: never logged, never in a certificate
    reason: str
    requested_by: str
    approved_by: str
    requested_at: str
    file: str
    line: int

    @property
    def approved(self) -> bool:
        return bool(self.approved_by)

    @property
    def certified(self) -> bool:
        return self.identifier.startswith(CARRIED_OUT)


def token_pattern(identifier: str) -> str:
    """The identifier as a whole token; the same pattern in Python's and Java's regex (identifiers are word-like)."""
    return f"(?<![{_EDGE}]){re.escape(identifier)}(?![{_EDGE}])"


def _request(path: Path, line: int, row: dict) -> Request:
    where = f"{path}, line {line}"
    if None in row or any(row.get(name) is None for name in REQUEST_FIELDS):
        raise RequestFileError(f"{where}: a request has exactly the fields {list(REQUEST_FIELDS)}")
    values = {name: row[name].strip() for name in REQUEST_FIELDS}
    for name in REQUEST_FIELDS:
        if name != "approved_by" and not values[name]:
            raise RequestFileError(f"{where}: {name} is empty")
    try:
        kind = registry().subject(values["subject_kind"])
    except KeyError as error:
        raise RequestFileError(f"{where}: {error.args[0]}") from None
    identifier = values["subject_identifier"]
    certified = identifier.startswith(CARRIED_OUT) and re.fullmatch(f"[0-9a-f]{{{pseudonyms.PSEUDONYM_HEX_CHARS}}}", identifier[len(CARRIED_OUT):])
    if not certified and not re.fullmatch(kind.identifier_pattern, identifier):
        raise RequestFileError(f"{where}: subject_identifier is not {kind.identifier} (the form {kind.identifier_pattern}); the value is not repeated here")
    try:
        datetime.fromisoformat(values["requested_at"])
    except ValueError:
        raise RequestFileError(f"{where}: requested_at {values['requested_at']!r} is not an ISO 8601 date and time") from None
    return Request(values["request_id"], kind.kind, identifier, values["reason"], values["requested_by"], values["approved_by"], values["requested_at"], str(path), line)


def request_files(settings: Settings) -> list[Path]:
    folder = Path(settings.inbox_root) / REQUESTS_FOLDER
    return sorted(folder.glob("*.csv")) if folder.is_dir() else []


def read_requests(settings: Settings) -> list[Request]:
    """Every request delivered, checked; the same request id twice with another subject is refused."""
    requests: dict[str, Request] = {}
    for path in request_files(settings):
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [name for name in REQUEST_FIELDS if name not in (reader.fieldnames or [])]
            if missing:
                raise RequestFileError(f"{path}: the header lacks {missing}; a request file has the columns {list(REQUEST_FIELDS)}")
            try:
                for row in reader:
                    request = _request(path, reader.line_num, row)
                    earlier = requests.get(request.request_id)
                    if earlier and (earlier.subject_kind, earlier.identifier) != (request.subject_kind, request.identifier):
                        raise RequestFileError(f"{path}, line {reader.line_num}: request {request.request_id} was given for another subject in {earlier.file}, line {earlier.line}")
                    requests.setdefault(request.request_id, request)
            except csv.Error as error:
                raise RequestFileError(f"{path}, line {reader.line_num}: not CSV ({error})") from None
    return list(requests.values())


def pending(settings: Settings) -> list[Request]:
    """Approved requests not certified yet; those awaiting approval are logged and left alone."""
    requests = read_requests(settings)
    for request in requests:
        if not request.approved:
            log.info("erasure request %s awaits approval: nothing is done", request.request_id)
    return [request for request in requests if request.approved and not request.certified]


def subject_pseudonym(keys: pseudonyms.PseudonymKeys, request: Request) -> str:
    if request.certified:
        return request.identifier[len(CARRIED_OUT):]
    return pseudonyms.pseudonym(keys.materials, request.identifier)


# --- where a subject is ------------------------------------------------------------------------------


def _subjects_view(spark: SparkSession, keys: pseudonyms.PseudonymKeys, requests: list[Request]) -> str:
    """A session-private view of the requests: id, identifier, its token pattern, its pseudonym.

    Conditions join against it, so no identifier is ever a literal of a plan, a predicate or a Delta log entry."""
    rows = [(request.request_id, request.identifier, token_pattern(request.identifier), subject_pseudonym(keys, request)) for request in requests]
    view = f"erasure_subjects_{uuid.uuid4().hex}"
    spark.createDataFrame(rows, "request_id string, identifier string, pattern string, pseudonym string").createOrReplaceTempView(view)
    return view


def match_condition(table: Table, kind: str, schema) -> str:
    """SQL over ``t`` (the table) and ``s`` (the subjects view): the row holds the subject."""
    columns = table.subject_columns(kind)
    if ANYWHERE in columns:
        row = "to_json(struct(" + ", ".join(f"t.{lake.quoted(name)}" for name in schema.fieldNames()) + "))"
        return f"{row} RLIKE s.pattern"
    types = {field.name: field.dataType.typeName() for field in schema.fields}
    value = "s.identifier" if table.restricted else "s.pseudonym"
    return " OR ".join(
        f"array_contains(t.{lake.quoted(name)}, {value})" if types.get(name) == "array" else f"t.{lake.quoted(name)} = {value}"
        for name in columns
    )


def _count_by_request(spark: SparkSession, path: str, view: str, condition: str, version: int | None = None) -> dict[str, int]:
    source = f"delta.{lake.quoted(path)}" + (f" VERSION AS OF {version}" if version is not None else "")
    rows = spark.sql(f"SELECT s.request_id, count(*) AS n FROM {source} AS t JOIN {view} AS s ON {condition} GROUP BY s.request_id").collect()
    return {row["request_id"]: row["n"] for row in rows}


def _set_append_only(spark: SparkSession, path: str, append_only: bool) -> None:
    spark.sql(f"ALTER TABLE delta.{lake.quoted(path)} SET TBLPROPERTIES ('delta.appendOnly' = '{str(append_only).lower()}')").collect()


def _delete_matching(spark: SparkSession, table: Table, path: str, view: str, condition: str) -> dict:
    """One MERGE deleting every row the condition matches; Delta's metrics of it."""
    quoted = lake.quoted(path)
    properties = spark.sql(f"DESCRIBE DETAIL delta.{quoted}").first()["properties"] or {}
    append_only = properties.get("delta.appendOnly") == "true"
    if append_only:
        _set_append_only(spark, path, False)  # as retention does (jobs/retention.py); set again below
    try:
        lake.retry_on_conflict(lambda: spark.sql(f"MERGE INTO delta.{quoted} AS t USING {view} AS s ON {condition} WHEN MATCHED THEN DELETE").collect())
        entry = spark.sql(f"DESCRIBE HISTORY delta.{quoted} LIMIT 1").first()
    finally:
        if append_only or table.append_only:
            _set_append_only(spark, path, True)
    return dict(entry["operationMetrics"] or {})


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


def _erase_from_table(spark, settings, table: Table, kind: str, view: str, requests: list[Request], keys, run: RunContext) -> tuple[list[Step], int | None]:
    """Delete the subject's rows from one table; a step per request, and the version before the deletion."""
    path = settings.table_path(*table.address)
    if not lake.table_exists(spark, settings, *table.address):
        return [], None
    condition = match_condition(table, kind, lake.read_table(spark, settings, *table.address).schema)
    before = lake.latest_version(spark, settings, *table.address)
    counts = _count_by_request(spark, path, view, condition)
    metrics, after, erased_at = {}, before, None
    if counts:
        metrics = _delete_matching(spark, table, path, view, condition)
        after, erased_at = lake.latest_version(spark, settings, *table.address), _now()
        log.info("%s: %d rows of %d erasure request(s) deleted (version %s -> %s)", table.name, sum(counts.values()), len(counts), before, after)
    files = int(metrics.get("numTargetFilesRemoved", 0))
    steps = [
        Step(request.request_id, kind, subject_pseudonym(keys, request), table.name, before, after, counts.get(request.request_id, 0),
             files if counts.get(request.request_id) else 0, None, erased_at if counts.get(request.request_id) else None, None, run.run_id)
        for request in requests
    ]
    return steps, before if counts else None


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


def _staging_copies(settings: Settings, table: Table) -> list[str]:
    store = landing.store_for(settings.lake_root)
    return [f"{publish.STAGING_ZONE}/{table.name}/{batch}" for batch in store.folders(f"{publish.STAGING_ZONE}/{table.name}")]


def _erase_staging(spark, settings, table: Table, kind: str, view: str, requests: list[Request], keys, run: RunContext) -> list[Step]:
    """Delete whole every staging copy (a failed batch, kept for inspection) of ``table`` holding a subject."""
    store = landing.store_for(settings.lake_root)
    removed: dict[str, int] = {}
    rows: dict[str, int] = {}
    for key in _staging_copies(settings, table):
        path = f"{settings.lake_root.rstrip('/')}/{key}"
        try:
            schema = spark.read.format("delta").load(path).schema
        except Exception:  # noqa: BLE001 - a copy whose write never committed holds no table: searched as files by certify
            continue
        counts = _count_by_request(spark, path, view, match_condition(table, kind, schema))
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
    """Rewrite the source's landed files without the records holding a subject; a step per request."""
    patterns = {request.request_id: re.compile(token_pattern(request.identifier)) for request in requests}
    removed = {request_id: 0 for request_id in patterns}
    files = {request_id: 0 for request_id in patterns}
    hashes: dict[str, list[str]] = {request_id: [] for request_id in patterns}
    for entry in landing.manifest_entries(settings, source):
        found: set[str] = set()

        def holds_subject(record: str) -> bool:
            hits = {request_id for request_id, pattern in patterns.items() if pattern.search(record)}
            found.update(hits)
            for request_id in hits:
                removed[request_id] += 1
            return bool(hits)

        count, after = landing.rewrite_without(settings, entry, holds_subject, sorted(patterns))
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


def _purge(spark, settings, tables: list[Table], steps: list[Step], hours: int) -> None:
    """REORG where deletion vectors are on, then VACUUM the tables whose deletions are older than the window."""
    now = _now()
    due = {step.place for step in steps if step.erased_at and not step.purged_at and step.erased_at + timedelta(hours=hours) <= now}
    for table in tables:
        if table.name not in due:
            continue
        quoted = lake.quoted(settings.table_path(*table.address))
        properties = spark.sql(f"DESCRIBE DETAIL delta.{quoted}").first()["properties"] or {}
        if properties.get("delta.enableDeletionVectors") == "true":
            spark.sql(f"REORG TABLE delta.{quoted} APPLY (PURGE)").collect()
        checked = spark.conf.get(_RETENTION_CHECK, "true")
        spark.conf.set(_RETENTION_CHECK, "false")  # the window is the operator's setting, not Delta's week
        try:
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
                        f"LEFT SEMI JOIN {view} AS s ON {match_condition(silver, kind, lake.read_table(spark, settings, *silver.address).schema)}"
                    )
                    before = lake.latest_version(spark, settings, *table.address) if lake.table_exists(spark, settings, *table.address) else None
                    detail = _recompute_gold(spark, settings, chosen, removed, run, expectations_dir)
                    steps_of_kind += _derived_steps(spark, settings, table, kind, view, of_kind, keys, run, before, detail)
                elif isinstance(chosen, Product) and table.name in chosen.outputs:
                    changed = {step.place for step in earlier.values() if step.erased_at}
                    if not (set(chosen.inputs) & changed or table.subject_columns(kind)):
                        continue
                    before = lake.latest_version(spark, settings, *table.address) if lake.table_exists(spark, settings, *table.address) else None
                    detail = _rebuild_product(spark, settings, chosen, run, expectations_dir)
                    steps_of_kind += _derived_steps(spark, settings, table, kind, view, of_kind, keys, run, before, detail)
                elif table.subject_columns(kind):
                    table_steps, _ = _erase_from_table(spark, settings, table, kind, view, of_kind, keys, run)
                    steps_of_kind += table_steps
                if table.subject_columns(kind) and not table.restricted:
                    steps_of_kind += _erase_staging(spark, settings, table, kind, view, of_kind, keys, run)
            if isinstance(chosen, (Ingestion, Snapshot)) and any(lake_tables.table(name).restricted and lake_tables.table(name).subject_columns(kind) for name in chosen.tables):
                steps_of_kind += _erase_landing(settings, chosen.source, kind, of_kind, keys, run)
            for step in steps_of_kind:  # a retry: what an earlier attempt deleted still has to be purged
                before = earlier.get((step.request_id, step.place))
                if before and not step.erased_at and before.erased_at and not before.purged_at:
                    step.erased_at = before.erased_at
        finally:
            spark.catalog.dropTempView(view)
        steps += steps_of_kind
    _purge(spark, settings, tables, steps, int(settings.erasure_purge_hours))
    _record(spark, settings, keys, steps)
    return steps


def _derived_steps(spark, settings, table: Table, kind: str, view: str, requests: list[Request], keys, run: RunContext, before: int | None, detail: str | None) -> list[Step]:
    """After a recomputation: delete any row still holding the subject; a step per request with what was done."""
    held: dict[str, int] = {}
    if table.subject_columns(kind) and before is not None:
        held = _count_by_request(spark, settings.table_path(*table.address), view, match_condition(table, kind, lake.read_table(spark, settings, *table.address).schema), before)
    residual = _erase_from_table(spark, settings, table, kind, view, requests, keys, run)[0] if table.subject_columns(kind) else []
    after = lake.latest_version(spark, settings, *table.address) if lake.table_exists(spark, settings, *table.address) else None
    changed = after != before
    erased_at = _now() if changed else None
    steps = []
    for request in requests:
        rows = max(held.get(request.request_id, 0), next((step.rows_removed for step in residual if step.request_id == request.request_id), 0))
        steps.append(Step(request.request_id, kind, subject_pseudonym(keys, request), table.name, before, after, rows, 0, detail if changed else None,
                          erased_at if changed and (rows or detail) else None, None, run.run_id))
    return steps


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
        found = frame.select(text.alias("cells")).join(spark.table(view), F.expr("cells RLIKE pattern OR instr(cells, pseudonym) > 0")).groupBy("request_id").count()
        return Counter({row["request_id"]: row["count"] for row in found.collect()})
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
                condition = match_condition(table, kind, lake.read_table(spark, settings, *table.address).schema)
                subject = ":subject_pseudonym" if not table.restricted else ":subject_identifier_token"
                query = f"SELECT count(*) FROM {table.name} AS t WHERE {condition.replace('s.pseudonym', subject).replace('s.pattern', subject).replace('s.identifier', subject)}"
                add(table.name, "rows of the subject in the current version", query, _count_by_request(spark, path, view, condition))
            add(table.name, "data files in storage (any version) holding the identifier or pseudonym", f"every Parquet file under {table.name}'s folder, cell by cell", _search_files(spark, path, view))
            add(table.name, "Delta log entries holding the identifier or pseudonym", f"{table.name}/_delta_log: commits, checksums, checkpoints", _search_log(spark, path, view))
            if not table.restricted:
                staged = f"{settings.lake_root.rstrip('/')}/{publish.STAGING_ZONE}/{table.name}"
                add(f"staging:{table.name}", "staging copies holding the identifier or pseudonym", "every Parquet file of its staging copies", _search_files(spark, staged, view))
        patterns = {request.request_id: re.compile(token_pattern(request.identifier)) for request in requests if not request.certified}
        store = landing.store_for(settings.landing_root)
        for source in sorted({ingestion.source for ingestion in lake_tables.ingestions.values() if any(lake_tables.table(name).subject_columns(kind) for name in ingestion.tables)}):
            entries = landing.manifest_entries(settings, source)
            found = Counter()
            for entry in entries:
                text = _landed_text(store, entry)
                found.update(request_id for request_id, pattern in patterns.items() if pattern.search(text))
            add(f"landing:{source}", "landed files holding the identifier", f"{len(entries)} landed file(s), record by record", found)
    finally:
        spark.catalog.dropTempView(view)
    return checks


def _landed_text(store, entry: landing.ManifestEntry) -> str:
    import gzip

    raw = store.read_bytes(entry.landed_key)
    return (gzip.decompress(raw) if entry.file_name.endswith(".gz") else raw).decode("utf-8", errors="replace")


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


def _mark_certified(request: Request, pseudonym: str) -> None:
    """Rewrite the request's line with the identifier replaced by ``pseudonym:<the subject's pseudonym>``."""
    path = Path(request.file)
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header, rows = reader.fieldnames, list(reader)
    for row in rows:
        if row["request_id"].strip() == request.request_id:
            row["subject_identifier"] = CARRIED_OUT + pseudonym
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    landing._LocalStore(str(path.parent)).put_text(path.name, out.getvalue())


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
        _mark_certified(request, pseudonym)
        certificates.append(document)
        log.info("erasure request %s certified: %d rows removed, every check zero", request.request_id, document["rows_removed"])
    if incomplete:
        raise ErasureIncomplete("no certificate for: " + " | ".join(incomplete) + " (rerun the erasure DAG once the cause is fixed)")
    return certificates


def _places(kind: str) -> set[str]:
    """Where an erase task records a step for a subject of ``kind``: every table that may hold one."""
    return {table.name for table in registry().holding(kind)}


def read_certificates(settings: Settings) -> list[dict]:
    store = landing.store_for(settings.reports_root)
    return [json.loads(text) for text in store.read_all(f"{CERTIFICATES_FOLDER}/")]


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

        report.write_report_logging_errors(spark, settings, args.dag_id, args.run_id)
