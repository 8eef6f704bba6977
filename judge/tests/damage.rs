//! Damage is never silent: real sled databases are damaged the three ways
//! seen in the field (256 bytes overwritten in the middle of `db/db`, the
//! file truncated, the file emptied). Opening must refuse, name what is
//! missing and the recovery command, and leave every file byte for byte as
//! it was; a salvaged copy shows what survived.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use judge::records::{RoundRecord, RoundStatus};
use judge::store::high_water;
use judge::{Store, StoreError};

#[path = "support/checked_round.rs"]
mod checked_round;
use checked_round::RoundSpec;

const ROUNDS: u64 = 40;
const AGENTS: usize = 6;

/// A closed round of `AGENTS` agents, committed at once, with answers long
/// enough that the log is mostly answers, each written once: the middle of
/// the file then holds live records, as a tournament's log does.
fn closed_round(store: &Store, id: u64) {
    let texts: Vec<String> = (0..AGENTS)
        .map(|i| {
            let number = (i as u64 * 7 + id) % 50;
            format!(
                "The answer is {number}. {}",
                "Some working out. ".repeat(20)
            )
        })
        .collect();
    RoundSpec {
        id,
        space: "arithmetic",
        prompt: format!("Round {id}: what is 6 times 7?"),
        reference: Some("42"),
        status: RoundStatus::Closed,
        checks: &[judge::Check::NumericAnswer {
            expected: 42.0,
            tolerance: 0.0,
        }],
    }
    .judge(&texts)
    .commit(store);
}

/// A database of `ROUNDS` closed rounds in `dir/db`, closed and released
/// by its writer and not reopened: sled pads its log with zeros when it
/// opens it, so the middle of a reopened log can be padding whose damage
/// loses nothing; this is the log as a tournament leaves it.
fn database(dir: &Path) -> PathBuf {
    let path = dir.join("db");
    let store = Store::open(&path).unwrap();
    for id in 1..=ROUNDS {
        closed_round(&store, id);
    }
    drop(store);
    // sled releases its lock on a background thread after the last handle
    // is dropped; once we hold it, sled has let go of the files.
    let log = std::fs::File::open(path.join("db")).unwrap();
    log.lock().unwrap();
    drop(log);
    path
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(snapshot(&path));
        } else {
            files.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
    files
}

/// Damages `db/db`, opens the database, and checks the refusal: the
/// losses are named with the recovery command, every file is unchanged,
/// and a salvaged copy lacks exactly the rounds named as missing.
fn damaged_database_is_refused(damage: impl FnOnce(&Path)) {
    let dir = tempfile::tempdir().unwrap();
    let path = database(dir.path());
    damage(&path.join("db"));
    let before = snapshot(&path);

    let err = Store::open(&path)
        .err()
        .expect("a damaged database was opened");
    let text = err.to_string();
    let StoreError::Damaged { losses, .. } = &err else {
        panic!("not reported as damage: {text}");
    };
    assert!(!losses.is_empty());
    assert!(text.contains("arena recover"), "{text}");
    assert!(losses.iter().any(|l| l.round.is_some()), "{text}");
    for round in losses.iter().filter_map(|l| l.round) {
        assert!(text.contains(&format!("round {round} ")), "{text}");
    }
    assert_eq!(snapshot(&path), before, "opening changed the damaged files");
    // A second attempt says the same and still changes nothing.
    let again = Store::open(&path).err().expect("refused again").to_string();
    assert_eq!(again, text);
    assert_eq!(snapshot(&path), before);

    // What survived can be read from a copy, without touching the files.
    let had = high_water::load(&high_water::path_in(&path))
        .unwrap()
        .expect("the record survived the damage");
    assert_eq!(had.rounds.len() as u64, ROUNDS);
    let salvaged = Store::salvage(&path, &dir.path().join("salvage"));
    if let Ok(salvaged) = &salvaged {
        for round in salvaged.rounds().map_while(Result::ok) {
            let named = losses
                .iter()
                .any(|l| l.round == Some(round.id) && l.what.contains("is missing"));
            assert!(
                !named,
                "round {} survived but was named missing: {text}",
                round.id
            );
        }
    }
    drop(salvaged);
    assert_eq!(
        snapshot(&path),
        before,
        "salvaging changed the damaged files"
    );
}

#[test]
fn overwriting_256_bytes_in_the_middle_is_detected() {
    damaged_database_is_refused(|log| {
        let mut bytes = std::fs::read(log).unwrap();
        let middle = bytes.len() / 2;
        for (i, b) in bytes[middle..middle + 256].iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(31) ^ 0xa5;
        }
        std::fs::write(log, bytes).unwrap();
    });
}

#[test]
fn truncating_the_log_is_detected() {
    damaged_database_is_refused(|log| {
        let len = std::fs::metadata(log).unwrap().len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(log)
            .unwrap()
            .set_len(len / 2)
            .unwrap();
    });
}

#[test]
fn emptying_the_log_is_detected() {
    damaged_database_is_refused(|log| std::fs::write(log, b"").unwrap());
}

#[test]
fn a_database_from_before_the_record_is_accepted_and_the_record_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = database(dir.path());
    let record = high_water::path_in(&path);
    std::fs::remove_file(&record).unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.rounds().count() as u64, ROUNDS);
    let created = high_water::load(&record).unwrap().expect("record created");
    assert_eq!(created, store.contents().unwrap());
    assert!(
        created
            .rounds
            .values()
            .all(|m| m.status == RoundStatus::Closed && m.answers == AGENTS && m.judged),
        "{created:?}"
    );
}

#[test]
fn a_round_that_went_back_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let store = Store::open(&path).unwrap();
        closed_round(&store, 1);
    }
    // Write an older state of round 1 behind the store's back, as sled's
    // recovery up to an earlier log entry would leave it.
    {
        let db = loop {
            match sled::open(&path) {
                Ok(db) => break db,
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
            }
        };
        let rounds = db.open_tree("rounds").unwrap();
        let mut record: RoundRecord =
            serde_json::from_slice(&rounds.get(1u64.to_be_bytes()).unwrap().unwrap()).unwrap();
        record.status = RoundStatus::Generated;
        rounds
            .insert(1u64.to_be_bytes(), serde_json::to_vec(&record).unwrap())
            .unwrap();
        db.open_tree("judgments")
            .unwrap()
            .remove(1u64.to_be_bytes())
            .unwrap();
        db.flush().unwrap();
    }
    let text = Store::open(&path)
        .err()
        .expect("a round that went back is refused")
        .to_string();
    assert!(
        text.contains("round 1 went back from closed to generated, lost its judgment"),
        "{text}"
    );
}
