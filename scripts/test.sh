#!/usr/bin/env bash
# The test suite: set up, then every test of the workspace on the real models and anvil.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
cargo test --workspace --release
