#!/usr/bin/env bash
# The main job on the embedded defaults: Airflow (own SQLite DB, scheduler, API server/UI on
# 127.0.0.1) runs every DAG over the demo's deliveries, then prints what was built.
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/env.sh
started=$(date +%s)

# The demo's deliveries (jobs/synthetic/: seeded, 2 % defects, a re-delivered file every fourth day):
# - NYC 311: the real sample (tests/data/README.md) for its day, then CITYLAKE_DEMO_DAYS generated
#   days, the first half as the portal's CSV export, the rest as the Socrata API's JSON;
# - NYC TLC yellow taxi: the generated days, the first half as CSV, the rest as the TLC's Parquet;
# - Chicago crimes: the generated days, the first half as the API's CSV, the rest as the portal's;
# - social posts: the generated days, the first half as X posts (twarc2's JSON Lines, English), the rest
#   as Weibo statuses (Chinese);
# - bank payments: the generated days, with laundering typologies and look-alikes embedded;
# - bank accounts (KYC): for each generated day, the records of the accounts in its payments, some holders
#   named after listed people;
# - the sanctions list: OFAC's SDN sample (tests/data/ofac_sdn) as the first day's pull;
# - the consent registry: each day, consent events of that day's authors and account holders (a fifth withdraw);
# - DSNY waste tonnage (monthly): the three months up to the last day's, the first with a year of history.
first_day=2022-05-01
demo_days="${CITYLAKE_DEMO_DAYS:-7}"
rows="${CITYLAKE_DEMO_ROWS:-2000}"
# How long each backfill or wait may take: five daily sources share two cores, a run takes minutes under that load.
wait_seconds="${CITYLAKE_DEMO_TIMEOUT:-3600}"
[ "$demo_days" -ge 2 ] || { echo "CITYLAKE_DEMO_DAYS must be at least 2" >&2; exit 2; }
generated_from=$(date -u -d "$first_day + 1 day" +%F)
last_day=$(date -u -d "$first_day + $demo_days days" +%F)
half_day=$(date -u -d "$first_day + $(( (demo_days + 1) / 2 )) days" +%F)
second_half=$(date -u -d "$half_day + 1 day" +%F)
first_month=$(date -u -d "$(date -u -d "$last_day" +%Y-%m-01) - 2 months" +%F)
last_month=$(date -u -d "$last_day" +%Y-%m-01)
mkdir -p "$CITYLAKE_INBOX_ROOT/nyc_311/$first_day"
cp tests/data/nyc_311/nyc311_2022-05-01_first924.csv "$CITYLAKE_INBOX_ROOT/nyc_311/$first_day/"
echo "generating synthetic deliveries ($rows rows a day):"
citylake generate nyc_311 "$generated_from" "$half_day" --rows "$rows" --shape portal
citylake generate nyc_311 "$second_half" "$last_day" --rows "$rows" --shape api-json
citylake generate nyc_tlc_yellow "$generated_from" "$half_day" --rows "$rows" --shape csv
citylake generate nyc_tlc_yellow "$second_half" "$last_day" --rows "$rows" --shape parquet
citylake generate chicago_crimes "$generated_from" "$half_day" --rows "$rows" --shape api-csv
citylake generate chicago_crimes "$second_half" "$last_day" --rows "$rows" --shape portal
citylake generate social_posts "$first_day" "$half_day" --rows "$rows" --shape twarc2
citylake generate social_posts "$second_half" "$last_day" --rows "$rows" --shape weibo
citylake generate bank_payments "$generated_from" "$last_day" --rows "$rows"
citylake generate bank_accounts "$generated_from" "$last_day" --rows "$rows"
# After the deliveries it reads: each day's consent events are about that day's authors and account holders.
citylake generate consent_registry "$first_day" "$last_day" --rows 40
mkdir -p "$CITYLAKE_INBOX_ROOT/ofac_sdn/$first_day"
cp tests/data/ofac_sdn/sdn.csv tests/data/ofac_sdn/alt.csv tests/data/ofac_sdn/add.csv "$CITYLAKE_INBOX_ROOT/ofac_sdn/$first_day/"
citylake generate nyc_dsny_waste "$first_month" "$last_month" --rows 59

infra/airflow.sh start
status=0
# The daily sources write different tables, so they backfill at the same time on the shared warm
# engine (its FAIR scheduler interleaves their Spark jobs); each DAG still runs one day at a time.
# The products are scheduled on their inputs' Assets and rebuild from all of them: paused while the sources
# backfill (a rebuild after every daily run would only be redone), then unpaused and triggered once each;
# account_risk follows screening's hits (its Asset).
# Their backfills are created a few seconds apart: SQLite, the embedded metadata DB, refuses concurrent
# creations (the CLI retries a busy database too).
pids=()
citylake backfill nyc311_daily "$first_day" "$last_day" --timeout "$wait_seconds" & pids+=($!)
sleep 10
citylake backfill taxi_daily "$generated_from" "$last_day" --timeout "$wait_seconds" & pids+=($!)
sleep 10
citylake backfill crimes_daily "$generated_from" "$last_day" --timeout "$wait_seconds" & pids+=($!)
sleep 10
citylake backfill social_posts_daily "$first_day" "$last_day" --timeout "$wait_seconds" & pids+=($!)
sleep 10
citylake backfill payments_daily "$generated_from" "$last_day" --timeout "$wait_seconds" & pids+=($!)
sleep 10
citylake backfill accounts_daily "$generated_from" "$last_day" --timeout "$wait_seconds" & pids+=($!)
sleep 10
citylake backfill sanctions_list_daily "$first_day" "$first_day" --timeout "$wait_seconds" & pids+=($!)
sleep 10
citylake backfill consent_daily "$first_day" "$last_day" --timeout "$wait_seconds" & pids+=($!)
sleep 10
citylake backfill waste_monthly "$first_month" "$last_month" --timeout "$wait_seconds" & pids+=($!)
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
# The products once, over every source's gold: triggered, as their inputs were written while they were paused;
# account_risk follows sanctions_screening through its Asset.
citylake unpause city_themes city_issue_priority sanctions_screening account_risk || status=$?
citylake trigger city_themes city_issue_priority sanctions_screening || status=$?
citylake wait city_themes city_issue_priority sanctions_screening account_risk --quiet 5 --timeout "$wait_seconds" || status=$?

# The right to erasure: one reviewed, approved request (a bank customer, named by an account of theirs from the
# first KYC extract), carried out everywhere by the erasure DAG and certified. The identifier is never printed.
holder=$(awk -F, 'NR > 1 && $1 ~ /^AC[0-9]+$/ {print $1; exit}' "$CITYLAKE_INBOX_ROOT/bank_accounts/$generated_from/"*.csv)
citylake erasure request account_holder "$holder" --reason "the customer closed the account and asked to be erased" \
  --requested-by "the customer" --approved-by "data protection officer" || status=$?
citylake unpause erasure || status=$?
citylake wait erasure --timeout "$wait_seconds" || status=$?
citylake summary 2>/dev/null || status=$?

echo
echo "erasure certificates (JSON): $CITYLAKE_REPORTS_ROOT/erasure/; each also a page of the quality report: $CITYLAKE_REPORTS_ROOT/quality/index.html"
echo "citylake demo finished in $(( $(date +%s) - started )) s (exit status $status)."
echo "Airflow keeps running so you can explore the runs: http://127.0.0.1:$CITYLAKE_AIRFLOW_PORT"
echo "Stop it with: make stop"
exit $status
