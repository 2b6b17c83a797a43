#!/usr/bin/env bash
# Profile-guided release build of `warden`: an instrumented build serves the PostgreSQL and
# HTTP benchmarks' workloads (scripts/bench-pg.sh and scripts/bench-http.sh, short runs), LLVM
# merges the counts it wrote, and a second build optimises with them (see docs/benchmarks.md,
# "How Warden is built for it"). Prints the optimised binary's path on its last line.
#
# Usage: scripts/build-pgo.sh
# Environment (all optional):
#   CARGO_TARGET_DIR      base of the two target dirs, DIR-pgo-generate and DIR-pgo-use, and of
#                         the merged profile DIR-pgo-HASH.profdata, HASH naming the instrumented
#                         binary it was trained on (default $HOME/.cache/warden-target)
#   PGO_TRAIN_T=8         seconds per benchmark run while training
#   PGO_PROFDATA          use this merged profile instead of training (skips the first build)
#   LLVM_PROFDATA         the llvm-profdata to use (default: llvm-profdata-N, N being rustc's LLVM
#                         major version, else llvm-profdata if it is of that version); Debian's
#                         package llvm-N has it
#
# Training runs only when the instrumented binary changed: on an unchanged tree a second run
# takes seconds.
#
# Needs what the benchmarks need (scripts/install-test-deps.sh) and llvm-profdata of the same
# LLVM major version as rustc (`rustc -vV`), because the raw profile format follows LLVM's.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

log() { echo "build-pgo: $*" >&2; }
die() { log "error: $*"; exit 1; }

BASE=${CARGO_TARGET_DIR:-$HOME/.cache/warden-target}
GEN_DIR="$BASE-pgo-generate"
USE_DIR="$BASE-pgo-use"
PGO_TRAIN_T=${PGO_TRAIN_T:-8}

llvm_major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
[ -n "$llvm_major" ] || die "cannot read rustc's LLVM version from 'rustc -vV'"
if [ -z "${LLVM_PROFDATA:-}" ]; then
  if command -v "llvm-profdata-$llvm_major" >/dev/null 2>&1; then
    LLVM_PROFDATA="llvm-profdata-$llvm_major"
  elif llvm-profdata --version 2>/dev/null | grep -q "LLVM version $llvm_major\."; then
    LLVM_PROFDATA=llvm-profdata
  else
    die "llvm-profdata-$llvm_major not found (Debian: apt-get install llvm-$llvm_major)"
  fi
fi

# The merged profile: given, or trained here unless this instrumented binary was trained before.
if [ -n "${PGO_PROFDATA:-}" ]; then
  [ -f "$PGO_PROFDATA" ] || die "PGO_PROFDATA=$PGO_PROFDATA is not a file"
  PROFDATA=$PGO_PROFDATA
else
  log "instrumented build into $GEN_DIR"
  # A fixed default path keeps RUSTFLAGS, and so the build, the same from run to run; training
  # writes elsewhere (LLVM_PROFILE_FILE). Instrumented build scripts leave their profiles here.
  CARGO_TARGET_DIR=$GEN_DIR RUSTFLAGS="-Cprofile-generate=$GEN_DIR/build-profiles" \
    nice -n 10 cargo build --release --locked -p warden --bins
  rm -rf "$GEN_DIR/build-profiles"
  INSTRUMENTED="$GEN_DIR/release/warden"
  # Named after the instrumented binary: a new profile (and so a new optimised build) only when
  # the code changed.
  PROFDATA="$BASE-pgo-$(sha256sum "$INSTRUMENTED" | cut -c1-16).profdata"
  if [ -f "$PROFDATA" ]; then
    log "reusing $PROFDATA, trained on this instrumented build"
  else
    RAW=$(mktemp -d /tmp/warden-pgo-XXXXXX)
    trap 'rm -rf "$RAW"' EXIT
    # Train on the benchmarks' defaults, not on the settings of a benchmark that called this
    # (BENCH_CALLGRIND, BENCH_MASK=0, BENCH_B_BIN, WARDEN_WORKERS, ...).
    # shellcheck disable=SC2046
    unset $(compgen -e | grep -E '^(BENCH_|WARDEN_WORKERS$)' || true)
    # Every warden process (the gateway, `keys create`) writes its own raw profile at exit.
    export LLVM_PROFILE_FILE="$RAW/warden-%p-%m.profraw"
    log "training: the PostgreSQL benchmark's workload (simple, extended, prepared)"
    BENCH_WARDEN_BIN=$INSTRUMENTED BENCH_T=$PGO_TRAIN_T BENCH_ROUNDS=1 BENCH_MODES_ROUNDS=1 \
      bash "$ROOT/scripts/bench-pg.sh" >"$RAW/train-pg.log" 2>&1 \
      || { tail -30 "$RAW/train-pg.log" >&2; die "training on bench-pg.sh failed"; }
    log "training: the HTTP benchmark's workload"
    BENCH_WARDEN_BIN=$INSTRUMENTED BENCH_T=$PGO_TRAIN_T BENCH_ROUNDS=1 BENCH_WARMUP=0 \
      bash "$ROOT/scripts/bench-http.sh" >"$RAW/train-http.log" 2>&1 \
      || { tail -30 "$RAW/train-http.log" >&2; die "training on bench-http.sh failed"; }
    unset LLVM_PROFILE_FILE
    compgen -G "$RAW/warden-*.profraw" >/dev/null || die "training wrote no raw profile into $RAW"
    "$LLVM_PROFDATA" merge -o "$PROFDATA.part" "$RAW"/warden-*.profraw
    mv "$PROFDATA.part" "$PROFDATA"
    log "merged $(ls "$RAW"/warden-*.profraw | wc -l) raw profiles into $PROFDATA"
    # Profiles of earlier code are of no more use.
    for old in "$BASE"-pgo-*.profdata; do
      [ "$old" = "$PROFDATA" ] || rm -f "$old"
    done
  fi
fi

log "optimised build into $USE_DIR"
CARGO_TARGET_DIR=$USE_DIR RUSTFLAGS="-Cprofile-use=$PROFDATA" \
  nice -n 10 cargo build --release --locked -p warden --bins
echo "$USE_DIR/release/warden"
