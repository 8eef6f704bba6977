#!/usr/bin/env bash
# The test suite: set up, then every test of the workspace on the real models
# and anvil with the machine's best matrix kernel, then the model tests of the
# agents crate once more with each other kernel this machine runs
# (ARENA_KERNEL), so one machine checks the AVX2 and portable paths too.
# --no-fail-fast: one failing test binary never hides the others.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup-tests.sh
status=0
cargo test --workspace --release --no-fail-fast || status=1
cargo build --release -p arena
for kernel in $(./target/release/arena bench kernels | tail -n +2); do
  echo "test.sh: agents' tests with ARENA_KERNEL=$kernel"
  ARENA_KERNEL=$kernel cargo test --release -p agents --no-fail-fast || status=1
done
exit $status
