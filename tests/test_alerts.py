"""The failure callback's alert reaches audit.alerts, once, however often it is filed."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from jobs import alerts, lake
from jobs.airflow_support import record_failure


def failed_context(try_number: int = 3) -> dict:
    task_instance = SimpleNamespace(dag_id="nyc311_daily", task_id="bronze_to_gold", try_number=try_number)
    error = RuntimeError("silver.service_requests: batch nyc_311-abc failed 1 critical expectation(s)")
    return {"task_instance": task_instance, "run_id": "scheduled__2022-05-01T00:00:00+00:00", "exception": error}


def test_the_failure_callback_drops_an_alert_that_spark_files_once(spark, settings, monkeypatch):
    for key, value in {"CITYLAKE_LAKE_ROOT": settings.lake_root, "CITYLAKE_INBOX_ROOT": settings.inbox_root}.items():
        monkeypatch.setenv(key, value)
    record_failure(failed_context())
    record_failure(failed_context())  # the same failure reported twice: one alert
    record_failure(failed_context(try_number=4))

    assert alerts.file_alerts(spark, settings) == 2
    # Filed documents left the inbox: the next application has nothing to file, the table is unchanged.
    landing = Path(settings.landing_root)
    assert not list((landing / alerts.INBOX).glob("*.json")) and len(list((landing / alerts.FILED).glob("*.json"))) == 2
    assert alerts.file_alerts(spark, settings) == 0
    filed = sorted(lake.read_table(spark, settings, "audit", "alerts").collect(), key=lambda row: row.try_number)
    assert [(row.dag_id, row.task_id, row.try_number) for row in filed] == [("nyc311_daily", "bronze_to_gold", 3), ("nyc311_daily", "bronze_to_gold", 4)]
    assert filed[0].error.startswith("silver.service_requests: batch nyc_311-abc failed")
    assert filed[0].run_id == "scheduled__2022-05-01T00:00:00+00:00"


def test_the_alert_is_posted_to_the_configured_webhook(settings, monkeypatch):
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("CITYLAKE_LAKE_ROOT", settings.lake_root)
        monkeypatch.setenv("CITYLAKE_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{server.server_address[1]}/hooks/secret-token")
        record_failure(failed_context())
    finally:
        server.shutdown()
    assert [(alert["dag_id"], alert["task_id"], alert["try_number"]) for alert in received] == [("nyc311_daily", "bronze_to_gold", 3)]


def test_an_unreachable_webhook_does_not_hide_the_failure_or_leak_the_url(settings, monkeypatch, caplog):
    from tests.conftest import free_port

    monkeypatch.setenv("CITYLAKE_LAKE_ROOT", settings.lake_root)
    monkeypatch.setenv("CITYLAKE_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{free_port()}/hooks/secret-token")
    record_failure(failed_context())  # does not raise
    assert "could not send alert" in caplog.text
    assert "secret-token" not in caplog.text
