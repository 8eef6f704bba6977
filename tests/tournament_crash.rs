//! Killing `arena tournament` with SIGKILL at several points of a round and
//! running the same command again: the round completes, every entry is paid
//! once and the rewards are paid exactly once.

mod common;

use alloy::primitives::U256;
use judge::Store;
use judge::records::RoundStatus;

use common::{
    AGENTS, ChainView, expected_credits, owner_of, roster, run_and_kill_after, tournament,
    tournament_command,
};

#[test]
fn killed_tournament_resumes_and_pays_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let agents = roster(dir.path());
    // Each kill lands right after a step was stored, at the start of the next one.
    for marker in ["OpenNext took", "Pay took", "Generate took", "Judge took"] {
        let command = tournament_command(&data, &agents, "factual-qa", 1);
        assert!(
            run_and_kill_after(command, marker),
            "the tournament ended before '{marker}'"
        );
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
