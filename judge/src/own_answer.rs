//! The judge's own answer, as the reference a contest without one lacks.
//!
//! A small model knows more than its log-probabilities of whole answers
//! show: asked "What is the capital of Australia?", SmolLM2-135M answers
//! "Canberra" when greedy, yet scores "Sydney, its largest city" as the
//! likelier answer, since the rest of that answer is fluent. So the judge
//! writes its own short answer once per question (greedy, so anyone with
//! the model gets the same text), and an answer whose content words agree
//! clearly more with it wins the pair before relevance is compared
//! (BENCHMARKS.md, "The judge's own answer").

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use agents::{Request, Sampling};

use crate::arithmetic::{NUMBER_RE, number_value};
use crate::checks::{normalized_words, stem};
use crate::filler::is_filler;
use crate::integrity::ENGLISH_WORDS;

/// Tokens of the judge's own answer: a sentence or two, where the fact
/// or value is.
pub const OWN_ANSWER_TOKENS: usize = 40;

/// Difference in agreement (share of content words) that decides a pair.
/// Smaller differences are one or two words of a long answer, which say
/// more about wording than about content.
pub const AGREEMENT_MARGIN: f64 = 0.2;

/// Content words an agreement is counted over at the least: one word in
/// common is weak evidence ("1. Keep each step short." shares "keep"
/// with a judge's how-to), a name in common with a one-word answer is not
/// nothing ("Canberra." against "Sydney, its largest city").
const MIN_CONTENT_WORDS: usize = 3;

/// A numbered list's marker: a number with a stop or bracket at the start
/// of a line ("ended in 1945." keeps its number).
static LIST_MARKER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^\s*\d+[.)](?:\s|$)").expect("list marker pattern"));

/// Greedy decoding, so the judge's own answer is a function of the model
/// and the question alone.
pub fn sampling() -> Sampling {
    Sampling {
        temperature: 0.0,
        top_p: 1.0,
        top_k: 0,
        repetition_penalty: 1.0,
        max_tokens: OWN_ANSWER_TOKENS,
        stop: Vec::new(),
    }
}

/// The request for the judge's own answer: no system prompt, as the
/// relevance questions are asked, and no deadline (the answer is short).
/// `arena verify` checks a recorded own answer against this request.
pub fn request<'a>(question: &'a str, sampling: &'a Sampling) -> Request<'a> {
    Request {
        system: "",
        prompt: question,
        sampling,
        seed: 0,
        deadline: None,
    }
}

/// How far `answer` agrees with the judge's `own` answer: the share of its
/// content words (not function words, not words of the question) that the
/// own answer also uses, counted over at least [`MIN_CONTENT_WORDS`] (0
/// for an answer with no content words), plus [`number_agreement`].
pub fn agreement(question: &str, answer: &str, own: &str) -> f64 {
    let asked = stems(question);
    let own_stems: HashSet<String> = stems(own).into_iter().collect();
    let content: Vec<String> = stems(answer)
        .into_iter()
        .filter(|w| !asked.contains(w))
        .collect();
    let agreeing = content.iter().filter(|w| own_stems.contains(*w)).count();
    agreeing as f64 / content.len().max(MIN_CONTENT_WORDS) as f64
        + number_agreement(question, answer, own)
}

/// Where the prompt states no number, a number in the judge's own answer
/// is a fact it recalls (a year, a temperature), and an answer that states
/// it gains 1, which outweighs every word: as a share of words, "It ended
/// in 1918." agreed with "The war ended in 1945." as much as the right
/// answer did. Stating other numbers costs nothing, as the small judge
/// recalls wrong years too ("1962" for the first woman's Nobel Prize). A
/// prompt with numbers is left out: there the judge computes rather
/// than recalls, and its sums are often wrong.
fn number_agreement(question: &str, answer: &str, own: &str) -> f64 {
    let recalled = numbers(own);
    let states_recalled = numbers(answer).iter().any(|n| recalled.contains(n));
    if numbers(question).is_empty() && states_recalled {
        1.0
    } else {
        0.0
    }
}

/// The values of the numbers `text` states, list markers ("1.", "2)")
/// left out ("8,849" is 8849, "100.0" is 100).
fn numbers(text: &str) -> Vec<f64> {
    NUMBER_RE
        .find_iter(&LIST_MARKER.replace_all(text, " "))
        .filter_map(|m| number_value(m.as_str()))
        .collect()
}

/// The stems of `text`'s words that are not function words, list
/// markers ("1.", "2)") left out: a small judge's own how-to can be
/// nothing but numbered markers.
fn stems(text: &str) -> Vec<String> {
    LIST_MARKER
        .replace_all(text, " ")
        .split_whitespace()
        .flat_map(normalized_words)
        .filter(|w| !is_filler(w) && !ENGLISH_WORDS.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_that_names_what_the_judge_names_agrees_more() {
        let question = "What is the capital of Australia?";
        let own = "The capital of Australia is Canberra.";
        let right = agreement(question, "Canberra, not Sydney.", own);
        let wrong = agreement(
            question,
            "The capital of Australia is Sydney, its largest city.",
            own,
        );
        assert_eq!(right, 1.0 / 3.0);
        assert_eq!(wrong, 0.0);
        assert!(right - wrong >= AGREEMENT_MARGIN);
    }

    #[test]
    fn list_markers_are_not_content() {
        let question = "Explain in numbered steps.\n\nTask: make tea.";
        let own = "1. 1. 2. 3. 4.";
        assert_eq!(
            agreement(
                question,
                "1. Keep it short.\n2. Number them.\n3. Done.",
                own
            ),
            0.0
        );
        assert_eq!(
            agreement(question, "Boil 2 cups.", "Use 2 cups."),
            2.0 / 3.0 + 1.0
        );
        assert_eq!(
            agreement(
                "When did the war end?",
                "It ended in 1945.",
                "The war ended in 1945."
            ),
            2.0 / 3.0 + 1.0,
            "a number that ends a sentence is content, and a recalled one"
        );
    }

    #[test]
    fn words_of_the_question_and_function_words_do_not_count() {
        let question = "Which ocean is the largest?";
        assert_eq!(
            agreement(question, "The largest ocean is it.", "Oceans"),
            0.0
        );
        assert_eq!(
            agreement(
                question,
                "The Pacific Ocean, far bigger.",
                "It is the Pacific."
            ),
            1.0 / 3.0,
            "Pacific agrees, far and bigger do not"
        );
    }

    #[test]
    fn a_number_the_judge_recalls_outweighs_the_words() {
        let question = "In which year did the Second World War end?";
        let own = "The Second World War ended in 1945.";
        let right = agreement(
            question,
            "It ended in 1945, with Germany surrendering in May.",
            own,
        );
        let wrong = agreement(question, "It ended in 1918.", own);
        assert!(right - wrong >= 1.0, "{right} against {wrong}");
        assert_eq!(
            numbers("Everest is 8,849 m, boiling 100.0."),
            [8849.0, 100.0]
        );
        assert_eq!(
            agreement(question, "In May.", own),
            0.0,
            "an answer with no number is judged by its words"
        );
    }

    #[test]
    fn numbers_are_not_recalled_when_the_question_has_numbers() {
        let question = "What is 48 times 27?";
        assert_eq!(
            agreement(question, "It is 1306.", "48 times 27 is 1306."),
            agreement(question, "It is 1296.", "48 times 27 is 1306.") + 1.0 / 3.0,
            "only the word share counts: 1306 as a word"
        );
    }
}
