#!/usr/bin/env bash
# The test suite: unit tests on one shared local Spark session, then the end-to-end run through
# a real Airflow scheduler (started and stopped by the tests themselves, on its own port and state).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export SPARK_LOCAL_IP=127.0.0.1
exec .venv/bin/python -m pytest "$@"
