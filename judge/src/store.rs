//! The sled database: rounds, answers, judgments, preference pairs,
//! ratings and the versions of evolving agents. A judged round is written in one transaction across all trees,
//! so a crash leaves it either complete or absent. A database that is
//! corrupt or from a newer version is refused and never written.

use std::path::{Path, PathBuf};

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
        "database {path} cannot be opened: {source}. It may be corrupt or in use by another arena process; nothing was changed. Stop the other process, or move the directory aside (or restore a backup) and start again"
    )]
    Open { path: PathBuf, source: sled::Error },
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
    #[error("round {0} is already judged and stored; a round is written once")]
    RoundExists(RoundId),
    #[error("database error: {0}")]
    Sled(#[from] sled::Error),
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
}

/// Everything a judged round adds to the store.
pub struct JudgedRound<'a> {
    pub round: &'a RoundRecord,
    pub answers: &'a [AnswerRecord],
    pub judgment: &'a Judgment,
    pub pairs: &'a [PreferencePair],
}

impl Store {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let open_err = |source| StoreError::Open {
            path: path.to_owned(),
            source,
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
                        path: path.to_owned(),
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
            path: path.to_owned(),
            db,
        })
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
        Ok(())
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
        Ok(())
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
        Ok(())
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
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock")
                    && started.elapsed() < LOCK_RELEASE_WAIT =>
            {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}
