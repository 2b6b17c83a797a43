#!/usr/bin/env bash
# Instructions per call of Warden's JSON string escaping (warden_core::json_str::write_str,
# which writes every recorded body, statement and audit string) against serde_json's escaping
# of the same strings, in one invocation. Counted by valgrind's callgrind: exact and unmoved by
# the machine's load, unlike times. Each case runs N and 3N calls; the difference cancels the
# start-up.
#
# Usage: scripts/bench-escape.sh
# Environment (all optional):
#   BENCH_CALLS=1000      N
#   CARGO_TARGET_DIR      defaults to $HOME/.cache/warden-target, like scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_CALLS=${BENCH_CALLS:-1000}
[[ $BENCH_CALLS =~ ^[1-9][0-9]*$ ]] || { echo "bench-escape: BENCH_CALLS must be a positive whole number" >&2; exit 1; }
command -v valgrind >/dev/null 2>&1 || { echo "bench-escape: valgrind not found: apt-get install valgrind" >&2; exit 1; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/warden-target}"

echo "== building the json_escape example (release)" >&2
cargo build --release --locked -p warden-core --example json_escape >&2
BIN="$CARGO_TARGET_DIR/release/examples/json_escape"

. scripts/bench/callgrind_count.sh   # callgrind_per_call

# per_call WRITER INPUT: instructions per call, start-up cancelled.
per_call() {
  callgrind_per_call "$BENCH_CALLS" "$BIN" "$1" "$2"
}

result="RESULT"
for input in body short; do
  ours=$(per_call ours "$input")
  theirs=$(per_call serde_json "$input")
  ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2f", a / b }')
  echo "$input: warden $ours, serde_json $theirs instructions per call (ratio $ratio)"
  result="$result ${input}_warden/serde_json=$ratio"
done
echo "$result"
