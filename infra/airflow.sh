#!/usr/bin/env bash
# Start, stop or check the embedded Airflow: API server (UI), scheduler and DAG processor, all on
# 127.0.0.1, each in its own process group so that `stop` leaves nothing behind, with the lake's warm
# engine (infra/spark_connect.sh) that their Spark tasks reach through the `spark_connect` connection.
#   infra/airflow.sh start|stop|status
# The scheduler runs with --skip-serve-logs: its log server would bind every interface, and with
# the LocalExecutor on one machine the API server reads task logs from disk anyway. No triggerer is
# started: no citylake task defers.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$(dirname "${BASH_SOURCE[0]}")/process_group.sh"

RUN_DIR="$AIRFLOW_HOME/run"
LOG_DIR="$AIRFLOW_HOME/logs/components"
COMPONENTS=(api-server scheduler dag-processor)
mkdir -p "$RUN_DIR" "$LOG_DIR"

component_command() {
  case "$1" in
    api-server) echo "airflow api-server --host 127.0.0.1 --port $CITYLAKE_AIRFLOW_PORT --workers 1" ;;
    # The scheduler with the Spark tasks' libraries imported: every task is forked from it (jobs/airflow_scheduler.py).
    scheduler) echo "python -m jobs.airflow_scheduler --skip-serve-logs" ;;
    dag-processor) echo "airflow dag-processor" ;;
  esac
}

is_running() {
  local pid_file="$RUN_DIR/$1.pid"
  [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

api_healthy() {
  python3 - "$CITYLAKE_AIRFLOW_PORT" <<'PY' 2>/dev/null
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v2/monitor/health", timeout=3) as response:
    health = json.load(response)
sys.exit(0 if health.get("metadatabase", {}).get("status") == "healthy" else 1)
PY
}

ENGINE_SCRIPT="$(dirname "${BASH_SOURCE[0]}")/spark_connect.sh"

start() {
  # The engine first: the first scheduled task may need it seconds after the scheduler starts.
  "$ENGINE_SCRIPT" start
  airflow db migrate > "$LOG_DIR/db-migrate.log" 2>&1 || { cat "$LOG_DIR/db-migrate.log"; exit 1; }
  # The pools that keep a table's writer and its maintenance apart (see dags/lake_maintenance.py),
  # as the declarations name them.
  citylake pools "$AIRFLOW_HOME/pools.json"
  airflow pools import "$AIRFLOW_HOME/pools.json" > "$LOG_DIR/pools.log" 2>&1 \
    || { cat "$LOG_DIR/pools.log"; exit 1; }
  for component in "${COMPONENTS[@]}"; do
    if is_running "$component"; then
      echo "airflow $component: already running (pid $(cat "$RUN_DIR/$component.pid"))"
      continue
    fi
    # setsid: the component and all its children share a new process group, stopped as one.
    setsid bash -c "exec $(component_command "$component")" >> "$LOG_DIR/$component.log" 2>&1 < /dev/null &
    echo $! > "$RUN_DIR/$component.pid"
    echo "airflow $component: started (pid $!, log $LOG_DIR/$component.log)"
  done
  for _ in $(seq 1 90); do
    if api_healthy; then
      echo "airflow: API server and UI at http://127.0.0.1:$CITYLAKE_AIRFLOW_PORT"
      return 0
    fi
    for component in "${COMPONENTS[@]}"; do
      if ! is_running "$component"; then
        echo "airflow $component exited during start-up; last lines of its log:" >&2
        tail -n 30 "$LOG_DIR/$component.log" >&2
        stop
        exit 1
      fi
    done
    sleep 2
  done
  echo "airflow: API server not healthy after 180 s; see $LOG_DIR" >&2
  stop
  exit 1
}

stop() {
  for component in "${COMPONENTS[@]}"; do
    stop_process_group "$RUN_DIR/$component.pid" "airflow $component"
  done
  "$ENGINE_SCRIPT" stop
}

status() {
  for component in "${COMPONENTS[@]}"; do
    if is_running "$component"; then echo "airflow $component: running (pid $(cat "$RUN_DIR/$component.pid"))"
    else echo "airflow $component: stopped"; fi
  done
  "$ENGINE_SCRIPT" status || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
