//! Interactive spaces end to end, as a user plays them: `arena tournament` on the shipped
//! debate, negotiation and auction spaces with the real models, judge and anvil. Each test
//! checks the stored transcripts (turn order, what each seat saw), the outcomes (`arena verify`
//! recomputes them from the transcripts), the conversational preference pairs, the ratings and
//! the payouts on chain; one kills a round between turns and resumes it.

mod common;

use std::path::Path;

use alloy::primitives::U256;
use judge::Store;
use judge::records::{MatchRecord, RoundRecord, RoundStatus};
use judge::verdict::Layer;

use common::{
    ChainView, arena, expected_credits, output_text, owner_of, roster_of, run_and_kill_after,
    tournament_command,
};

/// Four agents on the small model, so rounds stay quick.
const PLAYERS: &[&str] = &["jester", "minimalist", "poet", "scholar"];

/// Plays `rounds` rounds of `space` (from `spaces`, else the shipped spaces) and returns the
/// store's rounds, each checked to be closed.
fn play(
    data: &Path,
    agents: &Path,
    spaces: Option<&Path>,
    space: &str,
    rounds: usize,
) -> Vec<RoundRecord> {
    let mut command = tournament_command(data, agents, space, rounds);
    if let Some(dir) = spaces {
        command.arg("--spaces").arg(dir);
    }
    let out = command.output().expect("the arena binary runs");
    assert!(out.status.success(), "{space}: {}", output_text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Leaderboard of space"),
        "{}",
        output_text(&out)
    );
    let store = Store::open(&data.join("db")).unwrap();
    let stored: Vec<RoundRecord> = store.rounds().map(Result::unwrap).collect();
    assert_eq!(stored.len(), rounds);
    assert!(
        stored.iter().all(|r| r.status == RoundStatus::Closed),
        "{stored:?}"
    );
    stored
}

/// Moves shown in a prompt: its transcript lines.
fn shown_moves(prompt: &str) -> usize {
    prompt.matches("\nTurn ").count()
}

/// Checks a match's transcript: its seats are two of the round's agents, every move is by the
/// seat the turn order gives, and each seat saw exactly the moves made before its step.
fn check_transcript(round: &RoundRecord, m: &MatchRecord, simultaneous: bool, turns: usize) {
    assert_eq!(m.seats.len(), 2);
    assert_ne!(m.seats[0], m.seats[1]);
    assert!(m.seats.iter().all(|s| round.agents.contains(s)));
    assert!(m.turns.len() <= 2 * turns, "{m:?}");
    for (i, t) in m.turns.iter().enumerate() {
        assert_eq!(t.turn, i / 2, "two moves per turn, in order: {m:?}");
        assert_eq!(t.answer.agent_id, m.seats[t.seat]);
        assert!(t.answer.commitment.is_some(), "a local move commits");
        let seen = if simultaneous { 2 * t.turn } else { i };
        assert_eq!(
            shown_moves(&t.prompt),
            seen,
            "move {i} of {m:?} saw the moves before its step, and no more"
        );
        assert!(
            t.prompt
                .contains(&format!("turn {} of {turns}", t.turn + 1))
        );
        assert!(t.prompt.starts_with(&round.prompt));
    }
    if !simultaneous {
        assert!(m.turns.iter().enumerate().all(|(i, t)| t.seat == i % 2));
    }
}

/// Checks the judged round in the store: one verdict per match, the pairs the verdicts give
/// (one per turn of a decided match, the winner's move chosen, with the shared transcript),
/// ratings that sum to zero, a refund exactly when no match was decided, and `arena verify`
/// recomputing the round.
fn check_outcomes(data: &Path, round: &RoundRecord, rule: bool) -> usize {
    let store = Store::open(&data.join("db")).unwrap();
    let judgment = store.judgment(round.id).unwrap().expect("judged");
    assert_eq!(judgment.verdicts.len(), round.matches.len());
    let pairs: Vec<_> = store
        .pairs(round.id, round.id)
        .map(Result::unwrap)
        .collect();
    let mut expected_pairs = 0;
    for m in &round.matches {
        let v = judgment
            .verdicts
            .iter()
            .find(|v| m.seats.contains(&v.a) && m.seats.contains(&v.b))
            .expect("a verdict per match");
        if rule {
            assert!(matches!(v.layer, Layer::Rule | Layer::Tie), "{v:?}");
        } else {
            assert!(v.layer != Layer::Rule, "{v:?}");
        }
        if let Some((winner, _)) = v.decided() {
            let both_moved = (0..m.turns.len() / 2).count();
            expected_pairs += both_moved;
            for p in pairs.iter().filter(|p| p.chosen_agent == winner) {
                assert!(m.seats.contains(&p.rejected_agent));
                assert_eq!(p.history[0].role, "system");
                assert_eq!(p.history[0].content, round.prompt);
                let chosen_is_a_move = m
                    .turns
                    .iter()
                    .any(|t| t.answer.agent_id == winner && t.answer.text == p.chosen);
                assert!(chosen_is_a_move, "{p:?}");
            }
        }
    }
    assert_eq!(pairs.len(), expected_pairs, "{judgment:?}");
    let decided = judgment.verdicts.iter().any(|v| v.decided().is_some());
    let refunded = round
        .transactions
        .iter()
        .any(|t| t.action.starts_with("refund"));
    assert_eq!(refunded, !decided, "{:?}", round.transactions);
    assert_eq!(round.result_root.is_some(), decided);
    let changes = store.rating_changes(round.id).unwrap();
    assert_eq!(changes.len(), round.agents.len());
    let sum: f64 = changes.iter().map(|c| c.after - c.before).sum();
    assert!(sum.abs() < 1e-9, "{changes:?}");
    drop(store);
    let out = arena(data, &["verify", &round.id.to_string()]);
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("judgment: reproduced"),
        "{}",
        output_text(&out)
    );
    expected_pairs
}

/// Each owner's balance on chain is what the rounds' rankings pay, to the wei.
fn check_payouts(data: &Path, agents: &Path, rounds: &[RoundRecord]) {
    let store = Store::open(&data.join("db")).unwrap();
    let view = ChainView::open(data);
    let mut expected: std::collections::HashMap<alloy::primitives::Address, U256> =
        Default::default();
    for round in rounds {
        let judgment = store.judgment(round.id).unwrap().unwrap();
        let info = view.rt.block_on(view.client.round(round.id)).unwrap();
        assert_eq!(
            info.agents.len(),
            round.agents.len(),
            "each entry paid once"
        );
        if round.result_root.is_none() {
            // Every match drawn: every entry refunded.
            assert_eq!(info.state, contracts::RoundState::Cancelled);
            for agent in &round.agents {
                *expected.entry(owner_of(agents, agent)).or_default() += U256::from(info.entry_fee);
            }
            continue;
        }
        assert_eq!(info.state, contracts::RoundState::Settled);
        let ranking: Vec<_> = judgment
            .ranking
            .order
            .iter()
            .map(|a| owner_of(agents, a))
            .collect();
        for (owner, amount) in expected_credits(
            info.entry_fee,
            &info.split_bps,
            info.protocol_fee_bps,
            &ranking,
        ) {
            *expected.entry(owner).or_default() += amount;
        }
    }
    for agent in PLAYERS {
        let owner = owner_of(agents, agent);
        let balance = view
            .rt
            .block_on(view.client.balance_of(contracts::NATIVE, owner))
            .unwrap();
        let want = expected.get(&owner).copied().unwrap_or(U256::ZERO);
        assert_eq!(balance, want, "{agent}");
    }
}

/// The shipped negotiation with four agents per round, two places paid: two matches a round,
/// seats paired by MMR.
fn four_seat_negotiation(dir: &Path) -> std::path::PathBuf {
    let spaces = dir.join("spaces");
    std::fs::create_dir_all(&spaces).unwrap();
    let text = std::fs::read_to_string(common::repo().join("assets/spaces/negotiation.toml"))
        .unwrap()
        .replace("agents_per_round = 2", "agents_per_round = 4")
        .replace(
            "reward_split_bps = [10000]",
            "reward_split_bps = [5000, 5000]",
        );
    std::fs::write(spaces.join("negotiation.toml"), text).unwrap();
    spaces
}

#[test]
fn negotiation_rounds_pay_by_the_rule_of_the_accepted_offer() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let agents = roster_of(dir.path(), PLAYERS);
    let spaces = four_seat_negotiation(dir.path());
    let rounds = play(&data, &agents, Some(&spaces), "negotiation", 2);
    for round in &rounds {
        assert_eq!(round.matches.len(), 2, "four agents make two matches");
        let mut seated: Vec<&String> = round.matches.iter().flat_map(|m| &m.seats).collect();
        seated.sort();
        seated.dedup();
        assert_eq!(seated.len(), 4, "every agent plays once");
        for m in &round.matches {
            check_transcript(round, m, false, 3);
            // A match ends early only at a deal, which an ACCEPT strikes.
            if m.turns.len() < 6 {
                let last = &m.turns.last().unwrap().answer.text;
                assert!(last.to_lowercase().contains("accept"), "{m:?}");
            }
        }
        check_outcomes(&data, round, true);
    }
    check_payouts(&data, &agents, &rounds);
    let out = arena(
        &data,
        &[
            "export",
            "--format",
            "trl-conversational",
            "--out",
            dir.path().join("pairs.jsonl").to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    let text = std::fs::read_to_string(dir.path().join("pairs.jsonl")).unwrap();
    for line in text.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(record["prompt"][0]["role"], "system", "{record}");
        assert_eq!(record["chosen"][0]["role"], "assistant");
        assert_eq!(record["metadata"]["space"], "negotiation");
    }
}

#[test]
fn sealed_bids_stay_hidden_until_the_item_is_sold() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let agents = roster_of(dir.path(), PLAYERS);
    let rounds = play(&data, &agents, None, "auction", 2);
    for round in &rounds {
        assert_eq!(round.matches.len(), 1, "two agents per round: one match");
        let m = &round.matches[0];
        assert_eq!(m.turns.len(), 6, "three items, both seats bid on each");
        check_transcript(round, m, true, 3);
        for t in &m.turns {
            assert!(t.prompt.contains(&format!("Item {} of 3", t.turn + 1)));
        }
        check_outcomes(&data, round, true);
    }
    assert_ne!(
        rounds[0].agents, rounds[1].agents,
        "matchmaking lets the agents that sat out play next"
    );
    check_payouts(&data, &agents, &rounds);
}

#[test]
fn a_debate_is_decided_by_the_judge() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let agents = roster_of(dir.path(), PLAYERS);
    let rounds = play(&data, &agents, None, "debate", 1);
    let round = &rounds[0];
    assert_eq!(round.matches.len(), 1, "two agents per round: one debate");
    let m = &round.matches[0];
    assert_eq!(m.turns.len(), 6, "three turns each");
    check_transcript(round, m, false, 3);
    assert!(m.turns[0].prompt.contains("FOR the motion"));
    assert!(m.turns[1].prompt.contains("AGAINST the motion"));
    check_outcomes(&data, round, false);
    check_payouts(&data, &agents, &rounds);
    // Every move generated again from its seed and the prompt its seat saw.
    let out = arena(&data, &["verify", "1", "--replay"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let replayed = stdout
        .lines()
        .filter(|l| l.starts_with("answer of ") && l.contains(", turn "))
        .filter(|l| l.ends_with(": reproduced") || l.ends_with("not replayable"))
        .count();
    assert_eq!(replayed, 6, "{stdout}");
}

#[test]
fn a_round_killed_between_turns_resumes_at_its_next_turn() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let agents = roster_of(dir.path(), PLAYERS);
    // SIGKILL while the next step generates.
    let command = tournament_command(&data, &agents, "negotiation", 1);
    assert!(
        run_and_kill_after(command, "moves stored"),
        "the tournament ended before its first step of moves"
    );
    let before = {
        let store = Store::open(&data.join("db")).unwrap();
        let round = store.round(1).unwrap().expect("the round is stored");
        assert!(
            matches!(round.status, RoundStatus::EntriesPaid),
            "{round:?}"
        );
        round.matches
    };
    assert!(before.iter().all(|m| !m.turns.is_empty()));
    assert!(before.iter().any(|m| m.turns.len() < 6));

    let rounds = play(&data, &agents, None, "negotiation", 1);
    let round = &rounds[0];
    for (m, was) in round.matches.iter().zip(&before) {
        assert_eq!(m.seats, was.seats);
        assert_eq!(
            &m.turns[..was.turns.len()],
            &was.turns[..],
            "the stored moves are kept, not played again"
        );
        check_transcript(round, m, false, 3);
    }
    check_outcomes(&data, round, true);
    let view = ChainView::open(&data);
    let settlements = view.rt.block_on(view.client.settlements(round.id)).unwrap();
    let settled = usize::from(round.result_root.is_some());
    assert_eq!(
        settlements.len(),
        settled,
        "settled once, or refunded: never both"
    );
    drop(view);
    check_payouts(&data, &agents, &rounds);
}
