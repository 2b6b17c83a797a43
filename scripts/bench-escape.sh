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
. scripts/bench/callgrind_count.sh   # callgrind_setup, callgrind_per_call
callgrind_setup

echo "== building the json_escape example (release)" >&2
cargo build --release --locked -p warden-core --example json_escape >&2
BIN="$CARGO_TARGET_DIR/release/examples/json_escape"

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
