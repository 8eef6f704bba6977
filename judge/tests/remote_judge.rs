//! The LLM judge on a real llama.cpp server (llama-cpp-python's) on
//! loopback: the same judging as with a local model, read from the server's
//! log-probabilities; and the clear refusals of servers that cannot give
//! them (no --logits_all) or give them shifted (no BOS token).

#[path = "../../tests/common/llama_server.rs"]
mod llama_server;

use std::path::PathBuf;

use agents::{Endpoint, Fetcher, ModelRef, RemoteModel};
use judge::{LlmJudge, RemoteScorer};

use llama_server::LlamaServer;

fn model_path(name: &str) -> PathBuf {
    Fetcher::from_env(None)
        .ensure(&ModelRef::parse(name).unwrap(), &mut |l| eprintln!("{l}"))
        .expect("fetching the model")
}

fn scorer(server: &LlamaServer) -> RemoteScorer {
    RemoteScorer::new(RemoteModel::new(&server.alias, &Endpoint::at(&server.url)).unwrap())
}

const QUESTION: &str = "What is the capital of France?";
const ON_TOPIC: &str = "The capital of France is Paris.";
const OFF_TOPIC: &str = "Bananas are yellow and rich in potassium.";

#[test]
fn a_served_judge_scores_relevance_rubric_and_pairs() {
    // Gemma adds a BOS token, so llama-cpp-python's echoed log-probabilities are aligned.
    let server = LlamaServer::start(&model_path("gemma3-270m"), "gemma3", &[]);
    let scorer = scorer(&server);
    let judge = LlmJudge::new(&scorer, "openai:gemma3");
    let on = judge.relevance(QUESTION, ON_TOPIC).unwrap();
    let off = judge.relevance(QUESTION, OFF_TOPIC).unwrap();
    assert!(on > off, "on topic {on} vs off topic {off}");
    assert_eq!(
        judge.relevance(QUESTION, "  ").unwrap(),
        judge::llm_judge::EMPTY_ANSWER_RELEVANCE
    );
    let rubric = judge.rubric(QUESTION, ON_TOPIC, Some("Paris")).unwrap();
    assert!(rubric > 0.0 && rubric < 1.0, "{rubric}");
    let first = judge
        .prefer_first(QUESTION, ON_TOPIC, OFF_TOPIC, None)
        .unwrap();
    assert!((0.0..=1.0).contains(&first), "{first}");
}

#[test]
fn servers_without_usable_logprobs_are_refused_with_the_fix() {
    let smollm2 = model_path("smollm2-135m");
    let without = LlamaServer::start(&smollm2, "smollm2", &["--logits_all", "false"]);
    let scorer_without = scorer(&without);
    let judge = LlmJudge::new(&scorer_without, "openai:smollm2");
    for err in [
        judge.rubric(QUESTION, ON_TOPIC, None).unwrap_err(),
        judge.relevance(QUESTION, ON_TOPIC).unwrap_err(),
    ] {
        let text = format!("{err:#}");
        assert!(
            text.contains(&without.url) && text.contains("--logits_all true"),
            "{text}"
        );
    }
    drop(without);

    // SmolLM2 adds no BOS token: llama-cpp-python shifts its echoed log-probabilities.
    let shifted = LlamaServer::start(&smollm2, "smollm2", &[]);
    let scorer_shifted = scorer(&shifted);
    let judge = LlmJudge::new(&scorer_shifted, "openai:smollm2");
    let text = format!("{:#}", judge.relevance(QUESTION, ON_TOPIC).unwrap_err());
    assert!(
        text.contains(&shifted.url) && text.contains("shifted by one token"),
        "{text}"
    );
    // The one-word replies need no echo, so the rubric still works there.
    let rubric = judge.rubric(QUESTION, ON_TOPIC, Some("Paris")).unwrap();
    assert!(rubric > 0.0 && rubric < 1.0, "{rubric}");
}
