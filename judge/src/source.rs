//! The passage a prompt asks to have summarised, so that a summary can be
//! judged by how much of it the summary carries.
//!
//! A summary that misstates its passage ("profits rose" for "profits fell",
//! "two hearts" for "three") reuses the passage's words, so relevance and a
//! word count of what it shares rate it as high as a faithful one. Asked the
//! other way round, the model tells them apart: the passage is likelier
//! after a faithful summary than after one that inverts it
//! ([`crate::llm_judge::LlmJudge::reconstructions`]; BENCHMARKS.md,
//! "Summaries judged by the passage they carry").

use std::sync::LazyLock;

use regex::Regex;

use crate::instructions::instructions_of;

/// Words in a passage at the least: shorter text after the instructions is
/// a question or a title, with nothing to reconstruct.
const MIN_PASSAGE_WORDS: usize = 20;

/// Difference in the passage's log-probability per token (nats) after two
/// summaries that decides between them. On the six clean sets' 49 summary
/// pairs, differences below it were as often wrong as right.
pub const RECONSTRUCTION_MARGIN: f64 = 0.05;

/// An instruction asking for a summary ("Summarize", "Summarise",
/// "a one-sentence summary", "sum up").
static ASKS_SUMMARY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bsummar(y|ies|i[sz]e|i[sz]ing)\b|\bsum\s+(it\s+|this\s+|them\s+)?up\b")
        .expect("summary pattern")
});

/// A short label before the passage ("Text:", "Release notes:").
static LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z][A-Za-z ]{0,24}:\s+").expect("label pattern"));

/// The passage `prompt` asks to have summarised: the text after its
/// instructions, without a leading label, when the instructions ask for a
/// summary and the passage has at least [`MIN_PASSAGE_WORDS`] words.
pub fn summarised_passage(prompt: &str) -> Option<&str> {
    let instructions = instructions_of(prompt);
    if !ASKS_SUMMARY.is_match(instructions) {
        return None;
    }
    let rest = prompt.get(instructions.len()..)?.trim();
    let passage = LABEL.find(rest).map_or(rest, |label| &rest[label.end()..]);
    (passage.split_whitespace().count() >= MIN_PASSAGE_WORDS).then_some(passage)
}

#[cfg(test)]
mod tests {
    use super::summarised_passage;

    const PASSAGE: &str = "Brightline Foods reported that its profits fell by 12% this year. \
        The company blamed higher prices for wheat and for transport. It plans to raise \
        the price of its bread slightly next month.";

    #[test]
    fn the_passage_of_a_summary_prompt_is_found_without_its_label() {
        for instructions in [
            "Summarize the text in one sentence.",
            "Summarise these release notes in one sentence.",
            "Give a one-sentence summary.",
            "Sum it up for a customer.",
        ] {
            let prompt = format!("{instructions}\n\nText: {PASSAGE}");
            assert_eq!(summarised_passage(&prompt), Some(PASSAGE), "{instructions}");
        }
        assert_eq!(
            summarised_passage(&format!("Summarize the passage.\n\n{PASSAGE}")),
            Some(PASSAGE)
        );
    }

    #[test]
    fn other_prompts_and_short_texts_have_no_passage() {
        assert_eq!(
            summarised_passage(&format!("Translate the text.\n\nText: {PASSAGE}")),
            None
        );
        assert_eq!(
            summarised_passage("Summarize the text.\n\nText: Profits fell."),
            None
        );
        assert_eq!(summarised_passage(&format!("Summarize. {PASSAGE}")), None);
        assert_eq!(
            summarised_passage("Define the term in one sentence.\n\nTerm: a summary."),
            None
        );
    }
}
