//! The tournament: spaces, roster and matchmaking, the round lifecycle, and
//! the bevy ECS engine that drives it (headless or under the GUI).

pub mod chain_link;
pub mod engine;
pub mod fee_tier;
pub mod finalization;
pub mod interactive;
pub mod lifecycle;
pub mod result_root;
pub mod roster;
pub mod space;
pub mod summary;
pub mod worker;

use std::path::{Path, PathBuf};

/// The `.toml` files of a directory of definitions (`what` names it in
/// errors), sorted by name so loading is deterministic.
fn toml_files(dir: &Path, what: &str) -> anyhow::Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        anyhow::anyhow!(
            "{what} directory {} cannot be read ({e}): check the path, or leave the option out to use the shipped {what}",
            dir.display()
        )
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    Ok(paths)
}
