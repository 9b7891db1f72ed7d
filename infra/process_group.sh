# Stopping a service started with setsid: source it, don't run it.

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
