//! The TLS client configuration of every HTTPS connection the project makes:
//! the chain client's (alloy over reqwest, in `contracts`) and the
//! OpenAI-compatible backend's (`agents`). One place decides what is
//! trusted, so `--ca-file` applies to a node and a model server alike:
//!
//! - the operating system's root certificates (as a browser trusts them),
//!   or Mozilla's, compiled in, on a system that has none;
//! - plus the private CA a user names with `--ca-file` / [`CA_FILE_ENV`]
//!   ([`trust_ca_file`]), for a node or server inside an organisation.
//!
//! The crypto is rustls' ring provider, which builds with a C compiler
//! alone; reqwest's default provider (aws-lc) also needs cmake.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Environment variable naming a PEM file of extra CA certificates to
/// trust, the same as `--ca-file`.
pub const CA_FILE_ENV: &str = "ARENA_CA_FILE";

/// Why the TLS configuration could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The CA file cannot be read or holds no usable certificate.
    #[error(
        "CA file {}: {reason}. Pass a PEM file holding the private CA's certificate (-----BEGIN CERTIFICATE-----)",
        path.display()
    )]
    CaFile { path: PathBuf, reason: String },
    /// A CA file given after the first connection was made.
    #[error(
        "CA file {} was given after the first TLS connection was configured; give it at start-up",
        path.display()
    )]
    TooLate { path: PathBuf },
    /// rustls refused the configuration.
    #[error("the TLS configuration could not be built: {0}")]
    Config(String),
}

/// The extra roots and, once the first client asked for it, the config.
struct Trust {
    extra_roots: Vec<CertificateDer<'static>>,
    config: Option<Result<ClientConfig, String>>,
}

/// Process-wide, like the system's own trust store: the CA a user names
/// once at start-up applies to every connection, without threading it
/// through every constructor that opens one.
static TRUST: Mutex<Trust> = Mutex::new(Trust {
    extra_roots: Vec::new(),
    config: None,
});

/// Trusts the CA certificates in the PEM file at `path` too, in every
/// connection configured after this call. Returns how many it holds.
pub fn trust_ca_file(path: &Path) -> Result<usize, TlsError> {
    let bad = |reason: String| TlsError::CaFile {
        path: path.to_owned(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("not PEM: {e}")))?;
    if certs.is_empty() {
        return Err(bad("it holds no certificate".to_owned()));
    }
    let mut check = rustls::RootCertStore::empty();
    for cert in &certs {
        check
            .add(cert.clone())
            .map_err(|e| bad(format!("a certificate does not parse: {e}")))?;
    }
    let mut trust = TRUST.lock().unwrap_or_else(|p| p.into_inner());
    if trust.config.is_some() {
        return Err(TlsError::TooLate {
            path: path.to_owned(),
        });
    }
    let count = certs.len();
    trust.extra_roots.extend(certs);
    Ok(count)
}

/// The configuration every HTTP client of the project is built with
/// (reqwest's `tls_backend_preconfigured`); plain-HTTP clients need it too,
/// since reqwest has no crypto provider of its own in this build.
pub fn client_config() -> Result<ClientConfig, TlsError> {
    let mut trust = TRUST.lock().unwrap_or_else(|p| p.into_inner());
    let extra = trust.extra_roots.clone();
    trust
        .config
        .get_or_insert_with(|| build(extra))
        .clone()
        .map_err(TlsError::Config)
}

fn build(extra_roots: Vec<CertificateDer<'static>>) -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = match rustls_platform_verifier::Verifier::new_with_extra_roots(
        extra_roots.clone(),
        provider.clone(),
    ) {
        Ok(verifier) => verifier,
        // No system roots (a container without ca-certificates): Mozilla's.
        Err(_) => rustls_platform_verifier::Verifier::new_with_extra_roots(
            extra_roots
                .into_iter()
                .chain(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned()),
            provider.clone(),
        )
        .map_err(|e| e.to_string())?,
    };
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// How rustls words a refused certificate (`rustls::Error::InvalidCertificate`).
const REFUSED_CERTIFICATE: &str = "invalid peer certificate";

/// Why a server's certificate was refused, when `error` or one of its
/// causes is a certificate error (rustls' error travels inside an
/// `io::Error` through hyper and reqwest).
pub fn certificate_problem(error: &(dyn Error + 'static)) -> Option<String> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        let rustls_error = e.downcast_ref::<rustls::Error>().or_else(|| {
            e.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(
            problem @ (rustls::Error::InvalidCertificate(_)
            | rustls::Error::NoCertificatesPresented
            | rustls::Error::UnsupportedNameType),
        ) = rustls_error
        {
            return Some(problem.to_string());
        }
        // A wrapper that hides its cause from `source()` still shows it in
        // its message: rustls' wording is the fallback.
        let text = e.to_string();
        if let Some(at) = text.find(REFUSED_CERTIFICATE) {
            return Some(text[at..].to_owned());
        }
        cause = e.source();
    }
    None
}

/// The message for a certificate of `host` that was refused for `problem`,
/// with the fix; both clients word it the same.
pub fn untrusted_message(host: &str, problem: &str) -> String {
    format!(
        "the TLS certificate of {host} is not trusted ({problem}). If {host} uses a private CA, pass that CA's certificate with --ca-file <PEM file> (or {CA_FILE_ENV}); otherwise check the URL's host name and this machine's clock"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_that_is_not_pem_names_the_file_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").unwrap();
        let err = trust_ca_file(&path).unwrap_err().to_string();
        assert!(
            err.contains("ca.pem") && err.contains("no certificate") && err.contains("PEM"),
            "{err}"
        );
        let err = trust_ca_file(&dir.path().join("missing.pem"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing.pem"), "{err}");
    }

    #[test]
    fn the_config_builds_from_the_system_roots() {
        assert!(client_config().is_ok());
    }
}
