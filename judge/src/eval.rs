//! Measuring a judge on a labelled set of answer pairs, each judged in both
//! orders: how often it agrees with the label when it decides, how often it
//! cannot decide, and how often its verdict changes with the order — overall,
//! per kind of question and per attack. Users evaluate their own judges with
//! it (`arena judge eval`), and the project's sets live in `judge/evals/`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::checks::Check;
use crate::judging::{Contest, Judge};
use crate::verdict::{Entry, Layer};

/// One labelled pair: `better` should win over `worse`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalItem {
    /// The prompt as the agents saw it.
    #[serde(alias = "question")]
    pub prompt: String,
    pub better: String,
    pub worse: String,
    /// What kind of question it is (arithmetic, fact, format...).
    #[serde(alias = "category")]
    pub kind: String,
    /// The reward hack `worse` uses, in adversarial sets.
    #[serde(default)]
    pub attack: Option<String>,
    /// Verifiable checks a space would run on this prompt.
    #[serde(default)]
    pub checks: Vec<Check>,
    /// A reference answer, when a space would have one.
    #[serde(default)]
    pub reference: Option<String>,
}

/// Reads a set: JSON lines (one item a line; blank lines skipped), or one
/// JSON array (the older `labelled_pairs.json`). Each bad line is named.
pub fn load_set(path: &Path) -> Result<Vec<EvalItem>> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the evaluation set {}: check the path",
            path.display()
        )
    })?;
    let items: Vec<EvalItem> = if text.trim_start().starts_with('[') {
        serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a JSON array of {{prompt, better, worse, kind}} items",
                path.display()
            )
        })?
    } else {
        text.lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(n, line)| {
                serde_json::from_str(line).with_context(|| {
                    format!(
                        "{} line {}: not an item {{prompt, better, worse, kind[, attack, checks, reference]}} (see judge/evals/README.md)",
                        path.display(),
                        n + 1
                    )
                })
            })
            .collect::<Result<_>>()?
    };
    if items.is_empty() {
        bail!(
            "{} holds no labelled pairs: write one JSON object a line (see judge/evals/README.md)",
            path.display()
        );
    }
    for (n, item) in items.iter().enumerate() {
        for check in &item.checks {
            check
                .validate()
                .map_err(|e| anyhow::anyhow!("{} item {}: {e}", path.display(), n + 1))?;
        }
    }
    Ok(items)
}

/// Counts over a group of items, each judged twice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Tally {
    pub items: usize,
    /// Verdicts given (two per item).
    pub judgments: usize,
    /// Verdicts that named a winner.
    pub decided: usize,
    /// Decided verdicts that named the better answer.
    pub agreed: usize,
    pub ties: usize,
    /// Items whose verdict changed when the answers swapped places.
    pub flips: usize,
}

impl Tally {
    /// Share of decided verdicts that agree with the label.
    pub fn agreement(&self) -> f64 {
        ratio(self.agreed, self.decided)
    }

    /// Share of decided verdicts the worse answer (the attack) won.
    pub fn worse_won(&self) -> f64 {
        ratio(self.decided - self.agreed, self.decided)
    }

    /// Share of verdicts that are ties.
    pub fn tie_rate(&self) -> f64 {
        ratio(self.ties, self.judgments)
    }

    /// Share of items whose verdict depends on the order.
    pub fn flip_rate(&self) -> f64 {
        ratio(self.flips, self.items)
    }

    fn add(&mut self, outcomes: [Option<bool>; 2]) {
        self.items += 1;
        self.flips += usize::from(outcomes[0] != outcomes[1]);
        for outcome in outcomes {
            self.judgments += 1;
            match outcome {
                Some(agreed) => {
                    self.decided += 1;
                    self.agreed += usize::from(agreed);
                }
                None => self.ties += 1,
            }
        }
    }
}

fn ratio(n: usize, of: usize) -> f64 {
    if of == 0 { 0.0 } else { n as f64 / of as f64 }
}

/// A judge's figures on a set.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    pub judge: String,
    pub overall: Tally,
    pub by_kind: BTreeMap<String, Tally>,
    /// Items of adversarial sets, by the attack `worse` uses.
    pub by_attack: BTreeMap<String, Tally>,
    /// Decided judgments by the layer that decided them (integrity, checks,
    /// instructions, pointwise, pairwise): `[decided, agreed]`, to see what
    /// each layer contributes and where the wrong verdicts come from.
    pub by_layer: BTreeMap<String, [usize; 2]>,
    /// Each item's two verdicts (better shown first, then second): true
    /// when the better answer won, null for a tie; for finding the pairs a
    /// judge gets wrong.
    pub outcomes: Vec<[Option<bool>; 2]>,
}

/// Judges every item in both orders with `judge`; `progress` gets the
/// number of items done.
pub fn evaluate(
    judge: &Judge<'_>,
    items: &[EvalItem],
    progress: &mut dyn FnMut(usize),
) -> Result<Report> {
    let mut report = Report {
        judge: judge.id().to_owned(),
        ..Report::default()
    };
    for (done, item) in items.iter().enumerate() {
        // Agent ids are sorted before judging, so "a" is shown first. The
        // second order reads the judge's own answer the first one wrote,
        // as a round judged again does, instead of writing it again.
        let (first, own_answer) = judge_once(judge, item, ("a", "b"), None)?;
        let (second, _) = judge_once(judge, item, ("b", "a"), own_answer.as_deref())?;
        let judged = [first, second];
        for (outcome, layer) in judged {
            if let Some(agreed) = outcome {
                let counts = report
                    .by_layer
                    .entry(
                        serde_json::to_value(layer)?
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                    )
                    .or_default();
                counts[0] += 1;
                counts[1] += usize::from(agreed);
            }
        }
        let outcomes = judged.map(|(outcome, _)| outcome);
        report.overall.add(outcomes);
        report.outcomes.push(outcomes);
        report
            .by_kind
            .entry(item.kind.clone())
            .or_default()
            .add(outcomes);
        if let Some(attack) = &item.attack {
            report
                .by_attack
                .entry(attack.clone())
                .or_default()
                .add(outcomes);
        }
        progress(done + 1);
    }
    Ok(report)
}

/// Whether the better answer won (`None`: a tie), and the layer that decided.
type Outcome = (Option<bool>, Layer);

/// One verdict with the better answer under `better_id`: whether it won,
/// or `None` for a tie, and the layer that decided; and the judge's own
/// answer, when it used one (`own_answer` given, or written).
fn judge_once(
    judge: &Judge<'_>,
    item: &EvalItem,
    (better_id, worse_id): (&str, &str),
    own_answer: Option<&str>,
) -> Result<(Outcome, Option<String>)> {
    let entry = |id: &str, text: &str| Entry {
        agent_id: id.to_owned(),
        model: "eval".to_owned(),
        text: text.to_owned(),
    };
    let entries = [entry(better_id, &item.better), entry(worse_id, &item.worse)];
    let judgment = judge.judge(&Contest {
        question: &item.prompt,
        reference: item.reference.as_deref(),
        checks: &item.checks,
        entries: &entries,
        own_answer,
    })?;
    let verdict = judgment
        .verdicts
        .first()
        .context("a judgment of two answers has one verdict")?;
    Ok((
        (
            verdict.decided().map(|(winner, _)| winner == better_id),
            verdict.layer,
        ),
        judgment.own_answer,
    ))
}

/// The report as a text table.
pub fn render(report: &Report) -> String {
    let mut out = format!(
        "judge {}\n{:<24} {:>5} {:>9} {:>9} {:>6} {:>6}\n",
        report.judge, "group", "items", "agreement", "worse won", "ties", "flips"
    );
    let mut row = |name: &str, t: &Tally| {
        out.push_str(&format!(
            "{:<24} {:>5} {:>9.3} {:>9.3} {:>6.3} {:>6.3}\n",
            name,
            t.items,
            t.agreement(),
            t.worse_won(),
            t.tie_rate(),
            t.flip_rate()
        ));
    };
    row("overall", &report.overall);
    for (kind, t) in &report.by_kind {
        row(&format!("kind {kind}"), t);
    }
    for (attack, t) in &report.by_attack {
        row(&format!("attack {attack}"), t);
    }
    let layers: Vec<String> = report
        .by_layer
        .iter()
        .map(|(layer, [decided, agreed])| format!("{layer} {agreed}/{decided}"))
        .collect();
    out.push_str(&format!(
        "decided by (agreed/decided): {}\n",
        layers.join(", ")
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn checks_alone_decide_a_numeric_set_in_both_orders() {
        let set = write(concat!(
            r#"{"prompt": "What is 2+2?", "better": "4", "worse": "5", "kind": "arithmetic", "checks": [{"kind": "numeric_answer", "expected": 4}]}"#,
            "\n\n",
            r#"{"prompt": "What is 2+3?", "better": "5", "worse": "What is 2+3?", "kind": "arithmetic", "attack": "prompt_echo"}"#,
            "\n"
        ));
        let items = load_set(set.path()).unwrap();
        let report = evaluate(&Judge::checks_only(), &items, &mut |_| {}).unwrap();
        assert_eq!(report.overall.judgments, 4);
        assert_eq!(report.overall.agreed, 4, "{report:?}");
        assert_eq!(report.overall.flips, 0);
        assert_eq!(report.by_attack["prompt_echo"].decided, 2);
        assert_eq!(report.by_kind["arithmetic"].items, 2);
        assert_eq!(report.by_layer["checks"], [2, 2]);
        assert_eq!(report.by_layer["integrity"], [2, 2]);
    }

    #[test]
    fn a_bad_line_is_named() {
        let set = write(
            "{\"prompt\": \"p\", \"better\": \"b\", \"worse\": \"w\", \"kind\": \"k\"}\n{\"prompt\": 3}\n",
        );
        let err = format!("{:#}", load_set(set.path()).unwrap_err());
        assert!(err.contains("line 2"), "{err}");
    }
}
