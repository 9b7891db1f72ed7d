#!/usr/bin/env bash
# The main job on the embedded defaults: Airflow (own SQLite DB, scheduler, API server/UI on
# 127.0.0.1) runs the lake's DAGs over the demo's deliveries, then prints what was built.
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/env.sh
started=$(date +%s)

# The demo's deliveries: the real NYC 311 sample (tests/data/README.md) for its day, then
# CITYLAKE_DEMO_DAYS generated days (synthetic, seeded, 2 % defects and a re-delivered file; jobs/synthetic/).
first_day=2022-05-01
demo_days="${CITYLAKE_DEMO_DAYS:-7}"
last_day=$(date -u -d "$first_day + $demo_days days" +%F)
mkdir -p "$CITYLAKE_INBOX_ROOT/nyc_311/$first_day"
cp tests/data/nyc_311/nyc311_2022-05-01_first924.csv "$CITYLAKE_INBOX_ROOT/nyc_311/$first_day/"
if [ "$demo_days" -gt 0 ]; then
  echo "generating $demo_days days of synthetic 311 deliveries (${CITYLAKE_DEMO_ROWS:-2000} rows a day):"
  citylake generate nyc_311 "$(date -u -d "$first_day + 1 day" +%F)" "$last_day" --rows "${CITYLAKE_DEMO_ROWS:-2000}"
fi

infra/airflow.sh start
status=0
citylake backfill nyc311_daily "$first_day" "$last_day" || status=$?
citylake summary 2>/dev/null || status=$?

echo
echo "citylake demo finished in $(( $(date +%s) - started )) s (exit status $status)."
echo "Airflow keeps running so you can explore the runs: http://127.0.0.1:$CITYLAKE_AIRFLOW_PORT"
echo "Stop it with: make stop"
exit $status
