//! Exactly-once settlement across real crashes: a child process settles a round and is killed
//! with SIGKILL at a chosen point (after journaling the intent, after sending but before
//! journaling the hash, after journaling the hash with the transaction still pending or
//! dropped by the node); a restarted client then finishes. The settlement is proposed exactly
//! once (one proposal, one bond), and once its challenge window passed and anyone finalized it,
//! the round is paid exactly once.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use alloy::primitives::{Address, B256, TxHash, U256};
use common::{Env, FEE, PROTOCOL_FEE_BPS, SETTLE_BOND, agents, expected_payout, root};
use contracts::client::DEFAULT_SPLIT_BPS;
use contracts::{
    ArenaClient, Chain, ChainError, JournalEntry, JsonlJournal, RoundState, SettleOutcome,
    TxJournal, settle_once,
};

const CHILD_ENV: &str = "ARENA_CRASH_CHILD";
const MARKER: &str = "CRASH-POINT-REACHED";

/// Where the child stops and waits to be killed.
#[derive(Clone, Copy)]
enum CrashAt {
    /// Intent journaled, nothing sent.
    Intent,
    /// Transaction sent, its hash not yet journaled.
    BeforeSentRecord,
    /// Transaction sent and its hash journaled.
    AfterSentRecord,
}

impl CrashAt {
    fn name(self) -> &'static str {
        match self {
            CrashAt::Intent => "intent",
            CrashAt::BeforeSentRecord => "before-sent-record",
            CrashAt::AfterSentRecord => "after-sent-record",
        }
    }
}

/// A journal that stops the process at the configured point so the parent can kill it there.
struct StoppingJournal {
    inner: JsonlJournal,
    at: String,
}

impl StoppingJournal {
    fn stop_if(&self, point: &str) {
        if self.at == point {
            println!("{MARKER}");
            std::io::stdout().flush().unwrap();
            std::thread::sleep(std::time::Duration::from_secs(600));
        }
    }
}

impl TxJournal for StoppingJournal {
    fn record_intent(&self, key: &str, description: &str) -> Result<(), ChainError> {
        self.inner.record_intent(key, description)?;
        self.stop_if("intent");
        Ok(())
    }
    fn record_sent(&self, key: &str, hash: TxHash) -> Result<(), ChainError> {
        self.stop_if("before-sent-record");
        self.inner.record_sent(key, hash)?;
        self.stop_if("after-sent-record");
        Ok(())
    }
    fn record_confirmed(&self, key: &str, hash: Option<TxHash>) -> Result<(), ChainError> {
        self.inner.record_confirmed(key, hash)
    }
    fn lookup(&self, key: &str) -> Result<Option<JournalEntry>, ChainError> {
        self.inner.lookup(key)
    }
}

/// The child side: run by the parent as a separate process of this test binary.
#[tokio::test]
#[ignore = "run only as a child process of the crash tests"]
async fn settle_child_process() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let v: serde_json::Value = serde_json::from_str(&spec).unwrap();
    let s = |k: &str| v[k].as_str().unwrap().to_string();
    let chain = Chain::connect(&s("rpc"), &s("key")).await.unwrap();
    let client = ArenaClient::at(&chain, s("contract").parse().unwrap());
    let ranking: Vec<Address> = serde_json::from_value(v["ranking"].clone()).unwrap();
    let journal = StoppingJournal {
        inner: JsonlJournal::open(s("journal")).unwrap(),
        at: s("crash_at"),
    };
    let root: B256 = s("root").parse().unwrap();
    settle_once(&client, &journal, 1, &agents(&ranking), root)
        .await
        .unwrap();
    panic!("the child must be killed before it finishes");
}

/// A round with three entrants, past its deadline, ready to settle.
async fn ready_round() -> (Env, Vec<Address>) {
    let env = Env::start(5).await;
    env.open(1, &DEFAULT_SPLIT_BPS).await;
    let entrants = env.enter(1, 3).await;
    env.pass_deadline().await;
    (env, entrants)
}

/// Runs the child until it reaches `at`, then kills it with SIGKILL.
fn settle_and_kill(env: &Env, ranking: &[Address], journal: &Path, at: CrashAt) {
    let spec = serde_json::json!({
        "rpc": env.node.rpc_url(),
        "key": env.node.private_keys()[0],
        "contract": env.operator.address().to_string(),
        "ranking": ranking,
        "root": root("record").to_string(),
        "journal": journal,
        "crash_at": at.name(),
    });
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "settle_child_process",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_ENV, spec.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reached = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|l| l.contains(MARKER));
    child.kill().unwrap(); // SIGKILL: no destructor or flush runs in the child
    child.wait().unwrap();
    assert!(reached, "child exited before reaching {}", at.name());
}

/// Settles again as a fresh client would after a restart.
async fn restart(env: &Env, ranking: &[Address], journal: &Path) -> SettleOutcome {
    let journal = JsonlJournal::open(journal).unwrap();
    settle_once(&env.operator, &journal, 1, &agents(ranking), root("record"))
        .await
        .expect("settlement after restart")
}

/// The round's settlement was proposed exactly once, with `ranking` and one bond; then, after
/// the keeper finalized it (without touching the operator's nonce), it was settled once and
/// every entrant credited exactly its share, once.
async fn assert_paid_once(env: &Env, ranking: &[Address]) {
    let c = &env.operator;
    let proposals = env.proposals(1).await;
    assert_eq!(proposals.len(), 1, "exactly one proposal");
    assert_eq!(proposals[0].ranking, agents(ranking));
    assert_eq!(proposals[0].resultRoot, root("record"));
    assert_eq!(c.round(1).await.unwrap().state, RoundState::Proposed);
    let pot = U256::from(FEE * ranking.len() as u128);
    assert_eq!(
        env.escrowed(contracts::NATIVE).await,
        pot + U256::from(SETTLE_BOND),
        "one bond posted"
    );
    assert!(
        c.settlements(1).await.unwrap().is_empty(),
        "nothing paid yet"
    );
    env.finalize(1).await;
    assert_eq!(
        c.settlements(1).await.unwrap().len(),
        1,
        "exactly one settlement"
    );
    let (protocol, rewards) =
        expected_payout(ranking.len(), FEE, &DEFAULT_SPLIT_BPS, PROTOCOL_FEE_BPS);
    assert_eq!(
        c.balance_of(contracts::NATIVE, c.chain().account())
            .await
            .unwrap(),
        U256::from(protocol + SETTLE_BOND),
        "the protocol fee and the one bond back"
    );
    for (who, want) in ranking.iter().zip(&rewards) {
        assert_eq!(
            c.balance_of(contracts::NATIVE, *who).await.unwrap(),
            U256::from(*want)
        );
    }
    assert_eq!(
        c.total_owed(contracts::NATIVE).await.unwrap(),
        pot + U256::from(SETTLE_BOND)
    );
    assert_eq!(env.escrowed(contracts::NATIVE).await, U256::ZERO);
}

fn journal_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("tx-journal.jsonl")
}

async fn operator_nonce(env: &Env) -> u64 {
    let chain = env.operator.chain();
    chain.nonce(chain.account()).await.unwrap()
}

#[tokio::test]
async fn killed_after_journaling_intent_settles_once_on_restart() {
    let (env, ranking) = ready_round().await;
    let dir = tempfile::tempdir().unwrap();
    let nonce = operator_nonce(&env).await;
    settle_and_kill(&env, &ranking, &journal_path(&dir), CrashAt::Intent);
    assert_eq!(
        operator_nonce(&env).await,
        nonce,
        "nothing was sent before the kill"
    );
    let outcome = restart(&env, &ranking, &journal_path(&dir)).await;
    assert!(matches!(outcome, SettleOutcome::Sent(_)), "{outcome:?}");
    assert_eq!(operator_nonce(&env).await, nonce + 1);
    assert_paid_once(&env, &ranking).await;
}

#[tokio::test]
async fn killed_after_sending_before_journaling_the_hash_does_not_send_again() {
    let (env, ranking) = ready_round().await;
    let dir = tempfile::tempdir().unwrap();
    let nonce = operator_nonce(&env).await;
    settle_and_kill(
        &env,
        &ranking,
        &journal_path(&dir),
        CrashAt::BeforeSentRecord,
    );
    assert_eq!(
        operator_nonce(&env).await,
        nonce + 1,
        "the settlement was mined"
    );
    let outcome = restart(&env, &ranking, &journal_path(&dir)).await;
    assert!(
        matches!(outcome, SettleOutcome::AlreadySettled { tx_hash: None }),
        "{outcome:?}"
    );
    assert_eq!(
        operator_nonce(&env).await,
        nonce + 1,
        "no second transaction"
    );
    assert_paid_once(&env, &ranking).await;
    // A third run is a no-op too, now answered from the journal's confirmation.
    let again = restart(&env, &ranking, &journal_path(&dir)).await;
    assert!(matches!(again, SettleOutcome::AlreadySettled { .. }));
    assert_eq!(operator_nonce(&env).await, nonce + 1);
}

#[tokio::test]
async fn killed_with_the_transaction_pending_waits_for_it_instead_of_resending() {
    let (env, ranking) = ready_round().await;
    let dir = tempfile::tempdir().unwrap();
    let chain = env.operator.chain();
    let nonce = operator_nonce(&env).await;
    chain
        .anvil_call("evm_setAutomine", serde_json::json!([false]))
        .await
        .unwrap();
    settle_and_kill(
        &env,
        &ranking,
        &journal_path(&dir),
        CrashAt::AfterSentRecord,
    );
    let sent = JsonlJournal::open(journal_path(&dir))
        .unwrap()
        .lookup(&contracts::settle_key(env.operator.address(), 1))
        .unwrap()
        .unwrap()
        .sent;
    assert_eq!(sent.len(), 1);

    let restarted = {
        let (operator, ranking, path) = (env.operator.clone(), ranking.clone(), journal_path(&dir));
        tokio::spawn(async move {
            let journal = JsonlJournal::open(path).unwrap();
            settle_once(&operator, &journal, 1, &agents(&ranking), root("record")).await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(operator_nonce(&env).await, nonce, "still pending");
    chain
        .anvil_call("evm_mine", serde_json::json!([]))
        .await
        .unwrap();
    let outcome = restarted.await.unwrap().unwrap();
    assert!(
        matches!(outcome, SettleOutcome::AlreadySettled { tx_hash: Some(h) } if h == sent[0]),
        "{outcome:?}"
    );
    // Mine automatically again, so that finalizing below does not wait for a manual block.
    chain
        .anvil_call("evm_setAutomine", serde_json::json!([true]))
        .await
        .unwrap();
    assert_eq!(
        operator_nonce(&env).await,
        nonce + 1,
        "no second transaction"
    );
    assert_paid_once(&env, &ranking).await;
}

#[tokio::test]
async fn killed_with_the_transaction_dropped_by_the_node_sends_it_again_once() {
    let (env, ranking) = ready_round().await;
    let dir = tempfile::tempdir().unwrap();
    let chain = env.operator.chain();
    let nonce = operator_nonce(&env).await;
    chain
        .anvil_call("evm_setAutomine", serde_json::json!([false]))
        .await
        .unwrap();
    settle_and_kill(
        &env,
        &ranking,
        &journal_path(&dir),
        CrashAt::AfterSentRecord,
    );
    // The node loses the transaction (as a restarted node with an empty pool would).
    chain
        .anvil_call("anvil_dropAllTransactions", serde_json::json!([]))
        .await
        .unwrap();
    chain
        .anvil_call("evm_setAutomine", serde_json::json!([true]))
        .await
        .unwrap();
    assert_eq!(env.operator.settlements(1).await.unwrap().len(), 0);
    assert!(
        env.proposals(1).await.is_empty(),
        "the dropped proposal never landed"
    );

    let outcome = restart(&env, &ranking, &journal_path(&dir)).await;
    assert!(matches!(outcome, SettleOutcome::Sent(_)), "{outcome:?}");
    assert_eq!(operator_nonce(&env).await, nonce + 1);
    assert_paid_once(&env, &ranking).await;
    let entry = JsonlJournal::open(journal_path(&dir))
        .unwrap()
        .lookup(&contracts::settle_key(env.operator.address(), 1))
        .unwrap()
        .unwrap();
    assert_eq!(
        entry.sent.len(),
        2,
        "the dropped and the resent transaction are both journaled"
    );
}

/// A settlement that contradicts the one on chain is refused with a clear error, not resent.
#[tokio::test]
async fn settling_again_with_another_result_is_an_error() {
    let (env, ranking) = ready_round().await;
    let dir = tempfile::tempdir().unwrap();
    restart(&env, &ranking, &journal_path(&dir)).await;
    let journal = JsonlJournal::open(journal_path(&dir)).unwrap();
    let err = settle_once(&env.operator, &journal, 1, &agents(&ranking), root("other"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ChainError::SettledDifferently { .. }),
        "{err}"
    );
    assert_paid_once(&env, &ranking).await;
}
