#!/usr/bin/env bash
# The main job: set up, then a headless tournament on the embedded default
# model and a local anvil. Its data goes to .arena/main-job; a second run
# finds the three rounds done and prints the leaderboard again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
cargo build --release -p arena
./target/release/arena models fetch
./target/release/arena tournament --space "${ARENA_SPACE:-arithmetic}" --rounds "${ARENA_ROUNDS:-3}" \
  --data-dir "${ARENA_DATA:-.arena/main-job}"
