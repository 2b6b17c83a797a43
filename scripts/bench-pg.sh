#!/usr/bin/env bash
# PostgreSQL throughput benchmark of Warden's PostgreSQL gateway, in one invocation.
#
# Builds `warden` (release) and a zero-logic tokio relay, starts a throwaway PostgreSQL with a
# pgbench database, a PgBouncer (session mode), the relay and a Warden gateway in front of it, then
# runs `pgbench -S` against direct / relay / pgbouncer / warden interleaved per round (the order
# rotates every round) and prints paired ratios: each proxy's TPS ÷ direct TPS of the same round.
# Why paired: on a small, noisy machine absolute TPS drifts by ±40%; see docs/benchmarks.md.
#
# Usage: scripts/bench-pg.sh
# Environment (all optional):
#   BENCH_T=20              seconds per pgbench run
#   BENCH_WARMUP=5          seconds of unrecorded pgbench -S per target before the first round
#                           (0 skips it), as in bench-http.sh
#   BENCH_ROUNDS=3          rounds for -M simple (0 skips it; the RESULT line is then NA)
#   BENCH_MODES_ROUNDS=2    rounds for -M extended and -M prepared (0 skips them)
#   BENCH_MODES="extended prepared"  which of those two run after the simple rounds
#   BENCH_CLIENTS=16        pgbench -c
#   BENCH_THREADS=2         pgbench -j
#   BENCH_SCALE=10          pgbench -i -s
#   BENCH_RELAY_THREADS=2   worker threads of the relay (1 = current-thread runtime)
#   BENCH_SHARED_BUFFERS=512MB
#   BENCH_KEEP=1            keep the temp dir (logs, configs, results.csv) after exit
#   BENCH_MASK=1            Warden's role has a masking profile with every detector and a column
#                           rule (the default: the budget is with masking on); 0 runs without one
#   BENCH_PERF=1            record a perf profile (call graphs) of Warden during its runs, kept in
#                           the temp dir as perf-MODE-rROUND.data (implies BENCH_KEEP=1); BENCH_PERF=all
#                           profiles the relay and PgBouncer too (perf-MODE-rROUND-TARGET.data)
#                           BENCH_PERF=machine samples the whole machine (no call graphs) during
#                           every target's runs and writes its CPU time per transaction by command
#                           (postgres, pgbench, kernel threads, the proxy) as
#                           machine-MODE-rROUND-TARGET.txt
#   BENCH_PERF_FREQ=299     perf sampling frequency (Hz)
#   BENCH_PERF_EVENT        record every such event instead of sampling (e.g. sched:sched_switch:
#                           where each proxy's threads sleep or are preempted, with their stacks)
#   BENCH_STRACE=1          count each proxy's system calls (strace -c -f) during its runs, kept in
#                           the temp dir as strace-MODE-rROUND-TARGET.txt; slows the proxies, so its
#                           TPS figures are not comparable (implies BENCH_KEEP=1)
#   BENCH_STAT=1            perf stat (CPU time, context switches, migrations, page faults) of each
#                           proxy during its runs, kept as stat-MODE-rROUND-TARGET.txt (implies BENCH_KEEP=1)
#   BENCH_SYSCALLS=1        system calls of each proxy per 1000 transactions, by name (perf's
#                           syscall tracepoints), kept as syscalls-MODE-rROUND-TARGET.txt (implies BENCH_KEEP=1)
#   BENCH_TASKS=1           per-thread CPU time (user, sys ticks) and context switches (voluntary,
#                           involuntary) of each proxy during its runs, per 1000 transactions, kept
#                           as tasks-MODE-rROUND-TARGET.txt with the whole machine's context switches
#                           per 1000 transactions and CPU time (busy, idle) per transaction, its
#                           TCP segments per 1000 and the bytes its disks were written per transaction
#                           (implies BENCH_KEEP=1)
#   BENCH_CALLGRIND=1       run the gateways and PgBouncer under valgrind's callgrind, counting
#                           instructions only while pgbench runs through them (from 2 s after it
#                           starts to 1 s before it ends), and print instructions per statement for
#                           each gateway and per transaction for PgBouncer (implies
#                           BENCH_KEEP=1; profiles kept as NAME/callgrind.out). Counts are exact and
#                           unmoved by the machine's drift, unlike times; the TPS of a gateway or
#                           PgBouncer under valgrind is meaningless. SHA-256 runs in software under
#                           valgrind.
#   BENCH_B_BIN, BENCH_B_ENV   add a second gateway, "warden-b", run in every round like the others:
#                           this binary (default: the same one) started with these VAR=value
#                           settings (e.g. "WARDEN_WORKERS=1"); the report adds warden-b ÷ warden
#   BENCH_B_CONFIG          TOML appended to warden-b's config (e.g. a [gateway.recordings] table):
#                           an A/B of a config setting with the same binary
#   BENCH_B_FIRST=1         start warden-b before warden (the one started second runs a few per cent
#                           faster even when both are the same: run an A/B both ways round)
#   BENCH_WARDEN_BIN, BENCH_RELAY_BIN   use these binaries instead of building them
#   BENCH_PGO=1             build warden with scripts/build-pgo.sh (profile-guided, the build to deploy);
#                           0 builds it without a profile (cargo build --release)
#   CARGO_TARGET_DIR        defaults to $HOME/.cache/warden-target, like scripts/test.sh
#   WARDEN_PG_BIN_DIR       directory holding initdb and postgres
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BENCH_T=${BENCH_T:-20}
BENCH_WARMUP=${BENCH_WARMUP:-5}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_MODES_ROUNDS=${BENCH_MODES_ROUNDS:-2}
BENCH_MODES=${BENCH_MODES:-extended prepared}
BENCH_CLIENTS=${BENCH_CLIENTS:-16}
BENCH_THREADS=${BENCH_THREADS:-2}
BENCH_SCALE=${BENCH_SCALE:-10}
BENCH_RELAY_THREADS=${BENCH_RELAY_THREADS:-2}
BENCH_SHARED_BUFFERS=${BENCH_SHARED_BUFFERS:-512MB}
BENCH_KEEP=${BENCH_KEEP:-0}
BENCH_MASK=${BENCH_MASK:-1}
BENCH_PERF=${BENCH_PERF:-0}
BENCH_STRACE=${BENCH_STRACE:-0}
BENCH_STAT=${BENCH_STAT:-0}
BENCH_CALLGRIND=${BENCH_CALLGRIND:-0}
BENCH_TASKS=${BENCH_TASKS:-0}
BENCH_SYSCALLS=${BENCH_SYSCALLS:-0}
BENCH_B_ENV=${BENCH_B_ENV:-}
BENCH_B_CONFIG=${BENCH_B_CONFIG:-}
BENCH_B_FIRST=${BENCH_B_FIRST:-0}
BENCH_B=0
if [ -n "${BENCH_B_BIN:-}" ] || [ -n "$BENCH_B_ENV" ] || [ -n "$BENCH_B_CONFIG" ]; then
  BENCH_B=1
fi
[ "$BENCH_PERF" != 0 ] && BENCH_KEEP=1
[ "$BENCH_STRACE" = 1 ] && BENCH_KEEP=1
[ "$BENCH_STAT" = 1 ] && BENCH_KEEP=1
[ "$BENCH_CALLGRIND" = 1 ] && BENCH_KEEP=1
[ "$BENCH_TASKS" = 1 ] && BENCH_KEEP=1
[ "$BENCH_SYSCALLS" = 1 ] && BENCH_KEEP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/warden-target}"
export CARGO_TERM_COLOR=never

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench-pg: error: %s\n' "$*" >&2; exit 1; }
. "$ROOT/scripts/bench/lib.sh"   # whole_numbers, stop_pid, own, free_port, wait_port
whole_numbers BENCH_T BENCH_ROUNDS BENCH_MODES_ROUNDS BENCH_WARMUP BENCH_CLIENTS BENCH_THREADS
for mode in $BENCH_MODES; do
  case $mode in
    extended | prepared) ;;
    *) die "BENCH_MODES: unknown mode $mode (extended, prepared)" ;;
  esac
done

# ---------------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------------
pg_bin_dir() {
  local dir
  for dir in "${WARDEN_PG_BIN_DIR:-}" "$(pg_config --bindir 2>/dev/null || true)" \
             $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ] && { echo "$dir"; return; }
  done
  local initdb; initdb=$(command -v initdb || true)
  [ -n "$initdb" ] && dirname "$(readlink -f "$initdb")"
}
PG_BIN=$(pg_bin_dir)
[ -n "$PG_BIN" ] || die "initdb/postgres not found: run scripts/install-test-deps.sh or set WARDEN_PG_BIN_DIR"
for tool in pgbench psql pgbouncer python3 cargo setpriv timeout; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found: run scripts/install-test-deps.sh"
done
if [ "$BENCH_CALLGRIND" = 1 ]; then
  for tool in valgrind callgrind_control; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found: apt-get install valgrind"
  done
fi
PGBENCH=$(command -v pgbench)
PSQL=$(command -v psql)
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------------------------------------
# Clean-up: every process we start is recorded; every wait is bounded.
# ---------------------------------------------------------------------------------------------
WORK=""
PIDS=()           # name:pid of every server we started, stopped in reverse order
PG_PID=""
CLIENT_PID=""     # the running pgbench (under timeout), if any

cleanup() {
  local rc=$? entry i
  trap - EXIT INT TERM
  [ -n "$CLIENT_PID" ] && stop_pid pgbench "$CLIENT_PID" TERM
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    entry=${PIDS[$i]}
    stop_pid "${entry%%:*}" "${entry##*:}" TERM
  done
  # SIGINT is PostgreSQL's "fast" shutdown: it closes sessions and checkpoints.
  [ -n "$PG_PID" ] && stop_pid postgres "$PG_PID" INT
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    if [ "$BENCH_KEEP" = 1 ]; then
      log "kept $WORK"
    else
      rm -rf "$WORK"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# 1. Build
# ---------------------------------------------------------------------------------------------
build_warden
if [ -n "${BENCH_RELAY_BIN:-}" ]; then
  RELAY=$BENCH_RELAY_BIN
else
  log "building the zero-logic relay (scripts/bench/relay)"
  nice -n 10 cargo build --release --locked --manifest-path scripts/bench/relay/Cargo.toml
  RELAY="$CARGO_TARGET_DIR/release/warden-bench-relay"
fi
[ -x "$WARDEN" ] && [ -x "$RELAY" ] || die "build finished but $WARDEN or $RELAY is missing"

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
# Under /tmp so the unprivileged service user can reach it and socket paths stay short.
WORK=$(mktemp -d /tmp/warden-bench-XXXXXX)
chmod 755 "$WORK"

# Servers refuse (PostgreSQL, PgBouncer) or should not need root: run them as a service user.
AS_SVC=()
SVC_USER=""
if [ "$(id -u)" -eq 0 ]; then
  for candidate in postgres nobody; do
    if id -u "$candidate" >/dev/null 2>&1; then SVC_USER=$candidate; break; fi
  done
  [ -n "$SVC_USER" ] || die "running as root but neither user postgres nor nobody exists"
  # setpriv execs, so $! is the server's own pid (needed for /proc/PID/stat).
  AS_SVC=(setpriv --reuid="$SVC_USER" --regid="$(id -g "$SVC_USER")" --clear-groups)
fi

random_hex() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }

# cpu_ticks PID: "TOTAL USER", utime + stime and utime alone of the whole process (all
# threads), in clock ticks; empty when PID is gone.
cpu_ticks() {
  # Field 2 (comm) may contain spaces: cut everything up to the last ')'.
  local stat rest
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo ""; return; }
  rest=${stat##*) }
  # shellcheck disable=SC2086
  set -- $rest
  echo "$(( ${12} + ${13} )) ${12}"   # fields 14 and 15 of the full line
}

# The same libpq settings for every target: no TLS (PostgreSQL here has none; Warden would
# otherwise negotiate TLS and pay for it alone), no GSS encryption, bounded connect.
export PGSSLMODE=disable PGGSSENCMODE=disable PGCONNECT_TIMEOUT=10
unset PGSERVICE PGOPTIONS PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD 2>/dev/null || true

# ---------------------------------------------------------------------------------------------
# 2. PostgreSQL
# ---------------------------------------------------------------------------------------------
PG_DATA="$WORK/pg/data"
mkdir -p "$WORK/pg"
own "$WORK/pg"
log "initdb ($PG_BIN) into $PG_DATA"
(cd "$WORK/pg" && LC_ALL=C timeout 300 "${AS_SVC[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U postgres \
  -A trust -E UTF8 --no-locale -N >"$WORK/pg/initdb.log" 2>&1) \
  || { cat "$WORK/pg/initdb.log" >&2; die "initdb failed"; }
printf 'local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n' >"$PG_DATA/pg_hba.conf"
own "$PG_DATA/pg_hba.conf"

PG_PORT=$(free_port)
log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
(cd "$WORK/pg" && exec env LC_ALL=C "${AS_SVC[@]}" "$PG_BIN/postgres" -D "$PG_DATA" -p "$PG_PORT" \
  -k "$WORK/pg" -c listen_addresses=127.0.0.1 -c max_connections=300 \
  -c shared_buffers="$BENCH_SHARED_BUFFERS" -c synchronous_commit=off \
  -c password_encryption=scram-sha-256 -c ssl=off) >"$WORK/pg/postgres.log" 2>&1 &
PG_PID=$!
wait_port postgres "$PG_PID" "$PG_PORT" "$WORK/pg/postgres.log"
for ((i = 0; i < 600; i++)); do
  timeout 5 "$PG_BIN/pg_isready" -q -h "$WORK/pg" -p "$PG_PORT" -U postgres -d postgres && break
  kill -0 "$PG_PID" 2>/dev/null || die "postgres exited during start-up (see $WORK/pg/postgres.log)"
  sleep 0.1
done

pg_admin() {   # SQL on stdin, as the superuser over the unix socket (trust)
  timeout 120 "$PSQL" -XAtq -v ON_ERROR_STOP=1 -h "$WORK/pg" -p "$PG_PORT" -U postgres -d "${1:-postgres}"
}
PG_PASSWORD=$(random_hex)
# Through stdin so the password never shows in the process list.
echo "ALTER ROLE postgres PASSWORD '$PG_PASSWORD'" | pg_admin
echo "CREATE DATABASE bench" | pg_admin
log "pgbench -i -s $BENCH_SCALE"
timeout 900 "$PGBENCH" -h "$WORK/pg" -p "$PG_PORT" -U postgres -i -q -s "$BENCH_SCALE" bench \
  >"$WORK/pg/pgbench-init.log" 2>&1 || { cat "$WORK/pg/pgbench-init.log" >&2; die "pgbench -i failed"; }
# The load's pages go to disk now, not in the middle of a measured run (a checkpoint or the
# kernel's writeback of a few hundred MB would land on whichever target ran then).
echo "CHECKPOINT" | pg_admin bench
sync

# ---------------------------------------------------------------------------------------------
# 3. Proxies: relay, PgBouncer (session mode), Warden
# ---------------------------------------------------------------------------------------------
mkdir -p "$WORK/relay"
RELAY_PORT=$(free_port)
log "starting the relay on 127.0.0.1:$RELAY_PORT ($BENCH_RELAY_THREADS worker threads)"
"${AS_SVC[@]}" "$RELAY" "127.0.0.1:$RELAY_PORT" "127.0.0.1:$PG_PORT" "$BENCH_RELAY_THREADS" \
  >"$WORK/relay/relay.log" 2>&1 &
RELAY_PID=$!
PIDS+=("relay:$RELAY_PID")
wait_port relay "$RELAY_PID" "$RELAY_PORT" "$WORK/relay/relay.log"

mkdir -p "$WORK/pgbouncer"
BOUNCER_PORT=$(free_port)
umask_old=$(umask); umask 077
printf '"postgres" "%s"\n' "$PG_PASSWORD" >"$WORK/pgbouncer/userlist.txt"
umask "$umask_old"
cat >"$WORK/pgbouncer/pgbouncer.ini" <<EOF
[databases]
bench = host=127.0.0.1 port=$PG_PORT dbname=bench

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $WORK/pgbouncer/userlist.txt
pool_mode = session
default_pool_size = 64
max_client_conn = 500
server_idle_timeout = 60
ignore_startup_parameters = extra_float_digits
logfile = $WORK/pgbouncer/pgbouncer.log
pidfile = $WORK/pgbouncer/pgbouncer.pid
EOF
own "$WORK/pgbouncer"
log "starting PgBouncer (session mode) on 127.0.0.1:$BOUNCER_PORT"
# Under callgrind too, so that its instructions per transaction stand beside Warden's.
bouncer_launcher=()
[ "$BENCH_CALLGRIND" = 1 ] && bouncer_launcher=(valgrind --tool=callgrind --instr-atstart=no
  "--callgrind-out-file=$WORK/pgbouncer/callgrind.out")
"${AS_SVC[@]}" "${bouncer_launcher[@]}" pgbouncer "$WORK/pgbouncer/pgbouncer.ini" \
  >"$WORK/pgbouncer/stderr.log" 2>&1 &
BOUNCER_PID=$!
PIDS+=("pgbouncer:$BOUNCER_PID")
wait_port pgbouncer "$BOUNCER_PID" "$BOUNCER_PORT" "$WORK/pgbouncer/stderr.log"

# start_warden NAME BIN [VAR=value ...]: configures, keys and starts a gateway in $WORK/NAME and
# sets STARTED_PORT, STARTED_KEY and STARTED_PID.
start_warden() {
  local name=$1 bin=$2 dir="$WORK/$1" port pid
  shift 2
  mkdir -p "$dir"
  port=$(free_port)
  umask 077
  printf '%s' "$PG_PASSWORD" >"$dir/pg-password"
  umask "$umask_old"
  cat >"$dir/warden.toml" <<EOF
# Generated by scripts/bench-pg.sh.
[gateway]
data_dir = "data"
node = "bench"

[[gateway.listeners]]
protocol = "postgres"
address = "127.0.0.1:$port"
allow_plaintext_loopback = true

[identity.api_keys]
enabled = true

[connections.pg-bench]
kind = "postgres"
upstream = "127.0.0.1:$PG_PORT"
database = "bench"
tls = { mode = "disable" }
credentials = { username = "postgres", password = { file = "pg-password" } }

[roles.dba]
groups = ["dba"]
connections = ["pg-bench"]
allow = ["sql:*"]
EOF
  if [ "$BENCH_MASK" = 1 ]; then
    cat >>"$dir/warden.toml" <<'MASK'
mask = "bench"

[masking.profiles.bench]
detectors = ["email", "card", "ssn", "phone", "iban", "ip", "aws_key", "jwt", "private_key", "api_token"]
strategy = { kind = "redact" }
columns = [{ match = "*.password", strategy = { kind = "redact" } }]
MASK
  fi
  b_config "$name" "$dir/warden.toml"
  timeout 60 "$bin" config check "$dir/warden.toml" >"$dir/config-check.log" 2>&1 \
    || { cat "$dir/config-check.log" >&2; die "$name: warden config check failed"; }
  warden_api_key "$bin" "$dir/warden.toml" dba "$dir"
  log "starting $name on 127.0.0.1:$port${*:+ with $*}"
  local launcher=()
  [ "$BENCH_CALLGRIND" = 1 ] && launcher=(valgrind --tool=callgrind --instr-atstart=no
    "--callgrind-out-file=$dir/callgrind.out")
  env RUST_LOG="${RUST_LOG:-warn}" "$@" "${launcher[@]}" "$bin" gateway --config "$dir/warden.toml" \
    >"$dir/$name.log" 2>&1 &
  pid=$!
  PIDS+=("$name:$pid")
  wait_port "$name" "$pid" "$port" "$dir/$name.log"
  STARTED_PORT=$port STARTED_KEY=$WARDEN_API_KEY STARTED_PID=$pid
}

start_a() {
  start_warden warden "$WARDEN"
  WARDEN_PORT=$STARTED_PORT WARDEN_KEY=$STARTED_KEY WARDEN_PID=$STARTED_PID
}
start_b() {
  # shellcheck disable=SC2086
  start_warden warden-b "${BENCH_B_BIN:-$WARDEN}" $BENCH_B_ENV
  B_PORT=$STARTED_PORT B_KEY=$STARTED_KEY B_PID=$STARTED_PID
}
# The gateway started second has measured a few per cent ahead of an identical one started first
# (docs/benchmarks.md): run an A/B both ways round.
if [ "$BENCH_B" = 1 ] && [ "$BENCH_B_FIRST" = 1 ]; then
  start_b
  start_a
else
  start_a
  [ "$BENCH_B" = 1 ] && start_b
fi

# ---------------------------------------------------------------------------------------------
# 4. Runs
# ---------------------------------------------------------------------------------------------
TARGETS=(direct relay pgbouncer warden)
[ "$BENCH_B" = 1 ] && TARGETS+=(warden-b)

# target_conn TARGET: prints "PORT USER DBNAME PASSWORD PID" (PID empty for direct).
target_conn() {
  case $1 in
    direct)    echo "$PG_PORT postgres bench $PG_PASSWORD -" ;;
    relay)     echo "$RELAY_PORT postgres bench $PG_PASSWORD $RELAY_PID" ;;
    pgbouncer) echo "$BOUNCER_PORT postgres bench $PG_PASSWORD $BOUNCER_PID" ;;
    warden)    echo "$WARDEN_PORT bench pg-bench $WARDEN_KEY $WARDEN_PID" ;;
    warden-b)  echo "$B_PORT bench pg-bench $B_KEY $B_PID" ;;
  esac
}

log "smoke test: one query through every target"
for target in "${TARGETS[@]}"; do
  read -r port user db password _ <<<"$(target_conn "$target")"
  if out=$(PGPASSWORD=$password timeout 30 "$PSQL" -XAtq -h 127.0.0.1 -p "$port" -U "$user" -d "$db" \
      -c 'select count(*) from pgbench_branches' 2>&1); then
    log "  $target: ok (pgbench_branches rows: $out)"
  else
    log "  $target: FAILED: $out"
  fi
done

RESULTS="$WORK/results.csv"
echo "mode,round,position,target,rc,tps,txns,latency_ms,cpu_ticks,clk_tck,duration_s,user_ticks" >"$RESULTS"
mkdir -p "$WORK/logs"

# pgbench_select TARGET MODE SECONDS LOG: pgbench -S through TARGET, its output into LOG. Run it
# in the background (it becomes the bounded pgbench itself) and wait for it, so that a signal to
# this script stops the run at once.
pgbench_select() {
  local port user db password
  read -r port user db password _ <<<"$(target_conn "$1")"
  export PGPASSWORD=$password
  exec timeout -k 10 $(($3 + 180)) "$PGBENCH" -h 127.0.0.1 -p "$port" -U "$user" -S -M "$2" \
    -c "$BENCH_CLIENTS" -j "$BENCH_THREADS" -T "$3" "$db" >"$4" 2>&1
}

run_one() {   # run_one MODE ROUND POSITION TARGET
  local mode=$1 round=$2 position=$3 target=$4 pid
  read -r _ _ _ _ pid <<<"$(target_conn "$target")"
  local logfile="$WORK/logs/$mode-r$round-$target.log" before="" after="" rc=0
  if [ "$pid" != - ] && ! kill -0 "$pid" 2>/dev/null; then
    log "  $target is not running any more; its log tail:"
    tail -n 20 "$WORK/$target/$target.log" >&2 2>/dev/null || true
  fi
  local user_before="" user_after="" user_split=""
  local tasks_file="$WORK/tasks-$mode-r$round-$target.txt"
  if [ "$BENCH_TASKS" = 1 ]; then tasks_before "$tasks_file" "$pid"; fi
  [ "$pid" = - ] || read -r before user_before <<<"$(cpu_ticks "$pid")"
  pgbench_select "$target" "$mode" "$BENCH_T" "$logfile" &
  CLIENT_PID=$!
  local perf_pid=""
  if { [ "$BENCH_PERF" = 1 ] && [ "$target" = warden ]; } || { [ "$BENCH_PERF" = all ] && [ "$pid" != - ]; }; then
    local perf_name="perf-$mode-r$round"
    [ "$target" = warden ] || perf_name="perf-$mode-r$round-$target"
    perf_record "$pid" "$BENCH_T" "$WORK/$perf_name.data" "$WORK/logs/$perf_name.log" &
    perf_pid=$!
  fi
  if [ "$BENCH_PERF" = machine ]; then
    perf_record_machine "$BENCH_T" "$WORK/machine-$mode-r$round-$target.data" \
      "$WORK/logs/machine-$mode-r$round-$target.log" &
    perf_pid=$!
  fi
  local stat_pid=""
  if [ "$BENCH_STAT" = 1 ] && [ "$pid" != - ]; then
    perf stat -e task-clock,context-switches,cpu-migrations,page-faults -p "$pid" \
      -o "$WORK/stat-$mode-r$round-$target.txt" -- sleep "$BENCH_T" >/dev/null 2>&1 &
    stat_pid=$!
  fi
  local syscalls_file="$WORK/syscalls-$mode-r$round-$target.txt"
  counters_start "$pid" "$target" "$syscalls_file"
  local strace_pid=""
  if [ "$BENCH_STRACE" = 1 ] && [ "$pid" != - ]; then
    strace -c -f -p "$pid" -o "$WORK/strace-$mode-r$round-$target.txt" &
    strace_pid=$!
  fi
  wait "$CLIENT_PID" || rc=$?
  [ -z "$perf_pid" ] || wait "$perf_pid" || log "  perf record failed for $target: see $WORK/logs"
  [ -z "$stat_pid" ] || wait "$stat_pid" || log "  perf stat failed for $target"
  counters_wait "$target"
  if [ -n "$strace_pid" ]; then
    kill -INT "$strace_pid" 2>/dev/null || true
    wait "$strace_pid" 2>/dev/null || true
  fi
  CLIENT_PID=""
  [ "$pid" = - ] || read -r after user_after <<<"$(cpu_ticks "$pid")"
  local tps txns lat cpu="" user=""
  if [ -n "$user_before" ] && [ -n "$user_after" ]; then
    user=$((user_after - user_before))
    user_split=" (user $user)"
  fi
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$logfile" | tail -n1)
  txns=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$logfile" | tail -n1)
  lat=$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$logfile" | tail -n1)
  [ -n "$before" ] && [ -n "$after" ] && cpu=$((after - before))
  if [ "$rc" -ne 0 ] || [ -z "$tps" ]; then
    log "  $mode round $round $target: FAILED (pgbench rc=$rc); output tail:"
    tail -n 15 "$logfile" | sed 's/^/      /' >&2
    tps=""
  else
    log "  $mode round $round $target: tps=$tps txns=$txns latency=${lat}ms cpu_ticks=${cpu:-}${user_split}"
  fi
  echo "$mode,$round,$position,$target,$rc,$tps,$txns,$lat,$cpu,$CLK_TCK,$BENCH_T,$user" >>"$RESULTS"
  if [ "$BENCH_TASKS" = 1 ]; then tasks_after "$tasks_file" "$pid" "$txns"; fi
  if [ "$BENCH_SYSCALLS" = 1 ] && [ "$pid" != - ]; then syscalls_report "$syscalls_file" "$txns"; fi
  if [ "$BENCH_PERF" = machine ]; then
    machine_report "$WORK/machine-$mode-r$round-$target" "$txns"
  fi
}

run_mode() {  # run_mode MODE ROUNDS: every round runs every target, order rotated per round
  # and reversed every other round, so that no target always runs right after the same one
  # (warden-b would otherwise always follow warden).
  local mode=$1 rounds=$2 round k j n=${#TARGETS[@]}
  for ((round = 1; round <= rounds; round++)); do
    log "$mode round $round/$rounds"
    for ((k = 0; k < n; k++)); do
      j=$k
      ((round % 2 == 0)) && j=$((n - 1 - k))
      run_one "$mode" "$round" "$k" "${TARGETS[$(((round - 1 + j) % n))]}"
    done
  done
}

# Unrecorded: every target's first run under load (connection set-up, Warden's audit store and
# recordings growing their files, caches) happens before anything is measured.
if [ "$BENCH_WARMUP" -gt 0 ]; then
  log "warm-up: ${BENCH_WARMUP}s of pgbench -S per target (not recorded)"
  for target in "${TARGETS[@]}"; do
    pgbench_select "$target" simple "$BENCH_WARMUP" "$WORK/logs/warmup-$target.log" &
    CLIENT_PID=$!
    wait "$CLIENT_PID" || log "  warm-up of $target: pgbench failed (see $WORK/logs/warmup-$target.log)"
    CLIENT_PID=""
  done
fi

log "pgbench -S -c $BENCH_CLIENTS -j $BENCH_THREADS -T $BENCH_T; $BENCH_ROUNDS simple rounds, $BENCH_MODES_ROUNDS extended/prepared rounds"
run_mode simple "$BENCH_ROUNDS"
if [ "$BENCH_MODES_ROUNDS" -gt 0 ]; then
  for mode in $BENCH_MODES; do
    run_mode "$mode" "$BENCH_MODES_ROUNDS"
  done
fi

# ---------------------------------------------------------------------------------------------
# 5. Report
# ---------------------------------------------------------------------------------------------
echo
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'), $("$PGBENCH" --version), $(pgbouncer --version | head -n1), $(nproc) CPUs"
echo "pgbench -S -c $BENCH_CLIENTS -j $BENCH_THREADS -T $BENCH_T, scale $BENCH_SCALE, over TCP loopback without TLS"
if [ "$BENCH_MASK" = 1 ]; then
  echo "Warden ($WARDEN_BUILD): policy, audit, recording and a masking profile with every detector and a column rule on"
else
  echo "Warden ($WARDEN_BUILD): policy, audit and recording on; no masking profile (BENCH_MASK=0)"
fi
python3 "$ROOT/scripts/bench/summarize.py" "$RESULTS"
if [ "$BENCH_CALLGRIND" = 1 ]; then
  # callgrind writes its profile when the gateway exits.
  stop_pid warden "$WARDEN_PID" TERM
  profiles=("$WORK/warden/callgrind.out")
  if [ "$BENCH_B" = 1 ]; then
    stop_pid warden-b "$B_PID" TERM
    profiles+=("$WORK/warden-b/callgrind.out")
  fi
  python3 "$ROOT/scripts/bench/callgrind_summary.py" "${profiles[@]}"
  stop_pid pgbouncer "$BOUNCER_PID" TERM
  python3 "$ROOT/scripts/bench/callgrind_summary.py" --pgbouncer "$WORK/pgbouncer/callgrind.out"
fi
