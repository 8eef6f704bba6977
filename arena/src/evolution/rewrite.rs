//! Rewriting a system prompt with a language model: the model is shown the
//! space's rules, the agent's current prompt and one of its losing answers,
//! and asked for better instructions. Its reply is cleaned and accepted only
//! if it looks like a usable system prompt.

use agents::agent::MAX_SYSTEM_PROMPT_BYTES;
use agents::{Request, Sampling};
use anyhow::Result;

use crate::tournament::lifecycle::ModelCache;
use crate::tournament::space::Space;

/// A losing answer shown to the rewriting model.
pub struct LosingAnswer<'a> {
    pub question: &'a str,
    pub answer: &'a str,
    pub reference: Option<&'a str>,
}

/// Shortest and longest accepted rewrite, in characters.
const MIN_CHARS: usize = 12;
const MAX_CHARS: usize = 300;
/// Tokens the rewriting model may write.
const REWRITE_TOKENS: usize = 60;

/// Asks `model` for a better version of `prompt`; `None` when its reply is
/// not usable (too short or long, or unchanged), so the caller can fall back.
pub fn rewrite_prompt(
    models: &ModelCache,
    model: &str,
    space: &Space,
    prompt: &str,
    losing: Option<&LosingAnswer<'_>>,
    seed: u64,
) -> Result<Option<String>> {
    let lm = models.get(model)?;
    let mut task = format!(
        "An assistant answers questions under this rule: {}\nIts instructions are: \"{prompt}\"\n",
        space.instructions
    );
    if let Some(l) = losing {
        task.push_str(&format!(
            "It lost this question: {}\nIts answer was: \"{}\"\n",
            l.question.trim(),
            l.answer.trim()
        ));
        if let Some(reference) = l.reference {
            task.push_str(&format!("The correct answer is {reference}.\n"));
        }
    }
    task.push_str(
        "Write improved instructions for the assistant in one or two short sentences. Reply with the instructions only.",
    );
    let sampling = Sampling {
        temperature: 0.7,
        max_tokens: REWRITE_TOKENS,
        ..Sampling::default()
    };
    let request = Request {
        system: "You write short, clear instructions for assistants.",
        prompt: &task,
        sampling: &sampling,
        seed,
        deadline: None,
    };
    let generation = lm.generate(&request, &mut |_| {})?;
    Ok(clean_rewrite(&generation.text).filter(|r| r != prompt.trim()))
}

/// The instructions in a model's reply: the first non-empty line without a
/// leading label or quotes, cut after its second sentence; `None` if that is
/// not a plausible system prompt.
pub fn clean_rewrite(reply: &str) -> Option<String> {
    let line = reply.lines().map(str::trim).find(|l| !l.is_empty())?;
    let line = match line.split_once(':') {
        Some((label, rest)) if label.split_whitespace().count() <= 3 && !rest.trim().is_empty() => {
            rest.trim()
        }
        _ => line,
    };
    let line = line.trim_matches(|c: char| c == '"' || c == '\'' || c == '*' || c.is_whitespace());
    let mut end = line.len();
    let mut sentences = 0;
    for (i, c) in line.char_indices() {
        if matches!(c, '.' | '!' | '?') {
            sentences += 1;
            if sentences == 2 {
                end = i + c.len_utf8();
                break;
            }
        }
    }
    let text = line[..end].trim().to_owned();
    let chars = text.chars().count();
    let words = text.split_whitespace().count();
    ((MIN_CHARS..=MAX_CHARS).contains(&chars) && words >= 3 && text.len() < MAX_SYSTEM_PROMPT_BYTES)
        .then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_cleaned_to_plausible_instructions() {
        assert_eq!(
            clean_rewrite("\n Instructions: \"Solve it. Give the number. Then stop.\"\nmore")
                .as_deref(),
            Some("Solve it. Give the number.")
        );
        assert_eq!(
            clean_rewrite("Answer with the final number only").as_deref(),
            Some("Answer with the final number only")
        );
        assert_eq!(clean_rewrite("   \n  "), None);
        assert_eq!(clean_rewrite("Ok."), None, "too short to instruct anyone");
        assert_eq!(clean_rewrite(&"word ".repeat(100)), None, "too long");
    }
}
