//! The signing account of the commands that send transactions: an encrypted keystore file
//! (`--keystore`, password from `ARENA_KEYSTORE_PASSWORD` or a prompt) or a hex key in
//! `ARENA_PRIVATE_KEY`. Keys are never taken as flags, so they stay out of shell history and
//! process lists, and never appear in output.

use std::io::IsTerminal;
use std::path::PathBuf;

use alloy::signers::local::PrivateKeySigner;
use anyhow::{Result, bail};
use contracts::signer::{
    KEYSTORE_PASSWORD_ENV, PRIVATE_KEY_ENV, decrypt_keystore, parse_private_key,
};

/// Where the signing key comes from.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SignerArgs {
    /// Encrypted keystore file of the signing account (password from ARENA_KEYSTORE_PASSWORD,
    /// else asked for); without it the hex key in ARENA_PRIVATE_KEY signs.
    #[arg(long, value_name = "FILE")]
    keystore: Option<PathBuf>,
}

impl SignerArgs {
    /// The signer, or `None` when neither a keystore nor `ARENA_PRIVATE_KEY` is given.
    pub fn signer(&self) -> Result<Option<PrivateKeySigner>> {
        if let Some(path) = &self.keystore {
            let password = password(&format!("password for keystore {}: ", path.display()))?;
            return Ok(Some(decrypt_keystore(path, &password)?));
        }
        match std::env::var(PRIVATE_KEY_ENV) {
            Ok(key) if !key.trim().is_empty() => Ok(Some(
                parse_private_key(&key).map_err(|e| anyhow::anyhow!("{PRIVATE_KEY_ENV}: {e}"))?,
            )),
            _ => Ok(None),
        }
    }

    /// The signer, or an error saying how to give one.
    pub fn required(&self, purpose: &str) -> Result<PrivateKeySigner> {
        match self.signer()? {
            Some(signer) => Ok(signer),
            None => bail!(
                "{purpose} needs a signing account: give --keystore FILE, or set {PRIVATE_KEY_ENV} to a hex private key"
            ),
        }
    }
}

/// The keystore password from the environment, else typed at the terminal without echo.
pub fn password(prompt: &str) -> Result<String> {
    if let Ok(password) = std::env::var(KEYSTORE_PASSWORD_ENV) {
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "no keystore password: set {KEYSTORE_PASSWORD_ENV}, or run in a terminal to be asked for it"
        );
    }
    Ok(rpassword::prompt_password(prompt)?)
}
