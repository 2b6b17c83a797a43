#!/usr/bin/env bash
# Instructions per call of the HTTP gateway's JSON masking pass (warden_http::mask_json_document)
# over the body that scripts/bench-http.sh serves, counted by valgrind's callgrind: exact and
# unmoved by the machine's load, unlike times. Each case runs N and 3N calls; the difference
# cancels the start-up.
#
# Usage: scripts/bench-json-mask.sh
# Environment (all optional):
#   BENCH_CALLS=1000        N
#   BENCH_BASE_BIN=PATH     a json_mask example built from another commit: counted too, with
#                           the ratio of this tree's count to it
#   CARGO_TARGET_DIR        defaults to $HOME/.cache/warden-target, like scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench/callgrind_count.sh   # callgrind_setup, callgrind_per_call
callgrind_setup
if [ -n "${BENCH_BASE_BIN:-}" ] && [ ! -x "$BENCH_BASE_BIN" ]; then
  echo "bench-json-mask: BENCH_BASE_BIN=$BENCH_BASE_BIN is not an executable" >&2
  exit 1
fi

WORK=$(mktemp -d /tmp/warden-bench-json-mask-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# The body of the HTTP bench, so both measure the same document.
sed -n "s/^BODY='\(.*\)'$/\1/p" scripts/bench-http.sh | tr -d '\n' > "$WORK/body.json"
[ -s "$WORK/body.json" ] || { echo "bench-json-mask: no BODY='...' line in scripts/bench-http.sh" >&2; exit 1; }

echo "== building the json_mask example (release)" >&2
cargo build --release --locked -p warden-http --example json_mask >&2
BIN="$CARGO_TARGET_DIR/release/examples/json_mask"

# per_call BIN DETECTORS: instructions per call, start-up cancelled.
per_call() {
  callgrind_per_call "$BENCH_CALLS" "$1" "$WORK/body.json" "$2"
}

result="RESULT"
for set in email all; do
  detectors=email
  [ "$set" = all ] && detectors=all
  ours=$(per_call "$BIN" "$detectors")
  line="$set detectors: $ours instructions per call ($(wc -c < "$WORK/body.json") bytes)"
  result="$result ${set}=$ours"
  if [ -n "${BENCH_BASE_BIN:-}" ]; then
    base=$(per_call "$BENCH_BASE_BIN" "$detectors")
    ratio=$(awk -v a="$ours" -v b="$base" 'BEGIN { printf "%.3f", a / b }')
    line="$line, base $base (ratio $ratio)"
    result="$result ${set}_base=$base ${set}/base=$ratio"
  fi
  echo "$line"
done
echo "$result"
