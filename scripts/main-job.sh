#!/usr/bin/env bash
# The main job: set up, then let a shipped agent answer on the embedded default model.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
./target/release/arena generate --agent assets/agents/scholar.toml \
  --prompt "${ARENA_PROMPT:-What is the capital of France?}"
