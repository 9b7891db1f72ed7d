"""The operator's command line answers a mistake in one line that says what to do, never a traceback."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading

import pytest

from jobs import cli
from jobs.settings import PROJECT_ROOT
from tests.conftest import free_port


def citylake(*args: str, **environment: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jobs.cli", *args], cwd=PROJECT_ROOT, env={**os.environ, **environment},
        capture_output=True, text=True, timeout=120,
    )


def test_a_backfill_while_airflow_is_not_running_names_the_address_and_how_to_start_it():
    port = free_port()  # nothing listens there
    result = citylake("backfill", "nyc311_daily", "2022-05-01", "2022-05-02", "--api", f"http://127.0.0.1:{port}")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert f"cannot reach Airflow's API at http://127.0.0.1:{port}" in line and "infra/airflow.sh start" in line


def test_a_bad_setting_names_the_variable_and_what_is_allowed():
    result = citylake("summary", CITYLAKE_LAKE_ROOT="ftp://x")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "CITYLAKE_LAKE_ROOT" in line and "'ftp://x'" in line and "s3a://" in line


def test_the_traceback_is_there_when_asked_for():
    result = citylake("summary", "--traceback", CITYLAKE_LAKE_ROOT="ftp://x")
    assert result.returncode != 0 and "Traceback" in result.stderr and "SettingsError" in result.stderr


class _JsonApi(http.server.BaseHTTPRequestHandler):
    """A stand-in for Airflow's API: JSON answers, nothing logged."""

    def _answer(self, status: int, body: dict) -> None:
        text = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, *args):
        pass


class _OneBackfillAtATime(_JsonApi):
    """Airflow's answers when a backfill of the DAG is still running: 409 until it is marked complete.

    The real case (CI, SQLite): a creation that answered 503 had committed its backfill, and the retry met it.
    """

    creations = []
    unpaused_after = []  # how many creations had been asked for at each unpause

    def do_GET(self):
        if self.path == "/auth/token":
            return self._answer(200, {"access_token": "t"})
        if self.path.startswith("/api/v2/backfills?"):
            running = [{"id": 6, "from_date": "2022-05-01T00:00:00Z", "to_date": "2022-05-01T23:59:59Z", "completed_at": None}]
            return self._answer(200, {"backfills": running if len(self.creations) < 3 else []})
        if self.path == "/api/v2/backfills/7":
            return self._answer(200, {"id": 7, "completed_at": "2022-05-02T00:00:00Z"})
        if "/dagRuns?" in self.path:
            run = {"dag_run_id": "backfill__2022-05-01", "logical_date": "2022-05-01T01:00:00Z", "state": "success", "backfill_id": 7}
            return self._answer(200, {"dag_runs": [run]})
        return self._answer(200, {"dag_id": "taxi_daily"})

    def do_PATCH(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.unpaused_after.append(len(self.creations))
        return self._answer(200, {})

    def do_POST(self):
        self.creations.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        if len(self.creations) < 3:
            return self._answer(409, {"detail": "There is already a running backfill for dag taxi_daily"})
        return self._answer(200, {"id": 7})


class _TwoDaysRunningInTurn(_JsonApi):
    """A backfill of two days: the first runs for polls 1-6 (bronze_to_gold from poll 4), the second for polls
    7-9, then both have succeeded; the backfill is marked complete from poll 9 on. Every request is counted."""

    requests: list[str] = []

    def _poll(self) -> int:
        return sum(1 for path in self.requests if "/dagRuns?" in path)

    def do_GET(self):
        self.requests.append(self.path)
        poll = self._poll()
        if self.path == "/auth/token":
            return self._answer(200, {"access_token": "t"})
        if self.path.startswith("/api/v2/backfills?"):
            return self._answer(200, {"backfills": []})
        if self.path == "/api/v2/backfills/7":
            return self._answer(200, {"id": 7, "completed_at": "2022-05-03T00:00:00Z" if poll >= 9 else None})
        if "/dagRuns?" in self.path:
            states = ("running", "queued") if poll <= 6 else ("success", "running") if poll <= 8 else ("success", "success")
            runs = [{"dag_run_id": f"backfill__2022-05-0{day}", "logical_date": f"2022-05-0{day}T01:00:00Z", "state": state, "backfill_id": 7}
                    for day, state in zip((1, 2), states)]
            return self._answer(200, {"dag_runs": runs})
        if "/taskInstances" in self.path:
            task = "land" if poll <= 3 or poll == 7 else "bronze_to_gold"
            return self._answer(200, {"task_instances": [{"task_id": task, "state": "running"}]})
        return self._answer(200, {"dag_id": "taxi_daily"})

    def do_PATCH(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        return self._answer(200, {})

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        return self._answer(200, {"id": 7})


def test_a_backfill_is_watched_with_one_request_a_poll_and_its_tasks_every_few_polls(monkeypatch, capsys):
    """Each request is a query on Airflow's API server and metadata DB, on the machine that runs the DAGs."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TwoDaysRunningInTurn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(cli, "PROGRESS_POLL_SECONDS", 0)
    try:
        assert cli.backfill(cli.AirflowApi(f"http://127.0.0.1:{server.server_address[1]}"), "taxi_daily", "2022-05-01", "2022-05-02", timeout_seconds=60)
    finally:
        server.shutdown()
    watched = _TwoDaysRunningInTurn.requests[_TwoDaysRunningInTurn.requests.index("/api/v2/dags/taxi_daily") + 1 :]
    assert sum("/dagRuns?" in path for path in watched) == 9
    # Tasks asked at polls 1, 4 and 7 (every third), and at 7 because another run started: 3 of 9 polls.
    assert [path.split("dagRuns/")[1].split("/")[0] for path in watched if "/taskInstances" in path] == [
        "backfill__2022-05-01", "backfill__2022-05-01", "backfill__2022-05-02",
    ]
    # Whether the backfill is complete: asked only once every run had ended (poll 9).
    assert [path for path in watched if path.startswith("/api/v2/backfills/")] == ["/api/v2/backfills/7"]
    printed = capsys.readouterr().out
    assert "2022-05-01: land running" in printed and "2022-05-01: bronze_to_gold running" in printed
    assert "2022-05-02: land running" in printed and "success 2" in printed


def test_a_backfill_waits_for_the_one_already_running_for_the_dag_then_runs(monkeypatch, capsys):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _OneBackfillAtATime)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(cli, "BACKFILL_WAIT_SECONDS", 0)
    try:
        api = cli.AirflowApi(f"http://127.0.0.1:{server.server_address[1]}")
        assert cli.backfill(api, "taxi_daily", "2022-05-01", "2022-05-01", timeout_seconds=60)
    finally:
        server.shutdown()
    assert len(_OneBackfillAtATime.creations) == 3
    assert _OneBackfillAtATime.unpaused_after == [3]  # the DAG is unpaused once its own backfill exists, not while waiting
    printed = capsys.readouterr().out
    assert printed.count("waiting for backfill 6 of 2022-05-01..2022-05-01 to finish") == 1
    assert "backfill 7 of 2022-05-01..2022-05-01 created" in printed and "success 1" in printed


class _InterruptedCreation(_JsonApi):
    """Airflow when the metadata DB's lock stops a backfill's runs: the backfill row is committed, the answer is
    503, and the best-effort cleanup failed; the retry would meet the orphan (409) for two minutes."""

    creations, cancelled = [], []
    first_answer = (503, {"detail": "database is locked"})
    cancel_answer = (200, {})

    def do_GET(self):
        if self.path == "/auth/token":
            return self._answer(200, {"access_token": "t"})
        if self.path.startswith("/api/v2/backfills?"):
            orphan = {"id": 6, "from_date": "2022-05-01T00:00:00Z", "to_date": "2022-05-01T23:59:59Z", "completed_at": None}
            return self._answer(200, {"backfills": [orphan] if self.creations and 6 not in self.cancelled else []})
        if self.path == "/api/v2/backfills/7":
            return self._answer(200, {"id": 7, "completed_at": "2022-05-02T00:00:00Z"})
        if "/dagRuns?" in self.path:
            runs = [{"dag_run_id": "backfill__2022-05-01", "logical_date": "2022-05-01T01:00:00Z", "state": "success", "backfill_id": 7}]
            return self._answer(200, {"dag_runs": runs if len(self.creations) > 1 else []})
        return self._answer(200, {"dag_id": "taxi_daily"})

    def do_PATCH(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        return self._answer(200, {})

    def do_PUT(self):
        self.cancelled.append(int(self.path.split("/")[-2]))
        if self.cancel_answer[0] != 200:  # e.g. 404: Airflow's own cleanup deleted the orphan first
            return self._answer(*self.cancel_answer)
        return self._answer(200, {"id": self.cancelled[-1]})

    def do_POST(self):
        self.creations.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        if len(self.creations) == 1:
            return self._answer(*self.first_answer)
        if 6 not in self.cancelled:
            return self._answer(409, {"detail": "There is already a running backfill for dag taxi_daily"})
        return self._answer(200, {"id": 7})


@pytest.mark.parametrize(
    "first_answer, cancel_answer",
    [
        ((503, {"detail": "database is locked"}), (200, {})),
        ((500, {"detail": {"reason": "Database error", "statement": "hidden", "orig_error": "hidden"}}), (200, {})),
        ((503, {"detail": "database is locked"}), (404, {"detail": "Backfill not found"})),
    ],
    ids=["503", "500-database-error", "orphan-already-deleted"],
)
def test_a_backfill_left_without_runs_by_an_interrupted_creation_is_cancelled_not_waited_for(monkeypatch, capsys, first_answer, cancel_answer):
    monkeypatch.setattr(_InterruptedCreation, "cancel_answer", cancel_answer)
    monkeypatch.setattr(_InterruptedCreation, "creations", [])
    monkeypatch.setattr(_InterruptedCreation, "cancelled", [])
    monkeypatch.setattr(_InterruptedCreation, "first_answer", first_answer)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _InterruptedCreation)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(cli.time, "sleep", lambda seconds: None)
    try:
        api = cli.AirflowApi(f"http://127.0.0.1:{server.server_address[1]}")
        assert cli.backfill(api, "taxi_daily", "2022-05-01", "2022-05-01", timeout_seconds=60)
    finally:
        server.shutdown()
    assert len(_InterruptedCreation.creations) == 2 and _InterruptedCreation.cancelled == [6]
    printed = capsys.readouterr().out
    assert "backfill 6 was left without runs" in printed and "waiting for backfill" not in printed
    assert "backfill 7 of 2022-05-01..2022-05-01 created" in printed and "success 1" in printed


class _LockedOnce(_JsonApi):
    """Airflow's answer while SQLite's write lock is held elsewhere: a 500 'Database error', cause hidden."""

    answered = []

    def _locked_the_first_time(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        first = not any(method == self.command for method, _ in self.answered)
        status = 500 if first else 200
        self.answered.append((self.command, status))
        if first:
            return self._answer(500, {"detail": {"reason": "Database error", "statement": "hidden", "orig_error": "hidden"}})
        return self._answer(200, {"dag_run_id": "manual__1"})

    do_PATCH = do_POST = do_PUT = _locked_the_first_time


def test_a_locked_metadata_db_is_asked_again_only_where_a_repeat_does_nothing_twice(monkeypatch):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _LockedOnce)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(cli.time, "sleep", lambda seconds: None)
    try:
        api = cli.AirflowApi(f"http://127.0.0.1:{server.server_address[1]}")
        api.unpause("taxi_daily")  # setting is_paused twice is setting it once
        api.cancel_backfill(6)  # cancelling twice is cancelling once (a complete backfill answers 409, ignored)
        with pytest.raises(cli.AirflowApiError, match="HTTP 500.*Database error"):
            api.trigger("city_themes")  # a second POST could start a second run
    finally:
        server.shutdown()
    assert _LockedOnce.answered == [("PATCH", 500), ("PATCH", 200), ("PUT", 500), ("PUT", 200), ("POST", 500)]
