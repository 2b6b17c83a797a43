#!/usr/bin/env bash
# The whole test suite: installs what the tests need, then format, lint and tests.
# Usage: scripts/test.sh            (this is what CI runs through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh

# A persistent target dir outside the clone so repeated runs on one machine reuse the build.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/warden-target}"
export CARGO_TERM_COLOR=never
export RUST_BACKTRACE=1

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked --no-fail-fast
