#!/usr/bin/env bash
# Start or stop a Spark standalone cluster from the installed pyspark: one master and one worker,
# every port on 127.0.0.1, logs and work folders under the state folder.
#   infra/spark_cluster.sh start|stop|status
# The master listens on spark://127.0.0.1:$CITYLAKE_SPARK_CLUSTER_PORT (default 7077). Point the DAGs
# at it with CITYLAKE_SPARK_MASTER=spark://127.0.0.1:7077 before `infra/airflow.sh start` (it sets the
# spark_default connection). Executors inherit the worker's environment: start the cluster with the
# AWS_* credentials when the lake is on S3, as a cloud worker would get them from its instance role.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$(dirname "${BASH_SOURCE[0]}")/process_group.sh"

CLUSTER_DIR="$CITYLAKE_STATE/spark-cluster"
MASTER_PORT="${CITYLAKE_SPARK_CLUSTER_PORT:-7077}"
MASTER_UI_PORT="${CITYLAKE_SPARK_MASTER_UI_PORT:-8090}"
WORKER_UI_PORT="${CITYLAKE_SPARK_WORKER_UI_PORT:-8091}"
WORKER_CORES="${CITYLAKE_SPARK_WORKER_CORES:-2}"
WORKER_MEMORY="${CITYLAKE_SPARK_WORKER_MEMORY:-4g}"
MASTER_URL="spark://127.0.0.1:$MASTER_PORT"
# Every Spark listener (RPC, web UIs, block managers) binds this address.
export SPARK_LOCAL_IP=127.0.0.1
export SPARK_LOG_DIR="$CLUSTER_DIR/logs"
export SPARK_WORKER_DIR="$CLUSTER_DIR/work"
# No REST submission server (a fixed port, and jobs are submitted by spark-submit in client mode);
# the worker cleans the work folders of finished applications.
export SPARK_MASTER_OPTS="${SPARK_MASTER_OPTS:-} -Dspark.master.rest.enabled=false"
export SPARK_WORKER_OPTS="${SPARK_WORKER_OPTS:-} -Dspark.worker.cleanup.enabled=true"

running() {
  [ -f "$CLUSTER_DIR/$1.pid" ] && kill -0 "$(cat "$CLUSTER_DIR/$1.pid")" 2>/dev/null
}

# Start one daemon in its own process group (a worker's executors are its children: stopped with it).
start_daemon() {
  local name="$1"; shift
  if running "$name"; then
    echo "spark $name: already running (pid $(cat "$CLUSTER_DIR/$name.pid"))"
    return 0
  fi
  setsid spark-class "$@" >> "$SPARK_LOG_DIR/$name.log" 2>&1 < /dev/null &
  echo $! > "$CLUSTER_DIR/$name.pid"
}

# The master's JSON status page lists alive workers: ready when one has registered.
worker_alive() {
  python3 - "$MASTER_UI_PORT" <<'PY' 2>/dev/null
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/json/", timeout=2) as response:
    status = json.load(response)
sys.exit(0 if any(worker.get("state") == "ALIVE" for worker in status.get("workers", [])) else 1)
PY
}

start() {
  mkdir -p "$SPARK_LOG_DIR" "$SPARK_WORKER_DIR"
  start_daemon master org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port "$MASTER_PORT" --webui-port "$MASTER_UI_PORT"
  start_daemon worker org.apache.spark.deploy.worker.Worker \
    --host 127.0.0.1 --webui-port "$WORKER_UI_PORT" --cores "$WORKER_CORES" --memory "$WORKER_MEMORY" \
    --work-dir "$SPARK_WORKER_DIR" "$MASTER_URL"
  for _ in $(seq 1 90); do
    if worker_alive; then
      echo "spark cluster: master $MASTER_URL (UI http://127.0.0.1:$MASTER_UI_PORT), one worker with $WORKER_CORES cores"
      return 0
    fi
    for daemon in master worker; do
      if ! running "$daemon"; then
        echo "spark $daemon exited during start-up:" >&2; tail -n 30 "$SPARK_LOG_DIR/$daemon.log" >&2
        stop; exit 1
      fi
    done
    sleep 1
  done
  echo "spark cluster: no worker registered after 90 s; see $SPARK_LOG_DIR" >&2
  stop
  exit 1
}

stop() {
  stop_process_group "$CLUSTER_DIR/worker.pid" "spark worker"
  stop_process_group "$CLUSTER_DIR/master.pid" "spark master"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) for daemon in master worker; do
            if running "$daemon"; then echo "spark $daemon: running"; else echo "spark $daemon: stopped"; fi
          done ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
