"""
### Chicago public-safety incidents, daily

Lands the day's crimes export from the inbox (`<inbox>/chicago_crimes/<ds>/`) into the landing zone,
then one Spark application takes it through bronze (`bronze.chicago_crimes`, the only place exact
coordinates are kept), the suites `expectations/delivery_columns.json` (schema drift, a warning) and
`crimes_batch.json`, row rules (missing case numbers, unparseable dates, places outside Chicago,
repeated cases to `quarantine.public_safety_incidents`), silver (`silver.public_safety_incidents`:
one row per case, place as a ~550 m grid cell only, offence group from
`jobs/reference/offence_groups.csv`) and gold (`gold.incident_hotspots_weekly`: per week, grid cell and
offence group, incidents, trailing 4-week mean, z-score among the week's cells and a hotspot flag; see
jobs/crimes/transforms.py). The Socrata API export (`case_number`, ISO dates, computed regions) and
the portal's CSV ("Case Number", ...) land in the same tables. A published gold table emits the Asset
`gold.incident_hotspots_weekly`, which schedules the `city_themes` DAG.

**Owner:** citylake-data-eng.

**When it fails:** `land` fails while the day's file has not been delivered, or names the file and the
missing columns of a file of the wrong shape. `bronze_to_gold` fails on a critical expectation (the
log names table, batch, expectation and observed value; nothing is published) or when rows do not
reconcile. Fix the cause, then clear the task: every step replaces exactly what it produces.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable

from jobs.airflow_support import source_dag

dag = source_dag(
    dag_id="crimes_daily",
    doc_md=__doc__,
    source_columns="jobs.crimes.columns",
    job="crimes",
    schedule=CronDataIntervalTimetable("0 2 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2012, 1, 1, tz="UTC"),
    tags=["city", "public safety", "chicago_crimes", "landing", "bronze", "silver", "gold"],
    gold_tables=["gold.incident_hotspots_weekly"],
)
