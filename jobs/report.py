"""Spark job: the lake-level quality report an auditor opens, one static HTML page per run and an index.

Everything comes from the audit tables (``dq_results``, ``publications``, ``reconciliation``, ``alerts``)
and the quarantine zone's counts; nothing is computed that BI could not compute from the same tables.
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
from datetime import date, datetime, timezone

from pyspark.sql import SparkSession

from jobs import alerts, lake
from jobs.landing import store_for
from jobs.phases import phase
from jobs.settings import Settings, load_settings
from jobs.spark_config import build_session

REPORT_FOLDER = "quality"
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


def page_name(run_id: str) -> str:
    """A file name for a run id (Airflow run ids hold ':' and '+')."""
    return "run-" + re.sub(r"[^A-Za-z0-9._-]", "_", run_id) + ".html"


def _rows(spark: SparkSession, settings: Settings, zone: str, table: str) -> list[dict]:
    if not lake.table_exists(spark, settings, zone, table):
        return []
    return [row.asDict() for row in lake.read_table(spark, settings, zone, table).collect()]


def _quarantine_counts(spark: SparkSession, settings: Settings) -> list[dict]:
    """Quarantined rows per table, batch and rule (counts only)."""
    counts = []
    for table in lake.tables_in(spark, settings, "quarantine"):
        frame = lake.read_table(spark, settings, "quarantine", table).groupBy("_batch_id", "_logical_date", "rule_id").count()
        counts += [{"table": f"quarantine.{table}", "batch_id": row["_batch_id"], "logical_date": row["_logical_date"], "rule_id": row["rule_id"], "rows": row["count"]} for row in frame.collect()]
    return counts


def gather(spark: SparkSession, settings: Settings) -> dict:
    """Everything the pages show, as plain Python rows."""
    return {
        "results": _rows(spark, settings, "audit", "dq_results"),
        "publications": _rows(spark, settings, "audit", "publications"),
        "reconciliation": _rows(spark, settings, "audit", "reconciliation"),
        "alerts": _rows(spark, settings, "audit", "alerts"),
        "quarantine": _quarantine_counts(spark, settings),
    }


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


def _latest_run_per_batch(results: list[dict]) -> list[dict]:
    """A batch validated by several runs (reruns, replays) counts once, by its latest run."""
    latest: dict[tuple, datetime] = {}
    for row in results:
        key = (row["table_name"], row["batch_id"])
        latest[key] = max(latest.get(key, row["validated_at"]), row["validated_at"])
    return [row for row in results if row["validated_at"] == latest[(row["table_name"], row["batch_id"])]]


def render_index(data: dict) -> str:
    results = _latest_run_per_batch(data["results"])
    by_table: dict[str, list[dict]] = defaultdict(list)
    for row in results:
        by_table[row["table_name"]].append(row)
    sections = []
    for table_name in sorted(by_table):
        rows = by_table[table_name]
        per_day: dict[date, list[bool]] = defaultdict(list)
        for row in rows:
            per_day[row["logical_date"]].append(bool(row["success"]))
        points = sorted((day, sum(verdicts) / len(verdicts)) for day, verdicts in per_day.items())
        publications = sorted((p for p in data["publications"] if p["table_name"] == table_name), key=lambda p: p["published_at"])
        latest = publications[-1] if publications else None
        freshness = max((p["logical_date"] for p in publications), default=None)
        quarantined = sum(q["rows"] for q in data["quarantine"] if q["batch_id"] in {row["batch_id"] for row in rows})
        passed, total = sum(bool(row["success"]) for row in rows), len(rows)
        facts = _table(
            ["expectations (latest run per batch)", "passed", "failed critical", "failed warning", "rows quarantined", "latest publication", "fresh up to"],
            [[
                str(total), f'<span class="passed">{passed}</span>',
                f'<span class="failed-critical">{sum(1 for row in rows if not row["success"] and row["severity"] == "critical")}</span>',
                f'<span class="failed-warning">{sum(1 for row in rows if not row["success"] and row["severity"] == "warning")}</span>',
                str(quarantined),
                _e(f"version {latest['delta_version']} at {latest['published_at']:%Y-%m-%d %H:%M} ({latest['rows']} rows)") if latest else "never published",
                _e(freshness or "-"),
            ]],
            table_id=f"table-{table_name}",
        )
        sections.append(f'<h2 id="{_e(table_name)}">{_e(table_name)}</h2><h3>Pass rate per logical date</h3>{pass_rate_chart(points)}{facts}')
    runs = sorted({(row["run_id"], row["dag_id"], row["logical_date"]) for row in data["results"]}, key=lambda run: (run[2], run[0]), reverse=True)
    run_rows = []
    for run_id, dag_id, logical_date in runs:
        run_results = [row for row in data["results"] if row["run_id"] == run_id]
        critical = sum(1 for row in run_results if not row["success"] and row["severity"] == "critical")
        verdict = '<span class="bad">blocked</span>' if critical else '<span class="ok">published</span>'
        run_rows.append([_e(logical_date), _e(dag_id), f'<a href="{page_name(run_id)}">{_e(run_id)}</a>', verdict, str(len(run_results)), str(critical)])
    body = f'<p><a href="{TABLES_PAGE}">Every table\'s columns with their classification and treatment</a></p>' + "".join(sections) + "<h2>Runs</h2>" + _table(["logical date", "DAG", "run", "gate", "expectations", "critical failures"], run_rows, table_id="runs")
    return _page("citylake quality report", body)


TABLES_PAGE = "tables.html"


def render_tables() -> str:
    """Every declared table with its columns' classification and treatment, so a reviewer sees what is kept and how."""
    from jobs.declarations import RESTRICTED_ZONES, registry

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


def render_run(data: dict, run_id: str, data_docs: str | None = None) -> str:
    """One run's page; ``data_docs`` is the relative link to the run's Great Expectations Data Docs."""
    results = [row for row in data["results"] if row["run_id"] == run_id]
    batches = {row["batch_id"] for row in results}
    docs_link = f' · <a href="{_e(data_docs)}">Great Expectations Data Docs of this run</a>' if data_docs else ""
    body = [f'<p><a href="index.html">All tables and runs</a>{docs_link}</p>']
    for table_name in sorted({row["table_name"] for row in results}):
        rows = sorted((row for row in results if row["table_name"] == table_name), key=lambda row: (row["batch_id"], row["suite"], row["expectation_type"], row["column_name"] or ""))
        publication = [p for p in data["publications"] if p["run_id"] == run_id and p["table_name"] == table_name]
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
    checks = [row for row in data["reconciliation"] if row["run_id"] == run_id]
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
    raised = [a for a in data["alerts"] if a["run_id"] == run_id]
    if raised:
        body.append("<h2>Alerts</h2>")
        body.append(_table(["task", "try", "raised at", "error"], [[_e(a["task_id"]), str(a["try_number"]), _e(a["raised_at"]), f"<pre>{_e(a['error'])}</pre>"] for a in raised], table_id="alerts"))
    return _page(f"citylake quality: run {run_id}", "".join(body))


def write_report(spark: SparkSession, settings: Settings, run_id: str) -> str:
    """Build the run's Data Docs, render its page and the index into ``<reports_root>/quality/``.

    Returns the index location.
    """
    from jobs import data_docs, quality

    with phase("report: Data Docs"):
        site = data_docs.publish_run_site(settings, run_id, quality.take_validations())
    with phase("report: read the audit trail"):
        data = gather(spark, settings)
    store = store_for(settings.reports_root)
    docs_link = f"../{data_docs.site_key(run_id)}/index.html" if site else None
    store.put_text(f"{REPORT_FOLDER}/{page_name(run_id)}", render_run(data, run_id, docs_link))
    store.put_text(f"{REPORT_FOLDER}/{TABLES_PAGE}", render_tables())
    store.put_text(f"{REPORT_FOLDER}/index.html", render_index(data))
    return store.uri(f"{REPORT_FOLDER}/index.html")


def write_report_logging_errors(spark: SparkSession, settings: Settings, run_id: str) -> None:
    """The report at the end of a job: a failure to render must not hide the job's own outcome."""
    try:
        log.info("quality report: %s", write_report(spark, settings, run_id))
    except Exception:
        log.exception("could not write the quality report for run %s", run_id)


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
    print(f"quality report: {write_report(spark, settings, args.run_id)}")
