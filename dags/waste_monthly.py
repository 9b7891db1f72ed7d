"""
### DSNY waste tonnage, monthly

Lands the month's tonnage export from the inbox (`<inbox>/nyc_dsny_waste/<ds>/`, `ds` the month's first
day) into the landing zone, then one Spark application takes it through bronze
(`bronze.dsny_monthly_tonnage`), the suites `expectations/delivery_columns.json` (schema drift, a
warning) and `waste_batch.json`, row rules (unparseable months, unknown districts, unparseable or
negative tonnage, repeated district-months to `quarantine.waste_tonnage`), silver
(`silver.waste_tonnage`, MERGE by month and district) and gold (`gold.waste_diversion_monthly`:
refuse, paper, metal/glass/plastic, organics, diversion rate and its change on the same month a year
earlier). A delivery may hold earlier months too (the dataset is published whole; a late correction
replaces the stored month). A published gold table emits the Asset `gold.waste_diversion_monthly`,
which schedules the `city_themes` DAG.

**Owner:** citylake-data-eng.

**When it fails:** `land` fails while the month's file has not been delivered, or names the file and
the missing columns of a file of the wrong shape. `bronze_to_gold` fails on a critical expectation
(the log names table, batch, expectation and observed value; nothing is published) or when rows do
not reconcile. Fix the cause, then clear the task: every step replaces exactly what it produces.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable

from jobs.airflow_support import source_dag

dag = source_dag(
    dag_id="waste_monthly",
    doc_md=__doc__,
    source_columns="jobs.waste.columns",
    job="waste",
    # A run covers one calendar month and starts once it is over; its logical date is the month's first day.
    schedule=CronDataIntervalTimetable("0 0 1 * *", timezone="UTC"),
    start_date=pendulum.datetime(2019, 1, 1, tz="UTC"),
    tags=["city", "waste", "nyc_dsny_waste", "landing", "bronze", "silver", "gold"],
    gold_tables=["gold.waste_diversion_monthly"],
)
