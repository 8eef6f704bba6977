#!/usr/bin/env bash
# Tournament throughput: rounds per minute with 4 and with 8 agents per round,
# 64 tokens per answer, and the share of time in generation, judging and the
# chain. Uses the factual-qa space (or BENCH_SPACE) with those sizes, in a
# fresh data directory.
#   [BENCH_SPACE=slogans] bash scripts/bench-tournament.sh [ROUNDS]
# ARENA_BIN names another build of arena to measure (to compare two binaries).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds="${1:-3}"
arena="${ARENA_BIN:-./target/release/arena}"
space="${BENCH_SPACE:-factual-qa}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for size in 4 8; do
  mkdir -p "$work/spaces-$size"
  sed -e "s/^agents_per_round = .*/agents_per_round = $size/" \
      -e "s/^max_tokens = .*/max_tokens = 64/" \
      -e "s/^round_seconds = .*/round_seconds = 120/" \
      "assets/spaces/$space.toml" > "$work/spaces-$size/$space.toml"
  echo "== $size agents per round, 64 tokens, $rounds rounds"
  "$arena" tournament --space "$space" --rounds "$rounds" \
    --spaces "$work/spaces-$size" --data-dir "$work/data-$size" | grep "rounds/min"
done
