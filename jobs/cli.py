"""``citylake``: the operator's command line.

    citylake backfill DAG_ID FROM TO   run a date range through the Airflow scheduler and show progress
    citylake unpause DAG_ID...         unpause DAGs (an Asset-scheduled DAG only runs when unpaused)
    citylake wait DAG_ID               wait until an Asset-triggered DAG has nothing queued or running
    citylake summary                   tables, row counts and quality results of the lake
    citylake quarantine export SOURCE DAY FILE   a day's quarantined rows as CSV, to fix
    citylake quarantine replay SOURCE DAY FILE   deliver the fixed file and rerun the day
    citylake generate SOURCE FROM TO [--rows N] [--shape S]  synthetic deliveries into the inbox
    citylake pools FILE                the declared Airflow pools, for `airflow pools import`
    citylake amlsim [--days N]         IBM AMLSim's sample into the inbox as payments extracts, a step a day
    citylake erasure request KIND ID --reason R --requested-by P [--approved-by Q]
                                       a reviewed erasure request, checked, into the inbox for the erasure DAG

``backfill`` talks to the Airflow API server (the same REST API the UI uses) and never imports
Airflow; ``summary`` starts a local Spark session on the lake.

An error an operator can act on (Airflow or the engine not running, a bad setting, a refused file)
is one line on stderr naming what is wrong and what to do, with exit status 2; ``--traceback`` (or
``CITYLAKE_TRACEBACK=1``) shows the traceback as well.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

TERMINAL_RUN_STATES = {"success", "failed"}
BACKFILL_WAIT_SECONDS = 10  # between asks whether another backfill of the DAG has finished
# A backfill's progress: its runs every few seconds, which task each running one is in every few polls. Each
# ask costs Airflow's API server (and its metadata DB) a query: the demo's nine monitors asking three times
# every 3 s made 80 % of the server's requests and a fifth of a core, on a machine whose cores run the DAGs.
PROGRESS_POLL_SECONDS = 5
TASKS_EVERY_POLLS = 3
USAGE_ERROR = 2  # argparse's status for a bad command line; ours for any error the operator can act on


class AirflowApiError(RuntimeError):
    """The Airflow API answered with an error: its HTTP ``status`` (None when nothing answered) and ``detail``;
    ``locked`` when the answer was the metadata DB's lock (:func:`metadata_db_locked`)."""

    def __init__(self, message: str, status: int | None = None, detail: str = "", locked: bool = False):
        super().__init__(message)
        self.status = status
        self.detail = detail
        self.locked = locked


def metadata_db_locked(status: int, detail: str) -> bool:
    """Whether an error answer is the metadata DB's lock (SQLite, the embedded installation's, locks while the
    scheduler writes): a 503 on the routes that catch it, a 500 "Database error" (cause hidden) elsewhere."""
    return status == 503 or (status == 500 and '"Database error"' in detail)


class AirflowUnreachableError(AirflowApiError):
    """Nothing answers at the Airflow API address."""


class AirflowApi:
    """A small client of Airflow's public REST API (v2), authenticated with a JWT from /auth/token."""

    BUSY_RETRIES = 12

    def __init__(self, base_url: str, timeout: float = 30):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._token = None

    def _request(self, method: str, path: str, body: dict | None = None, retry_busy: bool = True) -> dict:
        headers = {"Content-Type": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.base_url}{path}", data=data, headers=headers, method=method)
        for attempt in range(1, self.BUSY_RETRIES + 1):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    text = response.read().decode()
                return json.loads(text) if text else {}
            except urllib.error.HTTPError as error:
                detail = error.read().decode()[:500]
                # 503: the metadata DB was busy (SQLite, the embedded installation's, locks while the
                # scheduler writes); Airflow rolled back what it wrote, so asking again is safe (a backfill is
                # the exception that backfill() deals with: its cleanup is best-effort). Outside the backfill
                # routes a lock is a 500 "Database error" whose cause Airflow hides: asked again only where a
                # repeat cannot do anything twice (a read, setting a field to a value, or a PUT such as a
                # backfill's cancel, which on a backfill already complete answers 409).
                if retry_busy and self._busy(method, error.code, detail) and attempt < self.BUSY_RETRIES:
                    # Jittered: several clients that collided must not retry in step and collide again.
                    time.sleep(min(random.uniform(1.0, 3.0) * attempt, 15.0))
                    continue
                raise AirflowApiError(
                    f"Airflow API {method} {path}: HTTP {error.code}: {detail}", error.code, detail,
                    locked=metadata_db_locked(error.code, detail),
                ) from error
            except urllib.error.URLError as error:
                raise AirflowUnreachableError(
                    f"cannot reach Airflow's API at {self.base_url} ({error.reason}): start Airflow with "
                    "`infra/airflow.sh start` (`make demo` starts it too), or give its address with --api"
                ) from error
        raise AssertionError("unreachable")

    @staticmethod
    def _busy(method: str, status: int, detail: str) -> bool:
        return metadata_db_locked(status, detail) and (status == 503 or method in ("GET", "PATCH", "PUT"))

    def login(self) -> None:
        # The embedded installation runs with simple_auth_manager_all_admins: a token needs no password.
        self._token = self._request("GET", "/auth/token")["access_token"]

    def unpause(self, dag_id: str) -> None:
        self._request("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})

    def trigger(self, dag_id: str) -> str:
        """A manual run now (no logical date: an Asset-scheduled DAG's runs have none); returns its run id."""
        return self._request("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None})["dag_run_id"]

    def wait_for_dag(self, dag_id: str, timeout_seconds: float) -> None:
        """Wait until the DAG processor has parsed ``dag_id`` (a fresh installation starts empty)."""
        deadline = time.monotonic() + timeout_seconds
        while True:
            try:
                self._request("GET", f"/api/v2/dags/{dag_id}")
                return
            except AirflowApiError as error:
                if error.status != 404 or time.monotonic() > deadline:
                    raise
            time.sleep(2)

    def create_backfill(self, dag_id: str, from_date: str, to_date: str) -> int:
        body = {
            "dag_id": dag_id,
            # Whole days: a DAG scheduled at 01:00 has its logical dates at 01:00 of each day.
            "from_date": f"{from_date}T00:00:00Z",
            "to_date": f"{to_date}T23:59:59Z",
            # Rerunning a range reprocesses it: every step is idempotent, so this is safe.
            "reprocess_behavior": "completed",
            "max_active_runs": 1,
        }
        # A 503 is not asked again here: the backfill may be left behind (see _create_backfill_when_free).
        return int(self._request("POST", "/api/v2/backfills", body, retry_busy=False)["id"])

    def cancel_backfill(self, backfill_id: int) -> None:
        """Mark a backfill complete (its queued runs fail); one already complete (409) or gone (404: Airflow's
        own cleanup of an interrupted creation deleted it, seen in CI) is left as it is."""
        try:
            self._request("PUT", f"/api/v2/backfills/{backfill_id}/cancel")
        except AirflowApiError as error:
            if error.status not in (404, 409):
                raise

    def running_backfills(self, dag_id: str) -> list[dict]:
        backfills = self._request("GET", f"/api/v2/backfills?dag_id={dag_id}&limit=100&order_by=-id")["backfills"]
        return [backfill for backfill in backfills if backfill.get("completed_at") is None]

    def dag_runs(self, dag_id: str, from_date: str, to_date: str) -> list[dict]:
        query = f"logical_date_gte={from_date}T00:00:00Z&logical_date_lte={to_date}T23:59:59Z&limit=1000"
        return self._request("GET", f"/api/v2/dags/{dag_id}/dagRuns?{query}")["dag_runs"]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        encoded = urllib.request.quote(run_id, safe="")
        return self._request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{encoded}/taskInstances")["task_instances"]

    def backfill(self, backfill_id: int) -> dict:
        return self._request("GET", f"/api/v2/backfills/{backfill_id}")

    def recent_runs(self, dag_id: str) -> list[dict]:
        return self._request("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit=100&order_by=-run_after")["dag_runs"]

    def queued_asset_events(self, dag_id: str) -> int:
        """Asset events waiting to trigger a run of ``dag_id`` (an Asset-scheduled DAG)."""
        try:
            return int(self._request("GET", f"/api/v2/dags/{dag_id}/assets/queuedEvents").get("total_entries", 0))
        except AirflowApiError as error:
            if error.status == 404:  # nothing queued
                return 0
            raise


def _progress_line(dag_id: str, runs: list[dict], details: list[str]) -> str:
    counts = {state: 0 for state in ("queued", "running", "success", "failed")}
    for run in runs:
        counts[run["state"]] = counts.get(run["state"], 0) + 1
    summary = ", ".join(f"{state} {count}" for state, count in counts.items())
    return f"[{datetime.now():%H:%M:%S}] {dag_id}: {summary}" + (f" | {'; '.join(details)}" if details else "")


def backfill(api: AirflowApi, dag_id: str, from_date: str, to_date: str, timeout_seconds: float) -> bool:
    """Backfill a range through the scheduler, printing progress; True when every run succeeded."""
    api.login()
    api.wait_for_dag(dag_id, timeout_seconds=120)
    # Created while the DAG may still be paused, then unpaused: the scheduler does not touch the DAG's
    # runs while the API writes them (SQLite, the embedded installation's DB, cannot take both at once).
    deadline = time.monotonic() + timeout_seconds
    backfill_id = _create_backfill_when_free(api, dag_id, from_date, to_date, deadline)
    api.unpause(dag_id)
    print(f"{dag_id}: backfill {backfill_id} of {from_date}..{to_date} created", flush=True)
    last_line, details, was_running = None, [], None
    for poll in itertools.count():
        runs = [run for run in api.dag_runs(dag_id, from_date, to_date) if run.get("backfill_id") in (None, backfill_id)]
        # Queued runs are counted in the summary; only running ones say which task they are in.
        running = [run for run in runs if run["state"] == "running"]
        running_ids = [run["dag_run_id"] for run in running]
        if poll % TASKS_EVERY_POLLS == 0 or running_ids != was_running:
            details = []
            for run in running:
                active = [f"{ti['task_id']} {ti['state']}" for ti in api.task_instances(dag_id, run["dag_run_id"]) if ti["state"] not in (None, "success")]
                details.append(f"{run['logical_date'][:10]}: {', '.join(active) or 'starting'}")
            was_running = running_ids
        line = _progress_line(dag_id, runs, details)
        if line.split("] ", 1)[1] != (last_line or "] ").split("] ", 1)[1]:
            print(line, flush=True)
            last_line = line
        # Whether the backfill has made all its runs: asked only once every run made so far has ended.
        settled = bool(runs) and all(run["state"] in TERMINAL_RUN_STATES for run in runs)
        if settled and api.backfill(backfill_id).get("completed_at") is not None:
            failed = [run["dag_run_id"] for run in runs if run["state"] == "failed"]
            for run_id in failed:
                print(f"{dag_id}: run {run_id} FAILED; see its task logs in the Airflow UI", flush=True)
            return not failed
        if time.monotonic() > deadline:
            print(f"{dag_id}: not finished after {timeout_seconds:.0f} s", flush=True)
            return False
        time.sleep(PROGRESS_POLL_SECONDS)


def _create_backfill_when_free(api: AirflowApi, dag_id: str, from_date: str, to_date: str, deadline: float) -> int:
    """Create the backfill once no other is running for the DAG: Airflow allows one at a time (HTTP 409).

    Airflow commits a backfill before it creates its runs; when the metadata DB's lock stops the runs (HTTP
    503), its cleanup of the backfill is best-effort, and a backfill without runs would block the DAG's next
    one until the scheduler marks it complete, two minutes later. So after a 503, a running backfill of this
    very range that has no runs is ours: it is cancelled and the creation asked again. A 500 "Database error"
    is the same lock met elsewhere in the request (seen in CI: writing the request's audit log row), and is
    dealt with the same way. Any other running backfill (an operator's) is waited for.
    """
    said, interrupted = None, False
    while True:
        try:
            return api.create_backfill(dag_id, from_date, to_date)
        except AirflowApiError as error:
            if time.monotonic() > deadline:
                raise
            if error.locked:
                interrupted = True
                _cancel_backfills_left_without_runs(api, dag_id, from_date, to_date)
                time.sleep(random.uniform(1.0, 3.0))  # jittered, as _request's own retries
                continue
            if error.status != 409 or "already a running backfill" not in error.detail:
                raise
        if interrupted and _cancel_backfills_left_without_runs(api, dag_id, from_date, to_date):
            continue
        # The DAG is left as it is: an operator's backfill runs when they unpause it.
        others = "; ".join(
            f"{other['id']} of {other['from_date'][:10]}..{other['to_date'][:10]}" for other in api.running_backfills(dag_id)
        )
        message = f"{dag_id}: waiting for backfill {others or '(finishing)'} to finish: one at a time per DAG"
        if message != said:
            print(message, flush=True)
            said = message
        time.sleep(BACKFILL_WAIT_SECONDS)


def _cancel_backfills_left_without_runs(api: AirflowApi, dag_id: str, from_date: str, to_date: str) -> list[int]:
    """Cancel the running backfills of exactly this range that have no runs (what an interrupted creation leaves)."""
    cancelled = []
    for other in api.running_backfills(dag_id):
        if (other["from_date"][:10], other["to_date"][:10]) != (from_date, to_date):
            continue
        if any(run.get("backfill_id") == other["id"] for run in api.dag_runs(dag_id, from_date, to_date)):
            continue
        api.cancel_backfill(other["id"])
        print(f"{dag_id}: backfill {other['id']} was left without runs by a creation the metadata DB's lock interrupted; cancelled", flush=True)
        cancelled.append(other["id"])
    return cancelled


def unpause(api: AirflowApi, dag_ids: list[str]) -> None:
    """Unpause DAGs (new DAGs start paused); an Asset-scheduled DAG must be unpaused to be triggered."""
    api.login()
    for dag_id in dag_ids:
        api.wait_for_dag(dag_id, timeout_seconds=120)
        api.unpause(dag_id)
        print(f"{dag_id}: unpaused", flush=True)


def trigger(api: AirflowApi, dag_ids: list[str]) -> None:
    """Run DAGs now: a product whose inputs were written before it was unpaused has no Asset event to start it."""
    api.login()
    for dag_id in dag_ids:
        api.wait_for_dag(dag_id, timeout_seconds=120)
        print(f"{dag_id}: triggered run {api.trigger(dag_id)}", flush=True)


def wait_until_settled(api: AirflowApi, dag_ids: list[str], timeout_seconds: float, quiet_seconds: float = 20) -> bool:
    """Wait until none of ``dag_ids`` has a queued or running run or a queued Asset event, for ``quiet_seconds``.

    For DAGs that others trigger through Assets, or that were just unpaused: their runs are created by the
    scheduler's next loops, which the quiet window waits for. DAGs whose runs were triggered through the API
    before the wait exist already: a few seconds are enough. True when none of their runs failed.
    """
    api.login()
    deadline = time.monotonic() + timeout_seconds
    quiet_since, last_lines = None, {}
    while True:
        busy, latest = False, {}
        for dag_id in dag_ids:
            runs = latest[dag_id] = api.recent_runs(dag_id)
            pending = api.queued_asset_events(dag_id)
            busy = busy or bool(pending) or any(run["state"] not in TERMINAL_RUN_STATES for run in runs)
            line = _progress_line(dag_id, runs, [f"{pending} queued asset event(s)"] if pending else [])
            if line.split("] ", 1)[1] != last_lines.get(dag_id, "] ").split("] ", 1)[1]:
                print(line, flush=True)
                last_lines[dag_id] = line
        quiet_since = None if busy else (quiet_since or time.monotonic())
        if quiet_since and time.monotonic() - quiet_since >= quiet_seconds:
            failed = [(dag_id, run["dag_run_id"]) for dag_id, runs in latest.items() for run in runs if run["state"] == "failed"]
            for dag_id, run_id in failed:
                print(f"{dag_id}: run {run_id} FAILED; see its task logs in the Airflow UI", flush=True)
            return not failed
        if time.monotonic() > deadline:
            print(f"{', '.join(dag_ids)}: still busy after {timeout_seconds:.0f} s", flush=True)
            return False
        time.sleep(3)


def request_erasure(kind: str, identifier: str, reason: str, requested_by: str, approved_by: str, request_id: str | None) -> None:
    """Write a checked erasure request into the inbox; the erasure DAG carries it out once approved."""
    from jobs.erasure_requests import add_request
    from jobs.settings import load_settings

    request = add_request(load_settings(), kind, identifier, reason, requested_by, approved_by, request_id)
    state = "approved: the next erasure run carries it out" if request.approved else "awaiting approval: nothing is done until approved_by is filled in"
    print(f"erasure request {request.request_id} ({request.subject_kind}) written to {request.file}: {state}", flush=True)


def summary() -> None:
    """Print the lake's tables with row counts, the latest quality results and reconciliations."""
    from jobs.summary import print_summary

    print_summary()


def pools(target: str) -> None:
    """Write the Airflow pools the declarations name (``airflow pools import`` form): their one home
    is the ingestion's or product's declared ``pool``."""
    from jobs.declarations import registry

    Path(target).write_text(json.dumps(registry().pools(), indent=2) + "\n", encoding="utf-8")


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def _day(value: str) -> str:
    return datetime.strptime(value, "%Y-%m-%d").strftime("%Y-%m-%d")


def quarantine_export(source: str, logical_date: str, target: str) -> None:
    """Write a day's quarantined rows to a CSV file with the source's delivered header."""

    from jobs.quarantine import export
    from jobs.settings import load_settings
    from jobs.spark_config import build_session

    settings = load_settings()
    spark = build_session(settings, "citylake-quarantine-export")
    try:
        written, malformed = export(spark, settings, source, logical_date, Path(target))
    finally:
        spark.stop()
    print(f"{target}: {written} quarantined row(s) of {source} for {logical_date}; fix them, then run")
    print(f"  citylake quarantine replay {source} {logical_date} {target}")
    if malformed:
        print(f"{len(malformed)} malformed line(s) have no columns to export; as delivered:")
        for line in malformed:
            print(f"  {line}")


def rotate_pseudonyms(reason: str) -> None:
    """Re-key the lake's pseudonyms to the configured key version (README, "Pseudonyms")."""
    from jobs.pseudonyms import rotate
    from jobs.settings import load_settings
    from jobs.spark_config import build_session

    settings = load_settings()
    run_id = f"rotation-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}: {reason}"
    spark = build_session(settings, "citylake-pseudonym-rotation")
    try:
        rekeyed = rotate(spark, settings, run_id)
    finally:
        spark.stop()
    if not rekeyed:
        print(f"pseudonyms are at key version {settings.pseudonym_key_version}; nothing re-keyed")
    for table, rows in sorted(rekeyed.items()):
        print(f"  {table}: {rows} row(s) re-keyed to key version {settings.pseudonym_key_version}")


def quarantine_replay(source: str, logical_date: str, fixed_file: str, api_url: str | None, timeout_seconds: float) -> bool:
    """Deliver a fixed file for the day, then rerun the day through Airflow (unless ``api_url`` is None)."""
    from pathlib import Path

    from jobs.quarantine import replay, sources
    from jobs.settings import load_settings

    delivered = replay(load_settings(), source, logical_date, Path(fixed_file))
    print(f"{fixed_file}: delivered as {delivered}")
    if api_url is None:
        return True
    return backfill(AirflowApi(api_url), sources()[source].dag_id, logical_date, logical_date, timeout_seconds)


def generate(source: str, first: str, last: str, rows: int, seed: int, defect_share: float, shape: str | None = None) -> None:
    """Write synthetic deliveries of ``source`` into the inbox for every day of the range.

    ``shape``: which of the source's published shapes to write (its generator's default when None).
    """
    from datetime import date
    from pathlib import Path

    import importlib

    from jobs.declarations import registry
    from jobs.settings import load_settings

    # Each source's declaration names its generator module.
    generators = {ingestion.source: ingestion.generator for ingestion in registry().ingestions.values() if ingestion.generator}
    if source not in generators:
        raise SystemExit(f"no generator for {source!r}; known: {sorted(generators)}")
    inbox = Path(load_settings().inbox_root)
    shaped = {"shape": shape} if shape else {}
    for path in importlib.import_module(generators[source]).write_range(inbox, date.fromisoformat(first), date.fromisoformat(last), rows, seed, defect_share, **shaped):
        print(f"  {path}")


def deliver_amlsim(sample: str, days: int | None) -> None:
    """IBM AMLSim's transfers into the inbox as the bank's payments extracts, a step a day from 2022-05-02.

    Backfill ``payments_daily`` over them with ``CITYLAKE_AML_PROFILE=amlsim`` in Airflow's environment:
    the bank's thresholds (10,000, hours) do not fit AMLSim's small sums and untimed steps.
    """
    from dataclasses import replace
    from pathlib import Path

    from jobs.finance import amlsim
    from jobs.settings import load_settings

    read = amlsim.read(Path(sample))
    if days is not None:
        read = replace(read, days={day: rows for day, rows in sorted(read.days.items())[:days]})
    for path in amlsim.write_extracts(Path(load_settings().inbox_root), read):
        print(f"  {path}")
    first, last = min(read.days), max(read.days)
    print(f"{sum(len(rows) for rows in read.days.values()):,} transfers, {first}..{last}: start Airflow with "
          f"CITYLAKE_AML_PROFILE=amlsim in its environment (the tasks read it), then: citylake backfill payments_daily {first} {last}", flush=True)


def operator_errors() -> tuple[type[Exception], ...]:
    """Errors whose message tells the operator what to do: shown as one line, not a traceback."""
    from jobs.landing import LandingError
    from jobs.pseudonyms import PseudonymKeyError
    from jobs.settings import SettingsError
    from jobs.spark_config import EngineUnreachableError, MissingJarsError

    from jobs.erasure_requests import RequestFileError

    return (AirflowApiError, SettingsError, EngineUnreachableError, MissingJarsError, LandingError, PseudonymKeyError, RequestFileError)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    show_traceback = "--traceback" in argv or os.environ.get("CITYLAKE_TRACEBACK") == "1"
    argv = [arg for arg in argv if arg != "--traceback"]
    try:
        run_command(argv)
    except operator_errors() as error:
        if show_traceback:
            raise
        print(f"citylake: {error}", file=sys.stderr)
        sys.exit(USAGE_ERROR)


def run_command(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="citylake", description=__doc__.splitlines()[0], epilog="--traceback: show the traceback of an error")
    commands = parser.add_subparsers(dest="command", required=True)
    backfill_parser = commands.add_parser("backfill", help="run a date range through the Airflow scheduler")
    backfill_parser.add_argument("dag_id")
    default_api = f"http://127.0.0.1:{os.environ.get('CITYLAKE_AIRFLOW_PORT', '8080')}"
    backfill_parser.add_argument("from_date", type=_day)
    backfill_parser.add_argument("to_date", type=_day)
    backfill_parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for the runs")
    backfill_parser.add_argument("--api", default=default_api)
    unpause_parser = commands.add_parser("unpause", help="unpause DAGs (Asset-scheduled DAGs must be, to be triggered)")
    unpause_parser.add_argument("dag_ids", nargs="+")
    unpause_parser.add_argument("--api", default=default_api)
    trigger_parser = commands.add_parser("trigger", help="run DAGs now (a product after its inputs were built while it was paused)")
    trigger_parser.add_argument("dag_ids", nargs="+")
    trigger_parser.add_argument("--api", default=default_api)
    wait_parser = commands.add_parser("wait", help="wait until Asset-triggered DAGs have nothing queued or running")
    wait_parser.add_argument("dag_ids", nargs="+")
    wait_parser.add_argument("--quiet", type=float, default=20, help="seconds with nothing queued or running before they count as settled")
    wait_parser.add_argument("--timeout", type=float, default=1800)
    wait_parser.add_argument("--api", default=default_api)
    commands.add_parser("summary", help="tables, row counts and quality results")
    pools_parser = commands.add_parser("pools", help="write the declared Airflow pools as a file for 'airflow pools import'")
    pools_parser.add_argument("target")
    quarantine = commands.add_parser("quarantine", help="export quarantined rows for fixing; replay fixed rows")
    actions = quarantine.add_subparsers(dest="action", required=True)
    export_parser = actions.add_parser("export", help="a day's quarantined rows as a CSV with the delivered header")
    export_parser.add_argument("source")
    export_parser.add_argument("day", type=_day)
    export_parser.add_argument("target")
    replay_parser = actions.add_parser("replay", help="deliver a fixed file for the day and rerun the day through Airflow")
    replay_parser.add_argument("source")
    replay_parser.add_argument("day", type=_day)
    replay_parser.add_argument("fixed_file")
    replay_parser.add_argument("--no-run", action="store_true", help="only deliver; rerun the day later")
    replay_parser.add_argument("--timeout", type=float, default=1800)
    replay_parser.add_argument("--api", default=default_api)
    pseudonym_commands = commands.add_parser("pseudonyms", help="keyed pseudonyms: rotate to a new key version").add_subparsers(dest="action", required=True)
    rotate_parser = pseudonym_commands.add_parser("rotate", help="re-key every pseudonym to CITYLAKE_PSEUDONYM_KEY_VERSION (pause the writers first)")
    rotate_parser.add_argument("--reason", required=True, help="why (recorded with the new version in audit.pseudonym_keys)")
    generate_parser = commands.add_parser("generate", help="synthetic deliveries into the inbox, deterministic by seed")
    generate_parser.add_argument("source")
    generate_parser.add_argument("from_date", type=_day)
    generate_parser.add_argument("to_date", type=_day)
    generate_parser.add_argument("--rows", type=int, default=1000, help="rows per day (per month and district for nyc_dsny_waste)")
    generate_parser.add_argument("--seed", type=int, default=311)
    generate_parser.add_argument("--defects", type=float, default=0.02, help="share of rows with a defect")
    generate_parser.add_argument(
        "--shape", help="nyc_311: portal (default), api-csv or api-json; nyc_tlc_yellow: csv (default) or parquet; nyc_dsny_waste: portal (default) or api-csv; chicago_crimes: api-csv (default) or portal; social_posts: twarc2 (default) or weibo; bank_payments: csv (its only shape)"
    )
    amlsim_parser = commands.add_parser("amlsim", help="IBM AMLSim's sample into the inbox as the bank's payments extracts (a step a day)")
    from jobs.settings import PROJECT_ROOT

    amlsim_parser.add_argument("--sample", default=str(PROJECT_ROOT / "tests" / "data" / "amlsim_20k"))
    amlsim_parser.add_argument("--days", type=_positive, help="only the first DAYS steps (all 149 of the sample when left out)")
    erasure_commands = commands.add_parser("erasure", help="the right to erasure: reviewed requests for the erasure DAG").add_subparsers(dest="action", required=True)
    request_parser = erasure_commands.add_parser("request", help="add an erasure request (checked as the DAG reads it) to today's request file")
    request_parser.add_argument("kind", help="the kind of data subject, as a domain declares it (social_author, account_holder)")
    request_parser.add_argument("identifier", help="the subject's identifier in that kind's form (never echoed)")
    request_parser.add_argument("--reason", required=True)
    request_parser.add_argument("--requested-by", required=True)
    request_parser.add_argument("--approved-by", default="", help="the reviewer; without it the request waits and does nothing")
    request_parser.add_argument("--request-id", help="default: er-<timestamp>")
    args = parser.parse_args(argv)
    if args.command == "erasure":
        request_erasure(args.kind, args.identifier, args.reason, args.requested_by, args.approved_by, args.request_id)
        return
    if args.command == "amlsim":
        deliver_amlsim(args.sample, args.days)
        return
    if args.command == "generate":
        generate(args.source, args.from_date, args.to_date, args.rows, args.seed, args.defects, args.shape)
        return
    if args.command == "pools":
        pools(args.target)
        return
    if args.command == "pseudonyms":
        rotate_pseudonyms(args.reason)
        return
    if args.command == "unpause":
        unpause(AirflowApi(args.api), args.dag_ids)
        return
    if args.command == "trigger":
        trigger(AirflowApi(args.api), args.dag_ids)
        return
    if args.command == "wait":
        sys.exit(0 if wait_until_settled(AirflowApi(args.api), args.dag_ids, args.timeout, args.quiet) else 1)
    if args.command == "backfill":
        ok = backfill(AirflowApi(args.api), args.dag_id, args.from_date, args.to_date, args.timeout)
        sys.exit(0 if ok else 1)
    if args.command == "quarantine" and args.action == "export":
        quarantine_export(args.source, args.day, args.target)
        return
    if args.command == "quarantine":
        ok = quarantine_replay(args.source, args.day, args.fixed_file, None if args.no_run else args.api, args.timeout)
        sys.exit(0 if ok else 1)
    summary()


if __name__ == "__main__":
    main()
