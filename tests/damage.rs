//! Damage is never silent, end to end: a real tournament's database is
//! damaged the three ways seen in the field (256 bytes overwritten in the
//! middle of `db/db`, the file truncated, the file emptied). Every command
//! refuses, names the lost rounds and `arena recover`, and leaves the files
//! as they were; `arena recover` keeps them aside byte for byte and
//! re-creates the rounds, which match what the chain settled.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use judge::Store;
use judge::records::RoundStatus;

use common::{ChainView, arena, output_text, roster, tournament};

const ROUNDS: usize = 2;

/// A way the log is damaged in the field, by name.
type Damage = (&'static str, fn(&Path));

/// Every file under `dir`, by its path below `dir`, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = PathBuf::from(path.file_name().unwrap());
        if path.is_dir() {
            files.extend(snapshot(&path).into_iter().map(|(p, b)| (name.join(p), b)));
        } else {
            files.insert(name, std::fs::read(&path).unwrap());
        }
    }
    files
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn damaged_database_is_refused_kept_and_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let agents = roster(dir.path());
    let played = dir.path().join("played");
    let out = tournament(&played, &agents, "arithmetic", ROUNDS);
    assert!(out.status.success(), "{}", output_text(&out));
    let damages: [Damage; 3] = [
        ("overwritten", |log| {
            let mut bytes = std::fs::read(log).unwrap();
            let middle = bytes.len() / 2;
            for b in &mut bytes[middle..middle + 256] {
                *b = 0xa5;
            }
            std::fs::write(log, bytes).unwrap();
        }),
        ("truncated", |log| {
            let len = std::fs::metadata(log).unwrap().len();
            std::fs::OpenOptions::new()
                .write(true)
                .open(log)
                .unwrap()
                .set_len(len / 2)
                .unwrap();
        }),
        ("emptied", |log| std::fs::write(log, b"").unwrap()),
    ];
    // The copies are damaged before anything opens the played database:
    // sled, opening a log, pads its segment to 512 KiB with zeros, and the
    // middle of a padded file (or its first half, kept by truncating) lies
    // in that padding, whose damage loses nothing. The log as the
    // tournament left it is written to its end, so damage in its middle, or
    // cutting it there, loses what was written after (sled stops reading at
    // the first message that fails its checksum).
    for (name, damage) in damages {
        let data = dir.path().join(name);
        copy_dir(&played, &data);
        damage(&data.join("db/db"));
    }
    let original: Vec<_> = {
        let store = Store::open(&played.join("db")).unwrap();
        store
            .rounds()
            .map(|r| {
                let r = r.unwrap();
                let answers = store.answers(r.id).unwrap();
                let judgment = store.judgment(r.id).unwrap();
                (r, answers, judgment)
            })
            .collect()
    };
    assert_eq!(original.len(), ROUNDS);

    for name in damages.map(|(name, _)| name) {
        let data = dir.path().join(name);
        let before = snapshot(&data.join("db"));

        for command in [
            &["rounds", "list"][..],
            &["export", "--out", "/dev/null"][..],
        ] {
            let out = arena(&data, command);
            let said = output_text(&out);
            assert!(
                !out.status.success(),
                "{name}: {command:?} accepted it: {said}"
            );
            assert!(
                said.contains("lost records") && said.contains("arena recover"),
                "{name}: {said}"
            );
            assert!(said.contains("round "), "{name}: names no round: {said}");
            assert!(!said.contains("panicked"), "{name}: {said}");
            assert_eq!(
                snapshot(&data.join("db")),
                before,
                "{name}: {command:?} changed the files"
            );
        }
        let out = tournament(&data, &agents, "arithmetic", ROUNDS + 1);
        assert!(
            !out.status.success(),
            "{name}: the tournament played on: {}",
            output_text(&out)
        );
        assert!(
            output_text(&out).contains("arena recover"),
            "{name}: {}",
            output_text(&out)
        );
        assert_eq!(
            snapshot(&data.join("db")),
            before,
            "{name}: the tournament changed the files"
        );

        let out = Command::new(env!("CARGO_BIN_EXE_arena"))
            .args(["recover", "--max-tokens", "12", "--agents"])
            .arg(&agents)
            .arg("--data-dir")
            .arg(&data)
            .output()
            .unwrap();
        let said = output_text(&out);
        assert!(out.status.success(), "{name}: recover failed: {said}");
        assert!(said.contains("re-created"), "{name}: {said}");
        let aside: Vec<PathBuf> = std::fs::read_dir(&data)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("db.damaged-")
            })
            .collect();
        assert_eq!(aside.len(), 1, "{name}: {aside:?}");
        assert_eq!(
            snapshot(&aside[0]),
            before,
            "{name}: the damaged files were not kept as they were"
        );

        // The recovered database plays on (before the chain is read here:
        // the tournament's node saves the chain state this reads).
        let out = tournament(&data, &agents, "arithmetic", ROUNDS + 1);
        assert!(out.status.success(), "{name}: {}", output_text(&out));
        let store = Store::open(&data.join("db")).unwrap();
        let view = ChainView::open(&data);
        for (round, answers, judgment) in &original {
            let again = store.round(round.id).unwrap().expect("round re-created");
            assert_eq!(
                again.status,
                RoundStatus::Closed,
                "{name}: round {}",
                round.id
            );
            assert_eq!(again.prompt, round.prompt);
            assert_eq!(
                &store.answers(round.id).unwrap(),
                answers,
                "{name}: round {}",
                round.id
            );
            assert_eq!(
                &store.judgment(round.id).unwrap(),
                judgment,
                "{name}: round {}",
                round.id
            );
            let on_chain = view.rt.block_on(view.client.round(round.id)).unwrap();
            assert_eq!(again.result_root, Some(hex::encode(on_chain.result_root)));
        }
    }
}
