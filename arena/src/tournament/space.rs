//! Spaces: themed prompt sets with their judging rules, round size, time
//! limit, entry fee and reward split, read from `assets/spaces/*.toml`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use judge::Check;
use serde::{Deserialize, Serialize};

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

/// A space as written in its TOML file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Space {
    pub name: String,
    pub description: String,
    /// Shown to agents before every prompt.
    pub instructions: String,
    pub agents_per_round: usize,
    /// Generation deadline of a round, in seconds.
    pub round_seconds: f64,
    /// Token limit of every answer in the space (caps the agent's own).
    pub max_tokens: usize,
    /// Entry fee in wei, as a decimal string (fees exceed 64 bits).
    pub entry_fee_wei: String,
    /// Reward split of the paid places, in basis points summing to 10000.
    pub reward_split_bps: Vec<u16>,
    pub protocol_fee_bps: u16,
    pub judging: Judging,
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
        Ok(())
    }

    /// The entry fee in wei.
    pub fn entry_fee(&self) -> Result<u128> {
        self.entry_fee_wei.trim().parse().with_context(|| {
            format!(
                "field `entry_fee_wei`: '{}' is not a whole number of wei",
                self.entry_fee_wei
            )
        })
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
