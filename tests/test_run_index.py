"""The report index's per-run documents, folded without Spark: a batch counts once, by its latest validation."""

from __future__ import annotations

from datetime import date, datetime

from jobs import run_index
from jobs.landing import store_for
from tests.conftest import make_settings


def dq(table: str, batch: str, day: str, at: datetime, success: bool = True, severity: str = "critical") -> dict:
    return {"table_name": table, "batch_id": batch, "logical_date": date.fromisoformat(day), "validated_at": at, "success": success, "severity": severity}


def published(table: str, batch: str, day: str, at: datetime, version: int, rows: int) -> dict:
    return {"table_name": table, "batch_id": batch, "logical_date": date.fromisoformat(day), "published_at": at, "delta_version": version, "rows": rows}


def reconciled(batch: str, quarantined: int, at: datetime) -> dict:
    return {"batch_id": batch, "quarantined_rows": quarantined, "checked_at": at}


def test_a_rerun_replaces_its_batches_and_the_latest_validation_of_a_batch_counts(tmp_path):
    settings = make_settings(tmp_path)
    store_for(settings.reports_root).put_text(run_index.COMPLETE_MARKER, "")  # a new lake: nothing to rebuild
    first, later = datetime(2022, 5, 2, 1, 0, 0, 5), datetime(2022, 5, 3, 1, 0)
    run_index.record(settings, "nyc311_daily", "scheduled__2022-05-02", "2022-05-02", run_index.summary(
        [dq("silver.s", "b1", "2022-05-02", first), dq("silver.s", "b1", "2022-05-02", first, success=False, severity="warning"),
         dq("silver.s", "b2", "2022-05-02", first, success=False)],
        [published("silver.s", "b1", "2022-05-02", first, 3, 90)],
        [reconciled("b1", 10, first), reconciled("b2", 0, first)],
    ))
    # The same Airflow run cleared and run again: b2 passes now; b1 keeps what the first attempt recorded.
    run_index.record(settings, "nyc311_daily", "scheduled__2022-05-02", "2022-05-02", run_index.summary(
        [dq("silver.s", "b2", "2022-05-02", later)], [published("silver.s", "b2", "2022-05-02", later, 4, 50)], [reconciled("b2", 2, later)],
    ))
    # Another DAG's run validates b1 again later (a replay): b1 counts once, by this validation.
    run_index.record(settings, "replay", "manual__1", "2022-05-03", run_index.summary(
        [dq("silver.s", "b1", "2022-05-03", later)], [], [reconciled("b1", 7, later)],
    ))
    index = run_index.fold(run_index.documents(None, settings))
    assert sorted((row["logical_date"], row["total"], row["passed"], row["critical"], row["warning"]) for row in index["daily"]) == [
        (date(2022, 5, 2), 1, 1, 0, 0), (date(2022, 5, 3), 1, 1, 0, 0),
    ]
    assert index["quarantined"] == {"silver.s": 2 + 7}
    assert sorted((run["dag_id"], run["expectations"], run["critical"]) for run in index["runs"]) == [("nyc311_daily", 3, 0), ("replay", 1, 0)]
    latest = index["publications"]["silver.s"]
    assert latest["latest"] == {"published_at": later, "delta_version": 4, "rows": 50} and latest["fresh_up_to"] == date(2022, 5, 2)
