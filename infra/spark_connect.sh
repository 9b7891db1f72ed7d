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

listening() {
  python3 -c "import socket, sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=2).close()" "$CONNECT_PORT" 2>/dev/null
}

running() {
  [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
}

start() {
  mkdir -p "$CONNECT_DIR"
  if running; then
    echo "spark connect: already running (pid $(cat "$PID_FILE"))"
    return 0
  fi
  # The supervisor: restart the server when it exits on its own; `stop` TERMs the whole group.
  (cd "$CONNECT_DIR" && exec setsid bash -c '
      trap "exit 0" TERM
      while true; do
        python -m jobs.connect_server & wait $! && exit 0
        echo "$(date -u +%FT%TZ) spark connect server exited ($?); restarting in 2 s"
        sleep 2
      done') >> "$LOG_FILE" 2>&1 < /dev/null &
  echo $! > "$PID_FILE"
  for _ in $(seq 1 180); do
    if listening; then
      echo "spark connect: sc://127.0.0.1:$CONNECT_PORT (pid $(cat "$PID_FILE"), log $LOG_FILE)"
      return 0
    fi
    if ! running; then
      echo "spark connect server exited during start-up:" >&2; tail -n 30 "$LOG_FILE" >&2; exit 1
    fi
    sleep 1
  done
  echo "spark connect: not listening after 180 s; see $LOG_FILE" >&2
  stop
  exit 1
}

stop() {
  stop_process_group "$PID_FILE" "spark connect"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) if running && listening; then echo "spark connect: running on sc://127.0.0.1:$CONNECT_PORT"; else echo "spark connect: stopped"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
