# Instruction counting shared by scripts/bench-escape.sh and scripts/bench-json-mask.sh
# (sourced, not run): counts under valgrind's callgrind are exact and unmoved by the machine's
# load, unlike times.

# callgrind_setup: the checks and defaults both scripts start with. BENCH_CALLS (default 1000)
# must be a positive whole number, valgrind must be installed, and CARGO_TARGET_DIR defaults
# to $HOME/.cache/warden-target, like scripts/test.sh.
callgrind_setup() {
  local name
  name=$(basename "$0" .sh)
  BENCH_CALLS=${BENCH_CALLS:-1000}
  [[ $BENCH_CALLS =~ ^[1-9][0-9]*$ ]] || { echo "$name: BENCH_CALLS must be a positive whole number" >&2; exit 1; }
  command -v valgrind >/dev/null 2>&1 || { echo "$name: valgrind not found: apt-get install valgrind" >&2; exit 1; }
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/warden-target}"
}

# callgrind_total CMD...: the instructions of one whole run of CMD.
callgrind_total() {
  local n
  n=$(timeout 300 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
  [ -n "$n" ] || { echo "$(basename "$0"): callgrind gave no count for $*" >&2; return 1; }
  echo "$n"
}

# callgrind_per_call CALLS CMD...: instructions per call of CMD, which takes its number of
# calls as its last argument. It runs CALLS and 3 × CALLS calls, and the difference cancels
# the start-up.
callgrind_per_call() {
  local calls=$1 once thrice
  shift
  once=$(callgrind_total "$@" "$calls") || return 1
  thrice=$(callgrind_total "$@" $((3 * calls))) || return 1
  echo $(((thrice - once) / (2 * calls)))
}
