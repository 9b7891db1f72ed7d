#!/usr/bin/env bash
# The main job on the embedded defaults: Airflow (own SQLite DB, scheduler, API server/UI on
# 127.0.0.1) runs every city DAG over the demo's deliveries, then prints what was built.
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/env.sh
started=$(date +%s)

# The demo's deliveries (jobs/synthetic/: seeded, 2 % defects, a re-delivered file every fourth day):
# - NYC 311: the real sample (tests/data/README.md) for its day, then CITYLAKE_DEMO_DAYS generated
#   days, the first half as the portal's CSV export, the rest as the Socrata API's JSON;
# - NYC TLC yellow taxi: the same days generated, the first half as CSV, the rest as the TLC's Parquet.
first_day=2022-05-01
demo_days="${CITYLAKE_DEMO_DAYS:-7}"
rows="${CITYLAKE_DEMO_ROWS:-2000}"
last_day=$(date -u -d "$first_day + $demo_days days" +%F)
half_day=$(date -u -d "$first_day + $(( (demo_days + 1) / 2 )) days" +%F)
mkdir -p "$CITYLAKE_INBOX_ROOT/nyc_311/$first_day"
cp tests/data/nyc_311/nyc311_2022-05-01_first924.csv "$CITYLAKE_INBOX_ROOT/nyc_311/$first_day/"
echo "generating synthetic deliveries ($rows rows a day):"
if [ "$demo_days" -gt 0 ]; then
  citylake generate nyc_311 "$(date -u -d "$first_day + 1 day" +%F)" "$half_day" --rows "$rows" --shape portal
  if [ "$half_day" != "$last_day" ]; then
    citylake generate nyc_311 "$(date -u -d "$half_day + 1 day" +%F)" "$last_day" --rows "$rows" --shape api-json
  fi
fi
citylake generate nyc_tlc_yellow "$first_day" "$half_day" --rows "$rows" --shape csv
if [ "$half_day" != "$last_day" ]; then
  citylake generate nyc_tlc_yellow "$(date -u -d "$half_day + 1 day" +%F)" "$last_day" --rows "$rows" --shape parquet
fi

infra/airflow.sh start
status=0
# city_themes is scheduled on the sources' gold Assets: unpaused first, it follows every source run.
citylake unpause city_themes || status=$?
citylake backfill nyc311_daily "$first_day" "$last_day" || status=$?
citylake backfill taxi_daily "$first_day" "$last_day" || status=$?
citylake wait city_themes || status=$?
citylake summary 2>/dev/null || status=$?

echo
echo "citylake demo finished in $(( $(date +%s) - started )) s (exit status $status)."
echo "Airflow keeps running so you can explore the runs: http://127.0.0.1:$CITYLAKE_AIRFLOW_PORT"
echo "Stop it with: make stop"
exit $status
