//! The high-water record: a small file beside sled's own, saying how far
//! every round has come (furthest status, answers, judgment, pairs) and how
//! many agent versions were written. It is rewritten atomically (temp file,
//! fsync, rename, fsync of the directory) after every committed write that
//! adds or advances something, and never lowered. sled, on opening a
//! damaged log, silently keeps what it can read up to the damage; comparing
//! what it kept with this record is how a loss is noticed. The record is
//! independent of sled's files, so a damaged log does not damage it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::records::{RoundId, RoundStatus};

/// Name of the record inside the database directory. sled ignores files it
/// does not know.
pub const FILE_NAME: &str = "arena-high-water.json";

/// How far the store has come, round by round.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HighWater {
    pub rounds: BTreeMap<RoundId, RoundMark>,
    /// Versions of evolving agents written.
    #[serde(default)]
    pub agent_versions: usize,
}

/// How far one round has come. The space and agents are kept so that a
/// round lost entirely can be re-created (its prompt follows from its id and
/// space, its answers from the agents and their seeds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundMark {
    pub space: String,
    pub agents: Vec<String>,
    pub status: RoundStatus,
    pub answers: usize,
    pub judged: bool,
    pub pairs: usize,
}

/// How far along its life a status is; a round never moves back.
/// Cancelled ends a round as Closed does.
pub fn progress(status: RoundStatus) -> u8 {
    match status {
        RoundStatus::Open => 0,
        RoundStatus::EntriesPaid => 1,
        RoundStatus::Generated => 2,
        RoundStatus::Judged => 3,
        RoundStatus::Settled => 4,
        RoundStatus::Closed | RoundStatus::Cancelled => 5,
    }
}

/// The status as the lifecycle names it, for messages.
pub fn status_name(status: RoundStatus) -> &'static str {
    match status {
        RoundStatus::Open => "open",
        RoundStatus::EntriesPaid => "entries paid",
        RoundStatus::Generated => "generated",
        RoundStatus::Judged => "judged",
        RoundStatus::Settled => "settled",
        RoundStatus::Closed => "closed",
        RoundStatus::Cancelled => "cancelled",
    }
}

impl RoundMark {
    /// Whether `self` has everything `other` has.
    pub fn covers(&self, other: &RoundMark) -> bool {
        progress(self.status) >= progress(other.status)
            && self.answers >= other.answers
            && (self.judged || !other.judged)
            && self.pairs >= other.pairs
    }

    /// The furthest of both: what the record keeps once either was seen.
    fn raise(&mut self, seen: &RoundMark) {
        if progress(seen.status) > progress(self.status) {
            self.status = seen.status;
        }
        self.answers = self.answers.max(seen.answers);
        self.judged |= seen.judged;
        self.pairs = self.pairs.max(seen.pairs);
        if self.agents.is_empty() {
            self.agents.clone_from(&seen.agents);
        }
    }
}

impl HighWater {
    /// Raises the record to include `round`; returns whether anything rose.
    pub fn raise_round(&mut self, id: RoundId, seen: &RoundMark) -> bool {
        match self.rounds.get_mut(&id) {
            Some(mark) if mark.covers(seen) => false,
            Some(mark) => {
                mark.raise(seen);
                true
            }
            None => {
                self.rounds.insert(id, seen.clone());
                true
            }
        }
    }

    /// Raises the record to include everything in `seen`; returns whether anything rose.
    pub fn raise(&mut self, seen: &HighWater) -> bool {
        let mut rose = false;
        for (id, mark) in &seen.rounds {
            rose |= self.raise_round(*id, mark);
        }
        if seen.agent_versions > self.agent_versions {
            self.agent_versions = seen.agent_versions;
            rose = true;
        }
        rose
    }

    /// What `self` once had that `now` lacks, one phrase per loss, oldest round first.
    pub fn losses(&self, now: &HighWater) -> Vec<Loss> {
        let mut losses = Vec::new();
        for (id, had) in &self.rounds {
            let Some(has) = now.rounds.get(id) else {
                losses.push(Loss {
                    round: Some(*id),
                    what: format!("round {id} is missing (it was {})", status_name(had.status)),
                });
                continue;
            };
            if has.covers(had) {
                continue;
            }
            let mut parts = Vec::new();
            if progress(has.status) < progress(had.status) {
                parts.push(format!(
                    "went back from {} to {}",
                    status_name(had.status),
                    status_name(has.status)
                ));
            }
            if has.answers < had.answers {
                parts.push(format!(
                    "has {} of its {} answers",
                    has.answers, had.answers
                ));
            }
            if had.judged && !has.judged {
                parts.push("lost its judgment".to_owned());
            }
            if has.pairs < had.pairs {
                parts.push(format!("has {} of its {} pairs", has.pairs, had.pairs));
            }
            losses.push(Loss {
                round: Some(*id),
                what: format!("round {id} {}", parts.join(", ")),
            });
        }
        if now.agent_versions < self.agent_versions {
            losses.push(Loss {
                round: None,
                what: format!(
                    "{} of {} agent versions remain",
                    now.agent_versions, self.agent_versions
                ),
            });
        }
        losses
    }
}

/// One thing the store once had and has no longer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loss {
    /// The round it belongs to (`None`: agent versions).
    pub round: Option<RoundId>,
    /// In words, e.g. "round 3 is missing (it was closed)".
    pub what: String,
}

/// Where the record of the database at `db` lives.
pub fn path_in(db: &Path) -> PathBuf {
    db.join(FILE_NAME)
}

/// Reads the record at `path`: `Ok(None)` when there is none (a database
/// from before the record existed, or a new one).
pub fn load(path: &Path) -> Result<Option<HighWater>, String> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| e.to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Writes the record to `path` so that a crash leaves the old one or the
/// new one, both on disk: temp file, fsync, rename, fsync of the directory.
pub fn save(path: &Path, record: &HighWater) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let temp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec(record).expect("the high-water record serializes");
    let mut file = std::fs::File::create(&temp)?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temp, path)?;
    std::fs::File::open(dir)?.sync_all()
}
