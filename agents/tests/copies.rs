//! A copy of a model passed off as the original. A verifier of the
//! numerics that played (on x86-64, whichever kernel it runs) holds the
//! hidden-state sketches to `SAME_KERNEL_TOLERANCE`, and so catches a copy
//! whose projections were re-quantized to Q8_0: its answers move the
//! sketches by less than the cross-numerics `HIDDEN_TOLERANCE`, but by more
//! than the same numerics do.

mod common;

use std::fs::File;
use std::io::BufReader;

use agents::commitment::{HIDDEN_TOLERANCE, SAME_KERNEL_TOLERANCE, hidden_tolerance};
use agents::row_matmul::numerics;
use agents::training::gguf_writer::write_merged;
use agents::verification::Claim;
use agents::{LanguageModel, LoadOptions, Request, Sampling};
use candle_core::Device;
use candle_core::quantized::GgmlDType;
use candle_core::quantized::gguf_file::Content;

/// SmolLM2 with every Q4_1 projection dequantized and stored as Q8_0.
fn requantized_copy(dir: &std::path::Path) -> LanguageModel {
    let source = common::model_path("smollm2-135m");
    let mut reader = BufReader::new(File::open(&source).unwrap());
    let content = Content::read(&mut reader).unwrap();
    let mut names: Vec<&String> = content
        .tensor_infos
        .iter()
        .filter(|(_, info)| info.ggml_dtype == GgmlDType::Q4_1)
        .map(|(name, _)| name)
        .collect();
    names.sort();
    let weights: Vec<_> = names
        .into_iter()
        .map(|name| {
            let tensor = content.tensor(&mut reader, name, &Device::Cpu).unwrap();
            (name.clone(), tensor.dequantize(&Device::Cpu).unwrap())
        })
        .collect();
    assert!(
        weights.len() > 100,
        "SmolLM2 stores its projections in Q4_1"
    );
    let out = dir.join("copy.gguf");
    write_merged(&source, &weights, &out).unwrap();
    LanguageModel::load(&out, LoadOptions::default()).unwrap()
}

#[test]
fn a_requantized_copy_is_caught_by_the_numerics_that_played() {
    let original = common::smollm2();
    let dir = tempfile::tempdir().unwrap();
    let copy = requantized_copy(dir.path());
    assert_ne!(copy.sha256(), original.sha256());
    let sampling = Sampling {
        max_tokens: 12,
        ..Sampling::default()
    };
    let request = Request {
        system: "You are a helpful assistant. Answer briefly.",
        prompt: "Name three colours of the rainbow.",
        sampling: &sampling,
        seed: 5,
        deadline: None,
    };
    let honest = original.generate(&request, &mut |_| {}).unwrap();
    let mut passed_off = copy.generate(&request, &mut |_| {}).unwrap();
    let commitment = passed_off.commitment.as_mut().unwrap();
    assert_eq!(commitment.numerics.as_deref(), Some(numerics()));
    commitment.model_sha256 = original.sha256().to_owned();
    let claims: Vec<Claim> = [&honest, &passed_off]
        .iter()
        .map(|answer| Claim {
            request: request.clone(),
            text: &answer.text,
            commitment: answer.commitment.as_ref().unwrap(),
        })
        .collect();
    let checks = original.check_answers(&claims).unwrap();
    eprintln!(
        "hidden distances: honest {}, copy {}",
        checks[0].hidden_distance, checks[1].hidden_distance
    );
    assert_eq!(checks[0].problems, Vec::<String>::new());
    assert_eq!(checks[0].hidden_tolerance, SAME_KERNEL_TOLERANCE);
    assert!(
        checks[1].hidden_distance > SAME_KERNEL_TOLERANCE,
        "{:?}",
        checks[1]
    );
    assert!(!checks[1].problems.is_empty());
}

#[test]
fn the_tolerance_is_tight_only_for_the_same_numerics() {
    assert_eq!(hidden_tolerance(Some(numerics())), SAME_KERNEL_TOLERANCE);
    // The portable kernel's commitments from before it computed what the
    // SIMD kernels do, commitments recorded before the numerics were, and
    // those of another architecture get the tolerance across numerics.
    assert_eq!(hidden_tolerance(Some("portable")), HIDDEN_TOLERANCE);
    assert_eq!(hidden_tolerance(None), HIDDEN_TOLERANCE);
    assert_eq!(hidden_tolerance(Some("neon")), HIDDEN_TOLERANCE);
}
