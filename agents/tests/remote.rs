//! The HTTP backend against a real llama.cpp server (llama-cpp-python's)
//! serving SmolLM2 on loopback: streamed answers, seeds, limits and
//! deadlines, and the error for a server that is not there.

mod common;
#[path = "../../tests/common/llama_server.rs"]
mod llama_server;

use std::time::Instant;

use agents::remote::RemoteError;
use agents::{Endpoint, Finish, RemoteModel, Request, Sampling};

use llama_server::{LlamaServer, free_port};

fn ask(model: &RemoteModel, sampling: &Sampling, seed: u64) -> (agents::Generation, String) {
    let request = Request {
        system: "You are a helpful assistant. Answer briefly.",
        prompt: "Name three colours of the rainbow.",
        sampling,
        seed,
        deadline: None,
    };
    let mut streamed = String::new();
    let generation = model
        .generate(&request, &mut |piece| streamed.push_str(piece))
        .unwrap();
    (generation, streamed)
}

#[test]
fn answers_stream_repeat_for_a_seed_and_respect_limits() {
    let server = LlamaServer::start(&common::model_path("smollm2-135m"), "smollm2", &[]);
    let model = RemoteModel::new("smollm2", &Endpoint::at(&server.url)).unwrap();
    let sampling = Sampling {
        temperature: 1.0,
        max_tokens: 10,
        ..Sampling::default()
    };

    // The server's first request evaluates the prompt in one batch, later
    // ones reuse its prompt cache, which changes the numerics slightly: the
    // same seed is only promised the same answer for the same computation,
    // so a warm-up request first puts the prompt in the cache.
    let (warm_up, streamed) = ask(&model, &sampling, 7);
    assert!(!warm_up.text.is_empty(), "{warm_up:?}");
    assert_eq!(streamed, warm_up.text, "every piece reaches the callback");
    assert_eq!(warm_up.finish, Finish::MaxTokens);
    assert_eq!(warm_up.generated_tokens, 10);
    let (first, _) = ask(&model, &sampling, 7);
    let (again, _) = ask(&model, &sampling, 7);
    assert_eq!(
        again.text, first.text,
        "the same seed gives the same answer from the warm cache"
    );
    let others: Vec<String> = (8..12)
        .map(|seed| ask(&model, &sampling, seed).0.text)
        .collect();
    assert!(
        others.iter().any(|t| *t != first.text),
        "other seeds at temperature 1 give other answers: {others:?}"
    );

    let stopped = Sampling {
        temperature: 0.0,
        max_tokens: 40,
        stop: vec![",".into()],
        ..Sampling::default()
    };
    let (cut, _) = ask(&model, &stopped, 1);
    assert!(!cut.text.contains(','), "{cut:?}");
    assert!(!cut.truncated());

    // A greedy answer of some length, asked twice so that the server has the
    // prompt cached, then a third time with a deadline at a quarter of the
    // time the second took: the server repeats the same work, so the
    // deadline must cut it.
    let counting = Sampling {
        temperature: 0.0,
        max_tokens: 200,
        ..Sampling::default()
    };
    let count = |deadline| Request {
        system: "You count.",
        prompt: "Count from 1 to 500, separated by commas.",
        sampling: &counting,
        seed: 1,
        deadline,
    };
    model.generate(&count(None), &mut |_| {}).unwrap();
    let started = Instant::now();
    let full = model.generate(&count(None), &mut |_| {}).unwrap();
    let took = started.elapsed();
    assert!(full.generated_tokens >= 30 && !full.truncated(), "{full:?}");
    let late = count(Some(Instant::now() + took / 4));
    let truncated = model.generate(&late, &mut |_| {}).unwrap();
    assert_eq!(truncated.finish, Finish::Deadline, "{truncated:?}");
    assert!(truncated.truncated());
    assert!(full.text.starts_with(&truncated.text), "{truncated:?}");
}

#[test]
fn an_unreachable_server_is_named_after_the_retries() {
    let url = format!("http://127.0.0.1:{}/v1", free_port());
    let mut endpoint = Endpoint::at(&url);
    endpoint.retries = 2;
    let model = RemoteModel::new("smollm2", &endpoint).unwrap();
    let err = model
        .generate(
            &Request {
                system: "s",
                prompt: "p",
                sampling: &Sampling::default(),
                seed: 0,
                deadline: None,
            },
            &mut |_| {},
        )
        .unwrap_err();
    match &err {
        RemoteError::Unreachable { attempts, .. } => assert_eq!(*attempts, 3),
        other => panic!("expected Unreachable, got {other}"),
    }
    let text = err.to_string();
    assert!(
        text.contains(&format!("{url}/chat/completions")) && text.contains("Start the server"),
        "{text}"
    );
}
