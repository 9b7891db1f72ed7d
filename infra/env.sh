# Environment of the embedded, single-machine citylake: source it, don't run it.
# Everything lives under the project (.citylake/) and binds to 127.0.0.1 only.
# Any variable already set wins, so tests and operators can point elsewhere.

CITYLAKE_PROJECT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CITYLAKE_PROJECT
export CITYLAKE_STATE="${CITYLAKE_STATE:-$CITYLAKE_PROJECT/.citylake}"
export PATH="$CITYLAKE_PROJECT/.venv/bin:$PATH"
# The services run this checkout's jobs/ (a second checkout sharing the virtualenv would otherwise run the
# code its editable install names: an engine started from a worktree ran the main checkout's code).
export PYTHONPATH="$CITYLAKE_PROJECT${PYTHONPATH:+:$PYTHONPATH}"

# Spark: local, bound to loopback; the lake under the state folder unless told otherwise.
export SPARK_LOCAL_IP=127.0.0.1
export CITYLAKE_SPARK_MASTER="${CITYLAKE_SPARK_MASTER:-local[2]}"
export CITYLAKE_LAKE_ROOT="${CITYLAKE_LAKE_ROOT:-$CITYLAKE_STATE/lake}"
export CITYLAKE_INBOX_ROOT="${CITYLAKE_INBOX_ROOT:-$CITYLAKE_STATE/inbox}"
export CITYLAKE_REPORTS_ROOT="${CITYLAKE_REPORTS_ROOT:-$CITYLAKE_STATE/reports}"
export CITYLAKE_JARS_DIR="${CITYLAKE_JARS_DIR:-$CITYLAKE_PROJECT/.citylake/jars}"

# Airflow: its own home and SQLite metadata DB under the state folder.
export AIRFLOW_HOME="${AIRFLOW_HOME:-$CITYLAKE_STATE/airflow}"
export CITYLAKE_AIRFLOW_PORT="${CITYLAKE_AIRFLOW_PORT:-8080}"
export AIRFLOW__CORE__DAGS_FOLDER="$CITYLAKE_PROJECT/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__EXECUTOR=LocalExecutor
# Two cores: a few tasks at a time (each Spark task is a JVM).
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
# timeout: a connection waits up to 30 s for SQLite's write lock (Python's default is 5 s) before it
# fails with "database is locked", which the API answers with HTTP 500 or 503: the scheduler,
# the task runners and the CLI all write this one file.
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$AIRFLOW_HOME/airflow.db?timeout=30"
export AIRFLOW__API__HOST=127.0.0.1
export AIRFLOW__API__PORT="$CITYLAKE_AIRFLOW_PORT"
export AIRFLOW__API__BASE_URL="http://127.0.0.1:$CITYLAKE_AIRFLOW_PORT"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$CITYLAKE_AIRFLOW_PORT/execution/"
# One local user with every right: this is a single-person, loopback-only installation.
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS=True
# The scheduler creates runs from schedules, Assets included (city_themes runs on the sources' gold
# Assets). A source DAG that is unpaused (a backfill unpauses it) also gets a run for yesterday,
# whose `land` waits (rescheduling, no worker slot held) for yesterday's file, as production feeds
# that arrive late in the day need; past the deadline it fails and files an alert.
export AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="${AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE:-True}"
# A scheduler that dies (killed, its machine lost) leaves its running tasks with no one watching them;
# the next scheduler resets them for a retry only at its periodic orphan check (300 s by default), once
# the dead one's heartbeat is older than scheduler_health_check_threshold (30 s). One minute bounds how
# long a backfill waits after a crash (tests/test_e2e_airflow.py kills the scheduler mid-backfill).
export AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL="${AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL:-60}"
# Pick up DAG changes quickly.
export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=30
export AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL=30
export CITYLAKE_RETRY_DELAY_SECONDS="${CITYLAKE_RETRY_DELAY_SECONDS:-60}"
# The warm engine (infra/spark_connect.sh): jobs send their work to its Spark Connect endpoint. DAG
# tasks reach it through the provider's `spark_connect` connection, the CLI and tests through
# CITYLAKE_SPARK_REMOTE; both are this one endpoint. Point them at a Connect server on a cluster to
# move the same DAGs there (infra/PRODUCTION.md).
export CITYLAKE_SPARK_CONNECT_PORT="${CITYLAKE_SPARK_CONNECT_PORT:-15002}"
export CITYLAKE_SPARK_REMOTE="${CITYLAKE_SPARK_REMOTE:-sc://127.0.0.1:$CITYLAKE_SPARK_CONNECT_PORT}"
export AIRFLOW_CONN_SPARK_CONNECT="${AIRFLOW_CONN_SPARK_CONNECT:-spark-connect://${CITYLAKE_SPARK_REMOTE#sc://}}"

# Secrets shared by the Airflow components (JWT signing, session key): generated once per
# installation into a private file, never kept in code.
_citylake_secrets="$AIRFLOW_HOME/secrets.env"
if [ ! -f "$_citylake_secrets" ]; then
  mkdir -p "$AIRFLOW_HOME"
  ( umask 077
    printf 'export AIRFLOW__API_AUTH__JWT_SECRET=%s\nexport AIRFLOW__API__SECRET_KEY=%s\n' \
      "$(python3 -c 'import secrets; print(secrets.token_hex(32))')" \
      "$(python3 -c 'import secrets; print(secrets.token_hex(32))')" > "$_citylake_secrets" )
fi
# The embedded installation's pseudonymisation key (jobs/pseudonyms.py), generated once like the others
# (installations older than it get it appended). The lake's pseudonyms are made with it: keep the file,
# or rotate (README, "Pseudonyms"). A deployment sets CITYLAKE_PSEUDONYM_KEY_SOURCE to its secret store.
if ! grep -q CITYLAKE_PSEUDONYM_KEY= "$_citylake_secrets"; then
  ( umask 077
    printf 'export CITYLAKE_PSEUDONYM_KEY=%s\n' "$(python3 -c 'import secrets; print(secrets.token_hex(32))')" >> "$_citylake_secrets" )
fi
# shellcheck disable=SC1090
source "$_citylake_secrets"
unset _citylake_secrets
