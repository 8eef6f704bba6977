//! The sled database: rounds, answers, judgments, preference pairs,
//! ratings and the versions of evolving agents. A judged round is written in one transaction across all trees,
//! so a crash leaves it either complete or absent. A database that is
//! corrupt or from a newer version is refused and never written.
//!
//! Damage is never silent. sled, opening a log damaged in the middle,
//! truncated or emptied, keeps what it can read up to the damage, carries on
//! without a word and rewrites its files, so what was lost stays lost. So
//! every open first copies sled's files (under sled's own file lock, so no
//! writer is half-way) to a scratch directory beside the database and lets
//! sled open the copy; what the copy holds is compared with the
//! [`high_water`] record. Only when nothing is missing is the database
//! itself opened; otherwise the open is refused with the losses named and
//! the database's files stay byte for byte as they were, for `arena
//! recover` to keep aside. The price is one copy of the database and a
//! second sled open per open (milliseconds for a tournament's database,
//! about a second per gigabyte), paid for never losing data silently.

pub mod high_water;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::{Transactional, Tree};

use crate::ratings::{START_MMR, mmr_changes};
use crate::records::{
    AgentVersion, AnswerRecord, PreferencePair, RatingChange, RoundId, RoundRecord,
};
use crate::verdict::Judgment;

/// Version of the layout below; bumped on incompatible changes. Adding a
/// tree (as `agent_versions` was) is compatible: older databases simply
/// have it empty.
pub const SCHEMA_VERSION: u32 = 1;
const SCHEMA_KEY: &[u8] = b"schema_version";
/// sled's page cache; bounded so that long exports run in bounded memory.
const CACHE_BYTES: u64 = 64 << 20;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "database {path} cannot be opened: {error}. It may be corrupt or in use by another arena process; nothing was changed. Stop the other process, or move the directory aside (or restore a backup) and start again"
    )]
    Open { path: PathBuf, error: sled::Error },
    #[error(
        "database {path} is in use by another arena process (its lock was not released within 5 s); nothing was changed. Stop the other process and start again"
    )]
    InUse { path: PathBuf },
    #[error(
        "database {path} has schema version {found}, newer than this arena understands ({SCHEMA_VERSION}): use a newer arena; the database was not modified"
    )]
    NewerVersion { path: PathBuf, found: u32 },
    #[error("database record {tree}/{key} is corrupt: {message}; the database was not modified")]
    Corrupt {
        tree: &'static str,
        key: String,
        message: String,
    },
    #[error(
        "database {path} has lost records it once had: {}. sled would carry on without them, so the database was not opened and its files are exactly as they were. Run `arena recover` to move it aside (it is kept, never deleted) and re-create what can be re-created from the rounds' seeds and the chain",
        losses.iter().map(|l| l.what.as_str()).collect::<Vec<_>>().join("; ")
    )]
    Damaged {
        path: PathBuf,
        losses: Vec<high_water::Loss>,
    },
    #[error(
        "the high-water record {path} is corrupt or unreadable: {message}; the database was not opened or modified. Restore the record from a backup, or move it aside to accept the database as it is (a loss, if there was one, then goes unnoticed)"
    )]
    HighWaterUnreadable { path: PathBuf, message: String },
    #[error(
        "the high-water record {path} could not be written: {error}; the database write before it was committed. Free disk space or fix the directory's permissions and start again"
    )]
    HighWater {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("round {0} is already judged and stored; a round is written once")]
    RoundExists(RoundId),
    #[error("database error: {0}")]
    Sled(sled::Error),
}

/// sled's errors, said once: each message above already carries the cause's
/// text, so no variant also gives it as its `source` (a printer of error
/// chains would repeat it).
impl From<sled::Error> for StoreError {
    fn from(error: sled::Error) -> Self {
        StoreError::Sled(error)
    }
}

type Result<T> = std::result::Result<T, StoreError>;

/// The open database and its trees. Clones share the one open database,
/// so a viewer can read while a worker writes.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    path: PathBuf,
    rounds: Tree,
    answers: Tree,
    judgments: Tree,
    pairs: Tree,
    ratings: Tree,
    rating_history: Tree,
    documents: Tree,
    agent_versions: Tree,
    /// The high-water record and its file, shared by clones; `None` for a
    /// salvaged copy, which records nothing.
    high_water: Option<Arc<Mutex<(PathBuf, high_water::HighWater)>>>,
}

/// Everything a judged round adds to the store.
pub struct JudgedRound<'a> {
    pub round: &'a RoundRecord,
    pub answers: &'a [AnswerRecord],
    pub judgment: &'a Judgment,
    pub pairs: &'a [PreferencePair],
}

impl Store {
    /// Opens (or creates) the database at `path`, after checking a copy of
    /// it against its high-water record (see the module doc). Refuses with
    /// [`StoreError::Damaged`], naming the losses, when the store lacks
    /// records it once had. A database without a record (from before the
    /// record existed) is accepted and the record created from its contents.
    pub fn open(path: &Path) -> Result<Self> {
        let record_path = high_water::path_in(path);
        let had =
            high_water::load(&record_path).map_err(|message| StoreError::HighWaterUnreadable {
                path: record_path.clone(),
                message,
            })?;
        let seen = if had.is_some() || path.join("db").exists() {
            let seen = match (contents_of_a_copy(path), &had) {
                (Ok(seen), _) => seen,
                // sled cannot read its log (the log emptied, or cut inside
                // a record): as far as anyone can tell, all is lost.
                (Err(e @ (StoreError::Open { .. } | StoreError::Sled(_))), Some(had)) => {
                    let mut losses = vec![high_water::Loss {
                        round: None,
                        what: format!("sled cannot read its log ({e})"),
                    }];
                    losses.extend(had.losses(&high_water::HighWater::default()));
                    return Err(StoreError::Damaged {
                        path: path.to_owned(),
                        losses,
                    });
                }
                (Err(e), _) => return Err(e),
            };
            if let Some(had) = &had {
                let losses = had.losses(&seen);
                if !losses.is_empty() {
                    return Err(StoreError::Damaged {
                        path: path.to_owned(),
                        losses,
                    });
                }
            }
            seen
        } else {
            high_water::HighWater::default()
        };
        let mut store = Self::open_sled(path, path)?;
        let existed = had.is_some();
        let mut record = had.unwrap_or_default();
        if record.raise(&seen) || !existed {
            save_record(&record_path, &record)?;
        }
        store.high_water = Some(Arc::new(Mutex::new((record_path, record))));
        Ok(store)
    }

    /// Opens a copy of the (damaged) database at `damaged`, made in
    /// `scratch`, to read what survived without sled touching `damaged`'s
    /// files. The copy records no high-water; `scratch` is the caller's to
    /// remove.
    pub fn salvage(damaged: &Path, scratch: &Path) -> Result<Self> {
        copy_when_unlocked(damaged, scratch)?;
        Self::open_sled(scratch, damaged)
    }

    /// sled's open of `path` (named `shown` in errors), the schema check and
    /// the trees; nothing compared or recorded.
    fn open_sled(path: &Path, shown: &Path) -> Result<Self> {
        let open_err = |error| match is_lock_error(&error) {
            true => StoreError::InUse {
                path: shown.to_owned(),
            },
            false => StoreError::Open {
                path: shown.to_owned(),
                error,
            },
        };
        let db = open_when_released(path).map_err(open_err)?;
        let meta = db.open_tree("meta").map_err(open_err)?;
        match meta.get(SCHEMA_KEY)? {
            Some(v) => {
                let found = <[u8; 4]>::try_from(v.as_ref())
                    .map(u32::from_be_bytes)
                    .map_err(|_| StoreError::Corrupt {
                        tree: "meta",
                        key: "schema_version".into(),
                        message: "not a 4-byte version".into(),
                    })?;
                if found > SCHEMA_VERSION {
                    return Err(StoreError::NewerVersion {
                        path: shown.to_owned(),
                        found,
                    });
                }
            }
            None => {
                meta.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())?;
                meta.flush()?;
            }
        }
        let tree = |name: &str| db.open_tree(name).map_err(open_err);
        Ok(Self {
            rounds: tree("rounds")?,
            answers: tree("answers")?,
            judgments: tree("judgments")?,
            pairs: tree("pairs")?,
            ratings: tree("ratings")?,
            rating_history: tree("rating_history")?,
            documents: tree("documents")?,
            agent_versions: tree("agent_versions")?,
            path: shown.to_owned(),
            high_water: None,
            db,
        })
    }

    /// How far every round has come in the store as it is, counted from
    /// the keys (answers, pairs) and the round records.
    pub fn contents(&self) -> Result<high_water::HighWater> {
        let mut record = high_water::HighWater::default();
        for round in self.rounds() {
            let round = round?;
            record.rounds.insert(round.id, mark_of(&round, 0, false, 0));
        }
        let mut count = |tree: &Tree, add: &mut dyn FnMut(&mut high_water::RoundMark)| {
            for key in tree.iter().keys() {
                if let Some(mark) = record.rounds.get_mut(&round_of(&key?)) {
                    add(mark);
                }
            }
            Ok::<_, StoreError>(())
        };
        count(&self.answers, &mut |m| m.answers += 1)?;
        count(&self.pairs, &mut |m| m.pairs += 1)?;
        count(&self.judgments, &mut |m| m.judged = true)?;
        record.agent_versions = self.agent_versions.len();
        Ok(record)
    }

    /// Raises the high-water record after a committed write of `round`.
    fn record_round(&self, mark: high_water::RoundMark, id: RoundId) -> Result<()> {
        self.record(|r| r.raise_round(id, &mark))
    }

    /// Raises the high-water record to the number of agent versions stored.
    fn record_versions(&self) -> Result<()> {
        let count = self.agent_versions.len();
        self.record(|r| {
            let rose = count > r.agent_versions;
            r.agent_versions = r.agent_versions.max(count);
            rose
        })
    }

    /// Applies `raise` to the high-water record and saves it if it rose.
    fn record(&self, raise: impl FnOnce(&mut high_water::HighWater) -> bool) -> Result<()> {
        let Some(shared) = &self.high_water else {
            return Ok(());
        };
        let mut guard = shared.lock().unwrap_or_else(|p| p.into_inner());
        let (path, record) = &mut *guard;
        if raise(record) {
            save_record(path, record)?;
        }
        Ok(())
    }

    /// Where the database lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The id the next round should take.
    pub fn next_round_id(&self) -> Result<RoundId> {
        Ok(self
            .rounds
            .last()?
            .map_or(1, |(k, _)| round_of(&k).saturating_add(1)))
    }

    /// Saves a round record as it moves through its states.
    pub fn put_round(&self, round: &RoundRecord) -> Result<()> {
        self.rounds.insert(round.id.to_be_bytes(), encode(round))?;
        self.rounds.flush()?;
        self.record_round(mark_of(round, 0, false, 0), round.id)
    }

    /// Saves the answers of a round together with its `Generated` status, in
    /// one transaction.
    pub fn put_generated(&self, round: &RoundRecord, answers: &[AnswerRecord]) -> Result<()> {
        let key = round.id.to_be_bytes();
        (&self.rounds, &self.answers)
            .transaction(|(rounds, answer_tree)| {
                rounds.insert(&key, encode(round))?;
                for a in answers {
                    answer_tree.insert(compound(round.id, a.agent_id.as_bytes()), encode(a))?;
                }
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            })
            .map_err(|e| match e {
                TransactionError::Abort(e) => e,
                TransactionError::Storage(e) => StoreError::Sled(e),
            })?;
        self.db.flush()?;
        self.record_round(mark_of(round, answers.len(), false, 0), round.id)
    }

    /// Writes a judged round (answers, judgment, pairs, MMR updates) in one
    /// transaction and returns the rating changes. Refuses a round already stored.
    pub fn commit_judged(&self, judged: &JudgedRound<'_>) -> Result<Vec<RatingChange>> {
        let round = judged.round;
        let key = round.id.to_be_bytes();
        let result = (
            &self.rounds,
            &self.answers,
            &self.judgments,
            &self.pairs,
            &self.ratings,
            &self.rating_history,
        )
            .transaction(|(rounds, answers, judgments, pairs, ratings, history)| {
                if judgments.get(key)?.is_some() {
                    return Err(ConflictableTransactionError::Abort(
                        StoreError::RoundExists(round.id),
                    ));
                }
                rounds.insert(&key, encode(round))?;
                for a in judged.answers {
                    answers.insert(compound(round.id, a.agent_id.as_bytes()), encode(a))?;
                }
                judgments.insert(&key, encode(judged.judgment))?;
                for (i, p) in judged.pairs.iter().enumerate() {
                    pairs.insert(compound(round.id, &(i as u32).to_be_bytes()), encode(p))?;
                }
                let changes = apply_mmr(ratings, round, judged.judgment)?;
                for c in &changes {
                    history.insert(compound(round.id, c.agent_id.as_bytes()), encode(c))?;
                }
                Ok(changes)
            });
        let changes = result.map_err(|e| match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => StoreError::Sled(e),
        })?;
        self.db.flush()?;
        self.record_round(
            mark_of(round, judged.answers.len(), true, judged.pairs.len()),
            round.id,
        )?;
        Ok(changes)
    }

    /// A round by id.
    pub fn round(&self, id: RoundId) -> Result<Option<RoundRecord>> {
        self.rounds
            .get(id.to_be_bytes())?
            .map(|v| decode("rounds", &id.to_string(), &v))
            .transpose()
    }

    /// All rounds, oldest first.
    pub fn rounds(&self) -> impl Iterator<Item = Result<RoundRecord>> + '_ {
        self.rounds.iter().map(|kv| {
            let (k, v) = kv?;
            decode("rounds", &round_of(&k).to_string(), &v)
        })
    }

    /// The answers of a round, by agent id.
    pub fn answers(&self, id: RoundId) -> Result<Vec<AnswerRecord>> {
        scan(&self.answers, "answers", id)
    }

    /// The judgment of a round, if it was judged.
    pub fn judgment(&self, id: RoundId) -> Result<Option<Judgment>> {
        self.judgments
            .get(id.to_be_bytes())?
            .map(|v| decode("judgments", &id.to_string(), &v))
            .transpose()
    }

    /// All judgments, oldest round first.
    pub fn judgments(&self) -> impl Iterator<Item = Result<(RoundId, Judgment)>> + '_ {
        self.judgments.iter().map(|kv| {
            let (k, v) = kv?;
            let id = round_of(&k);
            Ok((id, decode("judgments", &id.to_string(), &v)?))
        })
    }

    /// The rating changes of a round.
    pub fn rating_changes(&self, id: RoundId) -> Result<Vec<RatingChange>> {
        scan(&self.rating_history, "rating_history", id)
    }

    /// Every rating change, oldest round first (for rating charts).
    pub fn rating_history(&self) -> impl Iterator<Item = Result<RatingChange>> + '_ {
        self.rating_history.iter().map(|kv| {
            let (k, v) = kv?;
            decode("rating_history", &round_of(&k).to_string(), &v)
        })
    }

    /// Preference pairs of rounds `from..=to`, streamed in round order.
    pub fn pairs(
        &self,
        from: RoundId,
        to: RoundId,
    ) -> impl Iterator<Item = Result<PreferencePair>> + '_ {
        let start = compound(from, &[]);
        let end = compound(to.saturating_add(1), &[]);
        let range = if from > to {
            start.clone()..start
        } else {
            start..end
        };
        self.pairs.range(range).map(|kv| {
            let (k, v) = kv?;
            decode("pairs", &round_of(&k).to_string(), &v)
        })
    }

    /// Current MMR of `agent` in `space`.
    pub fn mmr(&self, space: &str, agent: &str) -> Result<f64> {
        let key = rating_key(space, agent);
        self.ratings
            .get(&key)?
            .map(|v| decode("ratings", &format!("{space}/{agent}"), &v))
            .transpose()
            .map(|r| r.unwrap_or(START_MMR))
    }

    /// Stores a named document: the agent and space definitions a tournament
    /// plays with, so stored rounds can be traced to what made them.
    pub fn put_document(&self, kind: &str, name: &str, value: &impl Serialize) -> Result<()> {
        self.documents
            .insert(rating_key(kind, name), encode(value))?;
        self.documents.flush()?;
        Ok(())
    }

    /// A named document, if stored.
    pub fn document<T: DeserializeOwned>(&self, kind: &str, name: &str) -> Result<Option<T>> {
        self.documents
            .get(rating_key(kind, name))?
            .map(|v| decode("documents", &format!("{kind}/{name}"), &v))
            .transpose()
    }
}

impl Store {
    /// Writes versions of evolving agents (new ones, or changed statuses) in
    /// one transaction, so a rollback and its replacement land together.
    pub fn put_agent_versions(&self, versions: &[AgentVersion]) -> Result<()> {
        self.agent_versions
            .transaction(|tree| {
                for v in versions {
                    tree.insert(version_key(&v.space, &v.agent_id, v.version), encode(v))?;
                }
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            })
            .map_err(|e| match e {
                TransactionError::Abort(e) => e,
                TransactionError::Storage(e) => StoreError::Sled(e),
            })?;
        self.agent_versions.flush()?;
        self.record_versions()
    }

    /// Copies every document and agent version of `from` (a salvaged copy)
    /// into this store, as they are; returns how many records were copied.
    /// Used by recovery, so what survived is kept whole.
    pub fn copy_documents_and_versions(&self, from: &Store) -> Result<usize> {
        let mut copied = 0;
        for (source, target) in [
            (&from.documents, &self.documents),
            (&from.agent_versions, &self.agent_versions),
        ] {
            for kv in source.iter() {
                let (k, v) = kv?;
                target.insert(k, v)?;
                copied += 1;
            }
        }
        self.db.flush()?;
        self.record_versions()?;
        Ok(copied)
    }

    /// The versions of `agent` in `space`, oldest first.
    pub fn agent_versions(&self, space: &str, agent: &str) -> Result<Vec<AgentVersion>> {
        let mut prefix = rating_key(space, agent);
        prefix.push(0);
        self.agent_versions
            .scan_prefix(prefix)
            .map(|kv| {
                let (_, v) = kv?;
                decode("agent_versions", &format!("{space}/{agent}"), &v)
            })
            .collect()
    }

    /// The versions of `agent` in every space, by space then version.
    pub fn agent_history(&self, agent: &str) -> Result<Vec<AgentVersion>> {
        let mut all = Vec::new();
        for kv in self.agent_versions.iter() {
            let (k, v) = kv?;
            let version: AgentVersion = decode("agent_versions", &String::from_utf8_lossy(&k), &v)?;
            if version.agent_id == agent {
                all.push(version);
            }
        }
        Ok(all)
    }
}

/// Key of a version: space, agent and the version number in big-endian, so
/// a prefix scan lists an agent's versions in order.
fn version_key(space: &str, agent: &str, version: u32) -> Vec<u8> {
    let mut key = rating_key(space, agent);
    key.push(0);
    key.extend_from_slice(&version.to_be_bytes());
    key
}

fn apply_mmr(
    ratings: &TransactionalTree,
    round: &RoundRecord,
    judgment: &Judgment,
) -> std::result::Result<Vec<RatingChange>, ConflictableTransactionError<StoreError>> {
    let ranking = &judgment.ranking;
    let mut players = Vec::new();
    for (agent, strength) in ranking.order.iter().zip(&ranking.strengths) {
        let key = rating_key(&round.space, agent);
        let current = match ratings.get(&key)? {
            Some(v) => {
                decode::<f64>("ratings", agent, &v).map_err(ConflictableTransactionError::Abort)?
            }
            None => START_MMR,
        };
        players.push((agent.clone(), current, *strength));
    }
    let deltas = mmr_changes(&players);
    let mut changes = Vec::new();
    for ((agent, before, _), delta) in players.into_iter().zip(deltas) {
        let after = before + delta;
        ratings.insert(rating_key(&round.space, &agent), encode(&after))?;
        changes.push(RatingChange {
            round: round.id,
            space: round.space.clone(),
            agent_id: agent,
            before,
            after,
        });
    }
    Ok(changes)
}

fn scan<T: DeserializeOwned>(tree: &Tree, name: &'static str, id: RoundId) -> Result<Vec<T>> {
    tree.scan_prefix(id.to_be_bytes())
        .map(|kv| {
            let (_, v) = kv?;
            decode(name, &id.to_string(), &v)
        })
        .collect()
}

fn compound(round: RoundId, suffix: &[u8]) -> Vec<u8> {
    let mut key = round.to_be_bytes().to_vec();
    key.extend_from_slice(suffix);
    key
}

fn rating_key(space: &str, agent: &str) -> Vec<u8> {
    let mut key = space.as_bytes().to_vec();
    key.push(0);
    key.extend_from_slice(agent.as_bytes());
    key
}

fn round_of(key: &[u8]) -> RoundId {
    let mut bytes = [0u8; 8];
    let n = key.len().min(8);
    bytes[..n].copy_from_slice(&key[..n]);
    RoundId::from_be_bytes(bytes)
}

fn encode(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(value).expect("records serialize to JSON")
}

fn decode<T: DeserializeOwned>(tree: &'static str, key: &str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        tree,
        key: key.to_owned(),
        message: e.to_string(),
    })
}

/// A round's mark in the high-water record.
fn mark_of(
    round: &RoundRecord,
    answers: usize,
    judged: bool,
    pairs: usize,
) -> high_water::RoundMark {
    high_water::RoundMark {
        space: round.space.clone(),
        agents: round.agents.clone(),
        status: round.status,
        answers,
        judged,
        pairs,
    }
}

fn save_record(path: &Path, record: &high_water::HighWater) -> Result<()> {
    high_water::save(path, record).map_err(|error| StoreError::HighWater {
        path: path.to_owned(),
        error,
    })
}

/// What the database at `path` holds, read from a copy so that sled's
/// recovery cannot rewrite the original (see the module doc).
fn contents_of_a_copy(path: &Path) -> Result<high_water::HighWater> {
    let scratch = scratch_beside(path, "check");
    let result = copy_when_unlocked(path, &scratch)
        .and_then(|()| Store::open_sled(&scratch, path)?.contents());
    // The copy was only read; a leftover one is removed by the next open.
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// A scratch directory beside the database, named after it, the purpose
/// and this process, so that two processes never share one.
fn scratch_beside(path: &Path, purpose: &str) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "db".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.{purpose}-{}", std::process::id()))
}

/// Copies the database directory `from` to `to` (replacing it) while
/// holding sled's own lock on its log, so no writer is half-way through.
/// A lock still held after [`LOCK_RELEASE_WAIT`] is reported as sled
/// reports it: the database is in use.
fn copy_when_unlocked(from: &Path, to: &Path) -> Result<()> {
    let io = |source: std::io::Error| StoreError::Open {
        path: from.to_owned(),
        error: sled::Error::Io(source),
    };
    let lock = match std::fs::File::open(from.join("db")) {
        Ok(file) => Some(lock_when_released(file).map_err(|e| match e {
            Some(e) => io(e),
            None => StoreError::InUse {
                path: from.to_owned(),
            },
        })?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(e)),
    };
    if to.exists() {
        std::fs::remove_dir_all(to).map_err(io)?;
    }
    copy_dir(from, to).map_err(io)?;
    drop(lock);
    Ok(())
}

/// `file` locked, waiting up to [`LOCK_RELEASE_WAIT`]; `Err(None)` when it
/// stays locked (the database is in use).
fn lock_when_released(
    file: std::fs::File,
) -> std::result::Result<std::fs::File, Option<std::io::Error>> {
    let started = std::time::Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < LOCK_RELEASE_WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::WouldBlock) => return Err(None),
            Err(std::fs::TryLockError::Error(e)) => return Err(Some(e)),
        }
    }
}

/// Copies the directory tree `from` to `to`.
pub(crate) fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Whether sled refused to open because another handle holds its file
/// lock; sled says so only in its message, so this is the one place that
/// reads it.
fn is_lock_error(error: &sled::Error) -> bool {
    matches!(error, sled::Error::Io(e) if e.to_string().contains("could not acquire lock"))
}

/// How long opening waits for a database that was just closed.
const LOCK_RELEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Opens the database at `path`. sled releases its file lock on a
/// background thread after the last handle is dropped, so a database closed
/// a moment ago (by this process or one that just exited) can still be
/// locked: opening retries for [`LOCK_RELEASE_WAIT`] before reporting it.
fn open_when_released(path: &Path) -> sled::Result<sled::Db> {
    let started = std::time::Instant::now();
    loop {
        let opened = sled::Config::new()
            .path(path)
            .cache_capacity(CACHE_BYTES)
            .open();
        match opened {
            Err(e) if is_lock_error(&e) && started.elapsed() < LOCK_RELEASE_WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}
