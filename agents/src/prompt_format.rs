//! Turns a system prompt and a user prompt into the text a model expects:
//! the model's own chat template when it has one, a plain completion format
//! for base models.

use anyhow::{Context, Result};
use minijinja::{Environment, context};
use serde::Serialize;

/// How prompts are written for one model.
#[derive(Debug, Clone)]
pub enum PromptFormat {
    /// A Jinja chat template from `tokenizer.chat_template`.
    Chat {
        template: String,
        bos_token: String,
        eos_token: String,
    },
    /// For base models: instructions, then the question, then "Answer:".
    Completion,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'a str,
    content: &'a str,
}

/// Where a plain completion is cut, since base models go on to invent the next question.
const COMPLETION_STOPS: &[&str] = &["\nQuestion:", "\n\n\n"];

impl PromptFormat {
    /// Renders the prompt text, ready for tokenization (BOS not included).
    pub fn render(&self, system: &str, user: &str) -> Result<String> {
        match self {
            Self::Chat {
                template,
                bos_token,
                eos_token,
            } => {
                let mut messages = Vec::new();
                if !system.trim().is_empty() {
                    messages.push(Message {
                        role: "system",
                        content: system,
                    });
                }
                messages.push(Message {
                    role: "user",
                    content: user,
                });
                let mut env = Environment::new();
                env.add_function(
                    "raise_exception",
                    |msg: String| -> Result<String, minijinja::Error> {
                        Err(minijinja::Error::new(
                            minijinja::ErrorKind::InvalidOperation,
                            msg,
                        ))
                    },
                );
                env.render_str(
                    template,
                    context! {
                        messages => messages,
                        add_generation_prompt => true,
                        bos_token => bos_token,
                        eos_token => eos_token,
                    },
                )
                .context("rendering the model's chat template")
            }
            Self::Completion => {
                let mut text = String::new();
                if !system.trim().is_empty() {
                    text.push_str(system.trim());
                    text.push_str("\n\n");
                }
                text.push_str("Question: ");
                text.push_str(user.trim());
                text.push_str("\nAnswer:");
                Ok(text)
            }
        }
    }

    /// Stop strings implied by the format itself.
    pub fn implied_stops(&self) -> &'static [&'static str] {
        match self {
            Self::Chat { .. } => &[],
            Self::Completion => COMPLETION_STOPS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_template_renders_roles_and_generation_prompt() {
        let format = PromptFormat::Chat {
            template: "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}".into(),
            bos_token: "<s>".into(),
            eos_token: "</s>".into(),
        };
        assert_eq!(
            format.render("Be brief.", "Hi").unwrap(),
            "<system>Be brief.<user>Hi<assistant>"
        );
        assert_eq!(format.render("", "Hi").unwrap(), "<user>Hi<assistant>");
    }

    #[test]
    fn completion_format_for_base_models() {
        let text = PromptFormat::Completion
            .render("Be brief.", "2+2?")
            .unwrap();
        assert_eq!(text, "Be brief.\n\nQuestion: 2+2?\nAnswer:");
    }
}
