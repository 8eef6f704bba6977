//! Starting a local anvil node from the pinned npm package, on a free loopback port.
//!
//! The node is a child process killed when its [`AnvilNode`] is dropped (or its owner dies), so a test or command
//! that fails half way never leaves a chain running.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::error::ChainError;

/// Environment variable that overrides where the anvil binary is.
pub const ANVIL_ENV: &str = "ARENA_ANVIL";
/// Where scripts/install-chain-tools.sh puts anvil, relative to the repository root.
const ANVIL_IN_REPO: &str = ".tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil";
/// How long anvil may take to print its listening address.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Finds the anvil binary: `$ARENA_ANVIL` if set, otherwise the one installed in the repository
/// by scripts/install-chain-tools.sh.
pub fn locate_anvil() -> Result<PathBuf, ChainError> {
    anvil_at(std::env::var_os(ANVIL_ENV).map(PathBuf::from))
}

/// The anvil binary at `configured`, or in the repository when nothing is configured.
fn anvil_at(configured: Option<PathBuf>) -> Result<PathBuf, ChainError> {
    let path = configured.unwrap_or_else(|| repo_root().join(ANVIL_IN_REPO));
    if path.is_file() {
        Ok(path)
    } else {
        Err(ChainError::AnvilMissing { path })
    }
}

/// The repository root: this crate lives in `<repo>/contracts`.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// A running anvil child process and what it tells about itself.
pub struct AnvilNode {
    child: Child,
    rpc_url: String,
    private_keys: Vec<String>,
    _config_dir: tempfile::TempDir,
}

/// The part of anvil's `--config-out` file that the client needs.
#[derive(serde::Deserialize)]
struct AnvilConfig {
    private_keys: Vec<String>,
}

impl AnvilNode {
    /// Starts anvil on 127.0.0.1 with a port the OS picks, funding `accounts` accounts.
    /// `extra_args` are passed through (e.g. `--state` for a persistent chain).
    pub fn start(accounts: usize, extra_args: &[&str]) -> Result<AnvilNode, ChainError> {
        Self::start_on_port(0, accounts, extra_args)
    }

    /// Like [`AnvilNode::start`] on a given port (0 lets the OS choose).
    pub fn start_on_port(
        port: u16,
        accounts: usize,
        extra_args: &[&str],
    ) -> Result<AnvilNode, ChainError> {
        let anvil = locate_anvil()?;
        let config_dir = tempfile::tempdir()
            .map_err(|e| ChainError::AnvilStart(format!("temporary directory: {e}")))?;
        let config_path = config_dir.path().join("anvil.json");
        let mut command = Command::new(&anvil);
        command
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--accounts", &accounts.to_string()])
            .arg("--config-out")
            .arg(&config_path)
            .args(extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        // SAFETY: prctl is async-signal-safe and touches only the child's own state.
        // With it, anvil gets SIGTERM (and saves any --state) when the thread that
        // started it dies, even by SIGKILL, so no node outlives its owner.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
        let mut child = command
            .spawn()
            .map_err(|e| ChainError::AnvilStart(format!("{}: {e}", anvil.display())))?;
        let address = match child.stdout.take().map(wait_for_listening) {
            Some(Ok(address)) => address,
            Some(Err(reason)) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ChainError::AnvilStart(reason));
            }
            None => return Err(ChainError::AnvilStart("no stdout".into())),
        };
        let mut node = AnvilNode {
            child,
            rpc_url: format!("http://{address}"),
            private_keys: Vec::new(),
            _config_dir: config_dir,
        };
        let config = std::fs::read_to_string(&config_path)
            .map_err(|e| e.to_string())
            .and_then(|text| serde_json::from_str::<AnvilConfig>(&text).map_err(|e| e.to_string()))
            .map_err(|e| ChainError::AnvilStart(format!("{}: {e}", config_path.display())))?;
        node.private_keys = config.private_keys;
        Ok(node)
    }

    /// The node's HTTP JSON-RPC URL.
    pub fn rpc_url(&self) -> &str {
        &self.rpc_url
    }

    /// Private keys of the funded accounts, hex with 0x.
    pub fn private_keys(&self) -> &[String] {
        &self.private_keys
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Blocks until the node exits by itself (e.g. on Ctrl-C).
    pub fn wait(mut self) -> Result<(), ChainError> {
        let status = self
            .child
            .wait()
            .map_err(|e| ChainError::AnvilStart(format!("waiting for anvil: {e}")))?;
        if status.success() {
            Ok(())
        } else {
            Err(ChainError::AnvilStart(format!(
                "anvil exited with {status}"
            )))
        }
    }
}

/// How long anvil gets to save its `--state` and exit after SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(10);

impl Drop for AnvilNode {
    /// Stops the node gracefully (SIGTERM, so a `--state` file gets the final
    /// chain state), killing it if it does not exit in time.
    fn drop(&mut self) {
        // SAFETY: sending a signal to our own child process.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let started = std::time::Instant::now();
        while started.elapsed() < STOP_GRACE {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads anvil's stdout until it prints `Listening on HOST:PORT`, then keeps draining it in a
/// thread so the child never blocks on a full pipe.
fn wait_for_listening(stdout: std::process::ChildStdout) -> Result<String, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if !sent && let Some(address) = line.trim().strip_prefix("Listening on ") {
                let _ = tx.send(address.trim().to_string());
                sent = true;
            }
        }
    });
    rx.recv_timeout(START_TIMEOUT)
        .map_err(|_| format!("anvil did not report a listening address within {START_TIMEOUT:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_anvil_names_the_path_and_the_install_script() {
        let missing = PathBuf::from("/nonexistent/anvil");
        let err = anvil_at(Some(missing)).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/anvil"), "{err}");
        assert!(err.contains("scripts/install-chain-tools.sh"), "{err}");
    }
}
