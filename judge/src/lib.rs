//! Judging, ranking, ratings, the sled store and dataset export.
//!
//! A round's answers are judged in layers ([`judging`]): verifiable checks
//! ([`checks`]), then a model read through log-probabilities
//! ([`llm_judge`]), local ([`scoring`]) or on a server ([`remote_scoring`]); pair verdicts become a ranking ([`ranking`]), preference
//! pairs ([`pairs`]) and rating changes ([`ratings`]), written atomically
//! ([`store`]) and exported for training ([`export`]).

pub mod arithmetic;
pub mod bradley_terry;
pub mod checks;
pub mod completeness;
pub mod copying;
pub mod eval;
pub mod export;
mod filler;
pub mod instructions;
pub mod integrity;
mod json_shape;
pub mod judging;
pub mod llm_judge;
pub mod own_answer;
pub mod pairs;
pub mod ranking;
pub mod ratings;
pub mod records;
pub mod remote_scoring;
pub mod scoring;
pub mod source;
pub mod store;
pub mod temperatures;
pub mod units;
pub mod verdict;
pub mod verse;
pub mod word_problems;

pub use checks::Check;
pub use judging::{Contest, Judge, JudgeConfig};
pub use llm_judge::LlmJudge;
pub use remote_scoring::RemoteScorer;
pub use scoring::ScoringModel;
pub use store::{JudgedRound, Store, StoreError};
pub use verdict::{Entry, Judgment};
