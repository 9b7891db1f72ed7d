"""Spark job: the lake-level quality report an auditor opens, one static HTML page per run and an index.

Everything comes from the audit tables (``dq_results``, ``publications``, ``reconciliation``, ``alerts``)
and the quarantine zone's counts, as the run recorded them (its trail) or, for the index, as every run
summarised them (``jobs/run_index.py``); nothing is shown that BI could not compute from the same tables.
The pages are self-contained (inline CSS, charts as inline SVG, no script, no font or CDN), so they
render the same offline, from a file share or an object store. Results hold counts and observed values
only, so the pages carry no personal data.

    python -m jobs.run report --logical-date 2022-05-01 --run-id <run> [--dag-id ...]
"""

from __future__ import annotations

import argparse
import html
import logging
import os
import re
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from functools import reduce

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs import alerts, lake, run_index
from jobs.audit import Trail
from jobs.declarations import registry
from jobs.landing import store_for
from jobs.phases import phase
from jobs.settings import Settings, load_settings
from jobs.spark_config import build_session

REPORT_FOLDER = "quality"
CERTIFICATES_FOLDER = "erasure"  # under the reports root: one JSON certificate per erasure request (jobs/erasure.py)
log = logging.getLogger(__name__)
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1d2733; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #c9d1da; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #eef2f6; }
.fail-critical { background: #fbe3e4; } .fail-warning { background: #fff4d6; }
.ok { color: #1f7a3a; } .bad { color: #b3261e; font-weight: bold; }
svg { background: #fafbfc; border: 1px solid #c9d1da; }
"""


def page_name(dag_id: str, run_id: str) -> str:
    """A file name for a DAG's run: DAGs share run ids (``scheduled__<date>``), and Airflow's hold ':' and '+'."""
    return run_index.run_stem(dag_id, run_id) + ".html"


def _table_or_none(spark: SparkSession, settings: Settings, zone: str, table: str) -> DataFrame | None:
    return lake.read_table(spark, settings, zone, table) if lake.table_exists(spark, settings, zone, table) else None


def _dicts(frame: DataFrame | None) -> list[dict]:
    return [] if frame is None else [row.asDict() for row in frame.collect()]


def _run_quarantine_counts(spark: SparkSession, settings: Settings, batches: set[str]) -> list[dict]:
    """Quarantined rows per table, batch and rule for the run's batches (counts only), in one query."""
    if not batches:
        return []
    present = lake.tables_in(spark, settings, "quarantine")
    parts = [
        lake.read_table(spark, settings, "quarantine", table)
        .where(F.col("_batch_id").isin(sorted(batches)))
        .select(F.lit(f"quarantine.{table}").alias("table"), F.col("_batch_id").alias("batch_id"), "rule_id")
        for table in present
    ]
    if not parts:
        return []
    return _dicts(reduce(DataFrame.unionByName, parts).groupBy("table", "batch_id", "rule_id").agg(F.count("*").alias("rows")))


def gather_run(spark: SparkSession, settings: Settings, dag_id: str, run_id: str, trail: Trail | None = None) -> dict:
    """One DAG run's rows of each audit table and its batches' quarantine counts: what its page shows.

    ``trail``: what the run recorded, when the page is built at its end: neither its rows nor its
    quarantine counts are read back from the tables."""
    data = {}
    for table in ("dq_results", "publications", "reconciliation", "alerts"):
        if trail is not None and table != "alerts":  # alerts are filed by the failure callback, not the run
            data[table] = trail.dicts(table)
            continue
        frame = _table_or_none(spark, settings, "audit", table)
        data[table] = _dicts(None if frame is None else frame.where((F.col("dag_id") == dag_id) & (F.col("run_id") == run_id)))
    data["results"] = data.pop("dq_results")
    data["quarantine"] = trail.quarantine_counts() if trail is not None else _run_quarantine_counts(spark, settings, {row["batch_id"] for row in data["results"]})
    return data


def gather_index(spark: SparkSession, settings: Settings) -> dict:
    """The index's figures: every run's document folded (``jobs/run_index.py``: no aggregation over the audit
    tables per run), the tables' last retention runs and the erasure certificates."""
    return {**run_index.fold(run_index.documents(spark, settings)), "retention": _retention(spark, settings), "erasures": read_certificates(settings)}


def _retention(spark: SparkSession, settings: Settings) -> dict[str, dict]:
    """Per table with a retention, its last retention run (``audit.maintenance``): what it deleted and what it holds."""
    maintenance = _table_or_none(spark, settings, "audit", "maintenance")
    if maintenance is None or "oldest_held" not in maintenance.columns:  # no retention run yet
        return {}
    latest = F.struct("logical_date", "finished_at", "retention_days", "deleted_before", "rows_deleted", "oldest_held")
    runs = maintenance.where(F.col("operation") == "RETENTION").groupBy("table_name").agg(F.max_by(latest, "finished_at").alias("latest"))
    return {row["table_name"]: row["latest"].asDict() for row in _dicts(runs)}


def _retention_section(index: dict) -> str:
    """Each table with a declared retention: the oldest delivered day it holds, against the retention, as of its last run."""
    rows = []
    for table in sorted(registry().retained(), key=lambda table: table.name):
        last = index["retention"].get(table.name)
        if last is None:
            rows.append([_e(table.name), str(table.retention_days), "no retention run yet", "", "", ""])
            continue
        as_of = last["deleted_before"] + timedelta(days=last["retention_days"])
        held = "empty" if last["oldest_held"] is None else f"{last['oldest_held']} ({(as_of - last['oldest_held']).days} days old)"
        rows.append([_e(table.name), str(table.retention_days), _e(as_of), _e(held), _e(last["deleted_before"]), str(last["rows_deleted"])])
    headers = ["table", "retention (days)", "as of", "oldest delivered day held", "rows delivered before deleted", "rows deleted"]
    return "<h2>Retention</h2><p>Raw personal data expires (lake_maintenance, weekly): the last run per table.</p>" + _table(headers, rows, table_id="retention")


def read_certificates(settings: Settings) -> list[dict]:
    """Every erasure certificate written so far (``<reports>/erasure/*.json``), oldest first."""
    import json

    documents = [json.loads(text) for text in store_for(settings.reports_root).read_all(f"{CERTIFICATES_FOLDER}/")]
    return sorted(documents, key=lambda document: document["certified_at"])


def certificate_page_name(request_id: str) -> str:
    return f"erasure-{re.sub(r'[^A-Za-z0-9_.-]', '_', request_id)}.html"


def _erasure_section(index: dict) -> str:
    """The certificates: each request carried out, its outcome and a link to its page."""
    rows = [
        [f'<a href="{certificate_page_name(document["request_id"])}">{_e(document["request_id"])}</a>', _e(document["subject_kind"]),
         f'<code>{_e(document["subject_pseudonym"])}</code>', _e(document["certified_at"]), _e(document["outcome"]), str(document["rows_removed"])]
        for document in index.get("erasures", [])
    ]
    if not rows:
        return "<h2>Erasure certificates</h2><p>No erasure request has been certified.</p>"
    return "<h2>Erasure certificates</h2><p>Each approved request carried out by the erasure DAG, proven by its checks.</p>" + _table(
        ["request", "subject kind", "subject (pseudonym)", "certified at", "outcome", "rows removed"], rows, table_id="erasures"
    )


def render_certificate(document: dict) -> str:
    """One erasure certificate as the auditor reads it: the request, every place with what was removed, every check."""
    facts = _table(
        ["request", "subject kind", "subject (pseudonym, key version)", "reason", "requested by", "approved by", "requested at", "certified at", "outcome"],
        [[_e(document["request_id"]), _e(document["subject_kind"]), f'<code>{_e(document["subject_pseudonym"])}</code> (v{_e(document["pseudonym_key_version"])})',
          _e(document["reason"]), _e(document["requested_by"]), _e(document["approved_by"]), _e(document["requested_at"]), _e(document["certified_at"]), _e(document["outcome"])]],
    )
    places = _table(
        ["place", "Delta version before", "after", "rows removed", "files rewritten or removed", "erased at", "purged at", "detail"],
        [[_e(place["place"]), _e(place["version_before"]), _e(place["version_after"]), str(place["rows_removed"]), str(place["files_rewritten"]),
          _e(place["erased_at"]), _e(place["purged_at"]), _e(place["detail"])] for place in document["places"]],
        table_id="places",
    )
    checks = _table(
        ["place", "check", "query or search", "result"],
        [[_e(check["place"]), _e(check["check"]), f'<code>{_e(check["query"])}</code>', f'<span class="{"ok" if check["result"] == 0 else "bad"}">{check["result"]}</span>'] for check in document["verification"]],
        table_id="verification",
    )
    body = (
        f'<p><a href="index.html">Back to the report</a>; the certificate as JSON: <code>{CERTIFICATES_FOLDER}/{_e(document["request_id"])}.json</code> under the reports root.</p>'
        f"{facts}<h2>Where the subject was, and what was done</h2>{places}<h2>Verification (every result must be 0)</h2>{checks}"
    )
    return _page(f"Erasure certificate {document['request_id']}", body)


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def _page(title: str, body: str) -> str:
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_e(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{_e(title)}</h1>{body}"
        f"<p><small>Generated {generated} from the audit tables by jobs/report.py.</small></p></body></html>\n"
    )


def _table(headers: list[str], rows: list[list], row_classes: list[str] | None = None, table_id: str | None = None) -> str:
    head = "".join(f"<th>{_e(header)}</th>" for header in headers)
    body = []
    for position, row in enumerate(rows):
        css = f' class="{row_classes[position]}"' if row_classes and row_classes[position] else ""
        body.append(f"<tr{css}>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>")
    identifier = f' id="{table_id}"' if table_id else ""
    return f"<table{identifier}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def pass_rate_chart(points: list[tuple[date, float]], width: int = 520, height: int = 160) -> str:
    """Pass rate (0..1) per logical date as an inline SVG line chart with a point per day."""
    if not points:
        return "<p>No results yet.</p>"
    margin = 30
    days = [day for day, _ in points]
    span = max((max(days) - min(days)).days, 1)

    def x(day: date) -> float:
        return margin + (width - 2 * margin) * ((day - min(days)).days / span if len(points) > 1 else 0.5)

    def y(rate: float) -> float:
        return height - margin - (height - 2 * margin) * rate

    line = " ".join(f"{x(day):.1f},{y(rate):.1f}" for day, rate in points)
    dots = "".join(
        f'<circle cx="{x(day):.1f}" cy="{y(rate):.1f}" r="3" fill="#2e6fb7"><title>{day}: {rate:.0%}</title></circle>'
        for day, rate in points
    )
    axes = (
        f'<line x1="{margin}" y1="{y(0)}" x2="{width - margin}" y2="{y(0)}" stroke="#888"/>'
        f'<line x1="{margin}" y1="{y(0)}" x2="{margin}" y2="{y(1)}" stroke="#888"/>'
        f'<text x="2" y="{y(1) + 4}" font-size="10">100%</text><text x="8" y="{y(0) + 4}" font-size="10">0%</text>'
        f'<text x="{margin}" y="{height - 8}" font-size="10">{min(days)}</text>'
        f'<text x="{width - margin - 60}" y="{height - 8}" font-size="10">{max(days)}</text>'
    )
    return (
        f'<svg class="pass-rate" role="img" aria-label="pass rate per day" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg">{axes}<polyline fill="none" stroke="#2e6fb7" stroke-width="2" points="{line}"/>{dots}</svg>'
    )


def render_index(index: dict) -> str:
    """The index from :func:`gather_index`'s aggregates."""
    by_table: dict[str, list[dict]] = defaultdict(list)
    for row in index["daily"]:
        by_table[row["table_name"]].append(row)
    sections = []
    for table_name in sorted(by_table):
        days = sorted(by_table[table_name], key=lambda row: row["logical_date"])
        points = [(row["logical_date"], row["passed"] / row["total"]) for row in days]
        publication = index["publications"].get(table_name)
        latest = publication["latest"] if publication else None
        facts = _table(
            ["expectations (latest run per batch)", "passed", "failed critical", "failed warning", "rows quarantined", "latest publication", "fresh up to"],
            [[
                str(sum(row["total"] for row in days)), f'<span class="passed">{sum(row["passed"] for row in days)}</span>',
                f'<span class="failed-critical">{sum(row["critical"] for row in days)}</span>',
                f'<span class="failed-warning">{sum(row["warning"] for row in days)}</span>',
                str(index["quarantined"].get(table_name, 0)),
                _e(f"version {latest['delta_version']} at {latest['published_at']:%Y-%m-%d %H:%M} ({latest['rows']} rows)") if latest else "never published",
                _e(publication["fresh_up_to"] if publication else "-"),
            ]],
            table_id=f"table-{table_name}",
        )
        sections.append(f'<h2 id="{_e(table_name)}">{_e(table_name)}</h2><h3>Pass rate per logical date</h3>{pass_rate_chart(points)}{facts}')
    run_rows = []
    for run in sorted(index["runs"], key=lambda run: (run["logical_date"], run["run_id"]), reverse=True):
        verdict = '<span class="bad">blocked</span>' if run["critical"] else '<span class="ok">published</span>'
        run_rows.append([_e(run["logical_date"]), _e(run["dag_id"]), f'<a href="{page_name(run["dag_id"], run["run_id"])}">{_e(run["run_id"])}</a>', verdict, str(run["expectations"]), str(run["critical"])])
    body = (
        f'<p><a href="{TABLES_PAGE}">Every table\'s columns with their classification and treatment</a></p>' + "".join(sections)
        + _retention_section(index) + _erasure_section(index) + "<h2>Runs</h2>" + _table(["logical date", "DAG", "run", "gate", "expectations", "critical failures"], run_rows, table_id="runs")
    )
    return _page("citylake quality report", body)


TABLES_PAGE = "tables.html"


def render_tables() -> str:
    """Every declared table with its columns' classification and treatment, so a reviewer sees what is kept and how."""
    from jobs.declarations import RESTRICTED_ZONES

    body = [
        "<p>From the tables' declarations (<code>jobs/&lt;domain&gt;/declarations.yaml</code>). Clear personal data lives only in the "
        f"restricted zones ({_e(', '.join(sorted(RESTRICTED_ZONES)))}); a bronze column's treatment is what happens to it on the way to "
        "silver; <em>pseudonymise</em> is a keyed HMAC-SHA-256 applied on the way into silver.</p>"
    ]
    for table in sorted(registry().tables.values(), key=lambda table: (table.zone, table.name)):
        facts = _table(
            ["zone", "owner", "key", "purposes", "retention", "BI", "clear personal data allowed"],
            [[_e(table.zone), _e(table.owner), _e(", ".join(table.key) or "-"), _e(", ".join(table.purposes) or "-"),
              _e(f"{table.retention_days} days" if table.retention_days else "not limited"), "yes" if table.bi else "no", "yes (restricted zone)" if table.restricted else "no"]],
        )
        columns = _table(
            ["column", "type", "classification", "treatment", "description"],
            [[_e(column.name), _e(column.type), _e(column.classification), _e(column.treatment), _e(column.description)] for column in table.columns],
            table_id=f"columns-{table.name}",
        )
        body.append(f'<h2 id="{_e(table.name)}">{_e(table.name)}</h2><p>{_e(table.description)}</p>{facts}{columns}')
    return _page("citylake tables: classification and treatment", "".join(body))


def render_run(data: dict, dag_id: str, run_id: str, data_docs: str | None = None) -> str:
    """One DAG run's page (from :func:`gather_run`); ``data_docs`` is the relative link to its Data Docs."""
    results = data["results"]
    batches = {row["batch_id"] for row in results}
    docs_link = f' · <a href="{_e(data_docs)}">Great Expectations Data Docs of this run</a>' if data_docs else ""
    body = [f'<p><a href="index.html">All tables and runs</a>{docs_link}</p>']
    for table_name in sorted({row["table_name"] for row in results}):
        rows = sorted((row for row in results if row["table_name"] == table_name), key=lambda row: (row["batch_id"], row["suite"], row["expectation_type"], row["column_name"] or ""))
        publication = [p for p in data["publications"] if p["table_name"] == table_name]
        published = (
            "; ".join(f"batch {_e(p['batch_id'])}: Delta version {p['delta_version']}, {p['rows']} rows, from {_e(', '.join(p['source_files']))}" for p in publication)
            if publication else '<span class="bad">not published: a critical expectation failed</span>'
        )
        cells, classes = [], []
        for row in rows:
            evidence = row["exception"] or (
                f"{row['unexpected_count']} unexpected ({row['unexpected_percent']:.2f}%)" if row["unexpected_count"] is not None and row["unexpected_percent"] is not None else row["observed_value"]
            )
            cells.append([_e(row["batch_id"]), _e(row["suite"]), _e(row["expectation_type"]), _e(row["column_name"]), _e(row["severity"]),
                          '<span class="ok">passed</span>' if row["success"] else '<span class="bad">failed</span>', _e(evidence)])
            classes.append("" if row["success"] else f"fail-{row['severity']}")
        body.append(f'<h2>{_e(table_name)}</h2><p>{published}</p>')
        body.append(_table(["batch", "suite", "expectation", "column", "severity", "result", "evidence"], cells, classes, table_id=f"results-{table_name}"))
    checks = data["reconciliation"]
    if checks:
        body.append("<h2>Reconciliation: raw rows = published + quarantined</h2>")
        body.append(_table(
            ["source file", "batch", "raw rows", "bronze rows", "published", "quarantined", "balanced"],
            [[_e(c["source_file"]), _e(c["batch_id"]), str(c["manifest_rows"]), str(c["bronze_rows"]), str(c["published_rows"]), str(c["quarantined_rows"]),
              '<span class="ok">yes</span>' if c["balanced"] else '<span class="bad">NO</span>'] for c in checks],
            table_id="reconciliation",
        ))
    quarantined = [q for q in data["quarantine"] if q["batch_id"] in batches]
    body.append("<h2>Quarantined rows by rule</h2>")
    body.append(_table(["table", "batch", "rule", "rows"], [[_e(q["table"]), _e(q["batch_id"]), _e(q["rule_id"]), str(q["rows"])] for q in sorted(quarantined, key=lambda q: (q["batch_id"], q["rule_id"]))], table_id="quarantine")
                if quarantined else "<p>None.</p>")
    raised = data["alerts"]
    if raised:
        body.append("<h2>Alerts</h2>")
        body.append(_table(["task", "try", "raised at", "error"], [[_e(a["task_id"]), str(a["try_number"]), _e(a["raised_at"]), f"<pre>{_e(a['error'])}</pre>"] for a in raised], table_id="alerts"))
    return _page(f"citylake quality: run {run_id} of {dag_id}", "".join(body))


def write_report(spark: SparkSession, settings: Settings, dag_id: str, run_id: str, trail: Trail | None = None) -> str:
    """Build the DAG run's Data Docs, render its page and the index into ``<reports_root>/quality/``.

    ``trail``: the run's audit rows when the run itself writes its report (see :func:`gather_run`).

    Returns the index location.
    """
    from jobs import data_docs, quality

    with phase("report: Data Docs"):
        site = data_docs.publish_run_site(settings, dag_id, run_id, quality.take_validations())
    with phase("report: the run's page"):
        docs_link = f"../{data_docs.site_key(dag_id, run_id)}/index.html" if site else None
        run_page = render_run(gather_run(spark, settings, dag_id, run_id, trail), dag_id, run_id, docs_link)
    with phase("report: the index"):
        index = gather_index(spark, settings)
        index_page = render_index(index)
    store = store_for(settings.reports_root)
    store.put_text(f"{REPORT_FOLDER}/{page_name(dag_id, run_id)}", run_page)
    store.put_text(f"{REPORT_FOLDER}/{TABLES_PAGE}", render_tables())
    for document in index["erasures"]:
        store.put_text(f"{REPORT_FOLDER}/{certificate_page_name(document['request_id'])}", render_certificate(document))
    store.put_text(f"{REPORT_FOLDER}/index.html", index_page)
    return store.uri(f"{REPORT_FOLDER}/index.html")


def write_report_logging_errors(spark: SparkSession, settings: Settings, dag_id: str, run_id: str, trail: Trail | None = None) -> None:
    """The report at the end of a job: a failure to render must not hide the job's own outcome."""
    try:
        log.info("quality report: %s", write_report(spark, settings, dag_id, run_id, trail))
    except Exception:
        log.exception("could not write the quality report for run %s of %s", run_id, dag_id)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="report", description=__doc__.splitlines()[0])
    parser.add_argument("--logical-date", required=True, type=date.fromisoformat)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--dag-id", default="manual")
    parser.add_argument("--task-id", default="quality_report")
    parser.add_argument("--lake-root", help="overrides CITYLAKE_LAKE_ROOT")
    parser.add_argument("--reports-root", help="overrides CITYLAKE_REPORTS_ROOT")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, spark=None) -> None:
    args = parse_args(argv)
    overrides = {key: value for key, value in (("CITYLAKE_LAKE_ROOT", args.lake_root), ("CITYLAKE_REPORTS_ROOT", args.reports_root)) if value}
    settings = load_settings({**os.environ, **overrides})
    spark = spark or build_session(settings, f"citylake-report-{args.logical_date}")
    alerts.file_alerts(spark, settings)
    print(f"quality report: {write_report(spark, settings, args.dag_id, args.run_id)}")
