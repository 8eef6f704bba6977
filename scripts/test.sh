#!/usr/bin/env bash
# The test suite: set up, then every test of the workspace on the real models
# and anvil with the machine's best matrix kernel, then the model tests of the
# agents crate once more with each other kernel this machine runs
# (ARENA_KERNEL), so one machine checks the AVX2 and portable paths too.
# --no-fail-fast: one failing test binary never hides the others.
# The kernel runs execute the workspace build's own test binaries: building
# `-p agents` or `-p arena` alone unifies dependency features differently and
# would compile candle and bevy a second time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup-tests.sh
status=0
cargo test --workspace --release --no-fail-fast || status=1
agents_tests=$(cargo test --workspace --release --no-run --message-format=json 2>/dev/null |
  python3 -c '
import json, os, sys
manifest = os.path.abspath("agents/Cargo.toml")
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") \
            and m["manifest_path"] == manifest and m["profile"]["test"]:
        print(m["executable"])') || status=1
for kernel in $(./target/release/arena bench kernels | tail -n +2); do
  echo "test.sh: agents' tests with ARENA_KERNEL=$kernel"
  for test in $agents_tests; do
    (cd agents && ARENA_KERNEL=$kernel "$test") || status=1
  done
done
exit $status
