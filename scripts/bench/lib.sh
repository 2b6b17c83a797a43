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

# build_warden: sets WARDEN to BENCH_WARDEN_BIN, else to a release build, profile-guided by
# scripts/build-pgo.sh unless BENCH_PGO=0, and WARDEN_BUILD to what it is, for the report.
build_warden() {
  if [ -n "${BENCH_WARDEN_BIN:-}" ]; then
    WARDEN=$BENCH_WARDEN_BIN
    WARDEN_BUILD="BENCH_WARDEN_BIN=$BENCH_WARDEN_BIN"
  elif [ "${BENCH_PGO:-1}" = 1 ]; then
    log "building warden (release, profile-guided by scripts/build-pgo.sh; BENCH_PGO=0 skips the profile)"
    WARDEN=$(nice -n 10 bash "$ROOT/scripts/build-pgo.sh" | tail -n1) \
      || die "scripts/build-pgo.sh failed (BENCH_PGO=0 builds without a profile)"
    WARDEN_BUILD="release, profile-guided (scripts/build-pgo.sh)"
  else
    log "building warden (release) into $CARGO_TARGET_DIR"
    nice -n 10 cargo build --release --locked -p warden
    WARDEN="$CARGO_TARGET_DIR/release/warden"
    WARDEN_BUILD="release without a profile (BENCH_PGO=0)"
  fi
}

own() { [ -z "$SVC_USER" ] || chown -R "$SVC_USER:$(id -g "$SVC_USER")" "$@"; }

# perf_record PID SECONDS DATA LOG: a call-graph profile of PID for SECONDS (run it in the
# background and wait for it), at BENCH_PERF_FREQ Hz (default 299), or at every
# BENCH_PERF_EVENT (e.g. sched:sched_switch: where its threads go to sleep or are preempted).
perf_record() {
  local sampling=(-F "${BENCH_PERF_FREQ:-299}")
  [ -z "${BENCH_PERF_EVENT:-}" ] || sampling=(-e "$BENCH_PERF_EVENT")
  perf record -q "${sampling[@]}" --call-graph dwarf,16384 -p "$1" -o "$3" \
    -- sleep "$2" >"$4" 2>&1
}

# whole_numbers VAR...: dies (with the calling script's die) unless every VAR holds a whole number.
whole_numbers() {
  local knob
  for knob in "$@"; do
    [[ ${!knob} =~ ^[0-9]+$ ]] || die "$knob must be a whole number, not '${!knob}'"
  done
}

# perf_record_machine SECONDS FILE LOG: samples every CPU (no call graphs) for SECONDS into FILE.
perf_record_machine() {
  perf record -q -a -F "${BENCH_PERF_FREQ:-299}" -o "$2" -- sleep "$1" >"$3" 2>&1
}

# machine_report BASE UNITS: writes BASE.txt, the CPU time per unit (transaction, request) of
# every command in BASE.data (perf_record_machine), busiest first, the idle loop last.
machine_report() {
  if [ -n "$2" ] && [ "$2" -gt 0 ] && [ -s "$1.data" ]; then
    perf report -i "$1.data" --sort comm --stdio -q -F sample,comm 2>/dev/null \
      | python3 "$(dirname "${BASH_SOURCE[0]}")/machine_report.py" "${BENCH_PERF_FREQ:-299}" "$2" \
      >"$1.txt"
  fi
}

# b_config NAME FILE: appends BENCH_B_CONFIG (TOML) to warden-b's generated config FILE.
b_config() {
  if [ "$1" = warden-b ] && [ -n "${BENCH_B_CONFIG:-}" ]; then
    printf '\n# BENCH_B_CONFIG\n%s\n' "$BENCH_B_CONFIG" >>"$2"
  fi
}

# warden_api_key BIN CONFIG GROUP DIR: creates the API key "bench" in GROUP, keeps it in
# DIR/api-key (mode 0600) and sets WARDEN_API_KEY.
warden_api_key() {
  (umask 077 && timeout 60 "$1" keys create --config "$2" --name bench --group "$3" \
    >"$4/api-key" 2>"$4/keys.log") \
    || { cat "$4/keys.log" >&2; die "warden keys create failed (see $4/keys.log)"; }
  WARDEN_API_KEY=$(head -n1 "$4/api-key")
  [ -n "$WARDEN_API_KEY" ] || die "warden keys create printed no key (see $4/keys.log)"
}

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

# task_ticks PID: one line per thread of PID and of its child processes (nginx's workers):
# "TID NAME USER_TICKS SYS_TICKS VOLUNTARY_SWITCHES INVOLUNTARY_SWITCHES".
task_ticks() {
  local proc task stat rest name
  for proc in "$1" $(pgrep -P "$1" 2>/dev/null); do
    for task in /proc/"$proc"/task/*; do
      stat=$(cat "$task/stat" 2>/dev/null) || continue
      name=${stat#*(}; name=${name%)*}; name=${name// /_}
      rest=${stat##*) }
      # shellcheck disable=SC2086
      set -- $rest
      echo "${task##*/} $name ${12} ${13} $(awk '/^voluntary_ctxt/ {v=$2} /^nonvoluntary_ctxt/ {n=$2} END {print v+0, n+0}' "$task/status" 2>/dev/null)"
    done
  done
}

# machine_counters: the whole machine's context switches, CPU ticks, TCP segments and disk
# sectors written since boot, as "SWITCHES USER NICE SYSTEM IDLE IOWAIT IRQ SOFTIRQ STEAL
# OUTSEGS DELAYEDACKS PUREACKS SECTORS" (from /proc/stat, /proc/net/snmp, /proc/net/netstat and
# the whole disks of /proc/diskstats).
machine_counters() {
  {
    awk '/^ctxt/ {s = $2} /^cpu / {c = $2 " " $3 " " $4 " " $5 " " $6 " " $7 " " $8 " " $9}
      END {printf "%s %s", s, c}' /proc/stat
    awk '$1 == "Tcp:" {if (n++) {for (i = 2; i <= NF; i++) if (h[i] == "OutSegs") print " " $i}
        else for (i = 2; i <= NF; i++) h[i] = $i}' /proc/net/snmp | tr -d '\n'
    awk '$1 == "TcpExt:" {if (m++) {for (i = 2; i <= NF; i++)
          if (h[i] == "DelayedACKs" || h[i] == "TCPPureAcks") printf " %s", $i}
        else for (i = 2; i <= NF; i++) h[i] = $i}' /proc/net/netstat
    awk '$3 ~ /^(([sv]|xv)d[a-z]+|nvme[0-9]+n[0-9]+)$/ {w += $10} END {printf " %d", w}' \
      /proc/diskstats
    echo
  }
}

# tasks_before FILE PID (PID "-" for none): notes the threads of PID and the machine's context
# switches and CPU ticks before a run; tasks_after FILE PID UNITS writes FILE: per-thread CPU
# ticks and context switches over the run, per 1000 UNITS (transactions, requests), and the
# whole machine's switches and CPU time per unit (busy, idle, stolen by the hypervisor), in
# ticks of CLK_TCK per second (set by the script that sources this file).
tasks_before() {
  machine_counters >"$1.machine"
  if [ "$2" = - ]; then : >"$1.before"; else task_ticks "$2" >"$1.before"; fi
}
tasks_after() {
  local file=$1 pid=$2 units=$3
  machine_counters >>"$file.machine"
  if [ "$pid" = - ]; then : >"$file.after"; else task_ticks "$pid" >"$file.after"; fi
  if [ -n "$units" ] && [ "$units" -gt 0 ]; then
    python3 "$(dirname "${BASH_SOURCE[0]}")/tasks_report.py" "$file.before" "$file.after" \
      "$units" "$file.machine" "$CLK_TCK" >"$file"
  fi
  rm -f "$file.before" "$file.after" "$file.machine"
}

# syscalls_start PID SECONDS FILE: counts every system call PID's threads (and its child
# processes') enter for SECONDS with perf's syscall tracepoints; run in the background and wait.
syscalls_start() {
  local pids
  pids=$(echo "$1" $(pgrep -P "$1" 2>/dev/null) | tr ' ' ',')
  perf stat -x, -e 'syscalls:sys_enter_*' -p "$pids" -o "$3.raw" -- sleep "$2" >/dev/null 2>&1
}

# syscalls_report FILE UNITS: writes FILE, the system calls counted into FILE.raw per 1000 UNITS
# (transactions, requests), most frequent first, and the total.
syscalls_report() {
  local file=$1 units=$2
  if [ -n "$units" ] && [ "$units" -gt 0 ] && [ -s "$file.raw" ]; then
    awk -F, -v units="$units" '
      $3 ~ /^syscalls:sys_enter_/ && $1 ~ /^[0-9]+$/ && $1 > 0 {
        name = $3; sub(/^syscalls:sys_enter_/, "", name)
        per[name] = $1 * 1000 / units; total += per[name]
      }
      END {
        for (n in per) printf "%10.1f %s\n", per[n], n | "sort -rn"
        close("sort -rn")
        printf "%10.1f total per 1000\n", total
      }' "$file.raw" >"$file"
  fi
  rm -f "$file.raw"
}

# callgrind_window PID SECONDS [AS...]: counts PID's instructions (it runs under callgrind with
# --instr-atstart=no) from 2 s into a run of SECONDS to 1 s before its end, away from the
# client's start-up and wind-down; run in the background and wait. AS (e.g. setpriv ...) runs
# callgrind_control as the user PID runs as: vgdb cannot reach another user's valgrind.
callgrind_window() {
  local pid=$1 seconds=$2
  shift 2
  sleep 2 && timeout 30 "$@" callgrind_control -i on "$pid" >/dev/null \
    && sleep $((seconds > 3 ? seconds - 3 : 1)) \
    && timeout 30 "$@" callgrind_control -i off "$pid" >/dev/null
}

# counters_start PID TARGET SYSCALLS_FILE: in the background for one run of BENCH_T seconds,
# the counters asked for: system calls (BENCH_SYSCALLS=1, any proxy) and callgrind's window
# (BENCH_CALLGRIND=1, the Warden gateways and PgBouncer); counters_wait TARGET waits for them.
COUNTER_PIDS=()
counters_start() {
  COUNTER_PIDS=()
  if [ "${BENCH_SYSCALLS:-0}" = 1 ] && [ "$1" != - ]; then
    syscalls_start "$1" "$BENCH_T" "$3" &
    COUNTER_PIDS+=("$!")
  fi
  if [ "${BENCH_CALLGRIND:-0}" = 1 ] && [[ "$2" == warden* ]]; then
    callgrind_window "$1" "$BENCH_T" &
    COUNTER_PIDS+=("$!")
  elif [ "${BENCH_CALLGRIND:-0}" = 1 ] && [ "$2" = pgbouncer ]; then
    callgrind_window "$1" "$BENCH_T" "${AS_SVC[@]}" &
    COUNTER_PIDS+=("$!")
  fi
}
counters_wait() {
  local counter
  for counter in "${COUNTER_PIDS[@]}"; do
    wait "$counter" || log "  a counter (perf stat or callgrind_control) failed for $1"
  done
  COUNTER_PIDS=()
}
