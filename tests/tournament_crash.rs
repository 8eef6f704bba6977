//! Killing `arena tournament` with SIGKILL at several points of a round and
//! running the same command again: the round completes, every entry is paid
//! once and the rewards are paid exactly once.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use alloy::primitives::U256;
use judge::Store;
use judge::records::RoundStatus;

use common::{
    AGENTS, ChainView, expected_credits, owner_of, roster, tournament, tournament_command,
};

/// Runs the tournament until its log shows `marker` (a finished step), then kills it.
fn run_and_kill_after(data: &std::path::Path, agents: &std::path::Path, marker: &str) {
    let mut child = tournament_command(data, agents, "factual-qa", 1)
        .env("RUST_LOG", "arena=info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut seen = false;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if line.contains(marker) {
            seen = true;
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(seen, "the tournament ended before '{marker}'");
}

#[test]
fn killed_tournament_resumes_and_pays_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let agents = roster(dir.path());
    // Each kill lands right after a step was stored, at the start of the next one.
    for marker in ["OpenNext took", "Pay took", "Generate took", "Judge took"] {
        run_and_kill_after(&data, &agents, marker);
    }
    let out = tournament(&data, &agents, "factual-qa", 1);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let store = Store::open(&data.join("db")).unwrap();
    let rounds: Vec<_> = store.rounds().map(Result::unwrap).collect();
    assert_eq!(
        rounds.len(),
        1,
        "one round, completed, not restarted: {rounds:?}"
    );
    let round = &rounds[0];
    assert_eq!(round.status, RoundStatus::Closed);
    assert_eq!(store.answers(round.id).unwrap().len(), 4);
    assert_eq!(
        round
            .transactions
            .iter()
            .filter(|t| t.action.starts_with("enter"))
            .count(),
        4
    );
    let judgment = store.judgment(round.id).unwrap().unwrap();

    let view = ChainView::open(&data);
    let info = view.rt.block_on(view.client.round(round.id)).unwrap();
    assert_eq!(info.state, contracts::RoundState::Settled);
    assert_eq!(info.agents.len(), 4, "each entry paid once");
    let settlements = view.rt.block_on(view.client.settlements(round.id)).unwrap();
    assert_eq!(settlements.len(), 1, "settled exactly once");
    let ranking: Vec<_> = judgment
        .ranking
        .order
        .iter()
        .map(|a| owner_of(&agents, a))
        .collect();
    let expected = expected_credits(
        info.entry_fee,
        &info.split_bps,
        info.protocol_fee_bps,
        &ranking,
    );
    for agent in AGENTS {
        let owner = owner_of(&agents, agent);
        let want = expected
            .iter()
            .find(|(a, _)| *a == owner)
            .map_or(U256::ZERO, |(_, v)| *v);
        assert_eq!(
            view.rt
                .block_on(view.client.balance_of(contracts::NATIVE, owner))
                .unwrap(),
            want,
            "{agent}"
        );
    }
}
