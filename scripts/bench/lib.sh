# Shell helpers shared by scripts/bench-pg.sh and scripts/bench-http.sh (sourced, not run).
# They expect the caller to define log and die, and SVC_USER (empty when not dropping root).

stop_pid() {      # stop_pid NAME PID SIGNAL: signal, wait up to 15 s, then SIGKILL
  local name=$1 pid=$2 sig=$3 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "$name (pid $pid) did not stop within 15s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

own() { [ -z "$SVC_USER" ] || chown -R "$SVC_USER:$(id -g "$SVC_USER")" "$@"; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port NAME PID PORT LOG: until PORT accepts TCP, the process dies, or 60 s pass.
wait_port() {
  local name=$1 pid=$2 port=$3 logfile=$4 i
  for ((i = 0; i < 600; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$logfile" >&2 || true
      die "$name exited during start-up (log above: $logfile)"
    fi
    if timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  tail -n 30 "$logfile" >&2 || true
  die "$name did not accept connections on port $port within 60s"
}
