//! What the store keeps about rounds: the round itself, the answers, the
//! preference pairs and rating changes. Judgments are in [`crate::verdict`].

use serde::{Deserialize, Serialize};

/// Identifies a round; increasing in the order rounds were created.
pub type RoundId = u64;

/// Where a round is in its life. Each step is persisted before the next
/// begins, so a restarted tournament knows what is left to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundStatus {
    Open,
    EntriesPaid,
    Generated,
    Judged,
    Settled,
    Closed,
    Cancelled,
}

/// A round: which space, which prompt, who entered, at what fee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundRecord {
    pub id: RoundId,
    pub space: String,
    /// The prompt with the space's instructions, as the agents saw it.
    pub prompt: String,
    pub reference: Option<String>,
    pub agents: Vec<String>,
    pub status: RoundStatus,
    /// Unix seconds when the round was opened.
    pub opened_at: u64,
    /// Hex of the result root settled on chain, once settled.
    #[serde(default)]
    pub result_root: Option<String>,
    /// Transactions sent for the round, in order.
    #[serde(default)]
    pub transactions: Vec<TxRecord>,
    /// The fee tier the round was opened in (rounds stored before tiers have none: they paid
    /// their space's ETH fee).
    #[serde(default)]
    pub fee: Option<RoundFee>,
    /// The matches of an interactive round, each with its transcript so far: stored after
    /// every step of turns, so a restarted round resumes at the turn where it stopped. Empty
    /// (and not written) for single-shot rounds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<MatchRecord>,
    /// Chain time at which the proposed settlement's challenge window ends: its rewards are
    /// withdrawable only after it. `None` before settlement (and for rounds stored before
    /// settlement could be contested).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge_ends_at: Option<u64>,
    /// The account that challenged the settlement, as the operator last saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenger: Option<String>,
}

impl RoundRecord {
    /// How the round's settlement stands against challenges, as the operator last saw it
    /// (`None` before settlement): shown by `rounds show` and the GUI. The chain has the live
    /// state (`arena chain status`, `arena verify`).
    pub fn contest_status(&self) -> Option<String> {
        let ends = self.challenge_ends_at?;
        let paid = self.transactions.iter().any(|t| t.action == "finalize");
        Some(match (&self.challenger, paid) {
            (Some(challenger), _) => format!(
                "settlement challenged by {challenger}: the verifier committee decides it (challenge window ended at chain time {ends})"
            ),
            (None, true) => {
                format!("challenge window ended at chain time {ends} unchallenged; paid out")
            }
            (None, false) => format!(
                "settlement proposed: open to challenges until chain time {ends}; rewards are withdrawable after it"
            ),
        })
    }
}

/// One match of an interactive round: two seats playing turn by turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchRecord {
    /// The agent in each seat, seat 0 first (it moves first).
    pub seats: Vec<String>,
    /// The moves made so far, in the order they were made.
    pub turns: Vec<TurnRecord>,
}

impl MatchRecord {
    /// The moves of `seat`, in order.
    pub fn moves_of(&self, seat: usize) -> impl Iterator<Item = &TurnRecord> {
        self.turns.iter().filter(move |t| t.seat == seat)
    }
}

/// One move: what the seat's agent saw and what it answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnRecord {
    /// The turn (0-based) and the seat that moved in it.
    pub turn: usize,
    pub seat: usize,
    /// The prompt the agent was given: the scenario, its role and the transcript from its
    /// own point of view. Kept so the move can be replayed and trained on.
    pub prompt: String,
    /// The answer, with the seed, sampling and commitment it was generated with.
    pub answer: AnswerRecord,
}

/// What entering a round cost: its space's fee tier, in ETH or a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundFee {
    /// The tier's name in the space file.
    pub tier: String,
    /// The fee token's 0x address, `None` for ETH.
    pub token: Option<String>,
    /// The asset's symbol ("ETH", "TUSD").
    pub symbol: String,
    /// Decimals of the asset's amounts (18 for ETH).
    pub decimals: u8,
    /// Fee per agent in the asset's smallest unit, as a decimal string (fees exceed 64 bits).
    pub amount: String,
}

impl RoundFee {
    /// The fee for people: "free (tier free)", "0.01 ETH per agent (tier eth)",
    /// "1 TUSD per agent (tier usd-1, token 0x…)".
    pub fn describe(&self) -> String {
        let token = self
            .token
            .as_ref()
            .map(|t| format!(", token {t}"))
            .unwrap_or_default();
        if self.amount.trim_start_matches('0').is_empty() {
            return format!("free (tier {}{token})", self.tier);
        }
        format!(
            "{} {} per agent (tier {}{token})",
            decimal_amount(&self.amount, self.decimals),
            self.symbol,
            self.tier
        )
    }
}

/// `units` of an asset with `decimals` decimals, written as a decimal number without trailing
/// zeros: ("1500000", 6) is "1.5".
pub fn decimal_amount(units: &str, decimals: u8) -> String {
    let digits = units.trim_start_matches('0');
    let decimals = usize::from(decimals);
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        whole.to_owned()
    } else {
        format!("{whole}.{fraction}")
    }
}

/// A transaction sent for a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxRecord {
    /// What it did, for example "open", "enter poet", "settle".
    pub action: String,
    /// Its hash, 0x-prefixed hex.
    pub hash: String,
}

/// One agent's answer in a round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerRecord {
    pub round: RoundId,
    pub agent_id: String,
    pub model: String,
    pub text: String,
    /// Cut by the round's deadline.
    pub truncated: bool,
    pub generated_tokens: usize,
    pub seed: u64,
    /// The system prompt and effective sampling the answer was generated
    /// with, so the round can be replayed from its seeds.
    #[serde(default)]
    pub system_prompt: String,
    #[serde(default)]
    pub sampling: agents::Sampling,
    /// The server of an `openai:` model, so a replay asks the same one;
    /// absent (and not written) for local models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<agents::Endpoint>,
    /// What a local model's answer committed to as it was generated (model
    /// file, tokens, hidden-state fingerprints), so `arena verify` checks
    /// it with one prefill pass; absent for served answers and in records
    /// made before commitments existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<agents::commitment::Commitment>,
}

/// A chosen/rejected pair for preference training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreferencePair {
    pub round: RoundId,
    pub space: String,
    pub prompt: String,
    pub chosen: String,
    pub rejected: String,
    pub chosen_agent: String,
    pub rejected_agent: String,
    pub chosen_model: String,
    pub rejected_model: String,
    /// How clearly the judge preferred `chosen`, in (0, 1].
    pub margin: f64,
    /// The judge's identity.
    pub judge: String,
    /// For a move of an interactive round: the shared transcript before it, as chat
    /// messages (the scenario as `system`, every earlier move as `user`, named by seat), so
    /// the pair exports in TRL's conversational form. Empty for single-shot rounds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<ChatMessage>,
}

/// A chat message of a conversational pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

/// One agent's MMR before and after a round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatingChange {
    pub round: RoundId,
    pub space: String,
    pub agent_id: String,
    pub before: f64,
    pub after: f64,
}

/// Where a version of an agent came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionOrigin {
    /// The agent's own file: the first version.
    File,
    /// System prompt rewritten by a language model.
    Rewritten,
    /// System prompt mutated by rules.
    Mutated,
    /// Model trained by DPO on the space's preference pairs (`arena train`).
    Dpo,
}

impl VersionOrigin {
    /// Its name as stored (and shown in the GUI).
    pub fn name(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::Rewritten => "rewritten",
            Self::Mutated => "mutated",
            Self::Dpo => "dpo",
        }
    }
}

/// A model file made by training, as a version refers to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainedModel {
    /// Path of the GGUF file.
    pub path: String,
    /// Its SHA-256, hex.
    pub sha256: String,
}

/// What became of a version of an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    /// A candidate being tried in the current generation.
    Trial,
    /// In use: the first version, or a candidate that did at least as well as its parent.
    Kept,
    /// A candidate that did worse than its parent; the agent went back to the parent.
    RolledBack,
}

/// One version of an evolving agent in a space: what it played with, where it came from and
/// how it did. The agent's current version is its newest one not rolled back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentVersion {
    pub space: String,
    pub agent_id: String,
    /// 1 for the agent's file, then counting up.
    pub version: u32,
    /// The version this one was derived from.
    pub parent: Option<u32>,
    /// The last round played before this version was created (`None`: before any).
    pub created_after_round: Option<RoundId>,
    pub origin: VersionOrigin,
    pub system_prompt: String,
    pub sampling: agents::Sampling,
    /// The model this version plays with, when it is not the agent file's:
    /// the GGUF file a DPO run wrote, with its sha256 (what the version's
    /// answers commit to). Absent in versions made before training existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<TrainedModel>,
    pub status: VersionStatus,
    /// Share of opponents it outranked per round (draws half), over the
    /// rounds of its last generation, once it played.
    pub form: Option<f64>,
    /// The agent's MMR when this version last finished a generation.
    pub mmr: Option<f64>,
    /// Rounds this version played.
    pub rounds_played: usize,
    /// What was changed, and why it was kept or rolled back.
    pub note: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_in_whole_units() {
        assert_eq!(decimal_amount("1500000", 6), "1.5");
        assert_eq!(decimal_amount("1000000", 6), "1");
        assert_eq!(decimal_amount("7", 6), "0.000007");
        assert_eq!(decimal_amount("10000000000000000", 18), "0.01");
        assert_eq!(decimal_amount("0", 18), "0");
    }

    #[test]
    fn a_fee_names_its_tier_asset_and_token() {
        let fee = RoundFee {
            tier: "usd-1".into(),
            token: Some("0xabc".into()),
            symbol: "TUSD".into(),
            decimals: 6,
            amount: "1000000".into(),
        };
        assert_eq!(fee.describe(), "1 TUSD per agent (tier usd-1, token 0xabc)");
        let free = RoundFee {
            tier: "free".into(),
            token: None,
            symbol: "ETH".into(),
            decimals: 18,
            amount: "0".into(),
        };
        assert_eq!(free.describe(), "free (tier free)");
    }
}
