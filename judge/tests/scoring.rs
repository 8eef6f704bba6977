//! The batched scoring of a local judge model (shared prefix run once,
//! the rest in ragged batches) gives the log-probabilities one full pass
//! per question gives, on the real SmolLM2.

use agents::LanguageModel;
use agents::log_probs::LogProbRows;
use judge::ScoringModel;

#[path = "support/judge_model.rs"]
mod judge_model;

/// Mean log-probability of `answer` after `question` from one pass over both.
fn one_pass(model: &LanguageModel, question: &str, answer: &str) -> f64 {
    let target = model.tokenizer().encode(answer).unwrap();
    let context = model.render_prompt("", question).unwrap();
    let mut ids = model.tokenizer().encode_prompt(&context).unwrap();
    ids.extend_from_slice(&target[..target.len() - 1]);
    let transformer = model.transformer();
    let mut cache = transformer.new_cache();
    let logits = transformer
        .forward_tail(&ids, &mut cache, target.len())
        .unwrap();
    let rows = LogProbRows::new(&logits).unwrap();
    let total: f64 = target
        .iter()
        .enumerate()
        .map(|(row, &id)| f64::from(rows.log_prob(row, id)))
        .sum();
    total / target.len() as f64
}

/// Relevance asks about each answer after two questions in one call: each
/// question's context runs once for its answers, and every score is the one
/// the pair gets asked alone.
#[test]
fn answers_to_two_questions_in_one_call_score_as_asked_apart() {
    let model = judge_model::load();
    let questions = ["What is the capital of France?", "Say something."];
    let answers = ["Paris.", "The capital of France is Paris, on the Seine."];
    let asked: Vec<(&str, &str)> = questions
        .iter()
        .flat_map(|q| answers.iter().map(move |a| (*q, *a)))
        .collect();
    let together = model.answer_logprobs(&asked).unwrap();
    for (pair, got) in asked.iter().zip(&together) {
        let alone = model.answer_logprobs(&[*pair]).unwrap()[0].unwrap().mean();
        let got = got.unwrap().mean();
        assert!(
            (got - alone).abs() < 1e-3,
            "{pair:?}: together {got}, alone {alone}"
        );
    }
    assert!(
        together[0].unwrap().mean() > together[2].unwrap().mean(),
        "'Paris.' is likelier after the question than after 'Say something.': {together:?}"
    );
}

#[test]
fn batched_answer_scores_equal_one_pass_each() {
    let model = judge_model::load();
    let question = "What is the capital of France?";
    let answers = [
        "Paris.",
        "The capital of France is Paris, on the Seine.",
        "Bananas are yellow.",
    ];
    let asked: Vec<(&str, &str)> = answers.iter().map(|a| (question, *a)).collect();
    let batched = model.answer_logprobs(&asked).unwrap();
    for (answer, got) in answers.iter().zip(&batched) {
        let want = one_pass(&model, question, answer);
        let tokens = model.tokenizer().encode(answer).unwrap().len();
        assert_eq!(got.unwrap().tokens, tokens, "{answer}");
        let got = got.unwrap().mean();
        assert!(
            (got - want).abs() < 1e-3,
            "{answer}: batched {got}, alone {want}"
        );
    }
    assert!(
        batched[0].unwrap().mean() > batched[2].unwrap().mean(),
        "on topic scores above off topic: {batched:?}"
    );
    assert_eq!(model.answer_logprobs(&[(question, "  ")]).unwrap(), [None]);
}

#[test]
fn batched_reply_masses_equal_one_question_each() {
    let model = judge_model::load();
    let users = [
        "Is Paris the capital of France? Reply Yes or No.".to_owned(),
        "Is Lyon the capital of France? Reply Yes or No.".to_owned(),
    ];
    let batched = model
        .reply_masses("You judge.", &users, ["Yes", "No"])
        .unwrap();
    for (user, got) in users.iter().zip(&batched) {
        let alone = model
            .reply_masses("You judge.", std::slice::from_ref(user), ["Yes", "No"])
            .unwrap()[0];
        for (g, a) in got.iter().zip(alone) {
            assert!(
                (g - a).abs() < 1e-4,
                "{user}: batched {got:?}, alone {alone:?}"
            );
        }
    }
}
