//! A write-ahead journal of the transactions the client sends, so that after a crash it can tell
//! "never sent" from "sent, maybe mined" and ask the chain before sending again.
//!
//! [`TxJournal`] is the interface the tournament's own store can implement later;
//! [`JsonlJournal`] is a small file-backed implementation: one JSON object per line, appended
//! and synced to disk before the client goes on.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use alloy::primitives::TxHash;
use serde::{Deserialize, Serialize};

use crate::error::ChainError;

/// What the journal knows about one logical action (e.g. "settle round 7 on contract X").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalEntry {
    /// Description recorded with the intent, if an intent was recorded.
    pub intent: Option<String>,
    /// Every transaction sent for the action, oldest first.
    pub sent: Vec<TxHash>,
    /// The transaction that completed the action, once known (`None` inside when the chain
    /// showed the action done without naming a transaction of ours).
    pub confirmed: Option<Option<TxHash>>,
}

/// Durable record of transactions, written before and after each send.
pub trait TxJournal: Send + Sync {
    /// Records that the action `key` is about to be sent. Must be durable before returning.
    fn record_intent(&self, key: &str, description: &str) -> Result<(), ChainError>;
    /// Records the hash of a transaction just broadcast for `key`.
    fn record_sent(&self, key: &str, hash: TxHash) -> Result<(), ChainError>;
    /// Records that `key` is done on chain, by `hash` if known.
    fn record_confirmed(&self, key: &str, hash: Option<TxHash>) -> Result<(), ChainError>;
    /// Everything recorded for `key`, or `None` if nothing was.
    fn lookup(&self, key: &str) -> Result<Option<JournalEntry>, ChainError>;
}

/// One line of the JSON-lines journal.
#[derive(Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Record {
    Intent {
        key: String,
        description: String,
    },
    Sent {
        key: String,
        tx_hash: TxHash,
    },
    Confirmed {
        key: String,
        tx_hash: Option<TxHash>,
    },
}

impl Record {
    fn key(&self) -> &str {
        match self {
            Record::Intent { key, .. }
            | Record::Sent { key, .. }
            | Record::Confirmed { key, .. } => key,
        }
    }
}

/// A [`TxJournal`] in an append-only JSON-lines file at a path the caller chooses.
pub struct JsonlJournal {
    path: PathBuf,
    write_lock: Mutex<()>,
}

impl JsonlJournal {
    /// Uses (and creates on first write) the journal file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<JsonlJournal, ChainError> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| journal_error(&path, e))?;
        }
        Ok(JsonlJournal {
            path,
            write_lock: Mutex::new(()),
        })
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn append(&self, record: &Record) -> Result<(), ChainError> {
        let mut line = serde_json::to_string(record).map_err(|e| journal_error(&self.path, e))?;
        line.push('\n');
        let _guard = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| journal_error(&self.path, e))?;
        // After a crash mid-write the file ends in half a line: end it first, so this record
        // starts a line of its own instead of being glued to the torn one.
        if ends_torn(&mut file).map_err(|e| journal_error(&self.path, e))? {
            line.insert(0, '\n');
        }
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| journal_error(&self.path, e))
    }
}

impl TxJournal for JsonlJournal {
    fn record_intent(&self, key: &str, description: &str) -> Result<(), ChainError> {
        self.append(&Record::Intent {
            key: key.to_string(),
            description: description.to_string(),
        })
    }

    fn record_sent(&self, key: &str, hash: TxHash) -> Result<(), ChainError> {
        self.append(&Record::Sent {
            key: key.to_string(),
            tx_hash: hash,
        })
    }

    fn record_confirmed(&self, key: &str, hash: Option<TxHash>) -> Result<(), ChainError> {
        self.append(&Record::Confirmed {
            key: key.to_string(),
            tx_hash: hash,
        })
    }

    fn lookup(&self, key: &str) -> Result<Option<JournalEntry>, ChainError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(journal_error(&self.path, e)),
        };
        let mut entry: Option<JournalEntry> = None;
        // A crash can tear only the last line; a torn line was never acted on, so skip it.
        for record in text
            .lines()
            .filter_map(|l| serde_json::from_str::<Record>(l).ok())
        {
            if record.key() != key {
                continue;
            }
            let e = entry.get_or_insert_with(JournalEntry::default);
            match record {
                Record::Intent { description, .. } => e.intent = Some(description),
                Record::Sent { tx_hash, .. } => e.sent.push(tx_hash),
                Record::Confirmed { tx_hash, .. } => e.confirmed = Some(tx_hash),
            }
        }
        Ok(entry)
    }
}

/// Whether a non-empty file does not end with a newline.
fn ends_torn(file: &mut std::fs::File) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    if file.metadata()?.len() == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

fn journal_error(path: &Path, e: impl std::fmt::Display) -> ChainError {
    ChainError::Journal {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_folds_records_per_key_and_skips_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let j = JsonlJournal::open(&path).unwrap();
        assert_eq!(j.lookup("a").unwrap(), None);
        let (h1, h2) = (TxHash::repeat_byte(1), TxHash::repeat_byte(2));
        j.record_intent("a", "settle a").unwrap();
        j.record_sent("a", h1).unwrap();
        j.record_intent("b", "settle b").unwrap();
        j.record_sent("a", h2).unwrap();
        j.record_confirmed("a", Some(h2)).unwrap();
        // A crash mid-write leaves half a line behind.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"event":"sent","key":"b","tx_ha"#).unwrap();
        let a = j.lookup("a").unwrap().unwrap();
        assert_eq!(a.intent.as_deref(), Some("settle a"));
        assert_eq!(a.sent, vec![h1, h2]);
        assert_eq!(a.confirmed, Some(Some(h2)));
        let b = j.lookup("b").unwrap().unwrap();
        assert_eq!((b.sent.len(), b.confirmed), (0, None));
        // The next record after the tear is still readable.
        j.record_sent("b", h1).unwrap();
        assert_eq!(j.lookup("b").unwrap().unwrap().sent, vec![h1]);
    }
}
