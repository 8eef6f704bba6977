//! Every kernel this machine runs computes the same bits: the same model
//! loaded under each generates the same tokens with the same commitment,
//! so `arena verify` holds every kernel to the tight tolerance and repeats
//! every seeded draw exactly.

mod common;

use agents::row_matmul::Kernel;
use agents::{LanguageModel, LoadOptions, Request, Sampling};

#[test]
fn every_kernel_generates_the_same_answer_and_commitment() {
    let kernels = Kernel::available();
    let sampling = Sampling {
        max_tokens: 10,
        temperature: 0.9,
        ..Sampling::default()
    };
    let request = Request {
        system: "You are a helpful assistant. Answer briefly.",
        prompt: "What do bees make?",
        sampling: &sampling,
        seed: 11,
        deadline: None,
    };
    for name in ["smollm2-135m", "gemma3-270m"] {
        let path = common::model_path(name);
        let answers: Vec<_> = kernels
            .iter()
            .map(|&kernel| {
                let options = LoadOptions {
                    kernel,
                    ..LoadOptions::default()
                };
                let model = LanguageModel::load(&path, options).unwrap();
                model.generate(&request, &mut |_| {}).unwrap()
            })
            .collect();
        let first = answers[0].commitment.as_ref().unwrap();
        assert!(!first.fingerprints.is_empty(), "{name}");
        for (kernel, answer) in kernels.iter().zip(&answers).skip(1) {
            assert_eq!(answer.text, answers[0].text, "{name} with {kernel:?}");
            assert_eq!(
                answer.commitment.as_ref(),
                Some(first),
                "{name} with {kernel:?}: another commitment"
            );
        }
    }
}
