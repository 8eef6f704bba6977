//! Shared by the end-to-end tests: a small roster, running the binary, and
//! reading the chain a tournament left behind.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use alloy::primitives::{Address, U256};
use contracts::{AnvilNode, ArenaClient, Chain};

/// Four shipped agents, on both models.
pub const AGENTS: &[&str] = &["minimalist", "oracle", "poet", "scholar"];

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The shipped arithmetic space with two agents per round, in `dir/spaces`
/// (for `--spaces`): rounds of a two-agent roster.
pub fn two_agent_arithmetic_spaces(dir: &Path) -> PathBuf {
    let spaces = dir.join("spaces");
    std::fs::create_dir_all(&spaces).unwrap();
    let space = std::fs::read_to_string(repo().join("assets/spaces/arithmetic.toml"))
        .unwrap()
        .replace("agents_per_round = 4", "agents_per_round = 2");
    std::fs::write(spaces.join("arithmetic.toml"), space).unwrap();
    spaces
}

/// The GGUF of the catalogue model `name`, fetched on first use.
pub fn model_path(name: &str) -> PathBuf {
    agents::Fetcher::from_env(None)
        .ensure(&agents::ModelRef::parse(name).unwrap(), &mut |l| {
            eprintln!("{l}")
        })
        .expect("fetching the model")
}

/// A roster of [`AGENTS`] in `dir/agents`.
pub fn roster(dir: &Path) -> PathBuf {
    roster_of(dir, AGENTS)
}

/// A roster of the shipped agents `ids` in `dir/agents`.
pub fn roster_of(dir: &Path, ids: &[&str]) -> PathBuf {
    let agents = dir.join("agents");
    std::fs::create_dir_all(&agents).unwrap();
    for id in ids {
        std::fs::copy(
            repo().join(format!("assets/agents/{id}.toml")),
            agents.join(format!("{id}.toml")),
        )
        .unwrap();
    }
    agents
}

/// `arena ARGS --data-dir DATA`, run to its end.
pub fn arena(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arena"))
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .output()
        .expect("the arena binary runs")
}

/// The command line of a short tournament.
pub fn tournament_command(data: &Path, agents: &Path, space: &str, rounds: usize) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_arena"));
    command
        .args([
            "tournament",
            "--space",
            space,
            "--rounds",
            &rounds.to_string(),
            "--max-tokens",
            "12",
        ])
        .arg("--agents")
        .arg(agents)
        .arg("--data-dir")
        .arg(data);
    command
}

pub fn tournament(data: &Path, agents: &Path, space: &str, rounds: usize) -> Output {
    tournament_command(data, agents, space, rounds)
        .output()
        .expect("the arena binary runs")
}

/// Runs `command` (a tournament) with its info log on stderr until a log line contains
/// `marker` (a finished step), then kills it with SIGKILL; returns whether the marker came
/// before the run ended.
pub fn run_and_kill_after(mut command: Command, marker: &str) -> bool {
    use std::io::{BufRead, BufReader};
    let mut child = command
        .env("RUST_LOG", "arena=info")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let seen = BufReader::new(stderr)
        .lines()
        .any(|line| line.unwrap().contains(marker));
    child.kill().unwrap();
    child.wait().unwrap();
    seen
}

/// An agent's owner address.
pub fn owner_of(agents: &Path, agent: &str) -> Address {
    let text = std::fs::read_to_string(agents.join(format!("{agent}.toml"))).unwrap();
    agents::Agent::from_toml(&text, agent)
        .unwrap()
        .owner
        .parse()
        .unwrap()
}

/// Expected credits of a settled round, by owner, per the contract's rules.
pub fn expected_credits(
    fee: u128,
    split: &[u16],
    protocol_bps: u16,
    ranking: &[Address],
) -> Vec<(Address, U256)> {
    let pot = fee * ranking.len() as u128;
    let prize = pot - pot * u128::from(protocol_bps) / 10_000;
    let places = ranking.len().min(split.len());
    let mut credits: Vec<(Address, U256)> = Vec::new();
    let mut paid = 0;
    for (i, bps) in split.iter().enumerate().take(places).skip(1) {
        let amount = prize * u128::from(*bps) / 10_000;
        paid += amount;
        credits.push((ranking[i], U256::from(amount)));
    }
    credits.insert(0, (ranking[0], U256::from(prize - paid)));
    credits
}

/// The chain a tournament left in `data`, restarted from its saved state.
pub struct ChainView {
    pub client: ArenaClient,
    pub rt: tokio::runtime::Runtime,
    _node: AnvilNode,
}

impl ChainView {
    /// A node of its own, restarted from the state the tournament saved.
    pub fn open(data: &Path) -> Self {
        let state = data.join("chain/anvil-state.json");
        let node = AnvilNode::start(10, &["--state", state.to_str().unwrap()]).unwrap();
        Self::on(node, data)
    }

    /// The contract recorded in `data`, read on the running `node`.
    pub fn on(node: AnvilNode, data: &Path) -> Self {
        let deployment: serde_json::Value =
            serde_json::from_slice(&std::fs::read(data.join("chain/deployment.json")).unwrap())
                .unwrap();
        let contract: Address = deployment["contract"].as_str().unwrap().parse().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let chain = rt
            .block_on(Chain::connect(node.rpc_url(), &node.private_keys()[0]))
            .unwrap();
        Self {
            client: ArenaClient::at(&chain, contract),
            rt,
            _node: node,
        }
    }
}

/// What a run of the binary printed, stdout then stderr, for assertions and
/// failure messages.
pub fn output_text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Whether the judge model scored both answers of every verdict it could
/// have decided: a verdict the integrity flags, the checks or the prompt's
/// rules decided needs no model, and every other one is read from the
/// model's relevance of both answers.
pub fn model_scored_what_rules_left_open(judgment: &judge::Judgment) -> bool {
    use judge::verdict::Layer;
    let relevance_of = |id: &str| {
        judgment
            .answers
            .iter()
            .find(|a| a.agent_id == id)
            .and_then(|a| a.relevance)
    };
    judgment.verdicts.iter().all(|v| {
        matches!(
            v.layer,
            Layer::Integrity | Layer::Checks | Layer::Instructions
        ) || (relevance_of(&v.a).is_some() && relevance_of(&v.b).is_some())
    })
}
