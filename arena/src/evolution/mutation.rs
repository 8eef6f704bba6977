//! Mutation by rules: instructions drawn from a small library that fits the
//! space's checks are added to or removed from a system prompt, and sampling
//! settings are nudged, all from a seeded RNG so a run can be repeated.

use agents::Sampling;
use agents::agent::MAX_SYSTEM_PROMPT_BYTES;
use judge::Check;
use judge::verse::dashed;
use rand::Rng;
use rand::seq::IndexedRandom;

use crate::tournament::space::{AnswerCheck, Space};

/// Instructions that can help an answer pass `space`'s checks, plus a few
/// that suit any space.
pub fn instruction_library(space: &Space) -> Vec<String> {
    let mut library: Vec<String> = match space.judging.answer_check {
        AnswerCheck::Numeric => vec![
            "Answer with the number only.".into(),
            "End your reply with the final number.".into(),
            "Work it out step by step, then give the result in digits.".into(),
            "Write numbers as digits, not words.".into(),
            "Do not add jokes, stories or rhymes.".into(),
        ],
        AnswerCheck::Contains => vec![
            "Name the answer plainly in your first sentence.".into(),
            "Use the exact name of the answer.".into(),
        ],
        AnswerCheck::None => Vec::new(),
    };
    for check in &space.judging.checks {
        library.push(match check {
            Check::MaxWords { max } => format!("Use at most {max} words."),
            Check::MinWords { min } => format!("Use at least {min} words."),
            Check::LineCount { lines } => format!("Write exactly {lines} lines."),
            Check::RequiredWords { words } => format!("Always use the words {}.", words.join(", ")),
            Check::ForbiddenWords { words } => format!("Never use the words {}.", words.join(", ")),
            Check::JsonSchema { .. } => "Reply with valid JSON only.".into(),
            Check::ExactWords { count } => format!("Use exactly {count} words."),
            Check::Sentences { min, max } if min == max => {
                format!("Write exactly {min} sentences.")
            }
            Check::Sentences { min, max } => format!("Write {min} to {max} sentences."),
            Check::Complete => "Always finish your last sentence.".into(),
            Check::ArithmeticHolds => "Check every calculation you write.".into(),
            Check::Rhymes => "Make the ends of your lines rhyme.".into(),
            Check::Alphabetical => "List the items in alphabetical order.".into(),
            Check::Syllables { per_line } => {
                format!("Keep to {} syllables, line by line.", dashed(per_line))
            }
            Check::NumericAnswer { .. }
            | Check::ContainsAnswer { .. }
            | Check::Matches { .. }
            | Check::ClockTime { .. } => {
                continue;
            }
        });
    }
    library.push("Keep the answer under 20 words.".into());
    library.push("Follow the instructions exactly.".into());
    library
}

/// Adds a library instruction the prompt lacks, or removes one it has
/// (removing is chosen a third of the time when possible). Returns the new
/// prompt and what changed.
pub fn mutate_prompt(prompt: &str, library: &[String], rng: &mut impl Rng) -> (String, String) {
    let present: Vec<&String> = library
        .iter()
        .filter(|i| prompt.contains(i.as_str()))
        .collect();
    let absent: Vec<&String> = library
        .iter()
        .filter(|i| !prompt.contains(i.as_str()))
        .collect();
    let remove = !present.is_empty() && (absent.is_empty() || rng.random_bool(1.0 / 3.0));
    if remove && let Some(gone) = present.choose(rng) {
        let shorter = prompt.replacen(gone.as_str(), "", 1);
        let shorter = shorter.split_whitespace().collect::<Vec<_>>().join(" ");
        if !shorter.is_empty() {
            return (shorter, format!("removed \"{gone}\""));
        }
    }
    match absent.choose(rng) {
        Some(added) if prompt.len() + added.len() < MAX_SYSTEM_PROMPT_BYTES => (
            format!("{} {added}", prompt.trim_end()),
            format!("added \"{added}\""),
        ),
        _ => (prompt.to_owned(), "prompt unchanged".into()),
    }
}

/// Nudges one or two of temperature, top_p and max_tokens (capped at
/// `max_tokens_cap`), staying inside the ranges agents accept. Returns the
/// new settings and what changed.
pub fn mutate_sampling(
    sampling: &Sampling,
    max_tokens_cap: usize,
    rng: &mut impl Rng,
) -> (Sampling, String) {
    let mut next = sampling.clone();
    let mut changes = Vec::new();
    let count = if rng.random_bool(0.5) { 1 } else { 2 };
    let mut knobs = vec![0, 1, 2];
    for _ in 0..count {
        let knob = knobs.swap_remove(rng.random_range(0..knobs.len()));
        match knob {
            0 => {
                let step = *[-0.3, -0.15, 0.15].choose(rng).expect("non-empty");
                next.temperature = round2((next.temperature + step).clamp(0.0, 1.5));
                changes.push(format!("temperature {}", next.temperature));
            }
            1 => {
                let step = *[-0.1, 0.05].choose(rng).expect("non-empty");
                next.top_p = round2((next.top_p + step).clamp(0.5, 1.0));
                changes.push(format!("top_p {}", next.top_p));
            }
            _ => {
                let factor = *[0.5, 0.75, 1.5].choose(rng).expect("non-empty");
                let scaled = (next.max_tokens as f64 * factor).round() as usize;
                next.max_tokens = scaled.clamp(8, max_tokens_cap.max(8));
                changes.push(format!("max_tokens {}", next.max_tokens));
            }
        }
    }
    (next, changes.join(", "))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;
    use crate::tournament::space;

    fn arithmetic() -> Space {
        space::find(&space::default_dir(), "arithmetic").unwrap()
    }

    #[test]
    fn prompt_mutations_add_and_remove_library_instructions_reproducibly() {
        let library = instruction_library(&arithmetic());
        assert!(library.iter().any(|i| i.contains("number only")));
        let start = "You are a poet.";
        let run = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut prompt = start.to_owned();
            let mut notes = Vec::new();
            for _ in 0..12 {
                let (next, note) = mutate_prompt(&prompt, &library, &mut rng);
                prompt = next;
                notes.push(note);
            }
            (prompt, notes)
        };
        let (prompt, notes) = run(7);
        assert_eq!(
            (prompt.clone(), notes.clone()),
            run(7),
            "same seed, same path"
        );
        assert!(prompt.starts_with(start), "{prompt}");
        assert!(notes.iter().any(|n| n.starts_with("added")), "{notes:?}");
        assert!(notes.iter().any(|n| n.starts_with("removed")), "{notes:?}");
        for note in notes.iter().filter(|n| n.starts_with("removed")) {
            let removed = note.trim_start_matches("removed ");
            assert!(
                library.iter().any(|i| format!("\"{i}\"") == removed),
                "{note}"
            );
        }
    }

    #[test]
    fn sampling_mutations_stay_valid() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut sampling = Sampling::default();
        let mut changed = 0;
        for _ in 0..200 {
            let (next, note) = mutate_sampling(&sampling, 48, &mut rng);
            next.validate().unwrap();
            assert!(next.max_tokens <= 48 && next.max_tokens >= 8, "{note}");
            changed += usize::from(next != sampling);
            sampling = next;
        }
        assert!(
            changed > 100,
            "only {changed} of 200 mutations changed anything"
        );
    }
}
