"""The operator's command line answers a mistake in one line that says what to do, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

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
