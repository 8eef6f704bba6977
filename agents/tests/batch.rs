//! Batched generation, as a round runs it: eight agents with their own
//! prompts, seeds and sampling on one model must get, byte for byte, the
//! answers each would get alone.

mod common;

use agents::{LanguageModel, Request, Sampling};

const PROMPTS: [&str; 8] = [
    "What is the capital of France?",
    "Write a slogan for a coffee shop.",
    "Name three colours of the rainbow.",
    "Describe the sea in one sentence.",
    "Why is the sky blue? Answer briefly, please, in plain words.",
    "Count from one to five.",
    "Give a short tip for learning Rust.",
    "Hi",
];

fn samplings() -> Vec<Sampling> {
    (0..8)
        .map(|i| Sampling {
            temperature: [0.0, 0.7, 1.0, 1.3][i % 4],
            top_k: [0, 40, 10, 0][i % 4],
            top_p: [1.0, 0.9, 1.0, 0.8][i % 4],
            repetition_penalty: [1.0, 1.1, 1.3, 1.0][i % 4],
            max_tokens: 16 + 2 * i,
            stop: if i == 5 { vec!["3".into()] } else { vec![] },
        })
        .collect()
}

fn assert_batch_equals_single(model: &LanguageModel) {
    let samplings = samplings();
    let requests: Vec<Request> = PROMPTS
        .iter()
        .zip(&samplings)
        .enumerate()
        .map(|(i, (prompt, sampling))| Request {
            system: if i % 2 == 0 {
                "You are a helpful assistant."
            } else {
                "You are a poet."
            },
            prompt,
            sampling,
            seed: 100 + i as u64,
            deadline: None,
        })
        .collect();
    let mut streamed = vec![String::new(); requests.len()];
    let batch = model
        .generate_batch(&requests, &mut |i, piece| streamed[i].push_str(piece))
        .unwrap();
    for (i, request) in requests.iter().enumerate() {
        let single = model.generate(request, &mut |_| {}).unwrap();
        assert_eq!(batch[i].text, single.text, "request {i}");
        assert_eq!(batch[i].finish, single.finish, "request {i}");
        assert_eq!(
            batch[i].generated_tokens, single.generated_tokens,
            "request {i}"
        );
        assert_eq!(batch[i].prompt_tokens, single.prompt_tokens, "request {i}");
        assert_eq!(streamed[i], single.text, "request {i}: streamed pieces");
    }
    let distinct: std::collections::HashSet<&str> = batch.iter().map(|g| g.text.as_str()).collect();
    assert!(distinct.len() >= 6, "answers: {batch:?}");
}

#[test]
fn smollm2_batch_of_eight_equals_single_generation() {
    assert_batch_equals_single(common::smollm2());
}

#[test]
fn gemma3_batch_of_eight_equals_single_generation() {
    assert_batch_equals_single(common::gemma3());
}

/// One pass over sequences of different lengths, whose caches hold
/// different histories (a fresh prompt, a continued prompt, one decoding
/// step), gives each the logits it gets alone, bit for bit.
#[test]
fn ragged_sequences_in_one_pass_equal_each_alone() {
    for model in [common::smollm2(), common::gemma3()] {
        let t = model.transformer();
        let encode = |text: &str| model.tokenizer().encode(text).unwrap();
        let history = [
            encode(""),
            encode("The arena opens at dawn."),
            encode("One two three four"),
        ];
        let new = [
            encode("Agents answer prompts."),
            encode(" Judges rank"),
            encode(" five"),
        ];
        let mut alone = Vec::new();
        for (past, tokens) in history.iter().zip(&new) {
            let mut cache = t.new_cache();
            if !past.is_empty() {
                t.forward(past, &mut cache).unwrap();
            }
            alone.push(
                t.forward(tokens, &mut cache)
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap(),
            );
        }
        let mut caches: Vec<_> = history
            .iter()
            .map(|past| {
                let mut cache = t.new_cache();
                if !past.is_empty() {
                    t.forward(past, &mut cache).unwrap();
                }
                cache
            })
            .collect();
        let mut refs: Vec<_> = caches.iter_mut().collect();
        let tokens: Vec<&[u32]> = new.iter().map(Vec::as_slice).collect();
        let together: Vec<Vec<f32>> = t
            .forward_batch(&tokens, &mut refs)
            .unwrap()
            .to_vec2()
            .unwrap();
        assert_eq!(together, alone, "{:?}", t.family());
    }
}
