"""Failed tasks as data: the failure callback drops an alert document, Spark jobs file it in ``audit.alerts``.

The callback runs in the Airflow worker, where there is no Spark and where the failure may be Spark's
own: it only writes one small JSON document (``<landing_root>/_alerts/<alert_id>.json``, local or S3)
and logs the alert. Every citylake Spark application on the lake (the next run, the maintenance job,
``citylake summary``) MERGEs pending documents into ``audit.alerts`` by alert id, then moves them to
``_alerts_filed/``, so filing is idempotent and an alert is never lost when the table cannot be
written at the moment of failure.
When ``CITYLAKE_ALERT_WEBHOOK_URL`` is set, the callback also POSTs the alert there.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone

from jobs.declarations import registry
from jobs.settings import Settings

ALERTS_SCHEMA = registry().table("audit.alerts").ddl()  # declared in jobs/lake_tables/declarations.yaml
INBOX = "_alerts/"
# Filed documents move here: the inbox holds only what is still to file, so reading it stays cheap.
FILED = "_alerts_filed/"


def alert_from_context(context) -> dict:
    """The alert for a failed task: who failed, in which run, and the error (never task arguments)."""
    task_instance = context.get("task_instance") or context.get("ti")
    alert = {
        "raised_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "dag_id": getattr(task_instance, "dag_id", None),
        "task_id": getattr(task_instance, "task_id", None),
        "run_id": context.get("run_id"),
        "try_number": getattr(task_instance, "try_number", None),
        "error": str(context.get("exception") or "")[:4000],
    }
    identity = "|".join(str(alert[key]) for key in ("dag_id", "task_id", "run_id", "try_number"))
    alert["alert_id"] = hashlib.sha256(identity.encode()).hexdigest()[:24]
    return alert


def drop_alert(settings: Settings, alert: dict) -> str:
    """Write the alert document where the next Spark application files it; returns its location."""
    from jobs.landing import store_for

    store = store_for(settings.landing_root)
    key = f"{INBOX}{alert['alert_id']}.json"
    store.put_text(key, json.dumps(alert, sort_keys=True))
    return store.uri(key)


def notify_webhook(alert: dict, url: str | None = None, timeout_seconds: float = 10) -> bool:
    """POST the alert as JSON to ``CITYLAKE_ALERT_WEBHOOK_URL`` (a chat or paging webhook) when it is set.

    The URL often holds a token, so it comes from the environment and is never logged.
    """
    import urllib.request

    url = url or os.environ.get("CITYLAKE_ALERT_WEBHOOK_URL")
    if not url:
        return False
    request = urllib.request.Request(url, data=json.dumps(alert).encode(), headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=timeout_seconds):
        return True


def file_alerts(spark, settings: Settings) -> int:
    """MERGE every pending alert document into ``audit.alerts``, then move it to the filed folder.

    Returns how many documents were pending. Two applications filing at once MERGE the same rows
    (by alert id, so once) and both try to move the documents; a document already moved is skipped.
    """
    from jobs import lake
    from jobs.landing import store_for

    store = store_for(settings.landing_root)
    documents = [json.loads(text) for text in store.read_all(INBOX)]
    if not documents:
        return 0
    rows = [
        (
            document["alert_id"], datetime.fromisoformat(document["raised_at"]).astimezone(timezone.utc).replace(tzinfo=None),
            document["dag_id"], document["task_id"], document["run_id"], document["try_number"], document["error"],
        )
        for document in documents
    ]
    lake.merge_by_key(spark.createDataFrame(rows, ALERTS_SCHEMA), settings, "audit", "alerts", ("alert_id",))
    for document in documents:
        store.move(f"{INBOX}{document['alert_id']}.json", f"{FILED}{document['alert_id']}.json")
    return len(documents)
