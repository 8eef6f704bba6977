//! Summaries judged by how much of their passage they carry
//! ([`judge::source`]), with the real SmolLM2 model: a summary that
//! misstates its passage in the passage's own words loses to a faithful one
//! in either order, and prompts that summarise nothing get no such score.

use agents::LanguageModel;
use judge::verdict::Layer;
use judge::{Contest, Entry, Judge, JudgeConfig, Judgment, LlmJudge};

#[path = "support/judge_model.rs"]
mod judge_model;

const SUMMARY_PROMPT: &str = "Summarize the text in one sentence.\n\nText: The river \
    ferry between Alden and Brook will stop running in October, after forty years of \
    service. The company says too few passengers use it since the new road bridge opened. \
    A bus will carry foot passengers across the bridge instead, every half hour.";

const FAITHFUL: &str = "The Alden-Brook ferry stops in October because the new bridge took \
    its passengers, and a half-hourly bus will replace it.";

const INVERTED: &str = "The Alden-Brook ferry will run more often from October because the \
    new bridge is closed, and the bus will stop.";

/// The two answers to `question` judged by the default local judge.
fn judged(model: &LanguageModel, question: &str, texts: [&str; 2]) -> Judgment {
    let judge = Judge::with_model(LlmJudge::new(model, "smollm2-135m"), JudgeConfig::default());
    let entries = [("a", texts[0]), ("b", texts[1])].map(|(id, text)| Entry {
        agent_id: id.into(),
        model: "m".into(),
        text: text.into(),
    });
    judge
        .judge(&Contest {
            question,
            reference: None,
            checks: &[],
            entries: &entries,
            own_answer: None,
        })
        .expect("judging")
}

#[test]
fn the_summary_that_carries_its_passage_wins_in_either_order() {
    let model = judge_model::load();
    for texts in [[FAITHFUL, INVERTED], [INVERTED, FAITHFUL]] {
        let judgment = judged(&model, SUMMARY_PROMPT, texts);
        let verdict = &judgment.verdicts[0];
        assert_eq!(verdict.layer, Layer::Source, "{:?}", judgment.answers);
        let faithful = if texts[0] == FAITHFUL { "a" } else { "b" };
        assert_eq!(verdict.decided().map(|(w, _)| w), Some(faithful));
        assert!(judgment.answers.iter().all(|a| a.reconstruction.is_some()));
    }
}

#[test]
fn prompts_without_a_passage_get_no_reconstruction() {
    let model = judge_model::load();
    let judgment = judged(
        &model,
        "Answer the question in one short sentence.\n\nWhy did the ferry stop?",
        [FAITHFUL, INVERTED],
    );
    assert!(judgment.answers.iter().all(|a| a.reconstruction.is_none()));
    assert_ne!(judgment.verdicts[0].layer, Layer::Source);
}
