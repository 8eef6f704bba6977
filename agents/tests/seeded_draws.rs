//! An answer drawn with another seed than the one recorded, its commitment
//! recomputed for the recorded seed (what an agent that submits the best of
//! several samples, and knows the model, would do). Its hidden states are
//! the named model's, so only the draws can tell: a verifier of the
//! player's numerics repeats every seeded draw exactly, and finds one that
//! is not.

mod common;

use agents::commitment::{self, Commitment, Fingerprint};
use agents::prefill::tail_passes;
use agents::verification::Claim;
use agents::{Generation, LanguageModel, Request, Sampling};

/// The fingerprints `commitment`'s tokens give under `seed`.
fn fingerprints_for(
    model: &LanguageModel,
    request: &Request<'_>,
    commitment: &Commitment,
    seed: u64,
) -> Vec<Fingerprint> {
    let tokens = &commitment.tokens;
    let rendered = model.render_prompt(request.system, request.prompt).unwrap();
    let prompt = model.tokenizer().encode_prompt(&rendered).unwrap();
    let sequence = [&prompt[..], &tokens[..tokens.len() - 1]].concat();
    let mut fingerprints = Vec::new();
    tail_passes(
        model.transformer(),
        &[sequence],
        &[tokens.len()],
        &mut |pass| {
            let hidden = pass.hidden.to_vec2::<f32>()?;
            for p in commitment::positions(seed, tokens.len()) {
                fingerprints.push(Fingerprint {
                    position: p as u32,
                    top: Vec::new(),
                    sketch: commitment::sketch(&hidden[p], seed, p),
                });
            }
            Ok(())
        },
    )
    .unwrap();
    fingerprints
}

#[test]
fn an_answer_drawn_with_another_seed_is_caught_by_its_draws() {
    let model = common::smollm2();
    let sampling = Sampling {
        max_tokens: 12,
        temperature: 1.0,
        ..Sampling::default()
    };
    let request = |seed| Request {
        system: "You are a helpful assistant. Answer briefly.",
        prompt: "Name an animal that lives in the sea.",
        sampling: &sampling,
        seed,
        deadline: None,
    };
    let recorded = request(7);
    let honest = model.generate(&recorded, &mut |_| {}).unwrap();
    // The first other seed that draws another answer.
    let mut other: Generation = (8..40)
        .map(|seed| model.generate(&request(seed), &mut |_| {}).unwrap())
        .find(|g| g.text != honest.text)
        .expect("some seed draws another answer");
    let forged = other.commitment.as_mut().unwrap();
    forged.fingerprints = fingerprints_for(model, &recorded, forged, recorded.seed);
    let claims: Vec<Claim> = [&honest, &other]
        .iter()
        .map(|answer| Claim {
            request: recorded.clone(),
            text: &answer.text,
            commitment: answer.commitment.as_ref().unwrap(),
        })
        .collect();
    let checks = model.check_answers(&claims).unwrap();
    assert_eq!(checks[0].problems, Vec::<String>::new());
    assert_eq!(checks[0].exact, checks[0].tokens);
    // The forged sketches are the model's own: the draws catch it.
    assert!(checks[1].hidden_distance < 1e-6, "{:?}", checks[1]);
    assert!(
        checks[1]
            .problems
            .iter()
            .any(|p| p.contains("not the draw its recorded seed and sampling make")),
        "{:?}",
        checks[1]
    );
}
