#!/usr/bin/env bash
# Start or stop the SQL endpoint for BI tools: the Spark Thrift Server (HiveServer2 protocol) over the
# gold and audit zones, on 127.0.0.1:$CITYLAKE_BI_PORT (default 10000). See jobs/bi_server.py.
#   infra/sql_endpoint.sh start|stop|status
# Connect with any HiveServer2/Spark SQL client, for example:
#   .venv/bin/beeline -u jdbc:hive2://127.0.0.1:10000/gold -n bi
# It runs on the master of CITYLAKE_SPARK_MASTER (local by default, or the standalone cluster) and
# reads the lake of CITYLAKE_LAKE_ROOT (on S3 with AWS_* credentials in its environment).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$(dirname "${BASH_SOURCE[0]}")/process_group.sh"

BI_DIR="$CITYLAKE_STATE/sql-endpoint"
BI_PORT="${CITYLAKE_BI_PORT:-10000}"
PID_FILE="$BI_DIR/server.pid"
LOG_FILE="$BI_DIR/server.log"

start() {
  mkdir -p "$BI_DIR"
  if service_running "$PID_FILE"; then
    echo "sql endpoint: already running (pid $(cat "$PID_FILE"))"
    return 0
  fi
  # Run from its own folder: HiveServer2 keeps scratch files (derby.log, operation logs) in the working directory.
  (cd "$BI_DIR" && exec setsid python -m jobs.bi_server --port "$BI_PORT") >> "$LOG_FILE" 2>&1 < /dev/null &
  echo $! > "$PID_FILE"
  if ! wait_until_listening "sql endpoint" "$PID_FILE" "$BI_PORT" "$LOG_FILE" 120; then
    stop
    exit 1
  fi
  echo "sql endpoint: jdbc:hive2://127.0.0.1:$BI_PORT (pid $(cat "$PID_FILE"), log $LOG_FILE)"
}

stop() {
  stop_process_group "$PID_FILE" "sql endpoint"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if service_running "$PID_FILE"; then echo "sql endpoint: running"; else echo "sql endpoint: stopped"; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
