# Services started with setsid (each in its own process group): source it, don't run it.

# stop_process_group PID_FILE NAME: TERM the process group whose leader's pid is in PID_FILE, wait
# up to 30 s, then KILL what is left, so that no child outlives its service.
stop_process_group() {
  local pid_file="$1" name="$2" pid
  [ -f "$pid_file" ] || return 0
  pid="$(cat "$pid_file")"
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do
    kill -0 -- "-$pid" 2>/dev/null || break
    sleep 1
  done
  if kill -0 -- "-$pid" 2>/dev/null; then
    echo "$name: still running after 30 s, killing" >&2
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pid_file"
  echo "$name: stopped"
}

# service_running PID_FILE: the service whose leader's pid is in PID_FILE is alive.
service_running() {
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

# port_listening PORT: something accepts connections on 127.0.0.1:PORT.
port_listening() {
  python3 -c "import socket, sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=2).close()" "$1" 2>/dev/null
}

# wait_until_listening NAME PID_FILE PORT LOG_FILE SECONDS: 0 once the port answers; 1 (after printing the
# log's last lines) if the service exits first or does not answer in time.
wait_until_listening() {
  local name="$1" pid_file="$2" port="$3" log_file="$4" seconds="$5"
  for _ in $(seq 1 "$seconds"); do
    port_listening "$port" && return 0
    if ! service_running "$pid_file"; then
      echo "$name exited during start-up:" >&2; tail -n 30 "$log_file" >&2; return 1
    fi
    sleep 1
  done
  echo "$name: not listening after $seconds s; see $log_file" >&2
  return 1
}
