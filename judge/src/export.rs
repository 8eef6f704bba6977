//! Dataset export, streamed straight from the store so memory stays bounded
//! however many pairs there are: TRL preference JSONL (standard and
//! conversational), OpenAI preference fine-tuning JSONL, and the leaderboard
//! as CSV or JSONL. Every exported pair says whether its answers passed the
//! round's checks and whether either copies the prompt.

use std::io::Write;

use serde_json::json;

use crate::pairs::{PairQuality, pair_quality};
use crate::ratings::{LeaderboardRow, Outcome, leaderboard, style};
use crate::records::{ChatMessage, PreferencePair, RoundId};
use crate::store::Store;
use crate::verdict::Judgment;

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `{"prompt", "chosen", "rejected"}` strings.
    TrlStandard,
    /// The same with message lists.
    TrlConversational,
    /// OpenAI's `input` / `preferred_output` / `non_preferred_output`.
    OpenAi,
    /// Leaderboard as CSV.
    LeaderboardCsv,
    /// Leaderboard as JSONL.
    LeaderboardJsonl,
}

impl Format {
    /// Every format with its name on the command line and in the GUI.
    pub const NAMES: [(Format, &'static str); 5] = [
        (Self::TrlStandard, "trl"),
        (Self::TrlConversational, "trl-conversational"),
        (Self::OpenAi, "openai"),
        (Self::LeaderboardCsv, "leaderboard-csv"),
        (Self::LeaderboardJsonl, "leaderboard-jsonl"),
    ];

    /// Parses a format name as given on the command line.
    pub fn parse(name: &str) -> Result<Self, String> {
        Self::NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(f, _)| *f)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::NAMES.iter().map(|(_, n)| *n).collect();
                format!("unknown export format '{name}': use {}", names.join(", "))
            })
    }

    /// The format's name.
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("trl", |(_, n)| n)
    }

    /// Whether it exports the leaderboard rather than preference pairs.
    pub fn is_leaderboard(self) -> bool {
        matches!(self, Self::LeaderboardCsv | Self::LeaderboardJsonl)
    }

    /// The usual file extension of its output.
    pub fn extension(self) -> &'static str {
        match self {
            Self::LeaderboardCsv => "csv",
            _ => "jsonl",
        }
    }
}

/// Which pairs to export.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub space: Option<String>,
    pub first_round: Option<RoundId>,
    pub last_round: Option<RoundId>,
    pub min_margin: Option<f64>,
    pub judge: Option<String>,
    /// Only pairs whose chosen answer passed every check of its round.
    /// Pairs of rounds without checks are left out too: nothing verified
    /// their chosen answer. Pairs only: [`export`] refuses it with a
    /// leaderboard format.
    pub verified_only: bool,
}

impl Filter {
    fn keeps(&self, pair: &PreferencePair, quality: &PairQuality) -> bool {
        self.space.as_ref().is_none_or(|s| *s == pair.space)
            && self.min_margin.is_none_or(|m| pair.margin >= m)
            && self.judge.as_ref().is_none_or(|j| *j == pair.judge)
            && (!self.verified_only || quality.chosen_passes_checks == Some(true))
    }
}

/// Bootstrap resamples for the leaderboard's intervals.
const LEADERBOARD_SAMPLES: usize = 200;

/// Writes the export to `out`, calling `progress` with the number of records
/// written so far every 10,000 records and at the end. Returns that number.
/// Refuses the verified-only filter with a leaderboard format, which it
/// would not change.
pub fn export(
    store: &Store,
    format: Format,
    filter: &Filter,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
) -> anyhow::Result<u64> {
    if filter.verified_only && format.is_leaderboard() {
        anyhow::bail!(
            "verified-only keeps preference pairs, and {} exports the leaderboard over every verdict: turn verified-only off, or use a pair format (trl, trl-conversational, openai)",
            format.name()
        );
    }
    let written = if format.is_leaderboard() {
        let rows = leaderboard_rows(store, filter)?;
        write_leaderboard(&rows, format, out)?;
        rows.len() as u64
    } else {
        write_pairs(store, format, filter, out, progress)?
    };
    out.flush()?;
    progress(written);
    Ok(written)
}

/// Streams the pairs the filter keeps, each with its quality; returns how many.
fn write_pairs(
    store: &Store,
    format: Format,
    filter: &Filter,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
) -> anyhow::Result<u64> {
    let mut n = 0u64;
    kept_pairs(store, filter, &mut |pair, quality| {
        serde_json::to_writer(&mut *out, &pair_record(&pair, &quality, format))?;
        out.write_all(b"\n")?;
        n += 1;
        if n.is_multiple_of(10_000) {
            progress(n);
        }
        Ok(())
    })?;
    Ok(n)
}

/// Passes the pairs `filter` keeps to `visit`, each with its quality, in
/// round order, streamed from the store: what an export writes and what
/// `arena train` trains on.
pub fn kept_pairs(
    store: &Store,
    filter: &Filter,
    visit: &mut dyn FnMut(PreferencePair, PairQuality) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let pairs = store.pairs(
        filter.first_round.unwrap_or(0),
        filter.last_round.unwrap_or(RoundId::MAX),
    );
    // Pairs come in round order: one round's judgment at a time.
    let mut judgment: Option<(RoundId, Judgment)> = None;
    for pair in pairs {
        let pair = pair?;
        if judgment.as_ref().is_none_or(|(id, _)| *id != pair.round) {
            let stored = store.judgment(pair.round)?.ok_or_else(|| {
                anyhow::anyhow!(
                    "round {} has preference pairs but no stored judgment; the database is damaged (restore a backup)",
                    pair.round
                )
            })?;
            judgment = Some((pair.round, stored));
        }
        let (_, round_judgment) = judgment.as_ref().expect("read above");
        let quality = pair_quality(&pair, round_judgment).map_err(anyhow::Error::msg)?;
        if filter.keeps(&pair, &quality) {
            visit(pair, quality)?;
        }
    }
    Ok(())
}

fn pair_record(pair: &PreferencePair, quality: &PairQuality, format: Format) -> serde_json::Value {
    let messages = prompt_messages(pair);
    let assistant = |text: &str| json!([{"role": "assistant", "content": text}]);
    match format {
        Format::TrlStandard => json!({
            "prompt": prompt_text(pair),
            "chosen": pair.chosen,
            "rejected": pair.rejected,
            "metadata": metadata(pair, quality),
        }),
        Format::TrlConversational => json!({
            "prompt": messages,
            "chosen": assistant(&pair.chosen),
            "rejected": assistant(&pair.rejected),
            "metadata": metadata(pair, quality),
        }),
        _ => json!({
            "input": {"messages": messages},
            "preferred_output": assistant(&pair.chosen),
            "non_preferred_output": assistant(&pair.rejected),
            "metadata": metadata(pair, quality),
        }),
    }
}

/// The prompt as chat messages: the shared transcript of a move of an interactive round, or
/// the one user message of a single-shot round.
fn prompt_messages(pair: &PreferencePair) -> serde_json::Value {
    if pair.history.is_empty() {
        json!([{"role": "user", "content": pair.prompt}])
    } else {
        json!(pair.history)
    }
}

/// The prompt as one string: a move's shared transcript flattened, one message per paragraph.
fn prompt_text(pair: &PreferencePair) -> String {
    if pair.history.is_empty() {
        return pair.prompt.clone();
    }
    let contents: Vec<&str> = pair.history.iter().map(|m| m.content.as_str()).collect();
    contents.join("\n\n")
}

/// Everything else a pair carries, so an export loses nothing, and its
/// quality. In OpenAI's format too, as the record's `metadata`.
fn metadata(pair: &PreferencePair, quality: &PairQuality) -> serde_json::Value {
    json!({
        "round": pair.round,
        "space": pair.space,
        "chosen_agent": pair.chosen_agent,
        "rejected_agent": pair.rejected_agent,
        "chosen_model": pair.chosen_model,
        "rejected_model": pair.rejected_model,
        "margin": pair.margin,
        "judge": pair.judge,
        "chosen_passes_checks": quality.chosen_passes_checks,
        "rejected_passes_checks": quality.rejected_passes_checks,
        "chosen_follows_instructions": quality.chosen_follows_instructions,
        "rejected_follows_instructions": quality.rejected_follows_instructions,
        "chosen_copies_prompt": quality.chosen_copies_prompt,
        "rejected_copies_prompt": quality.rejected_copies_prompt,
    })
}

/// Reads a pair back from an exported record of any pair format.
pub fn pair_from_record(value: &serde_json::Value) -> Option<PreferencePair> {
    let m = &value["metadata"];
    let text = |v: &serde_json::Value| -> Option<String> {
        v.as_str()
            .map(str::to_owned)
            .or_else(|| v[0]["content"].as_str().map(str::to_owned))
    };
    let messages = value
        .get("input")
        .map_or(&value["prompt"], |input| &input["messages"]);
    // A transcript (system message first) is a move's shared history.
    let history: Vec<ChatMessage> = match messages[0]["role"].as_str() {
        Some("system") => serde_json::from_value(messages.clone()).ok()?,
        _ => Vec::new(),
    };
    let (prompt, chosen, rejected) = if value.get("input").is_some() {
        (
            text(&value["input"]["messages"])?,
            text(&value["preferred_output"])?,
            text(&value["non_preferred_output"])?,
        )
    } else {
        (
            text(&value["prompt"])?,
            text(&value["chosen"])?,
            text(&value["rejected"])?,
        )
    };
    Some(PreferencePair {
        round: m["round"].as_u64()?,
        space: m["space"].as_str()?.to_owned(),
        prompt,
        chosen,
        rejected,
        chosen_agent: m["chosen_agent"].as_str()?.to_owned(),
        rejected_agent: m["rejected_agent"].as_str()?.to_owned(),
        chosen_model: m["chosen_model"].as_str()?.to_owned(),
        rejected_model: m["rejected_model"].as_str()?.to_owned(),
        margin: m["margin"].as_f64()?,
        judge: m["judge"].as_str()?.to_owned(),
        history,
    })
}

/// The Bradley-Terry leaderboard over the stored verdicts the filter keeps,
/// with the style of both answers of each (read from the round's answers).
pub fn leaderboard_rows(store: &Store, filter: &Filter) -> anyhow::Result<Vec<LeaderboardRow>> {
    let mut outcomes = Vec::new();
    for item in store.judgments() {
        let (id, judgment) = item?;
        if filter.first_round.is_some_and(|f| id < f) || filter.last_round.is_some_and(|l| id > l) {
            continue;
        }
        if filter.judge.as_ref().is_some_and(|j| *j != judgment.judge) {
            continue;
        }
        if let Some(space) = &filter.space
            && store.round(id)?.is_none_or(|r| r.space != *space)
        {
            continue;
        }
        let answers = store.answers(id)?;
        let style_of = |agent: &str| {
            answers
                .iter()
                .find(|a| a.agent_id == agent)
                .map(|a| style::features(&a.text))
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "round {id}: the judgment has a verdict on agent '{agent}', whose answer is not stored; the database is damaged (restore a backup)"
                    )
                })
        };
        for v in &judgment.verdicts {
            outcomes.push(Outcome {
                a: v.a.clone(),
                b: v.b.clone(),
                score_a: v.score_a,
                style_a: style_of(&v.a)?,
                style_b: style_of(&v.b)?,
            });
        }
    }
    Ok(leaderboard(&outcomes, LEADERBOARD_SAMPLES))
}

fn write_leaderboard(
    rows: &[LeaderboardRow],
    format: Format,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if format == Format::LeaderboardCsv {
        let mut csv = csv::Writer::from_writer(out);
        for row in rows {
            csv.serialize(row)?;
        }
        csv.flush()?;
    } else {
        for row in rows {
            serde_json::to_writer(&mut *out, row)?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}
