#!/usr/bin/env bash
# HTTP throughput benchmark of Warden's HTTP gateway, in one invocation.
#
# Starts an nginx origin serving a fixed ~1 KB JSON body (names and email addresses, so masking
# has work) on a free loopback port, a second nginx as a reverse proxy in front of it, and a
# Warden gateway with policy, audit and masking on, then runs `wrk` against direct / nginx /
# warden interleaved per round (the order rotates every round, reversed every other round) and
# prints paired ratios: each proxy's requests/s ÷ direct requests/s of the same round.
# Why paired: on a small, noisy machine absolute throughput drifts by ±40%; see docs/benchmarks.md.
#
# Usage: scripts/bench-http.sh
# Environment (all optional):
#   BENCH_T=15                  seconds per wrk run
#   BENCH_ROUNDS=3              rounds (each runs every target once)
#   BENCH_WARMUP=3              seconds of unrecorded wrk per target before round 1 (0 skips)
#   BENCH_CONNS=32              wrk -c
#   BENCH_THREADS=2             wrk -t
#   BENCH_NGINX_WORKERS=1       worker_processes of both nginx instances (a number or "auto";
#                               1 vs auto: see docs/benchmarks.md)
#   BENCH_DETECTORS=email       detectors of Warden's masking profile (comma-separated)
#   BENCH_ONLY_BASELINES=1      measure direct and nginx only: no Warden build, config or leg
#   BENCH_KEEP=1                keep the temp dir (logs, configs, results.csv) after exit
#   BENCH_PERF=1                record a perf profile (call graphs) of Warden during its runs, kept in
#                               the temp dir as perf-rROUND.data (implies BENCH_KEEP=1)
#   BENCH_PERF_FREQ=299         perf sampling frequency (Hz)
#   BENCH_PERF_EVENT            record every such event instead of sampling (e.g. sched:sched_switch)
#   BENCH_SYSCALLS=1            system calls of each proxy (nginx: its workers too) per 1000 requests,
#                               by name (perf's syscall tracepoints), kept as syscalls-rROUND-TARGET.txt
#                               (implies BENCH_KEEP=1)
#   BENCH_TASKS=1               per-thread CPU time (user, sys ticks) and context switches of each
#                               proxy (nginx: its worker processes too) per 1000 requests, and the
#                               whole machine's switches and CPU time (busy, idle) per request, its
#                               TCP segments per 1000 and disk bytes written per request, kept
#                               as tasks-rROUND-TARGET.txt (implies BENCH_KEEP=1)
#   BENCH_CALLGRIND=1           run the gateways and the nginx proxy under valgrind's callgrind,
#                               counting instructions only while wrk runs through them (from 2 s after
#                               it starts to 1 s before it ends; nginx's worker over its whole run),
#                               and print instructions per request for each (implies BENCH_KEEP=1;
#                               profiles kept as NAME/callgrind.out, nginx's as
#                               nginx/callgrind.out.PID, one per process). Counts are exact
#                               and unmoved by the machine's drift; throughput under valgrind is not.
#   BENCH_WARDEN_BIN            use this binary instead of building it
#   BENCH_PGO=1                 build warden with scripts/build-pgo.sh (profile-guided, the build to deploy);
#                               0 builds it without a profile (cargo build --release)
#   BENCH_B_BIN, BENCH_B_ENV    add a second gateway, "warden-b", run in every round like the others:
#                               another binary (an A/B of two builds) and/or VAR=VALUE words for its
#                               environment (an A/B of a setting); the report adds warden-b ÷ warden
#   BENCH_B_CONFIG              TOML appended to warden-b's config (e.g. a [gateway.recordings]
#                               table): an A/B of a config setting with the same binary
#   BENCH_B_FIRST=1             start warden-b before warden (the one started second can run a few
#                               per cent faster even when both are the same: run an A/B both ways round)
#   CARGO_TARGET_DIR            defaults to $HOME/.cache/warden-target, like scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BENCH_T=${BENCH_T:-15}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_WARMUP=${BENCH_WARMUP:-3}
BENCH_CONNS=${BENCH_CONNS:-32}
BENCH_THREADS=${BENCH_THREADS:-2}
BENCH_NGINX_WORKERS=${BENCH_NGINX_WORKERS:-1}
BENCH_DETECTORS=${BENCH_DETECTORS:-email}
BENCH_ONLY_BASELINES=${BENCH_ONLY_BASELINES:-0}
BENCH_KEEP=${BENCH_KEEP:-0}
BENCH_PERF=${BENCH_PERF:-0}
BENCH_PERF_FREQ=${BENCH_PERF_FREQ:-299}
BENCH_TASKS=${BENCH_TASKS:-0}
BENCH_SYSCALLS=${BENCH_SYSCALLS:-0}
BENCH_CALLGRIND=${BENCH_CALLGRIND:-0}
BENCH_B_ENV=${BENCH_B_ENV:-}
BENCH_B_CONFIG=${BENCH_B_CONFIG:-}
BENCH_B_FIRST=${BENCH_B_FIRST:-0}
BENCH_B=0
if [ -n "${BENCH_B_BIN:-}" ] || [ -n "$BENCH_B_ENV" ] || [ -n "$BENCH_B_CONFIG" ]; then
  BENCH_B=1
fi
[ "$BENCH_PERF" = 1 ] && BENCH_KEEP=1
[ "$BENCH_TASKS" = 1 ] && BENCH_KEEP=1
[ "$BENCH_SYSCALLS" = 1 ] && BENCH_KEEP=1
[ "$BENCH_CALLGRIND" = 1 ] && BENCH_KEEP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/warden-target}"
export CARGO_TERM_COLOR=never

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench-http: error: %s\n' "$*" >&2; exit 1; }
. "$ROOT/scripts/bench/lib.sh"   # whole_numbers, stop_pid, own, free_port, wait_port

whole_numbers BENCH_T BENCH_ROUNDS BENCH_WARMUP BENCH_CONNS BENCH_THREADS
[ "$BENCH_T" -gt 0 ] && [ "$BENCH_ROUNDS" -gt 0 ] || die "BENCH_T and BENCH_ROUNDS must be at least 1"
[ "$BENCH_CONNS" -ge "$BENCH_THREADS" ] || die "BENCH_CONNS must be at least BENCH_THREADS (wrk)"
[[ $BENCH_NGINX_WORKERS =~ ^([1-9][0-9]*|auto)$ ]] || die "BENCH_NGINX_WORKERS must be a number or auto"
[[ $BENCH_DETECTORS =~ ^[a-z_]+(,[a-z_]+)*$ ]] || die "BENCH_DETECTORS must be a comma-separated list of detector names"

# ---------------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------------
NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } \
  || die "nginx not found: run scripts/install-test-deps.sh"
for tool in wrk python3 setpriv timeout; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found: run scripts/install-test-deps.sh"
done
if [ "$BENCH_CALLGRIND" = 1 ]; then
  for tool in valgrind callgrind_control; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found: apt-get install valgrind"
  done
fi
WRK=$(command -v wrk)
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------------------------------------
# Clean-up: every process we start is recorded; every wait is bounded.
# ---------------------------------------------------------------------------------------------
WORK=""
PIDS=()           # name:pid of every server we started, stopped in reverse order
CLIENT_PID=""     # the running wrk (under timeout), if any

cleanup() {
  local rc=$? entry i
  trap - EXIT INT TERM
  [ -n "$CLIENT_PID" ] && stop_pid wrk "$CLIENT_PID" TERM
  # SIGTERM is nginx's fast shutdown; the master stops its workers before it exits.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    entry=${PIDS[$i]}
    stop_pid "${entry%%:*}" "${entry##*:}" TERM
  done
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
WARDEN=""
if [ "$BENCH_ONLY_BASELINES" = 1 ]; then
  log "BENCH_ONLY_BASELINES=1: measuring direct and nginx only (no Warden)"
else
  [ -n "${BENCH_WARDEN_BIN:-}" ] || command -v cargo >/dev/null 2>&1 \
    || die "cargo not found (or set BENCH_WARDEN_BIN, or BENCH_ONLY_BASELINES=1)"
  build_warden
fi
[ -z "$WARDEN" ] || [ -x "$WARDEN" ] || die "warden binary $WARDEN is missing or not executable"

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
# Under /tmp so the unprivileged service user can reach it.
WORK=$(mktemp -d /tmp/warden-bench-http-XXXXXX)
chmod 755 "$WORK"

# nginx should not run as root: run it as a service user (setpriv execs, so $! is the master's
# own pid, needed for /proc/PID/stat). Its workers then run as that user too.
AS_SVC=()
SVC_USER=""
if [ "$(id -u)" -eq 0 ]; then
  for candidate in nobody postgres; do
    if id -u "$candidate" >/dev/null 2>&1; then SVC_USER=$candidate; break; fi
  done
  [ -n "$SVC_USER" ] || die "running as root but neither user nobody nor postgres exists"
  AS_SVC=(setpriv --reuid="$SVC_USER" --regid="$(id -g "$SVC_USER")" --clear-groups)
fi

# cpu_ticks PID: utime + stime of the process and its live children (nginx's workers), all
# threads, in clock ticks. Empty when PID is gone.
cpu_ticks() {
  python3 - "$1" <<'PY'
import os, sys
root = sys.argv[1]
def fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    return stat[stat.rindex(")") + 2:].split()  # field 3 onwards; comm may hold spaces
try:
    total = sum(int(x) for x in fields(root)[11:13])
except OSError:
    sys.exit(0)
for pid in os.listdir("/proc"):
    if not pid.isdigit() or pid == root:
        continue
    try:
        f = fields(pid)
    except OSError:
        continue
    if f[1] == root:                                   # ppid
        total += int(f[11]) + int(f[12])               # utime, stime
print(total)
PY
}

# ---------------------------------------------------------------------------------------------
# 2. Origin: nginx serving a fixed JSON body
# ---------------------------------------------------------------------------------------------
# About 1 KB, with email addresses in fields and in free text, so Warden's masking has work.
# No single quotes, `$` or backslashes: it goes into nginx's config verbatim.
BODY='{"items":[{"id":1001,"name":"Ada Lovelace","email":"ada.lovelace@example.com","city":"London","status":"active","note":"prefers email, escalate to ada.l@analytical.example.org"},{"id":1002,"name":"Grace Hopper","email":"grace.hopper@example.net","city":"Arlington","status":"active","note":"billing contact: billing+grace@navy.example.mil"},{"id":1003,"name":"Alan Turing","email":"alan.turing@example.co.uk","city":"Wilmslow","status":"inactive","note":"forward to a.turing@bletchley.example.com"},{"id":1004,"name":"Katherine Johnson","email":"k.johnson@example.org","city":"Hampton","status":"active","note":"no personal data in this note at all"},{"id":1005,"name":"Edsger Dijkstra","email":"ewd@example.nl","city":"Nuenen","status":"pending","note":"reply to ewd.archive@example.edu please"},{"id":1006,"name":"Barbara Liskov","email":"liskov@example.com","city":"Boston","status":"active","note":"cc b.liskov@mit.example.edu"}],"count":6,"next":null}'
PLAIN_EMAIL="ada.lovelace@example.com"   # must reach clients of direct and nginx, never of warden

# nginx_common DIR: the settings both nginx instances share. Every path is inside DIR: nothing
# touches the system nginx, its logs, /var/lib/nginx or port 80.
nginx_common() {
  local dir=$1
  cat <<EOF
daemon off;
master_process on;
worker_processes $BENCH_NGINX_WORKERS;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    keepalive_timeout 75s;
    keepalive_requests 1000000;
    server_tokens off;
EOF
}

# start_nginx NAME PORT: starts nginx from $WORK/NAME/nginx.conf, waits for PORT, and sets
# STARTED_PID to the master's pid (not printed: a command substitution would lose PIDS).
STARTED_PID=""
start_nginx() {
  local name=$1 port=$2 dir="$WORK/$1" pid
  mkdir -p "$dir/tmp"
  own "$dir"
  timeout 30 "${AS_SVC[@]}" "$NGINX" -t -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" \
    >"$dir/config-test.log" 2>&1 || { cat "$dir/config-test.log" >&2; die "nginx rejected $dir/nginx.conf"; }
  # The proxy under callgrind too (its worker's profile is callgrind.out.PID), so that its
  # instructions per request stand beside Warden's. Counted over the whole run: callgrind_control
  # cannot reach a forked worker to switch counting on and off.
  local launcher=()
  [ "$BENCH_CALLGRIND" = 1 ] && [ "$name" = nginx ] && launcher=(valgrind --tool=callgrind
    "--callgrind-out-file=$dir/callgrind.out.%p")
  "${AS_SVC[@]}" "${launcher[@]}" "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" \
    >"$dir/stderr.log" 2>&1 &
  pid=$!
  PIDS+=("$name:$pid")
  wait_port "$name" "$pid" "$port" "$dir/error.log"
  STARTED_PID=$pid
}

mkdir -p "$WORK/origin"
ORIGIN_PORT=$(free_port)
{
  nginx_common "$WORK/origin"
  cat <<EOF
    server {
        listen 127.0.0.1:$ORIGIN_PORT;
        location = /v1/items {
            default_type application/json;
            return 200 '$BODY';
        }
        location / { return 404; }
    }
}
EOF
} >"$WORK/origin/nginx.conf"
log "starting the origin (nginx, worker_processes $BENCH_NGINX_WORKERS) on 127.0.0.1:$ORIGIN_PORT"
start_nginx origin "$ORIGIN_PORT"
ORIGIN_PID=$STARTED_PID

# ---------------------------------------------------------------------------------------------
# 3. Proxies: nginx as a reverse proxy, Warden
# ---------------------------------------------------------------------------------------------
# The same path shape as Warden's (/c/origin/...), the prefix stripped before forwarding.
mkdir -p "$WORK/nginx"
NGINX_PORT=$(free_port)
{
  nginx_common "$WORK/nginx"
  cat <<EOF
    upstream origin {
        server 127.0.0.1:$ORIGIN_PORT;
        keepalive 64;
        keepalive_requests 1000000;
        keepalive_timeout 75s;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location /c/origin/ {
            proxy_pass http://origin/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location / { return 404; }
    }
}
EOF
} >"$WORK/nginx/nginx.conf"
log "starting nginx as a reverse proxy (worker_processes $BENCH_NGINX_WORKERS) on 127.0.0.1:$NGINX_PORT"
start_nginx nginx "$NGINX_PORT"
NGINX_PID=$STARTED_PID

# start_warden NAME BINARY [VAR=VALUE...]: a Warden gateway in $WORK/NAME on a free port, with
# its own data directory and API key; sets STARTED_PORT and STARTED_PID.
start_warden() {
  local name=$1 bin=$2 port detectors key_var
  shift 2
  mkdir -p "$WORK/$name"
  port=$(free_port)
  detectors=$(printf '"%s", ' ${BENCH_DETECTORS//,/ })
  cat >"$WORK/$name/warden.toml" <<EOF
# Generated by scripts/bench-http.sh.
[gateway]
data_dir = "data"
node = "bench"

[[gateway.listeners]]
protocol = "http"
address = "127.0.0.1:$port"
allow_plaintext_loopback = true

[identity.api_keys]
enabled = true

[connections.origin]
kind = "http"
upstream = "http://127.0.0.1:$ORIGIN_PORT"
tls = { mode = "disable" }

[[connections.origin.routes]]
method = "GET"
path = "/v1/items"
action = "bench:items:read"

[roles.bench]
groups = ["bench"]
connections = ["origin"]
allow = ["bench:items:read"]
mask = "bench"

[masking.profiles.bench]
detectors = [${detectors%, }]
strategy = { kind = "redact" }
EOF
  b_config "$name" "$WORK/$name/warden.toml"
  if ! timeout 60 "$bin" config check "$WORK/$name/warden.toml" >"$WORK/$name/config-check.log" 2>&1; then
    sed 's/^/    /' "$WORK/$name/config-check.log" >&2
    die "$name rejected the benchmark's HTTP config (above; config in $WORK/$name/warden.toml, BENCH_KEEP=1 keeps it). If Warden's HTTP gateway is not built yet, run with BENCH_ONLY_BASELINES=1 to measure direct and nginx only."
  fi
  warden_api_key "$bin" "$WORK/$name/warden.toml" bench "$WORK/$name"
  # wrk reads the header from the environment in a Lua script rather than from -H, so the key
  # never shows in the process list. The script defines no request(), so wrk still builds the
  # request once and sends the same bytes as with -H: no per-request Lua.
  key_var="BENCH_${name//-/_}_KEY"
  key_var=${key_var^^}
  export "$key_var=$WARDEN_API_KEY"
  printf 'wrk.headers["Authorization"] = "Bearer " .. os.getenv("%s")\n' "$key_var" >"$WORK/$name/auth.lua"
  log "starting $name on 127.0.0.1:$port (policy, audit, masking: $BENCH_DETECTORS)${*:+; environment: $*}"
  local launcher=()
  [ "$BENCH_CALLGRIND" = 1 ] && launcher=(valgrind --tool=callgrind --instr-atstart=no
    "--callgrind-out-file=$WORK/$name/callgrind.out")
  env "$@" RUST_LOG="${RUST_LOG:-warn}" "${launcher[@]}" "$bin" gateway --config "$WORK/$name/warden.toml" \
    >"$WORK/$name/warden.log" 2>&1 &
  STARTED_PID=$!
  STARTED_PORT=$port
  PIDS+=("$name:$STARTED_PID")
  wait_port "$name" "$STARTED_PID" "$port" "$WORK/$name/warden.log"
}

WARDEN_PID=""
WARDEN_PORT=""
B_PID=""
B_PORT=""
start_a() {
  start_warden warden "$WARDEN"
  WARDEN_PID=$STARTED_PID
  WARDEN_PORT=$STARTED_PORT
}
start_b() {
  # shellcheck disable=SC2086 # BENCH_B_ENV is a list of VAR=VALUE words
  start_warden warden-b "${BENCH_B_BIN:-$WARDEN}" $BENCH_B_ENV
  B_PID=$STARTED_PID
  B_PORT=$STARTED_PORT
}
# The gateway started second can run a few per cent ahead of an identical one started first
# (docs/benchmarks.md): run an A/B both ways round.
if [ -n "$WARDEN" ] && [ "$BENCH_B" = 1 ] && [ "$BENCH_B_FIRST" = 1 ]; then
  start_b
  start_a
elif [ -n "$WARDEN" ]; then
  start_a
  [ "$BENCH_B" = 1 ] && start_b
fi

# ---------------------------------------------------------------------------------------------
# 4. Runs
# ---------------------------------------------------------------------------------------------
TARGETS=(direct nginx)
[ -n "$WARDEN" ] && TARGETS+=(warden)
[ -n "$B_PID" ] && TARGETS+=(warden-b)

# target_info TARGET: prints "URL PID WRK_SCRIPT" (PID and script "-" when none).
target_info() {
  case $1 in
    direct) echo "http://127.0.0.1:$ORIGIN_PORT/v1/items - -" ;;
    nginx)  echo "http://127.0.0.1:$NGINX_PORT/c/origin/v1/items $NGINX_PID -" ;;
    warden) echo "http://127.0.0.1:$WARDEN_PORT/c/origin/v1/items $WARDEN_PID $WORK/warden/auth.lua" ;;
    warden-b) echo "http://127.0.0.1:$B_PORT/c/origin/v1/items $B_PID $WORK/warden-b/auth.lua" ;;
  esac
}

# smoke TARGET: one request; the status must be 200 and the body the origin's, with the plain
# email masked through Warden and intact elsewhere. A failure here would make every run
# measure error responses, so it stops the benchmark.
smoke() {
  local target=$1 url pid script out
  read -r url pid script <<<"$(target_info "$target")"
  if ! out=$(timeout 30 python3 - "$url" "$target" "$PLAIN_EMAIL" <<'PY' 2>&1
import os, sys, urllib.request, urllib.error
url, target, email = sys.argv[1:4]
req = urllib.request.Request(url)
if target.startswith("warden"):
    key = "BENCH_" + target.upper().replace("-", "_") + "_KEY"
    req.add_header("Authorization", "Bearer " + os.environ[key])
try:
    with urllib.request.urlopen(req, timeout=20) as resp:
        status, body = resp.status, resp.read().decode("utf-8", "replace")
except urllib.error.HTTPError as err:
    status, body = err.code, err.read().decode("utf-8", "replace")
except Exception as err:  # connection refused, reset, timeout
    sys.exit(f"no response: {err}")
if status != 200:
    sys.exit(f"status {status}: {body[:300]}")
if not body.startswith('{"items":['):
    sys.exit(f"unexpected body: {body[:300]}")
if target.startswith("warden"):
    if email in body:
        sys.exit("the email came back unmasked: is the role's masking profile applied?")
elif email not in body:
    sys.exit(f"the email is missing from the body: {body[:300]}")
print(f"{len(body)} bytes")
PY
  ); then
    [ "$pid" = - ] || kill -0 "$pid" 2>/dev/null || log "  $target is not running any more"
    [[ $target == warden* ]] && tail -n 20 "$WORK/$target/warden.log" >&2 2>/dev/null
    die "smoke test through $target ($url) failed: $out"
  fi
  log "  $target: ok ($out)"
}

log "smoke test: one request through every target"
for target in "${TARGETS[@]}"; do smoke "$target"; done

RESULTS="$WORK/results.csv"
echo "round,position,target,rc,rps,requests,non2xx,socket_errors,p50_ms,p99_ms,cpu_ticks,clk_tck,duration_s" >"$RESULTS"
mkdir -p "$WORK/logs"

# wrk_run LOGFILE SECONDS URL SCRIPT: wrk in the background, waited for, so a signal to this
# script stops the run at once. Returns wrk's exit status.
wrk_run() {
  local logfile=$1 seconds=$2 url=$3 script=$4 rc=0 args=()
  [ "$script" = - ] || args=(-s "$script")
  timeout -k 10 $((seconds + 60)) "$WRK" -t "$BENCH_THREADS" -c "$BENCH_CONNS" -d "${seconds}s" \
    --timeout 10s --latency "${args[@]}" "$url" >"$logfile" 2>&1 &
  CLIENT_PID=$!
  wait "$CLIENT_PID" || rc=$?
  CLIENT_PID=""
  return "$rc"
}

# to_ms VALUE: wrk prints durations as 812.00us, 1.23ms or 1.05s.
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
  }'
}

run_one() {   # run_one ROUND POSITION TARGET
  local round=$1 position=$2 target=$3 url pid script
  read -r url pid script <<<"$(target_info "$target")"
  local logfile="$WORK/logs/r$round-$target.log" before="" after="" rc=0
  kill -0 "$ORIGIN_PID" 2>/dev/null || log "  the origin is not running any more (see $WORK/origin/error.log)"
  if [ "$pid" != - ] && ! kill -0 "$pid" 2>/dev/null; then
    log "  $target is not running any more"
  fi
  local tasks_file="$WORK/tasks-r$round-$target.txt"
  if [ "$BENCH_TASKS" = 1 ]; then tasks_before "$tasks_file" "$pid"; fi
  [ "$pid" = - ] || before=$(cpu_ticks "$pid")
  local perf_pid=""
  if [ "$BENCH_PERF" = 1 ] && [ "$target" = warden ]; then
    perf_record "$pid" "$BENCH_T" "$WORK/perf-r$round.data" "$WORK/logs/perf-r$round.log" &
    perf_pid=$!
  fi
  local syscalls_file="$WORK/syscalls-r$round-$target.txt"
  counters_start "$pid" "$target" "$syscalls_file"
  wrk_run "$logfile" "$BENCH_T" "$url" "$script" || rc=$?
  counters_wait "$target"
  [ -z "$perf_pid" ] || wait "$perf_pid" || log "  perf record failed: see $WORK/logs/perf-r$round.log"
  [ "$pid" = - ] || after=$(cpu_ticks "$pid")
  local rps requests non2xx socket p50 p99 cpu=""
  rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$logfile" | tail -n1)
  requests=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$logfile" | tail -n1)
  non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$logfile" | tail -n1)
  socket=$(sed -n 's/^ *Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 \2 \3 \4/p' \
    "$logfile" | tail -n1 | awk '{print $1 + $2 + $3 + $4}')
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$logfile" | tail -n1)")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$logfile" | tail -n1)")
  non2xx=${non2xx:-0}
  socket=${socket:-0}
  [ -n "$before" ] && [ -n "$after" ] && cpu=$((after - before))
  if [ "$rc" -ne 0 ] || [ -z "$rps" ] || [ -z "$requests" ] || [ "$non2xx" -ne 0 ]; then
    # Error responses are cheap: counting them as throughput would flatter a failing proxy.
    log "  round $round $target: FAILED (wrk rc=$rc, non-2xx responses: $non2xx); output tail:"
    tail -n 15 "$logfile" | sed 's/^/      /' >&2
    rps=""
  else
    log "  round $round $target: req/s=$rps requests=$requests p50=${p50}ms p99=${p99}ms cpu_ticks=${cpu:-}"
  fi
  [ "$socket" -eq 0 ] || log "  round $round $target: $socket socket errors (see $logfile)"
  echo "$round,$position,$target,$rc,$rps,$requests,$non2xx,$socket,$p50,$p99,$cpu,$CLK_TCK,$BENCH_T" >>"$RESULTS"
  if [ "$BENCH_TASKS" = 1 ]; then tasks_after "$tasks_file" "$pid" "$requests"; fi
  if [ "$BENCH_SYSCALLS" = 1 ] && [ "$pid" != - ]; then syscalls_report "$syscalls_file" "$requests"; fi
}

if [ "$BENCH_WARMUP" -gt 0 ]; then
  log "warm-up: ${BENCH_WARMUP}s of wrk per target (not recorded)"
  for target in "${TARGETS[@]}"; do
    read -r url _ script <<<"$(target_info "$target")"
    wrk_run "$WORK/logs/warmup-$target.log" "$BENCH_WARMUP" "$url" "$script" \
      || log "  warm-up of $target: wrk failed (see $WORK/logs/warmup-$target.log)"
  done
fi

log "wrk -t$BENCH_THREADS -c$BENCH_CONNS -d${BENCH_T}s; $BENCH_ROUNDS rounds over: ${TARGETS[*]}"
# The order rotates every round and is reversed every other round, as in bench-pg.sh, so that
# no target always runs right after the same one (warden-b would otherwise follow warden in
# most rounds, paying for whatever it leaves behind, such as its recordings' dirty pages).
n=${#TARGETS[@]}
for ((round = 1; round <= BENCH_ROUNDS; round++)); do
  log "round $round/$BENCH_ROUNDS"
  for ((k = 0; k < n; k++)); do
    j=$k
    ((round % 2 == 0)) && j=$((n - 1 - k))
    run_one "$round" "$k" "${TARGETS[$(((round - 1 + j) % n))]}"
  done
done

# ---------------------------------------------------------------------------------------------
# 5. Report
# ---------------------------------------------------------------------------------------------
echo
echo "$("$NGINX" -v 2>&1 | sed 's/^nginx version: //'), $("$WRK" -v 2>&1 | head -n1 | awk '{print "wrk " $2}'), $(nproc) CPUs"
echo "wrk -t$BENCH_THREADS -c$BENCH_CONNS -d${BENCH_T}s, GET of a ${#BODY}-byte JSON body, keep-alive, over TCP loopback without TLS; nginx worker_processes $BENCH_NGINX_WORKERS"
[ -n "$WARDEN" ] && echo "Warden ($WARDEN_BUILD): policy, audit and masking on (detectors: $BENCH_DETECTORS)"
python3 "$ROOT/scripts/bench/summarize_http.py" "$RESULTS"
if [ "$BENCH_CALLGRIND" = 1 ] && [ -n "$WARDEN_PID" ]; then
  # callgrind writes its profile when the gateway exits.
  stop_pid warden "$WARDEN_PID" TERM
  profiles=("$WORK/warden/callgrind.out")
  if [ -n "$B_PID" ]; then
    stop_pid warden-b "$B_PID" TERM
    profiles+=("$WORK/warden-b/callgrind.out")
  fi
  python3 "$ROOT/scripts/bench/callgrind_summary.py" --http "${profiles[@]}"
fi
if [ "$BENCH_CALLGRIND" = 1 ]; then
  stop_pid nginx "$NGINX_PID" TERM
  if compgen -G "$WORK/nginx/callgrind.out.*" >/dev/null; then
    python3 "$ROOT/scripts/bench/callgrind_summary.py" --nginx "$WORK"/nginx/callgrind.out.*
  else
    log "nginx wrote no callgrind profile (see $WORK/nginx/stderr.log)"
  fi
fi
