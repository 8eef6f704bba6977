//! Generation with the real models: coherent, reproducible, streamed, and
//! bounded by deadlines and the context size.

mod common;

use std::time::{Duration, Instant};

use agents::{Finish, Request, Sampling};

fn sampling(temperature: f64, max_tokens: usize) -> Sampling {
    Sampling {
        temperature,
        max_tokens,
        ..Sampling::default()
    }
}

fn request<'a>(prompt: &'a str, sampling: &'a Sampling, seed: u64) -> Request<'a> {
    Request {
        system: "You are a helpful assistant. Answer briefly.",
        prompt,
        sampling,
        seed,
        deadline: None,
    }
}

#[test]
fn answers_the_capital_of_france() {
    let s = sampling(0.0, 24);
    let out = common::smollm2()
        .generate(
            &request("What is the capital of France?", &s, 0),
            &mut |_| {},
        )
        .unwrap();
    assert!(out.text.contains("Paris"), "answer: {:?}", out.text);
    assert!(out.generated_tokens > 0 && out.prompt_tokens > 10);
}

#[test]
fn same_seed_gives_identical_output_and_streams_it_whole() {
    for model in [common::smollm2(), common::gemma3()] {
        let s = sampling(1.0, 32);
        let prompt = "Write a slogan for a coffee shop.";
        let mut streamed = String::new();
        let first = model
            .generate(&request(prompt, &s, 42), &mut |piece| {
                streamed.push_str(piece)
            })
            .unwrap();
        let second = model
            .generate(&request(prompt, &s, 42), &mut |_| {})
            .unwrap();
        assert_eq!(first.text, second.text);
        assert_eq!(streamed, first.text, "the streamed pieces make the answer");
        let others: Vec<String> = (43..46)
            .map(|seed| {
                model
                    .generate(&request(prompt, &s, seed), &mut |_| {})
                    .unwrap()
                    .text
            })
            .collect();
        assert!(
            others.iter().any(|t| *t != first.text),
            "different seeds should give some different answer at temperature 1"
        );
    }
}

#[test]
fn stop_strings_end_the_answer() {
    let s = Sampling {
        stop: vec![" ".into()],
        ..sampling(0.0, 24)
    };
    let out = common::smollm2()
        .generate(
            &request("What is the capital of France?", &s, 0),
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(out.finish, Finish::StopString);
    assert!(
        !out.text.contains(' ') && !out.text.is_empty(),
        "{:?}",
        out.text
    );
}

#[test]
fn deadline_truncates_and_marks_the_answer() {
    let s = sampling(0.0, 2000);
    let mut req = request("Tell me a very long story about dragons.", &s, 0);
    req.deadline = Some(Instant::now() + Duration::from_millis(300));
    let started = Instant::now();
    let out = common::smollm2().generate(&req, &mut |_| {}).unwrap();
    assert_eq!(out.finish, Finish::Deadline);
    assert!(out.truncated());
    assert!(out.generated_tokens < 2000);
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn oversized_prompt_is_refused_with_a_clear_message() {
    let s = sampling(0.0, 16);
    let prompt = "word ".repeat(6000);
    let err = common::smollm2()
        .generate(&request(&prompt, &s, 0), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("exceeds the model context") && err.contains("shorten"),
        "{err}"
    );
}

#[test]
fn base_model_without_template_uses_completion_format() {
    let s = sampling(0.0, 16);
    let out = common::gemma3()
        .generate(
            &request("What is the capital of France?", &s, 0),
            &mut |_| {},
        )
        .unwrap();
    assert!(out.text.contains("Paris"), "answer: {:?}", out.text);
    assert!(!out.text.contains("Question:"));
}
