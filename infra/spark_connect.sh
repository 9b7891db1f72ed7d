#!/usr/bin/env bash
# Start or stop the lake's warm engine: a Spark Connect server (jobs/connect_server.py) on
# 127.0.0.1:$CITYLAKE_SPARK_CONNECT_PORT (default 15002), the endpoint of CITYLAKE_SPARK_REMOTE.
#   infra/spark_connect.sh start|stop|restart|status
# The server runs under a supervisor loop: if it crashes, it is started again within seconds (a task
# that failed meanwhile succeeds on Airflow's retry). It runs executors where CITYLAKE_SPARK_MASTER
# says (local by default, or the standalone cluster) and reads the lake of CITYLAKE_LAKE_ROOT (on S3
# with AWS_* credentials in its environment). Memory: CITYLAKE_SPARK_CONNECT_MEMORY (default 3g).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$(dirname "${BASH_SOURCE[0]}")/process_group.sh"

CONNECT_DIR="${CITYLAKE_SPARK_CONNECT_DIR:-$CITYLAKE_STATE/spark-connect}"
CONNECT_PORT="${CITYLAKE_SPARK_CONNECT_PORT:-15002}"
export CITYLAKE_SPARK_CONNECT_PORT="$CONNECT_PORT"
PID_FILE="$CONNECT_DIR/server.pid"
LOG_FILE="$CONNECT_DIR/server.log"

start() {
  mkdir -p "$CONNECT_DIR"
  if service_running "$PID_FILE"; then
    echo "spark connect: already running (pid $(cat "$PID_FILE"))"
    return 0
  fi
  # The supervisor: restart the server when it dies after having run a while (one that dies within
  # 30 s of starting cannot start: the supervisor gives up, and `start` shows the log); `stop` TERMs the group.
  (cd "$CONNECT_DIR" && exec setsid bash -c '
      trap "exit 0" TERM
      while true; do
        started=$(date +%s)
        python -m jobs.connect_server & wait $! && exit 0
        status=$?
        if [ $(( $(date +%s) - started )) -lt 30 ]; then exit "$status"; fi
        echo "$(date -u +%FT%TZ) spark connect server exited ($status); restarting in 2 s"
        sleep 2
      done') >> "$LOG_FILE" 2>&1 < /dev/null &
  echo $! > "$PID_FILE"
  if ! wait_until_listening "spark connect" "$PID_FILE" "$CONNECT_PORT" "$LOG_FILE" 180; then
    stop
    exit 1
  fi
  echo "spark connect: sc://127.0.0.1:$CONNECT_PORT (pid $(cat "$PID_FILE"), log $LOG_FILE)"
}

stop() {
  stop_process_group "$PID_FILE" "spark connect"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) if service_running "$PID_FILE" && port_listening "$CONNECT_PORT"; then echo "spark connect: running on sc://127.0.0.1:$CONNECT_PORT"; else echo "spark connect: stopped"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
