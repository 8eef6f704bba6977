//! Evolution of agents across generations of rounds (`arena evolve`): after
//! each generation, evolving agents that did worse than the median get a
//! candidate version (system prompt rewritten by a model or mutated by
//! rules, sampling mutated), tried in the next generation and rolled back if
//! it does worse than its parent; or a model trained by DPO on the space's
//! preference pairs ([`dpo`]). Versions live in the store
//! ([`judge::records::AgentVersion`]).

pub mod dpo;
pub mod mutation;
pub mod rewrite;
pub mod step;
