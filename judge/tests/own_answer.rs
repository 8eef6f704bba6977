//! The judge's own answer ([`judge::own_answer`]) with the real SmolLM2
//! model: written where a contest has no reference, recorded with the
//! judgment, read back as given when the round is judged again, and
//! deciding a pair before relevance when the answers agree with it
//! clearly differently.

use judge::own_answer::agreement;
use judge::verdict::Layer;
use judge::{Contest, Entry, Judge, JudgeConfig, Judgment, LlmJudge};

#[path = "support/judge_model.rs"]
mod judge_model;

const QUESTION: &str =
    "Answer the question in one short sentence.\n\nWhat is the capital of France?";

fn entries(texts: [&str; 2]) -> [Entry; 2] {
    [("a", texts[0]), ("b", texts[1])].map(|(id, text)| Entry {
        agent_id: id.into(),
        model: "m".into(),
        text: text.into(),
    })
}

fn judged(
    judge: &Judge,
    texts: [&str; 2],
    reference: Option<&str>,
    own_answer: Option<&str>,
) -> Judgment {
    judge
        .judge(&Contest {
            question: QUESTION,
            reference,
            checks: &[],
            entries: &entries(texts),
            own_answer,
        })
        .expect("judging")
}

#[test]
fn the_own_answer_is_recorded_recomputable_and_read_back() {
    let model = judge_model::load();
    let judge = Judge::with_model(
        LlmJudge::new(&model, "smollm2-135m"),
        JudgeConfig::default(),
    );
    let texts = [
        "Paris is the capital of France.",
        "The capital of France is Lyon, a large city in the south.",
    ];
    let first = judged(&judge, texts, None, None);
    let own = first
        .own_answer
        .clone()
        .expect("no reference: the judge writes its own answer");
    assert!(!own.trim().is_empty());
    for (scores, text) in first.answers.iter().zip(texts) {
        assert_eq!(scores.agreement, Some(agreement(QUESTION, text, &own)));
    }
    // Judged again with the recorded text: the same judgment, by any kernel.
    let again = judged(&judge, texts, None, Some(&own));
    assert_eq!(again.own_answer.as_deref(), Some(own.as_str()));
    assert_eq!(
        first.differences(&again, &JudgeConfig::default()),
        Vec::<String>::new()
    );

    // With a reference the judge writes none.
    let referenced = judged(&judge, texts, Some("Paris"), None);
    assert_eq!(referenced.own_answer, None);
    assert!(referenced.answers.iter().all(|a| a.agreement.is_none()));
}

#[test]
fn the_answer_that_agrees_with_the_own_answer_wins_by_it() {
    let model = judge_model::load();
    let judge = Judge::with_model(
        LlmJudge::new(&model, "smollm2-135m"),
        JudgeConfig::default(),
    );
    let own = "The capital of France is Paris.";
    for texts in [
        ["Paris.", "Lyon, a large city in the south."],
        ["Lyon, a large city in the south.", "Paris."],
    ] {
        let judgment = judged(&judge, texts, None, Some(own));
        let verdict = &judgment.verdicts[0];
        assert_eq!(verdict.layer, Layer::OwnAnswer, "{texts:?}");
        let paris = if texts[0] == "Paris." { "a" } else { "b" };
        assert_eq!(verdict.decided().map(|(w, _)| w), Some(paris), "{texts:?}");
    }
}

#[test]
fn an_edited_own_answer_fails_its_commitment() {
    let model = judge_model::load();
    let sampling = judge::own_answer::sampling();
    let written = model
        .generate(
            &judge::own_answer::request(QUESTION, &sampling),
            &mut |_| {},
        )
        .expect("generating");
    let commitment = written.commitment.expect("a local model commits");
    let check = |text: &str| {
        model
            .check_answers(&[agents::verification::Claim {
                request: judge::own_answer::request(QUESTION, &sampling),
                text,
                commitment: &commitment,
            }])
            .expect("checking")
            .remove(0)
    };
    assert_eq!(check(&written.text).problems, Vec::<String>::new());
    assert!(
        !check(&format!("{} Lyon.", written.text))
            .problems
            .is_empty()
    );
}
