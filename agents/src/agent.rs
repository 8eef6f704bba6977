//! An agent: a base model, a system prompt and sampling settings, owned by an
//! account that pays its entry fees and receives its rewards.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::catalog::ModelRef;
use crate::endpoint::{Endpoint, REMOTE_PREFIX};
use crate::sampling::Sampling;
use crate::validation::FieldError;

/// Largest accepted system prompt, in bytes: long prompts eat the small
/// models' context and slow every round.
pub const MAX_SYSTEM_PROMPT_BYTES: usize = 4096;

/// An agent as written in its TOML file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// Stable identifier: lowercase letters, digits, `-` and `_`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Ethereum address (0x + 40 hex digits) that pays fees and gets rewards.
    pub owner: String,
    /// A known model name, a path to a `.gguf` file, or `openai:<name>` for
    /// a model on an OpenAI-compatible server (then `endpoint` says where).
    pub model: String,
    /// Instructions given to the model before every prompt.
    pub system_prompt: String,
    /// Colour of the avatar in the GUI, `#rrggbb`.
    #[serde(default = "default_colour")]
    pub avatar_colour: String,
    /// Sampling settings; any omitted field takes its default.
    #[serde(default)]
    pub sampling: Sampling,
    /// The server of an `openai:` model; absent for local models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<Endpoint>,
}

fn default_colour() -> String {
    "#4f8fdf".into()
}

/// Why an agent definition was refused. Each message names the file and
/// carries the whole reason, so it has no separate `source` that a printer
/// of error chains would repeat.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("agent file {path}: {message}")]
    Read { path: String, message: String },
    #[error("agent file {path} (agent '{id}'): {problem}")]
    Invalid {
        path: String,
        id: String,
        problem: FieldError,
    },
}

impl Agent {
    /// Parses and validates a TOML definition; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, AgentError> {
        let agent: Agent = toml::from_str(text).map_err(|e| AgentError::Read {
            path: origin.into(),
            message: e.to_string(),
        })?;
        agent.validate().map_err(|problem| AgentError::Invalid {
            path: origin.into(),
            id: agent.id.clone(),
            problem,
        })?;
        Ok(agent)
    }

    /// Reads, parses and validates an agent file.
    pub fn load(path: &Path) -> Result<Self, AgentError> {
        let text = std::fs::read_to_string(path).map_err(|e| AgentError::Read {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// The resolved model reference (valid after [`Agent::validate`]).
    pub fn model_ref(&self) -> Result<ModelRef, FieldError> {
        ModelRef::parse(&self.model).map_err(|message| FieldError {
            field: "model",
            message,
        })
    }

    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), FieldError> {
        let err = |field: &'static str, message: &str| {
            Err(FieldError {
                field,
                message: message.into(),
            })
        };
        let id_ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
        if self.id.is_empty() || self.id.len() > 64 || !self.id.chars().all(id_ok) {
            return err("id", "use 1 to 64 lowercase letters, digits, '-' or '_'");
        }
        if self.name.trim().is_empty() || self.name.chars().count() > 64 {
            return err("name", "use a non-empty name of at most 64 characters");
        }
        if !is_address(&self.owner) {
            return err(
                "owner",
                "use an Ethereum address: 0x followed by 40 hex digits",
            );
        }
        match (self.model_ref()?, &self.endpoint) {
            (ModelRef::Remote(_), Some(endpoint)) => endpoint.validate()?,
            (ModelRef::Remote(_), None) => {
                return err(
                    "endpoint",
                    "the model runs on a server: add an [endpoint] table with url = \"http://host:port/v1\"",
                );
            }
            (_, Some(_)) => {
                return Err(FieldError {
                    field: "endpoint",
                    message: format!(
                        "only a model served over HTTP has one: write model = \"{REMOTE_PREFIX}<name>\" or remove the [endpoint] table"
                    ),
                });
            }
            (_, None) => {}
        }
        if self.system_prompt.trim().is_empty() {
            return err("system_prompt", "must not be empty");
        }
        if self.system_prompt.len() > MAX_SYSTEM_PROMPT_BYTES {
            return Err(FieldError {
                field: "system_prompt",
                message: format!(
                    "is {} bytes: keep it under {MAX_SYSTEM_PROMPT_BYTES} bytes",
                    self.system_prompt.len()
                ),
            });
        }
        let colour = self.avatar_colour.strip_prefix('#').unwrap_or("");
        if colour.len() != 6 || !colour.chars().all(|c| c.is_ascii_hexdigit()) {
            return err("avatar_colour", "use a colour as #rrggbb");
        }
        self.sampling.validate()
    }
}

fn is_address(text: &str) -> bool {
    text.strip_prefix("0x")
        .is_some_and(|hex| hex.len() == 40 && hex.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r##"
id = "poet"
name = "The Poet"
owner = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
model = "smollm2-135m"
system_prompt = "You answer in verse."
avatar_colour = "#ff8800"
[sampling]
temperature = 0.9
max_tokens = 48
"##;

    fn field_of(text: &str) -> &'static str {
        match Agent::from_toml(text, "test.toml").unwrap_err() {
            AgentError::Invalid { problem, .. } => problem.field,
            other => panic!("expected a field error, got {other}"),
        }
    }

    #[test]
    fn parses_a_good_agent_with_defaults() {
        let agent = Agent::from_toml(GOOD, "good.toml").unwrap();
        assert_eq!(agent.sampling.temperature, 0.9);
        assert_eq!(agent.sampling.max_tokens, 48);
        assert_eq!(agent.sampling.top_p, Sampling::default().top_p);
    }

    #[test]
    fn rejects_bad_fields_by_name() {
        assert_eq!(field_of(&GOOD.replace("smollm2-135m", "gpt-9")), "model");
        assert_eq!(
            field_of(&GOOD.replace("temperature = 0.9", "temperature = 5.0")),
            "sampling.temperature"
        );
        assert_eq!(
            field_of(&GOOD.replace("You answer in verse.", "  ")),
            "system_prompt"
        );
        let huge = "x".repeat(1 << 20);
        assert_eq!(
            field_of(&GOOD.replace("You answer in verse.", &huge)),
            "system_prompt"
        );
        assert_eq!(field_of(&GOOD.replace("0xf39F", "0xZZ9F")), "owner");
        assert_eq!(
            field_of(&GOOD.replace("#ff8800", "orange")),
            "avatar_colour"
        );
        assert_eq!(field_of(&GOOD.replace("\"poet\"", "\"Poet!\"")), "id");
    }

    const REMOTE: &str = r##"
id = "served"
name = "Served"
owner = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
model = "openai:smollm2"
system_prompt = "Be brief."
[endpoint]
url = "http://127.0.0.1:8080/v1"
api_key_env = "ARENA_KEY"
"##;

    #[test]
    fn a_served_agent_needs_a_valid_endpoint_and_only_it_has_one() {
        let agent = Agent::from_toml(REMOTE, "remote.toml").unwrap();
        let endpoint = agent.endpoint.unwrap();
        assert_eq!(endpoint.timeout_secs, 120);
        assert_eq!(endpoint.api_key_env.as_deref(), Some("ARENA_KEY"));
        let without = REMOTE.split("[endpoint]").next().unwrap();
        assert_eq!(field_of(without), "endpoint");
        // https is taken; a scheme other than http(s) is not.
        let https = Agent::from_toml(&REMOTE.replace("http://127", "https://127"), "s.toml");
        assert!(https.unwrap().endpoint.unwrap().url.starts_with("https://"));
        assert_eq!(
            field_of(&REMOTE.replace("http://127", "ftp://127")),
            "endpoint.url"
        );
        assert_eq!(
            field_of(&REMOTE.replace("openai:smollm2", "smollm2-135m")),
            "endpoint"
        );
        let typo = REMOTE.replace("api_key_env", "api_key");
        let err = Agent::from_toml(&typo, "typo.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("typo.toml") && err.contains("api_key"),
            "{err}"
        );
    }

    #[test]
    fn malformed_toml_names_the_file_and_field() {
        let err = Agent::from_toml(&GOOD.replace("name = ", "nmae = "), "bad.toml").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("bad.toml") && text.contains("nmae"), "{text}");
    }
}
