//! `arena tournament --tier` end to end: a round of the arithmetic space in its "usd-1" tier is
//! paid in the Test USD stablecoin deployed next to the arena on the tournament's own chain,
//! settled and credited in the token to the unit; a round of its "free" tier moves nothing and
//! still records its result root; a tier the space lacks is refused naming the tiers.

mod common;

use alloy::primitives::{Address, B256, U256};
use contracts::{NATIVE, RoundState};
use judge::Store;

use common::{
    ChainView, arena, expected_credits, owner_of, roster, tournament_command,
    two_agent_arithmetic_spaces,
};

fn run_tier(data: &std::path::Path, dir: &std::path::Path, tier: &str, rounds: usize) -> String {
    let agents = roster(dir);
    let spaces = two_agent_arithmetic_spaces(dir);
    let out = tournament_command(data, &agents, "arithmetic", rounds)
        .arg("--spaces")
        .arg(&spaces)
        .args(["--tier", tier, "--judge", "none"])
        .output()
        .expect("the arena binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "--tier {tier}: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn token_and_free_tiers_pay_in_their_asset() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    let stdout = run_tier(&data, dir.path(), "usd-1", 1);
    assert!(
        stdout.contains("Fee of this run's rounds: 1 TUSD per agent (tier usd-1, token 0x"),
        "{stdout}"
    );
    assert!(stdout.contains("TUSD to withdraw"), "{stdout}");
    let stdout = run_tier(&data, dir.path(), "free", 2);
    assert!(stdout.contains("free (tier free)"), "{stdout}");

    let shown = arena(&data, &["rounds", "show", "1"]);
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains("fee: 1 TUSD per agent (tier usd-1, token 0x"),
        "{text}"
    );

    let deployment: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("chain/deployment.json")).unwrap())
            .unwrap();
    let stablecoin: Address = deployment["stablecoin"]
        .as_str()
        .expect("the deployment record names the stablecoin")
        .parse()
        .unwrap();
    let store = Store::open(&data.join("db")).unwrap();
    let rounds: Vec<_> = store.rounds().map(Result::unwrap).collect();
    assert_eq!(rounds.len(), 2);
    let fee = rounds[0].fee.as_ref().expect("the round records its tier");
    assert_eq!(
        (fee.tier.as_str(), fee.symbol.as_str(), fee.decimals),
        ("usd-1", "TUSD", 6)
    );
    assert_eq!(fee.token, Some(stablecoin.to_string()));
    assert_eq!(rounds[1].fee.as_ref().unwrap().tier, "free");

    let view = ChainView::open(&data);
    let (client, rt) = (&view.client, &view.rt);
    let agents = dir.path().join("agents");
    let token_round = rt.block_on(client.round(1)).unwrap();
    assert_eq!(token_round.state, RoundState::Settled);
    assert_eq!(token_round.fee_token, stablecoin);
    assert_eq!(token_round.entry_fee, 1_000_000);
    let judgment = store.judgment(1).unwrap().unwrap();
    let ranking: Vec<Address> = judgment
        .ranking
        .order
        .iter()
        .map(|a| owner_of(&agents, a))
        .collect();
    let credits = expected_credits(
        token_round.entry_fee,
        &token_round.split_bps,
        token_round.protocol_fee_bps,
        &ranking,
    );
    for (owner, amount) in credits {
        assert_eq!(
            rt.block_on(client.balance_of(stablecoin, owner)).unwrap(),
            amount,
            "TUSD owed to {owner}"
        );
        assert_eq!(
            rt.block_on(client.balance_of(NATIVE, owner)).unwrap(),
            U256::ZERO,
            "no ETH owed to {owner}"
        );
    }

    let free_round = rt.block_on(client.round(2)).unwrap();
    assert_eq!(free_round.state, RoundState::Settled);
    assert_eq!(free_round.entry_fee, 0);
    assert_ne!(
        free_round.result_root,
        B256::ZERO,
        "a free round records its root"
    );
    assert!(rt.block_on(client.credits(2)).unwrap().is_empty());

    // The tournament needs the database and the chain state to itself.
    drop((store, view));
    let refused = run_tier_refused(&data, dir.path(), "gold");
    assert!(
        refused.contains("no tier 'gold'") && refused.contains("eth, free, usd-1"),
        "{refused}"
    );
}

fn run_tier_refused(data: &std::path::Path, dir: &std::path::Path, tier: &str) -> String {
    let out = tournament_command(data, &roster(dir), "arithmetic", 3)
        .arg("--spaces")
        .arg(two_agent_arithmetic_spaces(dir))
        .args(["--tier", tier])
        .output()
        .expect("the arena binary runs");
    assert!(!out.status.success(), "--tier {tier} was accepted");
    String::from_utf8_lossy(&out.stderr).into_owned()
}
