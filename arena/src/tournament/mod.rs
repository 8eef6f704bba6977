//! The tournament: spaces, roster and matchmaking, the round lifecycle, and
//! the bevy ECS engine that drives it (headless or under the GUI).

pub mod chain_link;
pub mod engine;
pub mod lifecycle;
pub mod result_root;
pub mod roster;
pub mod space;
pub mod summary;
pub mod worker;
