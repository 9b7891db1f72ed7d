"""The warm engine as an operated service: an unreachable engine fails a job within seconds naming it, and a
crashed engine is restarted by its script, so the next attempt (Airflow's retry) succeeds."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import psutil
import pytest

from jobs.spark_config import EngineUnreachableError, check_reachable
from tests.conftest import CONNECT_SCRIPT, engine_environment, free_port


def test_an_unreachable_engine_fails_within_seconds_naming_the_endpoint():
    port = free_port()  # nothing listens there
    started = time.monotonic()
    with pytest.raises(EngineUnreachableError, match=rf"sc://127\.0\.0\.1:{port} is unreachable.*infra/spark_connect\.sh start"):
        check_reachable(f"sc://127.0.0.1:{port}/;use_ssl=false")
    assert time.monotonic() - started < 5


def test_a_crashed_engine_is_restarted_and_serves_again(tmp_path):
    from pyspark.sql import SparkSession

    port = free_port()
    environment = engine_environment(tmp_path, port)
    subprocess.run([str(CONNECT_SCRIPT), "start"], env=environment, check=True, timeout=240)
    try:
        supervisor = int((tmp_path / "spark-connect" / "server.pid").read_text())
        # Past the supervisor's start-up window: a later death is a crash to recover from.
        time.sleep(31)
        (jvm,) = [process for process in psutil.process_iter(["name"]) if process.info["name"] == "java" and os.getpgid(process.pid) == supervisor]
        os.kill(jvm.pid, signal.SIGKILL)
        deadline = time.monotonic() + 120
        while subprocess.run([str(CONNECT_SCRIPT), "status"], env=environment, capture_output=True).returncode != 0:
            assert time.monotonic() < deadline, (tmp_path / "spark-connect" / "server.log").read_text()[-3000:]
            time.sleep(1)
        session = SparkSession.builder.remote(f"sc://127.0.0.1:{port}").create()
        try:
            assert session.range(7).count() == 7
        finally:
            session.stop()
        assert "restarting" in (tmp_path / "spark-connect" / "server.log").read_text()
    finally:
        subprocess.run([str(CONNECT_SCRIPT), "stop"], env=environment, check=True, timeout=90)
