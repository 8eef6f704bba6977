//! Where a model served over HTTP lives: the `[endpoint]` table of an agent
//! whose model is `openai:<name>`, and the `--judge openai:<name>@<url>`
//! form of a remote judge. Any server speaking OpenAI's chat completions
//! works: llama.cpp's server, llama-cpp-python's, vLLM, Ollama.

use serde::{Deserialize, Serialize};

use crate::validation::FieldError;

/// The prefix of a model served over HTTP, in `model = "openai:<name>"`.
pub const REMOTE_PREFIX: &str = "openai:";

/// An OpenAI-compatible server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// Base URL of the API, up to and including its version, for example
    /// `http://127.0.0.1:8080/v1`; requests go to `{url}/chat/completions`.
    pub url: String,
    /// Name of the environment variable holding the API key, sent as a
    /// bearer token. The key itself never appears in files, records or logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    /// Longest wait for one request, from connecting to the last byte.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// How often a request is tried again after a connection failure, a
    /// 5xx or a 429 (with exponential backoff); other errors are final.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// The model the server claims to run, as a local agent would name it
    /// (a known name or a `.gguf` path): `arena verify` then checks every
    /// answer the server gave against a local prefill of that model, since
    /// a server shows no hidden states to commit to. Bound into the
    /// round's result root with the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_model: Option<String>,
}

fn default_timeout_secs() -> u64 {
    120
}

fn default_retries() -> u32 {
    3
}

/// Environment variable holding the API key of a remote judge, if it needs one.
pub const JUDGE_API_KEY_ENV: &str = "ARENA_JUDGE_API_KEY";

/// Largest accepted `timeout_secs`: one hour.
pub const MAX_TIMEOUT_SECS: u64 = 3600;
/// Largest accepted `retries`.
pub const MAX_RETRIES: u32 = 10;

impl Endpoint {
    /// An endpoint at `url` with the default timeout and retries.
    pub fn at(url: &str) -> Self {
        Self {
            url: url.trim_end_matches('/').to_owned(),
            api_key_env: None,
            timeout_secs: default_timeout_secs(),
            retries: default_retries(),
            claimed_model: None,
        }
    }

    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), FieldError> {
        let err = |field: &'static str, message: String| Err(FieldError { field, message });
        if let Err(message) = check_url(&self.url) {
            return err("endpoint.url", message);
        }
        if let Some(name) = &self.api_key_env {
            let ok = !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok {
                return err(
                    "endpoint.api_key_env",
                    format!(
                        "'{name}' is not an environment variable name: use letters, digits and '_', for example OPENAI_API_KEY"
                    ),
                );
            }
        }
        if !(1..=MAX_TIMEOUT_SECS).contains(&self.timeout_secs) {
            return err(
                "endpoint.timeout_secs",
                format!(
                    "{} is out of range: use 1 to {MAX_TIMEOUT_SECS}",
                    self.timeout_secs
                ),
            );
        }
        if self.retries > MAX_RETRIES {
            return err(
                "endpoint.retries",
                format!("{} is out of range: use 0 to {MAX_RETRIES}", self.retries),
            );
        }
        if let Some(claimed) = &self.claimed_model {
            match crate::ModelRef::parse(claimed) {
                Ok(crate::ModelRef::Remote(_)) => {
                    return err(
                        "endpoint.claimed_model",
                        format!(
                            "'{claimed}' is a served model: name the model the server runs as a local agent would, for example \"smollm2-135m\" or a path to its .gguf file"
                        ),
                    );
                }
                Ok(_) => {}
                Err(message) => return err("endpoint.claimed_model", message),
            }
        }
        Ok(())
    }
}

/// Accepts `http(s)://host[:port][/path]`.
fn check_url(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| {
        format!("'{url}' is not a URL ({e}): use the server's base URL, for example http://127.0.0.1:8080/v1")
    })?;
    match parsed.scheme() {
        "http" | "https" if parsed.host_str().is_some_and(|h| !h.is_empty()) => Ok(()),
        "http" | "https" => Err(format!(
            "'{url}' has no host: use for example http://127.0.0.1:8080/v1"
        )),
        other => Err(format!(
            "'{url}' uses the scheme '{other}': use http://host:port/v1 or https://host/v1"
        )),
    }
}

/// A remote judge written `openai:<model>@<url>`: the model's name at the
/// server and the server, whose API key (if any) is read from
/// [`JUDGE_API_KEY_ENV`]. `Ok(None)` when `text` names a local model.
pub fn parse_remote_judge(text: &str) -> Result<Option<(String, Endpoint)>, String> {
    let Some(rest) = text.strip_prefix(REMOTE_PREFIX) else {
        return Ok(None);
    };
    let Some((model, url)) = rest.split_once('@') else {
        return Err(format!(
            "judge '{text}' names no server: write openai:<model>@<url>, for example openai:smollm2@http://127.0.0.1:8080/v1"
        ));
    };
    if model.trim().is_empty() {
        return Err(format!(
            "judge '{text}' names no model: write openai:<model>@<url>"
        ));
    }
    let mut endpoint = Endpoint::at(url);
    if std::env::var_os(JUDGE_API_KEY_ENV).is_some() {
        endpoint.api_key_env = Some(JUDGE_API_KEY_ENV.to_owned());
    }
    endpoint
        .validate()
        .map_err(|e| format!("judge '{text}': {e}"))?;
    Ok(Some((model.trim().to_owned(), endpoint)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_with_the_fix() {
        assert!(Endpoint::at("http://127.0.0.1:8080/v1").validate().is_ok());
        assert!(
            Endpoint::at("https://api.example.com/v1")
                .validate()
                .is_ok()
        );
        for (url, hint) in [
            ("localhost:8080", "scheme"),
            ("127.0.0.1:8080", "not a URL"),
            ("not a url", "not a URL"),
            ("ftp://host/v1", "ftp"),
        ] {
            let err = Endpoint::at(url).validate().unwrap_err();
            assert_eq!(err.field, "endpoint.url");
            assert!(err.message.contains(hint), "{url}: {}", err.message);
        }
    }

    #[test]
    fn other_fields_are_checked_by_name() {
        let bad = |f: fn(&mut Endpoint)| {
            let mut e = Endpoint::at("http://localhost:1/v1");
            f(&mut e);
            e.validate().unwrap_err().field
        };
        assert_eq!(
            bad(|e| e.api_key_env = Some("MY-KEY".into())),
            "endpoint.api_key_env"
        );
        assert_eq!(bad(|e| e.timeout_secs = 0), "endpoint.timeout_secs");
        assert_eq!(bad(|e| e.retries = 99), "endpoint.retries");
        assert_eq!(
            bad(|e| e.claimed_model = Some("gpt-9".into())),
            "endpoint.claimed_model"
        );
        assert_eq!(
            bad(|e| e.claimed_model = Some("openai:smollm2".into())),
            "endpoint.claimed_model"
        );
    }

    #[test]
    fn remote_judges_parse_or_say_what_is_missing() {
        assert_eq!(parse_remote_judge("smollm2-135m"), Ok(None));
        let (model, endpoint) = parse_remote_judge("openai:smol@http://127.0.0.1:9/v1/")
            .unwrap()
            .unwrap();
        assert_eq!(model, "smol");
        assert_eq!(endpoint.url, "http://127.0.0.1:9/v1");
        assert!(parse_remote_judge("openai:smol").unwrap_err().contains("@"));
        assert!(
            parse_remote_judge("openai:@http://h/v1")
                .unwrap_err()
                .contains("no model")
        );
        let (_, endpoint) = parse_remote_judge("openai:smol@https://h/v1")
            .unwrap()
            .unwrap();
        assert_eq!(endpoint.url, "https://h/v1");
    }
}
