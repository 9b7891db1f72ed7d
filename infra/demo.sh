#!/usr/bin/env bash
# The main job on the embedded defaults: Airflow (own SQLite DB, scheduler, API server/UI on
# 127.0.0.1) runs the lake's DAGs over the demo's deliveries, then prints what was built.
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/env.sh
started=$(date +%s)

# The demo's deliveries: the real NYC 311 sample (tests/data/README.md), delivered for its day.
demo_day=2022-05-01
mkdir -p "$CITYLAKE_INBOX_ROOT/nyc_311/$demo_day"
cp tests/data/nyc_311/nyc311_2022-05-01_first924.csv "$CITYLAKE_INBOX_ROOT/nyc_311/$demo_day/"

infra/airflow.sh start
status=0
citylake backfill nyc311_daily "$demo_day" "$demo_day" || status=$?
citylake summary 2>/dev/null || status=$?

echo
echo "citylake demo finished in $(( $(date +%s) - started )) s (exit status $status)."
echo "Airflow keeps running so you can explore the runs: http://127.0.0.1:$CITYLAKE_AIRFLOW_PORT"
echo "Stop it with: make stop"
exit $status
