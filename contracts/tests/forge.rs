//! The contract's Solidity fuzz and invariant tests (`forge/*.t.sol`), run by the pinned forge
//! (`scripts/install-chain-tools.sh --with-forge`) with the project's solc-js wrapper, offline. Fails when forge
//! fails, and when an expected test did not run with its configured number of runs.

use std::path::Path;
use std::process::Command;

/// Tests that must be in forge's output, each with the run count it must report.
const EXPECTED: &[(&str, &str)] = &[
    (
        "invariant_balanceIsFeesInMinusWithdrawals()",
        "runs: 256, calls: 16384",
    ),
    (
        "invariant_owedPlusOpenFeesIsBalance()",
        "runs: 256, calls: 16384",
    ),
    (
        "invariant_balancesSumToTotalOwed()",
        "runs: 256, calls: 16384",
    ),
    (
        "invariant_balancesFollowThePayoutRules()",
        "runs: 256, calls: 16384",
    ),
    (
        "invariant_timedOutRoundsRefundEveryFee()",
        "runs: 256, calls: 16384",
    ),
    (
        "invariant_heldIsOwedPlusEscrowed()",
        "runs: 256, calls: 16384",
    ),
    (
        "invariant_slashedBondsGoOnlyToTheChallenger()",
        "runs: 256, calls: 16384",
    ),
    (
        "testFuzz_nonOperatorCannotOpenSettleOrCancel(address,uint64)",
        "runs: 256",
    ),
    ("testFuzz_reentrantWithdrawGetsNothing(uint8)", "runs: 256"),
    (
        "testFuzz_tokenEntryPullsExactlyTheFee(uint128,uint128)",
        "runs: 256",
    ),
    (
        "testFuzz_shortAllowanceOrBalanceIsRefused(uint128,uint128)",
        "runs: 256",
    ),
    (
        "testFuzz_ethSentToATokenRoundIsRefused(uint96)",
        "runs: 256",
    ),
    ("testFuzz_feeOnTransferTokenIsRefused(uint96)", "runs: 256"),
    ("testFuzz_falseReturningTokenIsRefused(uint96)", "runs: 256"),
    (
        "testFuzz_noReturnTokenRoundTimesOutAndRefunds(uint96)",
        "runs: 256",
    ),
    ("test_openRefusesATokenWithoutCode()", "gas:"),
    ("testFuzz_wrongSettleBondIsRefused(uint128)", "runs: 256"),
    (
        "testFuzz_finalizeBeforeTheWindowIsRefused(uint64,address)",
        "runs: 256",
    ),
    (
        "testFuzz_wrongChallengeBondIsRefused(uint128,address)",
        "runs: 256",
    ),
    (
        "testFuzz_challengeAfterTheWindowIsRefused(uint64,address)",
        "runs: 256",
    ),
    ("testFuzz_nonVerifierCannotVote(address,bool)", "runs: 256"),
    ("testFuzz_doubleVoteIsRefused(uint8,bool,bool)", "runs: 256"),
    (
        "testFuzz_upheldChallengeRefundsEveryEntrantAndPaysTheChallengerBothBonds(uint8,uint96,address,bool)",
        "runs: 256",
    ),
    (
        "testFuzz_rejectedChallengePaysOutTheRankingAndTheOperatorBothBonds(uint8,uint96,address,bool)",
        "runs: 256",
    ),
    (
        "testFuzz_unresolvedChallengeIsCancellableAfterTheResolveWindow(uint64,address,address,bool)",
        "runs: 256",
    ),
    (
        "testFuzz_constructorRefusesANonMajorityThresholdOrDuplicateVerifier(uint8,uint16,uint8)",
        "runs: 256",
    ),
];

#[test]
fn forge_fuzz_and_invariant_tests_pass() {
    let contracts = Path::new(env!("CARGO_MANIFEST_DIR"));
    let forge = std::env::var_os("ARENA_FORGE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            contracts.join("../.tools/node_modules/@foundry-rs/forge-linux-amd64/bin/forge")
        });
    assert!(
        forge.is_file(),
        "forge is not installed at {}: run `bash scripts/install-chain-tools.sh --with-forge` (or set ARENA_FORGE)",
        forge.display()
    );
    let out = Command::new(&forge)
        .arg("test")
        .arg("--offline")
        .current_dir(contracts)
        .output()
        .expect("run forge");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(
        out.status.success(),
        "forge test failed ({}):\n{text}",
        out.status
    );
    for (test, runs) in EXPECTED {
        let line = text
            .lines()
            .find(|l| l.contains(test))
            .unwrap_or_else(|| panic!("{test} missing from forge's output:\n{text}"));
        assert!(
            line.starts_with("[PASS]") && line.contains(runs),
            "{test} must pass with {runs}; forge says: {line}"
        );
    }
}
