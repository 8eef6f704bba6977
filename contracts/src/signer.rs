//! Where the signing key comes from: a private key in the environment or an encrypted keystore
//! file (the Web3 Secret Storage format geth, foundry and alloy share). Keys and passwords never
//! appear in errors or logs; errors name the file and the fix instead.

use std::path::{Path, PathBuf};

use alloy::signers::local::{LocalSignerError, PrivateKeySigner};

use crate::error::ChainError;

/// Environment variable holding a hex private key.
pub const PRIVATE_KEY_ENV: &str = "ARENA_PRIVATE_KEY";
/// Environment variable holding the password of a keystore file.
pub const KEYSTORE_PASSWORD_ENV: &str = "ARENA_KEYSTORE_PASSWORD";

/// Parses a hex private key (0x optional); the error never repeats the key.
pub fn parse_private_key(key: &str) -> Result<PrivateKeySigner, ChainError> {
    key.trim()
        .parse()
        .map_err(|e: LocalSignerError| ChainError::BadKey(describe_key_error(&e)))
}

/// Decrypts the keystore at `path` with `password`.
pub fn decrypt_keystore(path: &Path, password: &str) -> Result<PrivateKeySigner, ChainError> {
    if !path.is_file() {
        return Err(ChainError::Keystore {
            path: path.to_owned(),
            reason: "no such file: give the path of a keystore JSON file (create one with `arena chain keystore`)".into(),
        });
    }
    PrivateKeySigner::decrypt_keystore(path, password).map_err(|e| ChainError::Keystore {
        path: path.to_owned(),
        reason: describe_keystore_error(&e),
    })
}

/// Encrypts `key` with `password` into the new keystore file `path` (refusing to overwrite one),
/// and returns the signer.
pub fn write_keystore(
    path: &Path,
    key: &PrivateKeySigner,
    password: &str,
) -> Result<PrivateKeySigner, ChainError> {
    let keystore_err = |reason: String| ChainError::Keystore {
        path: path.to_owned(),
        reason,
    };
    if path.exists() {
        return Err(keystore_err(
            "already exists: choose a new file name; existing keystores are never overwritten"
                .into(),
        ));
    }
    if password.is_empty() {
        return Err(keystore_err(
            "the password is empty: choose a password".into(),
        ));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| keystore_err("the path has no file name".into()))?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| keystore_err(format!("creating its directory: {e}")))?;
    PrivateKeySigner::encrypt_keystore(
        &dir,
        &mut rand08::rngs::OsRng,
        key.to_bytes(),
        password,
        Some(name),
    )
    .map(|(signer, _uuid)| signer)
    .map_err(|e| keystore_err(describe_keystore_error(&e)))
}

/// A reason that names the fix, without echoing secret material.
fn describe_keystore_error(e: &LocalSignerError) -> String {
    match e {
        LocalSignerError::EthKeystoreError(inner) if inner.to_string() == "Mac Mismatch" => {
            format!(
                "wrong password: the keystore's checksum does not match; give the right password in {KEYSTORE_PASSWORD_ENV} or at the prompt"
            )
        }
        LocalSignerError::EthKeystoreError(inner) => {
            format!("not a valid keystore file ({inner}): expected a Web3 Secret Storage JSON file")
        }
        LocalSignerError::IoError(io) => format!("cannot be read: {io}"),
        other => format!(
            "holds no valid secp256k1 key ({}): re-create it from the right key",
            describe_key_error(other)
        ),
    }
}

/// The kind of a key error, never the key.
fn describe_key_error(e: &LocalSignerError) -> String {
    match e {
        LocalSignerError::HexError(h) => format!("not hex: {h}"),
        LocalSignerError::EcdsaError(_) => "not a valid secp256k1 private key".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    #[test]
    fn a_keystore_round_trips_and_refuses_a_wrong_password() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("operator.json");
        let key = parse_private_key(KEY).unwrap();
        write_keystore(&path, &key, "right horse").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&KEY[2..]), "the key is stored encrypted");
        assert_eq!(
            decrypt_keystore(&path, "right horse").unwrap().address(),
            key.address()
        );
        let err = decrypt_keystore(&path, "wrong").unwrap_err().to_string();
        assert!(
            err.contains("wrong password") && err.contains("operator.json"),
            "{err}"
        );
        assert!(
            !err.contains("wrong\"") && !err.contains(&KEY[2..]),
            "{err}"
        );
        let again = write_keystore(&path, &key, "x").unwrap_err().to_string();
        assert!(again.contains("already exists"), "{again}");
    }

    #[test]
    fn missing_and_malformed_keystores_name_the_file_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.json");
        let err = decrypt_keystore(&missing, "pw").unwrap_err().to_string();
        assert!(
            err.contains("nope.json") && err.contains("arena chain keystore"),
            "{err}"
        );
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{\"not\": \"a keystore\"}").unwrap();
        let err = decrypt_keystore(&bad, "pw").unwrap_err().to_string();
        assert!(
            err.contains("bad.json") && err.contains("not a valid keystore"),
            "{err}"
        );
    }

    #[test]
    fn a_malformed_key_is_refused_without_echoing_it() {
        let secretish = "0xzz0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
        let err = parse_private_key(secretish).unwrap_err().to_string();
        assert!(!err.contains("0974bec39a17e36"), "{err}");
        assert!(err.contains("32 bytes of hex"), "{err}");
    }
}
