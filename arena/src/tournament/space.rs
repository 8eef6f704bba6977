//! Spaces: themed prompt sets with their judging rules, round size, time
//! limit, fee tiers and reward split, read from `assets/spaces/*.toml`.

use std::path::{Path, PathBuf};

use alloy::primitives::Address;
use anyhow::{Context, Result, bail};
use judge::Check;
use serde::{Deserialize, Serialize};

use super::interactive::Interactive;

/// How each prompt's `answer` is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerCheck {
    /// The last number in the reply equals the answer.
    Numeric,
    /// The reply contains the answer's words.
    Contains,
    /// Prompts have no answer.
    None,
}

/// The judging rules of a space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Judging {
    pub answer_check: AnswerCheck,
    /// Format checks applied to every answer.
    #[serde(default)]
    pub checks: Vec<Check>,
    /// Whether the LLM judge layers run (pairwise and pointwise).
    #[serde(default = "yes")]
    pub llm: bool,
}

fn yes() -> bool {
    true
}

/// One prompt, with its reference answer when the space has them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prompt {
    pub text: String,
    #[serde(default)]
    pub answer: Option<String>,
}

/// A fee tier a space offers, as written under `[[tiers]]`: a round is played in one tier,
/// chosen by the tournament (`--tier`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// How `--tier` names it: lowercase letters, digits and '-'.
    pub name: String,
    /// The entry fee per agent in the asset's smallest unit (wei, or 10^-6 TUSD), as a decimal
    /// string; "0" makes a free round.
    pub fee: String,
    /// What the fee is paid in: absent for ETH, "stablecoin" for the test stablecoin deployed
    /// with the contract, or a token's 0x address.
    #[serde(default)]
    pub token: Option<String>,
}

/// The asset a tier's fee is paid in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierToken {
    Native,
    /// The Test USD stablecoin of the deployment record.
    Stablecoin,
    Address(Address),
}

/// The name of the tier that `entry_fee_wei` stands for.
pub const ETH_TIER: &str = "eth";

impl Tier {
    /// The fee in the asset's smallest unit.
    pub fn fee(&self) -> Result<u128> {
        self.fee.trim().parse().with_context(|| {
            format!(
                "tier '{}': fee '{}' is not a whole number of the asset's smallest unit",
                self.name, self.fee
            )
        })
    }

    /// The asset the fee is paid in.
    pub fn token(&self) -> Result<TierToken> {
        match self.token.as_deref().map(str::trim) {
            None | Some("") | Some("eth") => Ok(TierToken::Native),
            Some("stablecoin") => Ok(TierToken::Stablecoin),
            Some(other) => other.parse().map(TierToken::Address).map_err(|_| {
                anyhow::anyhow!(
                    "tier '{}': token '{other}' is neither \"stablecoin\" nor a 0x token address (leave it out for ETH)",
                    self.name
                )
            }),
        }
    }
}

/// A space as written in its TOML file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Space {
    pub name: String,
    pub description: String,
    /// Shown to agents before every prompt.
    pub instructions: String,
    pub agents_per_round: usize,
    /// Generation deadline of a single-shot round, in seconds (an interactive space gives each
    /// step of moves `interactive.turn_seconds` instead: see [`Space::step_seconds`]).
    pub round_seconds: f64,
    /// Token limit of every answer in the space (caps the agent's own).
    pub max_tokens: usize,
    /// Entry fee in wei, as a decimal string (fees exceed 64 bits): the space's first tier,
    /// named "eth".
    pub entry_fee_wei: String,
    /// Further fee tiers (a free one, token ones), after the "eth" tier.
    #[serde(default)]
    pub tiers: Vec<Tier>,
    /// Reward split of the paid places, in basis points summing to 10000.
    pub reward_split_bps: Vec<u16>,
    pub protocol_fee_bps: u16,
    pub judging: Judging,
    /// Present for an interactive space: agents play two-seat matches turn by turn (see
    /// [`Interactive`]); absent for a single-shot space, where each agent answers the prompt
    /// on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interactive: Option<Interactive>,
    pub prompts: Vec<Prompt>,
}

/// The least prompts a space must have, so rounds rarely repeat one.
pub const MIN_PROMPTS: usize = 30;

impl Space {
    /// Reads and validates a space file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading space file {}", path.display()))?;
        let space: Space =
            toml::from_str(&text).with_context(|| format!("space file {}", path.display()))?;
        space
            .validate()
            .with_context(|| format!("space file {}", path.display()))?;
        Ok(space)
    }

    /// Checks every field; the error names the field and the fix.
    pub fn validate(&self) -> Result<()> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            bail!("field `name`: use lowercase letters, digits and '-'");
        }
        if !(2..=8).contains(&self.agents_per_round) {
            bail!("field `agents_per_round`: use 2 to 8");
        }
        if !(self.round_seconds > 0.0 && self.round_seconds <= 600.0) {
            bail!("field `round_seconds`: use more than 0 and at most 600");
        }
        if !(1..=agents::sampling::MAX_TOKENS_LIMIT).contains(&self.max_tokens) {
            bail!(
                "field `max_tokens`: use 1 to {}",
                agents::sampling::MAX_TOKENS_LIMIT
            );
        }
        self.entry_fee()?;
        let mut names = vec![ETH_TIER];
        for tier in &self.tiers {
            if tier.name.is_empty()
                || !tier
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                bail!(
                    "field `tiers`: tier name '{}': use lowercase letters, digits and '-'",
                    tier.name
                );
            }
            if names.contains(&tier.name.as_str()) {
                bail!(
                    "field `tiers`: tier name '{}' is used twice (\"{ETH_TIER}\" is the entry_fee_wei tier): give each tier its own name",
                    tier.name
                );
            }
            names.push(&tier.name);
            tier.fee().context("field `tiers`")?;
            tier.token().context("field `tiers`")?;
        }
        let total: u32 = self.reward_split_bps.iter().map(|b| u32::from(*b)).sum();
        if self.reward_split_bps.is_empty() || total != 10_000 {
            bail!(
                "field `reward_split_bps`: the places must sum to 10000 basis points (now {total})"
            );
        }
        if self.protocol_fee_bps > 10_000 {
            bail!("field `protocol_fee_bps`: at most 10000");
        }
        if self.prompts.len() < MIN_PROMPTS {
            bail!(
                "field `prompts`: a space needs at least {MIN_PROMPTS} prompts (has {})",
                self.prompts.len()
            );
        }
        for (i, prompt) in self.prompts.iter().enumerate() {
            if prompt.text.trim().is_empty() {
                bail!("prompt {}: empty text", i + 1);
            }
            match (self.judging.answer_check, &prompt.answer) {
                (AnswerCheck::Numeric, Some(a)) if a.trim().parse::<f64>().is_err() => {
                    bail!(
                        "prompt {}: answer '{a}' is not a number, but answer_check is numeric",
                        i + 1
                    )
                }
                (AnswerCheck::Numeric | AnswerCheck::Contains, None) => {
                    bail!("prompt {}: needs an `answer` for answer_check", i + 1)
                }
                _ => {}
            }
        }
        for check in &self.judging.checks {
            check
                .validate()
                .map_err(|e| anyhow::anyhow!("field `judging.checks`: {e}"))?;
        }
        if let Some(interactive) = &self.interactive {
            interactive.validate(self.agents_per_round, self.judging.llm)?;
        }
        Ok(())
    }

    /// Every tier the space offers, the "eth" tier of `entry_fee_wei` first.
    pub fn all_tiers(&self) -> Vec<Tier> {
        let eth = Tier {
            name: ETH_TIER.into(),
            fee: self.entry_fee_wei.clone(),
            token: None,
        };
        std::iter::once(eth)
            .chain(self.tiers.iter().cloned())
            .collect()
    }

    /// The tier called `name`, or the first ("eth") when `name` is `None`; an unknown name is an
    /// error listing the space's tiers.
    pub fn tier(&self, name: Option<&str>) -> Result<Tier> {
        let tiers = self.all_tiers();
        let Some(name) = name else {
            return Ok(tiers[0].clone());
        };
        let names: Vec<&str> = tiers.iter().map(|t| t.name.as_str()).collect();
        let found = tiers.iter().find(|t| t.name == name).cloned();
        found.with_context(|| {
            format!(
                "space '{}' has no tier '{name}': choose --tier {}",
                self.name,
                names.join(", ")
            )
        })
    }

    /// The entry fee in wei of the "eth" tier.
    pub fn entry_fee(&self) -> Result<u128> {
        self.entry_fee_wei.trim().parse().with_context(|| {
            format!(
                "field `entry_fee_wei`: '{}' is not a whole number of wei",
                self.entry_fee_wei
            )
        })
    }

    /// The deadline one generation step gets, in seconds: the whole round's answers in a
    /// single-shot space, one step of moves in an interactive one.
    pub fn step_seconds(&self) -> f64 {
        self.interactive
            .as_ref()
            .map_or(self.round_seconds, |i| i.turn_seconds)
    }

    /// The prompt as agents see it: the space's instructions, then the prompt.
    pub fn full_prompt(&self, prompt: &Prompt) -> String {
        format!("{}\n\n{}", self.instructions.trim(), prompt.text.trim())
    }

    /// The verifiable checks of one prompt.
    pub fn checks_for(&self, prompt: &Prompt) -> Vec<Check> {
        let mut checks = self.judging.checks.clone();
        match (self.judging.answer_check, &prompt.answer) {
            (AnswerCheck::Numeric, Some(a)) => {
                if let Ok(expected) = a.trim().parse() {
                    checks.push(Check::NumericAnswer {
                        expected,
                        tolerance: 0.0,
                    });
                }
            }
            (AnswerCheck::Contains, Some(a)) => checks.push(Check::ContainsAnswer {
                expected: a.clone(),
            }),
            _ => {}
        }
        checks
    }
}

/// The directory of shipped spaces.
pub fn default_dir() -> PathBuf {
    crate::assets_dir().join("spaces")
}

/// Every space in `dir`, by name.
pub fn load_all(dir: &Path) -> Result<Vec<Space>> {
    let spaces = super::toml_files(dir, "spaces")?
        .iter()
        .map(|path| Space::load(path))
        .collect::<Result<Vec<_>>>()?;
    Ok(spaces)
}

/// The space called `name` in `dir`.
pub fn find(dir: &Path, name: &str) -> Result<Space> {
    let spaces = load_all(dir)?;
    let names: Vec<String> = spaces.iter().map(|s| s.name.clone()).collect();
    spaces
        .into_iter()
        .find(|s| s.name == name)
        .with_context(|| {
            format!(
                "no space named '{name}' in {}: choose one of {}",
                dir.display(),
                names.join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_spaces_are_valid_and_exercise_different_judges() {
        let spaces = load_all(&default_dir()).unwrap();
        assert!(spaces.len() >= 4);
        let checks: Vec<AnswerCheck> = spaces.iter().map(|s| s.judging.answer_check).collect();
        assert!(checks.contains(&AnswerCheck::Numeric) && checks.contains(&AnswerCheck::Contains));
        assert!(spaces.iter().any(|s| !s.judging.checks.is_empty()));
    }

    #[test]
    fn tiers_follow_the_eth_tier_and_bad_ones_are_refused_by_name() {
        let mut space = find(&default_dir(), "arithmetic").unwrap();
        let names: Vec<String> = space.all_tiers().into_iter().map(|t| t.name).collect();
        assert_eq!(
            names[0], ETH_TIER,
            "entry_fee_wei stays the first, default tier"
        );
        assert!(names.contains(&"free".to_owned()) && names.contains(&"usd-1".to_owned()));
        assert_eq!(
            space.tier(None).unwrap().fee().unwrap(),
            space.entry_fee().unwrap()
        );
        let usd = space.tier(Some("usd-1")).unwrap();
        assert_eq!(usd.token().unwrap(), TierToken::Stablecoin);
        assert_eq!(usd.fee().unwrap(), 1_000_000);
        let err = space.tier(Some("gold")).unwrap_err().to_string();
        assert!(err.contains("'gold'") && err.contains("usd-1"), "{err}");
        space.tiers[0].name = ETH_TIER.into();
        let err = space.validate().unwrap_err().to_string();
        assert!(err.contains("used twice"), "{err}");
        space.tiers[0].name = "free".into();
        space.tiers[0].token = Some("dollars".into());
        let err = format!("{:#}", space.validate().unwrap_err());
        assert!(
            err.contains("dollars") && err.contains("stablecoin"),
            "{err}"
        );
    }

    #[test]
    fn interactive_spaces_load_and_bad_games_are_refused_by_field() {
        use crate::tournament::interactive::{DecidedBy, Game, TurnOrder};
        let refused = |space: &Space| format!("{:#}", space.validate().unwrap_err());
        let debate = find(&default_dir(), "debate").unwrap();
        let interactive = debate.interactive.clone().unwrap();
        assert_eq!(interactive.game, Game::Debate);
        let mut space = debate.clone();
        space.interactive.as_mut().unwrap().decided_by = DecidedBy::Rule;
        assert!(refused(&space).contains("a debate has no rule"));
        let mut space = debate.clone();
        space.agents_per_round = 3;
        assert!(refused(&space).contains("even number"));
        let mut auction = find(&default_dir(), "auction").unwrap();
        let game = &mut auction.interactive.as_mut().unwrap().game;
        if let Game::Auction { item_values, .. } = game {
            item_values.pop();
        }
        assert!(refused(&auction).contains("item_values"));
        let mut negotiation = find(&default_dir(), "negotiation").unwrap();
        negotiation.interactive.as_mut().unwrap().turn_order = TurnOrder::Simultaneous;
        assert!(refused(&negotiation).contains("turn_order"));
        let text = std::fs::read_to_string(default_dir().join("negotiation.toml"))
            .unwrap()
            .replace("pot = 100", "pot = 100\nprize = 5");
        let err = format!("{:#}", toml::from_str::<Space>(&text).unwrap_err());
        assert!(err.contains("prize"), "{err}");
    }

    #[test]
    fn bad_split_and_missing_answers_are_refused_by_field() {
        let mut space = load_all(&default_dir()).unwrap().remove(0);
        space.reward_split_bps = vec![5000, 3000];
        assert!(
            space
                .validate()
                .unwrap_err()
                .to_string()
                .contains("reward_split_bps")
        );
        let mut space = find(&default_dir(), "arithmetic").unwrap();
        space.prompts[0].answer = None;
        assert!(
            space
                .validate()
                .unwrap_err()
                .to_string()
                .contains("needs an `answer`")
        );
    }
}
