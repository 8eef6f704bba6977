//! Whether an answer copies its prompt: the reward hack where an agent
//! repeats the question or the space's instructions instead of answering.
//! A language model judge rewards such copies (the prompt's own words are
//! the likeliest text after the prompt), so copying is found from the words
//! alone, where anyone can recompute it, and the judge's relevance reads
//! only what an answer adds to its prompt ([`novel_part`]).

use std::collections::HashSet;
use std::ops::Range;

use crate::filler::is_filler;

/// Words in a run that must also occur in the prompt for the run to count
/// as copied. Three words rarely repeat by chance.
const RUN: usize = 3;

/// The answer's words, lowercased, with their byte ranges in the answer.
fn words_with_spans(text: &str) -> Vec<(String, Range<usize>)> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                words.push((text[s..i].to_lowercase(), s..i));
                start = None;
            }
            _ => {}
        }
    }
    words
}

/// For each word of `answer`, whether it lies in a run copied from
/// `prompt`: [`RUN`] consecutive words that also occur there in that
/// order, ignoring case and punctuation. An answer shorter than a run is
/// copied whole when it has two or more words and they occur in that order
/// in the prompt; a single word is never a copy.
fn copied_words(prompt: &str, answer: &[(String, Range<usize>)]) -> Vec<bool> {
    let prompt: Vec<String> = words_with_spans(prompt)
        .into_iter()
        .map(|(w, _)| w)
        .collect();
    let answer: Vec<&str> = answer.iter().map(|(w, _)| w.as_str()).collect();
    if answer.len() < RUN {
        let copied = answer.len() >= 2
            && prompt
                .windows(answer.len())
                .any(|w| w.iter().zip(&answer).all(|(p, a)| p == a));
        return vec![copied; answer.len()];
    }
    let runs: HashSet<Vec<&str>> = prompt
        .windows(RUN)
        .map(|w| w.iter().map(String::as_str).collect())
        .collect();
    let mut copied = vec![false; answer.len()];
    for (start, run) in answer.windows(RUN).enumerate() {
        if runs.contains(run) {
            copied[start..start + RUN]
                .iter_mut()
                .for_each(|c| *c = true);
        }
    }
    copied
}

/// Whether `answer` is the prompt's text, whole or in part, adding no word
/// of its own but words that say nothing ([`is_filler`]). "Ottawa is the capital
/// of Canada." to "What is the capital of Canada?" adds "Ottawa" and is an
/// answer; "The question is: what is the capital of Canada?" is a copy.
pub fn copies_prompt(prompt: &str, answer: &str) -> bool {
    let words = words_with_spans(answer);
    let copied = copied_words(prompt, &words);
    copied.iter().any(|c| *c)
        && words
            .iter()
            .zip(&copied)
            .all(|((w, _), c)| *c || is_filler(w))
}

/// The text of `answer` outside the runs copied from `prompt`, pieces
/// joined by spaces: what the answer adds. An answer that restates the
/// question and then gives a wrong answer is judged on the wrong answer,
/// not on the restated question the model finds so likely.
pub fn novel_part(prompt: &str, answer: &str) -> String {
    let words = words_with_spans(answer);
    let copied = copied_words(prompt, &words);
    if !copied.iter().any(|c| *c) {
        return answer.to_owned();
    }
    let mut pieces: Vec<&str> = Vec::new();
    let mut from = 0;
    for ((_, span), c) in words.iter().zip(&copied) {
        if *c {
            pieces.push(&answer[from..span.start]);
            from = span.end;
        }
    }
    pieces.push(&answer[from..]);
    let kept: Vec<&str> = pieces
        .iter()
        .map(|p| p.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|p| !p.is_empty())
        .collect();
    kept.join(" ")
}

#[cfg(test)]
mod tests {
    use super::{copies_prompt, novel_part};

    const PROMPT: &str = "Answer with one word only. What is the capital of France?";

    #[test]
    fn echoes_whole_or_in_part_are_copies() {
        assert!(copies_prompt(PROMPT, PROMPT));
        assert!(copies_prompt(PROMPT, "what is the capital of france"));
        assert!(copies_prompt(PROMPT, "Answer with one word only."));
        assert!(copies_prompt(PROMPT, "The capital of France?"));
        assert!(copies_prompt(
            PROMPT,
            "The question is: what is the capital of France?"
        ));
        assert!(copies_prompt(PROMPT, "capital of"));
    }

    #[test]
    fn answers_that_restate_part_of_the_question_are_not() {
        assert!(!copies_prompt(PROMPT, "Paris is the capital of France."));
        assert!(!copies_prompt(PROMPT, "The capital of France is Paris."));
        assert!(!copies_prompt(PROMPT, "Paris"));
        assert!(!copies_prompt(PROMPT, "It is Paris, on the Seine."));
        assert!(!copies_prompt("What is 17 + 25?", "17 + 25 = 42"));
        assert!(!copies_prompt(PROMPT, ""));
    }

    #[test]
    fn the_novel_part_is_what_the_answer_adds() {
        assert_eq!(
            novel_part(PROMPT, "Paris is the capital of France."),
            "Paris"
        );
        assert_eq!(
            novel_part(PROMPT, "What is the capital of France? Lyon, of course."),
            "Lyon, of course"
        );
        assert_eq!(novel_part(PROMPT, "It is Paris."), "It is Paris.");
        assert_eq!(novel_part(PROMPT, PROMPT), "");
    }
}
