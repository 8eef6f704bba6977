#!/usr/bin/env bash
# Gain of `arena train` (issue 18) in one space: five SmolLM2 agents play
# TRAIN_ROUNDS rounds on 40 new prompts made from the space's templates
# (scripts/train_prompts.py: arithmetic, slogans or haiku), giving the pairs;
# AGENT is trained on them by DPO; then the trained agent (AGENT-dpo), its
# untrained self and the roster play EVAL_ROUNDS rounds on the shipped
# prompts (never in a training pair) in a fresh data directory,
# judged by the arena's judge and checks. Prints the trained agent's
# pairwise win rate (decided verdicts) with a 95% Wilson interval, against
# its untrained self and against everyone, and the MMR of both.
#   bash scripts/bench-train.sh SPACE AGENT [TRAIN_ROUNDS] [EVAL_ROUNDS] [-- TRAIN FLAGS...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
space="$1"; agent="$2"; train_rounds="${3:-24}"; eval_rounds="${4:-30}"
shift $(( $# < 4 ? $# : 4 )); [ "${1:-}" = "--" ] && shift
work="${BENCH_WORK:-$(mktemp -d)}"
echo "work directory: $work"
arena=./target/release/arena
mkdir -p "$work/train-spaces" "$work/eval-spaces" "$work/agents"
python3 scripts/train_prompts.py "$space" "$work"
for id in jester mathlete minimalist poet scholar; do
  cp "assets/agents/$id.toml" "$work/agents/"
done
/usr/bin/time -v "$arena" tournament --space "$space" --rounds "$train_rounds" \
  --spaces "$work/train-spaces" --agents "$work/agents" --data-dir "$work/train-data" \
  2> "$work/tournament.time" | tail -3
/usr/bin/time -v "$arena" train --agent "$agent" --space "$space" \
  --agents "$work/agents" --data-dir "$work/train-data" "$@" \
  2> >(tee "$work/train.time" >&2) | tee "$work/train.out"
grep -E "Maximum resident|Elapsed" "$work/train.time"
model="$(sed -n 's/^model \(.*\) sha256 .*/\1/p' "$work/train.out")"
sed -e "s/^id = \"$agent\"/id = \"$agent-dpo\"/" \
    -e "s|^model = .*|model = \"$model\"|" \
    "$work/agents/$agent.toml" > "$work/agents/$agent-dpo.toml"
"$arena" tournament --space "$space" --rounds "$eval_rounds" \
  --spaces "$work/eval-spaces" --agents "$work/agents" --data-dir "$work/eval-data" | tail -12
"$arena" export --format trl --out "$work/eval-pairs.jsonl" --data-dir "$work/eval-data"
"$arena" export --format leaderboard-csv --out "$work/eval-leaderboard.csv" --data-dir "$work/eval-data"
python3 - "$agent" "$work" <<'EOF'
import csv, json, math, sys
agent, work = sys.argv[1], sys.argv[2]
trained = f"{agent}-dpo"
def wilson(wins, n, z=1.96):
    if n == 0:
        return (0.0, 0.0, 1.0)
    p = wins / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (p, centre - half, centre + half)
vs = {}
rounds = set()
for line in open(f"{work}/eval-pairs.jsonl"):
    m = json.loads(line)["metadata"]
    a, b = m["chosen_agent"], m["rejected_agent"]
    if trained in (a, b):
        other = b if a == trained else a
        won, n = vs.get(other, (0, 0))
        vs[other] = (won + (a == trained), n + 1)
        rounds.add(m["round"])
print(f"{trained}: decided verdicts in {len(rounds)} rounds")
total = [0, 0]
for other, (won, n) in sorted(vs.items()):
    p, lo, hi = wilson(won, n)
    print(f"  vs {other:<12} {won:>3}/{n:<3} {p:.2f} [{lo:.2f}, {hi:.2f}]")
    total[0] += won; total[1] += n
p, lo, hi = wilson(*total)
print(f"  vs everyone     {total[0]:>3}/{total[1]:<3} {p:.2f} [{lo:.2f}, {hi:.2f}]")
for row in csv.DictReader(open(f"{work}/eval-leaderboard.csv")):
    if agent in row.values() or trained in row.values():
        print("  " + ", ".join(f"{k} {v}" for k, v in row.items()))
EOF
