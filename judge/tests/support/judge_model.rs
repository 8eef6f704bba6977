//! The default judge model, SmolLM2-135M, fetched and loaded as the arena
//! loads it: one loader for every test that judges with the real model.

use agents::{Fetcher, LanguageModel, LoadOptions, ModelRef};

/// The real SmolLM2 model, fetched on first use.
pub fn load() -> LanguageModel {
    let path = Fetcher::from_env(None)
        .ensure(&ModelRef::parse("smollm2-135m").unwrap(), &mut |l| {
            eprintln!("{l}")
        })
        .expect("fetching the judge model");
    LanguageModel::load(&path, LoadOptions::default()).expect("loading the judge model")
}
