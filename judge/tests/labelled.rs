//! The default judge on a hand-labelled set of 42 answer pairs where one
//! answer is clearly better (correct vs wrong arithmetic, on-topic vs
//! off-topic, follows vs breaks a format rule), with the real SmolLM2 model.
//! Each pair is judged twice with the answers' positions swapped.

use agents::LanguageModel;
use judge::verdict::Layer;
use judge::{Check, Contest, Entry, Judge, JudgeConfig, LlmJudge};

#[path = "support/judge_model.rs"]
mod judge_model;

#[derive(serde::Deserialize)]
struct Item {
    category: String,
    question: String,
    reference: Option<String>,
    checks: Vec<Check>,
    better: String,
    worse: String,
}

/// The arena's default judge on `model`.
fn default_judge(model: &LanguageModel) -> Judge<'_> {
    Judge::with_model(LlmJudge::new(model, "smollm2-135m"), JudgeConfig::default())
}

/// Judges one item with `better` under the agent id `first_id`, returns
/// (winner is the better answer: Some(true/false), None for a tie, layer,
/// pairwise flipped).
fn judge_item(
    judge: &Judge,
    item: &Item,
    better_id: &str,
    worse_id: &str,
) -> (Option<bool>, Layer, Option<bool>) {
    let entries = [
        Entry {
            agent_id: better_id.into(),
            model: "m".into(),
            text: item.better.clone(),
        },
        Entry {
            agent_id: worse_id.into(),
            model: "m".into(),
            text: item.worse.clone(),
        },
    ];
    let contest = Contest {
        question: &item.question,
        reference: item.reference.as_deref(),
        checks: &item.checks,
        entries: &entries,
        own_answer: None,
    };
    let judgment = judge.judge(&contest).expect("judging");
    let v = &judgment.verdicts[0];
    (
        v.decided().map(|(winner, _)| winner == better_id),
        v.layer,
        v.pairwise_flipped(),
    )
}

#[test]
fn default_judge_is_accurate_and_position_invariant() {
    let items: Vec<Item> = serde_json::from_str(include_str!("data/labelled_pairs.json")).unwrap();
    assert!(items.len() >= 40);
    let model = judge_model::load();
    let judge = default_judge(&model);
    let (mut decided, mut correct, mut ties, mut flips) = (0, 0, 0, 0);
    let (mut pairwise_runs, mut pairwise_flips) = (0, 0);
    let mut by_category: std::collections::BTreeMap<&str, (u32, u32, u32)> = Default::default();
    for item in &items {
        // "a" sorts first, so it is shown first to the pairwise judge.
        let started = std::time::Instant::now();
        let first = judge_item(&judge, item, "a", "b");
        let second = judge_item(&judge, item, "b", "a");
        eprintln!(
            "{:<10} {:?} {:?} in {:.1?}: {}",
            item.category,
            (first.0, first.1, first.2),
            (second.0, second.1, second.2),
            started.elapsed(),
            item.question
        );
        if first.0 != second.0 {
            flips += 1;
        }
        for (outcome, _, flipped) in [&first, &second] {
            let entry = by_category.entry(item.category.as_str()).or_default();
            match outcome {
                Some(true) => {
                    decided += 1;
                    correct += 1;
                    entry.0 += 1;
                }
                Some(false) => {
                    decided += 1;
                    entry.1 += 1;
                }
                None => {
                    ties += 1;
                    entry.2 += 1;
                }
            }
            if let Some(f) = flipped {
                pairwise_runs += 1;
                pairwise_flips += u32::from(*f);
            }
        }
    }
    let runs = 2 * items.len();
    let accuracy = correct as f64 / decided.max(1) as f64;
    let flip_rate = flips as f64 / items.len() as f64;
    let tie_rate = ties as f64 / runs as f64;
    eprintln!("labelled set: {} pairs, {runs} judgments", items.len());
    eprintln!(
        "accuracy on decided {accuracy:.3} ({correct}/{decided}), tie rate {tie_rate:.3}, verdict flip rate {flip_rate:.3}"
    );
    eprintln!(
        "pairwise LLM layer within the default judge: flipped with the order in {pairwise_flips}/{pairwise_runs} runs"
    );
    report_pairwise_alone(&items, &model);
    for (category, (right, wrong, tie)) in &by_category {
        eprintln!("  {category}: right {right}, wrong {wrong}, tie {tie}");
    }
    assert!(accuracy >= 0.85, "accuracy {accuracy}");
    assert!(flip_rate < 0.10, "flip rate {flip_rate}");
    assert!(tie_rate <= 0.30, "tie rate {tie_rate}");
}

/// The pairwise layer on its own, on the on/off-topic pairs (reported, not
/// asserted): how often it flips with the order, and how often it is right
/// when it does not.
fn report_pairwise_alone(items: &[Item], model: &LanguageModel) {
    let llm = LlmJudge::new(model, "smollm2-135m");
    let (mut flips, mut consistent, mut right, mut runs) = (0, 0, 0, 0);
    for item in items.iter().filter(|i| i.category == "topic") {
        let first = llm
            .prefer_first(&item.question, &item.better, &item.worse, None)
            .unwrap();
        let second = 1.0
            - llm
                .prefer_first(&item.question, &item.worse, &item.better, None)
                .unwrap();
        runs += 1;
        if (first > 0.5) != (second > 0.5) {
            flips += 1;
        } else {
            consistent += 1;
            right += u32::from(first > 0.5);
        }
    }
    eprintln!(
        "pairwise layer alone on {runs} topic pairs: flipped {flips}, consistent {consistent} of which right {right}"
    );
}

/// An agent that says nothing (stopped at once, or cut by the deadline)
/// loses to one that answers, and the judgment survives a trip through the
/// store: every score is finite JSON.
#[test]
fn empty_answer_loses_and_its_judgment_reads_back() {
    let model = judge_model::load();
    let judge = default_judge(&model);
    let entries = [
        Entry {
            agent_id: "a".into(),
            model: "m".into(),
            text: String::new(),
        },
        Entry {
            agent_id: "b".into(),
            model: "m".into(),
            text: "Paris is the capital of France.".into(),
        },
    ];
    let contest = Contest {
        question: "What is the capital of France?",
        reference: None,
        checks: &[],
        entries: &entries,
        own_answer: None,
    };
    let judgment = judge.judge(&contest).unwrap();
    assert_eq!(judgment.ranking.order, ["b", "a"]);
    let text = serde_json::to_string(&judgment).unwrap();
    let back: judge::Judgment = serde_json::from_str(&text).unwrap();
    assert_eq!(back, judgment);
}

/// The model scores only answers whose flags and checks leave them level
/// with another: of three answers to a checked sum, the two right ones are
/// scored against each other and the wrong one, set apart by its check,
/// is ranked last without a model pass.
#[test]
fn model_scores_only_answers_the_checks_leave_level() {
    let model = judge_model::load();
    let judge = default_judge(&model);
    let entries = [
        ("a", "12 + 30 = 42."),
        ("b", "The sum is 41."),
        ("c", "It is 42."),
    ]
    .map(|(id, text)| Entry {
        agent_id: id.into(),
        model: "m".into(),
        text: text.into(),
    });
    let checks: Vec<Check> =
        serde_json::from_str(r#"[{"kind": "numeric_answer", "expected": 42.0}]"#).unwrap();
    let contest = Contest {
        question: "What is 12 + 30?",
        reference: None,
        checks: &checks,
        entries: &entries,
        own_answer: None,
    };
    let judgment = judge.judge(&contest).unwrap();
    let scored: Vec<(&str, bool)> = judgment
        .answers
        .iter()
        .map(|a| (a.agent_id.as_str(), a.relevance.is_some()))
        .collect();
    assert_eq!(scored, [("a", true), ("b", false), ("c", true)]);
    assert_eq!(judgment.ranking.order.last().map(String::as_str), Some("b"));
    let level = &judgment.verdicts[1];
    assert_eq!((level.a.as_str(), level.b.as_str()), ("a", "c"));
    assert_ne!(level.layer, Layer::Checks, "{level:?}");
}
