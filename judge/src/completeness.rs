//! Whether an answer is finished, and how many sentences it has: the two
//! readings of an answer's shape that the instruction rules need
//! ([`crate::instructions`]). Small models hit their token limit or
//! deadline mid-sentence, and a cut answer ("Each friend gets an equal
//! share of the 14 apples, and to find that share we") reads as fluently to
//! a 135M judge as a finished one.

/// Words that cannot end an English sentence, list item or title: articles,
/// prepositions that need an object, conjunctions, auxiliaries, subject
/// pronouns and possessives. Particles that often end a phrase ("in", "on",
/// "up", "out", "off", "over", "down", "by") are left out.
const CONTINUING_WORDS: &[&str] = &[
    "the", "a", "an", "and", "or", "but", "nor", "because", "that", "which", "who", "whose",
    "whom", "of", "to", "for", "with", "from", "at", "into", "onto", "than", "as", "if", "when",
    "while", "whereas", "although", "though", "unless", "is", "are", "was", "were", "be", "been",
    "being", "has", "have", "had", "will", "would", "can", "could", "should", "must", "may",
    "might", "shall", "we", "i", "they", "he", "she", "my", "our", "their", "its", "your", "his",
    "her", "very", "such", "so", "then", "about", "between", "each", "every", "not",
];

/// Abbreviations whose full stop does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "st", "vs", "approx", "no", "fig", "prof", "jr",
    "sr", "inc", "ltd", "co",
];

/// Whether `answer` stops mid-thought: it ends on a word that needs more
/// after it, on a comma, colon or an empty list item, with brackets left
/// open, or, in prose of one paragraph whose earlier sentences end in a
/// full stop, without one.
pub fn is_cut_off(answer: &str) -> bool {
    let text = answer.trim();
    let Some(last) = text.chars().last() else {
        return false;
    };
    let opened = |open: char, close: char| {
        text.chars().filter(|&c| c == open).count() > text.chars().filter(|&c| c == close).count()
    };
    if opened('{', '}') || opened('[', ']') || opened('(', ')') {
        return true;
    }
    if matches!(last, ',' | ':' | ';' | '(' | '-' | '–' | '—') {
        return true;
    }
    let last_line = text.lines().last().unwrap_or("").trim();
    if is_list_marker(last_line) {
        return true;
    }
    if !last.is_alphanumeric() {
        return false;
    }
    if last.is_numeric() {
        // "Final answer: 280" ends on its number, stop or not.
        return false;
    }
    let last_word = text
        .rsplit(|c: char| !c.is_alphanumeric() && c != '\'')
        .next()
        .unwrap_or("")
        .to_lowercase();
    if CONTINUING_WORDS.contains(&last_word.as_str()) {
        return true;
    }
    !text.contains('\n') && sentence_count(text) >= 2
}

/// "2.", "3)", "-", "*" or "•" alone on a line: a list item begun and not written.
fn is_list_marker(line: &str) -> bool {
    let body = line.trim_end_matches(['.', ')']);
    (body.len() < line.len() && !body.is_empty() && body.chars().all(|c| c.is_ascii_digit()))
        || matches!(line, "-" | "*" | "•")
}

/// Sentences in `text`: runs of words ended by '.', '!' or '?' followed by
/// a space, a line break or the end (or by a line break alone), not counting
/// stops after an abbreviation, a single letter ("J. K."), or a list
/// number ("1."), nor decimal points. A last run without a stop counts too.
pub fn sentence_count(text: &str) -> usize {
    let chars: Vec<char> = text.trim().chars().collect();
    let mut count = 0;
    let mut current = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        current.push(c);
        let ends_line = c == '\n';
        let stop = matches!(c, '.' | '!' | '?' | '…')
            && chars
                .get(i + 1)
                .is_none_or(|n| n.is_whitespace() || *n == '"' || *n == '\'');
        let next_word = chars[i + 1..].iter().find(|c| !c.is_whitespace());
        if (stop && !continues_after_stop(&current, next_word)) || ends_line {
            if current.chars().any(char::is_alphabetic) {
                count += 1;
            }
            current.clear();
        }
        i += 1;
    }
    if current.chars().any(char::is_alphabetic) {
        count += 1;
    }
    count
}

/// Times of day: "7 a.m." ends a sentence only where a capital follows.
const CLOCK_ABBREVIATIONS: &[&str] = &["a.m", "p.m"];

/// Whether the stop that ends `run` belongs to an abbreviation, an initial
/// or a list number rather than ending a sentence; `next` is the first
/// character after it that is not a space.
fn continues_after_stop(run: &str, next: Option<&char>) -> bool {
    let body = run.trim_end_matches(['.', '!', '?', '…']);
    let last_word = body
        .rsplit(char::is_whitespace)
        .next()
        .unwrap_or("")
        .trim_start_matches(['(', '"', '\''])
        .to_lowercase();
    if run.ends_with('.') {
        let is_initial =
            last_word.chars().count() == 1 && last_word.chars().all(char::is_alphabetic);
        let is_number = !last_word.is_empty() && last_word.chars().all(|c| c.is_ascii_digit());
        let is_list_number = is_number && body.trim().chars().all(|c| c.is_ascii_digit());
        let is_clock = CLOCK_ABBREVIATIONS.contains(&last_word.as_str())
            && next.is_some_and(|c| !c.is_uppercase());
        return ABBREVIATIONS.contains(&last_word.as_str())
            || is_initial
            || is_list_number
            || is_clock;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::{is_cut_off, sentence_count};

    #[test]
    fn finished_answers_are_not_cut_off() {
        for answer in [
            "Each friend gets 2 apples.",
            "Canberra",
            "Silver lantern hangs\nover the sleeping rooftops\nnight holds its breath still",
            "1. Boil water.\n2. Pour it over a tea bag.",
            "- Keep a regular bedtime.\n- Avoid screens.",
            "{\"name\": \"Maria\", \"age\": 34}",
            "Say it with flowers, every day.",
            "Come on in",
            "2030-12-25",
            "42",
            "",
        ] {
            assert!(!is_cut_off(answer), "{answer:?}");
        }
    }

    #[test]
    fn answers_stopped_mid_thought_are_cut_off() {
        for answer in [
            "Each of the 7 friends gets an equal share, and to find that share we",
            "An algorithm is a kind of computer chip that",
            "Taxi rides are",
            "1. Put the egg in a pan.\n2.",
            "{\"title\": \"Nineteen Eighty-Four\", \"ye",
            "Here are the steps:",
            "Tea was first drunk in China. It later spread to Japan, where afternoon tea is st",
        ] {
            assert!(is_cut_off(answer), "{answer:?}");
        }
    }

    #[test]
    fn sentences_are_counted_past_abbreviations_numbers_and_lists() {
        assert_eq!(
            sentence_count("Gold's symbol is Au, from the Latin word aurum."),
            1
        );
        assert_eq!(
            sentence_count("It is 2.5 hours, e.g. about 150 minutes."),
            1
        );
        assert_eq!(sentence_count("J. K. Rowling wrote it. She is British."), 2);
        assert_eq!(sentence_count("Yes! It is. Really?"), 3);
        assert_eq!(
            sentence_count("It moved from 9 a.m. to 7 a.m. and drew a record 14,000."),
            1
        );
        assert_eq!(sentence_count("It starts at 7 a.m. Runners come early."), 2);
        assert_eq!(sentence_count("1. Boil water.\n2. Pour it."), 2);
        assert_eq!(sentence_count("Mercury"), 1);
        assert_eq!(sentence_count("  "), 0);
    }
}
