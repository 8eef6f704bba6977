//! An answer drawn with another seed than the one recorded, its commitment
//! recomputed for the recorded seed (what an agent that submits the best of
//! several samples, and knows the model, would do). Its hidden states are
//! the named model's, so only the draws can tell: a verifier of the
//! player's numerics repeats every seeded draw exactly, and finds one that
//! is not.

mod common;

use agents::verification::Claim;
use agents::{Generation, Request, Sampling};

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
    forged.fingerprints = model.fingerprints_of(&recorded, &forged.tokens).unwrap();
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
