//! The committed artifacts must be exactly what the pinned compiler makes of the committed
//! sources, so the bytecode the client deploys is the reviewed Solidity.

use std::path::Path;
use std::process::Command;

#[test]
fn committed_artifacts_match_a_fresh_compile() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/compile.js");
    let out = Command::new("node")
        .arg(&script)
        .arg("--check")
        .output()
        .expect("node must be installed to recompile the contracts");
    assert!(
        out.status.success(),
        "{} --check failed (status {}):\n{}{}",
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn compile_check_detects_a_changed_artifact() {
    // Copy the crate's sources and script next to a tampered artifact and make sure --check
    // fails, so the test above cannot pass vacuously.
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let copy = dir.path().join("contracts");
    for sub in ["scripts", "solidity", "solidity/test", "artifacts"] {
        std::fs::create_dir_all(copy.join(sub)).unwrap();
        for entry in std::fs::read_dir(root.join(sub)).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                std::fs::copy(entry.path(), copy.join(sub).join(entry.file_name())).unwrap();
            }
        }
    }
    // The copied script finds solc through <repo>/.tools, so link the real one in.
    std::os::unix::fs::symlink(
        root.parent().unwrap().join(".tools"),
        dir.path().join(".tools"),
    )
    .unwrap();
    let artifact = copy.join("artifacts/Arena.json");
    let text = std::fs::read_to_string(&artifact).unwrap();
    // Change the first hex digit of the bytecode, whatever it is (the opening PUSH differs
    // with the contract's immutables), so the tampering never silently misses.
    let marker = "\"bytecode\": \"0x";
    let at = text.find(marker).expect("the artifact has a bytecode") + marker.len();
    let digit = &text[at..at + 1];
    let other = if digit == "6" { "7" } else { "6" };
    let tampered = format!("{}{other}{}", &text[..at], &text[at + 1..]);
    assert_ne!(tampered, text);
    std::fs::write(&artifact, tampered).unwrap();
    let status = Command::new("node")
        .arg(copy.join("scripts/compile.js"))
        .arg("--check")
        .status()
        .unwrap();
    assert_eq!(
        status.code(),
        Some(1),
        "a tampered artifact must fail the check"
    );
}
