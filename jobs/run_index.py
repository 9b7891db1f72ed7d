"""The quality report index's figures, kept as one small JSON document per DAG run and folded without Spark.

Each run that records an audit trail (``jobs/audit.py``) writes, after its audit rows, what the index needs
of them: per table and batch the expectations' counts and when they were validated, per batch what its
reconciliation quarantined, per table and batch what was published. The index folds every run's document in
Python (``fold``): no Spark job reads the audit tables back at the end of each run (four aggregations,
3-4 s a run on the warm engine), and one run's document never waits on another's (each run writes only its own,
so DAGs running at once do not race on a shared file).

A run rerun (Airflow's "clear") replaces its document's entries for the batches and tables it recorded again,
as its audit rows replace the earlier ones (``replaceWhere`` by run, batch and table). A lake whose audit tables
were written before these documents existed gets them once from the audit tables (``rebuild_from_audit``);
the run that creates a lake's audit trail marks it complete instead, so a new lake never pays for that.

Documents hold counts, versions, batch ids (file hashes) and times: no personal data.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from jobs import lake
from jobs.landing import key_part, store_for
from jobs.settings import Settings

FOLDER = "quality/runs"
# Written once the documents cover every run of the audit tables (a new lake, or one rebuilt from them).
COMPLETE_MARKER = "quality/run-index-complete"
_TIME = "%Y-%m-%dT%H:%M:%S.%f"


def run_stem(dag_id: str, run_id: str) -> str:
    """A file name stem for a DAG's run: DAGs share run ids (``scheduled__<date>``), and Airflow's hold ':' and '+'."""
    return "run-" + key_part(f"{dag_id}--{run_id}")


def _key(dag_id: str, run_id: str) -> str:
    return f"{FOLDER}/{run_stem(dag_id, run_id)}.json"


def _text(value) -> str | None:
    if value is None:
        return None
    return value.strftime(_TIME) if isinstance(value, datetime) else str(value)


def summary(dq_results: list[dict], publications: list[dict], reconciliation: list[dict]) -> dict:
    """One run's figures from its audit rows (each a dict of its audit table's columns)."""
    validations: dict[str, dict] = {}
    for row in dq_results:
        entry = validations.setdefault(f"{row['table_name']}|{row['batch_id']}", {
            "table_name": row["table_name"], "batch_id": row["batch_id"], "logical_date": _text(row["logical_date"]),
            "validated_at": _text(row["validated_at"]), "total": 0, "passed": 0, "critical": 0, "warning": 0,
        })
        entry["validated_at"] = max(entry["validated_at"], _text(row["validated_at"]))
        entry["total"] += 1
        entry["passed"] += int(bool(row["success"]))
        if not row["success"] and row["severity"] in ("critical", "warning"):
            entry[row["severity"]] += 1
    return {
        "validations": validations,
        "reconciled": {row["batch_id"]: _reconciled(row) for row in reconciliation},
        "publications": {f"{row['table_name']}|{row['batch_id']}": _publication(row) for row in publications},
    }


def _reconciled(row: dict) -> dict:
    """What the index keeps of an ``audit.reconciliation`` row (or of a batch's latest one)."""
    return {"quarantined_rows": row["quarantined_rows"], "checked_at": _text(row["checked_at"])}


def _publication(row: dict) -> dict:
    """What the index keeps of an ``audit.publications`` row."""
    return {
        "table_name": row["table_name"], "published_at": _text(row["published_at"]), "delta_version": row["delta_version"],
        "rows": row["rows"], "logical_date": _text(row["logical_date"]),
    }


def record(settings: Settings, dag_id: str, run_id: str, logical_date: str, figures: dict) -> None:
    """Write (or, for a rerun of the same run, update) the run's document with ``figures`` from :func:`summary`."""
    store = store_for(settings.reports_root)
    earlier = store.read_text(_key(dag_id, run_id))
    document = json.loads(earlier) if earlier else {"dag_id": dag_id, "run_id": run_id, "logical_date": logical_date, "validations": {}, "reconciled": {}, "publications": {}}
    for part in ("validations", "reconciled", "publications"):
        document[part].update(figures[part])
    store.put_text(_key(dag_id, run_id), json.dumps(document, sort_keys=True))


def mark_complete(settings: Settings) -> None:
    """Say that every run of the audit tables has its document: nothing to rebuild from them."""
    store_for(settings.reports_root).put_text(COMPLETE_MARKER, "every run of the audit tables has its document\n")


def documents(spark: SparkSession, settings: Settings) -> list[dict]:
    """Every run's document; the first time, for a lake with audit rows from before them, those runs' too."""
    store = store_for(settings.reports_root)
    if store.read_text(COMPLETE_MARKER) is None:
        rebuild_from_audit(spark, settings)
        mark_complete(settings)
    return [json.loads(text) for text in store.read_all(f"{FOLDER}/")]


def rebuild_from_audit(spark: SparkSession, settings: Settings) -> None:
    """Write the document of every run in the audit tables that has none (three aggregations, once per lake).

    A run whose document appears meanwhile (it has just ended) keeps its own."""
    def collected(table: str, build) -> list[dict]:
        if not lake.table_exists(spark, settings, "audit", table):
            return []
        return [row.asDict() for row in build(lake.read_table(spark, settings, "audit", table)).collect()]

    failed = lambda severity: F.sum(F.when(~F.col("success") & (F.col("severity") == severity), 1).otherwise(0))  # noqa: E731
    validations = collected("dq_results", lambda rows: rows.groupBy("dag_id", "run_id", "logical_date", "table_name", "batch_id").agg(
        F.count("*").alias("total"), F.sum(F.col("success").cast("int")).alias("passed"), failed("critical").alias("critical"),
        failed("warning").alias("warning"), F.max("validated_at").alias("validated_at"),
    ))
    reconciled = collected("reconciliation", lambda rows: rows.groupBy("dag_id", "run_id", "logical_date", "batch_id").agg(
        F.max_by("quarantined_rows", "checked_at").alias("quarantined_rows"), F.max("checked_at").alias("checked_at"),
    ))
    published = collected("publications", lambda rows: rows.select("dag_id", "run_id", "logical_date", "table_name", "batch_id", "published_at", "delta_version", "rows"))
    runs: dict[tuple[str, str], dict] = {}

    def document(row: dict) -> dict:
        return runs.setdefault((row["dag_id"], row["run_id"]), {
            "dag_id": row["dag_id"], "run_id": row["run_id"], "logical_date": None, "validations": {}, "reconciled": {}, "publications": {},
        })

    for row in validations:
        entry = {figure: row[figure] for figure in ("table_name", "batch_id", "total", "passed", "critical", "warning")}
        entry.update(logical_date=_text(row["logical_date"]), validated_at=_text(row["validated_at"]))
        run = document(row)
        run["logical_date"] = entry["logical_date"]
        run["validations"][f"{row['table_name']}|{row['batch_id']}"] = entry
    for row in reconciled:
        run = document(row)
        run["logical_date"] = run["logical_date"] or _text(row["logical_date"])
        run["reconciled"][row["batch_id"]] = _reconciled(row)
    for row in published:
        run = document(row)
        run["logical_date"] = run["logical_date"] or _text(row["logical_date"])
        run["publications"][f"{row['table_name']}|{row['batch_id']}"] = _publication(row)
    store = store_for(settings.reports_root)
    for (dag_id, run_id), run in runs.items():
        if run["logical_date"] is not None and store.read_text(_key(dag_id, run_id)) is None:
            store.put_text(_key(dag_id, run_id), json.dumps(run, sort_keys=True))


def fold(runs: list[dict]) -> dict:
    """The index's figures from every run's document: what :func:`jobs.report.render_index` draws.

    A batch validated by several runs (reruns, replays) counts once, by its latest validation; its
    quarantined rows are those its latest reconciliation counted; a table's latest publication is the newest.
    """
    latest: dict[tuple[str, str], dict] = {}
    index_runs = []
    reconciled: dict[str, dict] = {}
    publications: dict[str, dict] = {}
    for document in runs:
        validations = document["validations"].values()
        if validations:  # a run that validated nothing (a product with nothing to publish) has no row of its own
            index_runs.append({
                "run_id": document["run_id"], "dag_id": document["dag_id"], "logical_date": date.fromisoformat(document["logical_date"]),
                "expectations": sum(entry["total"] for entry in validations), "critical": sum(entry["critical"] for entry in validations),
            })
        for entry in validations:
            batch = (entry["table_name"], entry["batch_id"])
            if batch not in latest or entry["validated_at"] > latest[batch]["validated_at"]:
                latest[batch] = entry
        for batch_id, check in document["reconciled"].items():
            if batch_id not in reconciled or check["checked_at"] > reconciled[batch_id]["checked_at"]:
                reconciled[batch_id] = check
        for entry in document["publications"].values():
            table = publications.setdefault(entry["table_name"], {"table_name": entry["table_name"], "latest": None, "fresh_up_to": None})
            if table["latest"] is None or entry["published_at"] > table["latest"]["published_at"]:
                table["latest"] = entry
            table["fresh_up_to"] = max(filter(None, (table["fresh_up_to"], entry["logical_date"])), default=None)
    daily: dict[tuple, dict] = {}
    quarantined: dict[str, int] = {}
    for (table_name, batch_id), entry in latest.items():
        day = daily.setdefault((table_name, entry["logical_date"]), {"table_name": table_name, "logical_date": date.fromisoformat(entry["logical_date"]), "total": 0, "passed": 0, "critical": 0, "warning": 0})
        for figure in ("total", "passed", "critical", "warning"):
            day[figure] += entry[figure]
        quarantined[table_name] = quarantined.get(table_name, 0) + (reconciled[batch_id]["quarantined_rows"] if batch_id in reconciled else 0)
    for table in publications.values():
        newest = table["latest"]
        table["latest"] = {"published_at": datetime.strptime(newest["published_at"], _TIME), "delta_version": newest["delta_version"], "rows": newest["rows"]}
        table["fresh_up_to"] = date.fromisoformat(table["fresh_up_to"]) if table["fresh_up_to"] else None
    return {"daily": list(daily.values()), "runs": index_runs, "quarantined": quarantined, "publications": publications}
