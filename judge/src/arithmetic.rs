//! Arithmetic an answer states in digits ("17 + 25 = 32", "144 divided by
//! 12 is 14"), recomputed. A wrong sum is wrong whatever the question was,
//! so the judge needs no reference to hold it against the answer, and a
//! small judge model cannot see it in its log-probabilities
//! (BENCHMARKS.md, "Judge evaluation sets": arithmetic is its weakest kind).
//!
//! Only statements that read one way are recomputed: both sides are chains
//! of numbers and the four operators, and a chain that continues a longer
//! expression on its left ("20 °C × 1.8 + 32 = 68", where the chain seen
//! starts mid-expression), or touches a percentage, is left alone. A result
//! counts as right when it is the exact value rounded to the digits it is
//! given with ("22 / 7 = 3.14"). The expressions are folded here in f64
//! with the usual precedence: an expression crate would parse "7/2" as
//! integer division and knows nothing of "divided by" or "×".

use std::sync::LazyLock;

use regex::Regex;

use crate::temperatures::wrong_conversions;
use crate::units::wrong_equivalences;

/// The pattern of a number as answers write it, for [`NUMBER`] and [`AMOUNT`].
macro_rules! number_pattern {
    () => {
        r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
    };
}

/// A number as answers write it: "1,000", "3.5", "12".
pub(crate) const NUMBER: &str = number_pattern!();

/// [`NUMBER`] compiled, for rules that read the numbers a text states.
pub(crate) static NUMBER_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(NUMBER).expect("number pattern"));

/// The value of a number matched by [`NUMBER`] ("8,849" is 8849).
pub(crate) fn number_value(number: &str) -> Option<f64> {
    number.replace(',', "").parse().ok()
}
/// The operators, in symbols and in words.
const OPERATOR: &str =
    r"\+|-|−|×|\*|/|÷|\s+x\s+|\s+plus\s+|\s+minus\s+|\s+times\s+|\s+(?:divided|multiplied)\s+by\s+";
/// The words and signs that state a result.
const RELATION: &str = r"=|\s+(?:is|equals|makes|gives|is\s+equal\s+to)\s+";

/// The currency signs answers put before a number.
const CURRENCY_SIGNS: [char; 3] = ['$', '€', '£'];

/// A number with the currency sign answers put before it ("$18").
const AMOUNT: &str = concat!(r"[$€£]?(?:", number_pattern!(), ")");

/// A chain of numbers joined by operators; `repeat` is the regex
/// quantifier of its operator-and-number steps ("*": a lone number too,
/// "+": at least one operator).
fn chain(repeat: &str) -> String {
    format!(r"(?:{AMOUNT})(?:\s*(?:{OPERATOR})\s*(?:{AMOUNT})){repeat}")
}

/// A chain with at least one operator, a relation, and a chain.
static STATEMENT: LazyLock<Regex> = LazyLock::new(|| {
    let (left, right) = (chain("+"), chain("*"));
    Regex::new(&format!(r"(?i)({left})\s*(?:{RELATION})\s*({right})")).expect("statement pattern")
});
/// A prompt's last sentence asking for a chain's value: a question, or
/// an order to work it out ("Calculate 1000 − 387.").
static QUESTION: LazyLock<Regex> = LazyLock::new(|| {
    let asked = chain("+");
    Regex::new(&format!(
        r"(?i)(?:^|[.!?\n]\s*)(?:(?:what\s+is|what's)\s+({asked})\s*\?|(?:calculate|compute|work\s+out)\s+({asked})\s*[.?]?)$"
    ))
    .expect("question pattern")
});
/// A calculation stated in words: "subtracting 1987 from 2031 gives 54",
/// "adding 12 and 30 makes 42", "multiplying 6 by 7 gives 42", "dividing
/// 96 by 8 leaves 12"; the groups are the verb, the two numbers and the
/// stated result.
static VERBAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b(add(?:ing)?|subtract(?:ing)?|multiply(?:ing)?|divid(?:e|ing))\s+({AMOUNT})\s+(?:and|to|from|by)\s+({AMOUNT})\s*,?\s*(?:=|gives|makes|leaves|equals|is)\s+({AMOUNT})"
    ))
    .expect("verbal statement pattern")
});
static TERM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i)({AMOUNT})|({OPERATOR})")).expect("term pattern"));

/// The statements in `answer` whose arithmetic is wrong, as written: in
/// symbols ("17 + 25 = 32"), in words ("subtracting 1987 from 2031
/// gives 54"), as one temperature in two scales ("20 °C is 72 °F",
/// [`crate::temperatures`]) or as one quantity in two units ("1 km =
/// 100 m", [`crate::units`]).
pub fn wrong_statements(answer: &str) -> Vec<&str> {
    let mut wrong = wrong_symbolic(answer);
    wrong.extend(wrong_verbal(answer));
    wrong.extend(wrong_conversions(answer));
    wrong.extend(wrong_equivalences(answer));
    wrong
}

/// The chains of numbers and operators whose stated result is wrong.
fn wrong_symbolic(answer: &str) -> Vec<&str> {
    STATEMENT
        .captures_iter(answer)
        .filter(|c| {
            if !stands_alone(answer, c.get(0).expect("whole match")) {
                return false;
            }
            match (value(&c[1]), value(&c[2])) {
                (Some(left), Some(right)) => !agrees(left, &c[2], right),
                _ => false,
            }
        })
        .map(|c| c.get(0).expect("whole match").as_str())
        .collect()
}

/// The calculations stated in words whose result is wrong; the second
/// number is the one taken from, or added to, or divided by, as the verb
/// reads ("subtracting 3 from 10" is 10 − 3).
fn wrong_verbal(answer: &str) -> Vec<&str> {
    VERBAL
        .captures_iter(answer)
        .filter(|c| {
            let whole = c.get(0).expect("whole match");
            if continues_on_the_right(&answer[whole.end()..]) {
                return false;
            }
            let [a, b, stated] = [2, 3, 4].map(|g| amount_value(&c[g]));
            let (Some(a), Some(b), Some(stated)) = (a, b, stated) else {
                return false;
            };
            let exact = match c[1].to_lowercase().as_bytes()[0] {
                b'a' => a + b,
                b's' => b - a,
                b'm' => a * b,
                _ if b == 0.0 => return false,
                _ => a / b,
            };
            !agrees(exact, &c[4], stated)
        })
        .map(|c| c.get(0).expect("whole match").as_str())
        .collect()
}

/// The value of a number with an optional currency sign ("$18" is 18).
fn amount_value(amount: &str) -> Option<f64> {
    number_value(amount.trim_start_matches(CURRENCY_SIGNS))
}

/// The calculation a prompt ends by asking for in digits ("What is 17 +
/// 25?", "What is 1,000 minus 357?"): the question's words and its value,
/// when that value is a whole number (a fraction's rounding is the
/// answer's to choose, so it sets no rule).
pub fn asked_value(prompt: &str) -> Option<(&str, f64)> {
    let question = QUESTION.captures(prompt.trim_end())?;
    let asked = question.get(1).or(question.get(2))?;
    let value = value(asked.as_str()).filter(|v| v.fract() == 0.0 && v.abs() < 1e15)?;
    Some((question.get(0).expect("whole match").as_str(), value))
}

/// Whether the statement matched as `whole` in `text` stands on its own,
/// with no longer expression continuing it on either side.
pub(crate) fn stands_alone(text: &str, whole: regex::Match) -> bool {
    !continues_on_the_left(&text[..whole.start()]) && !continues_on_the_right(&text[whole.end()..])
}

/// The signs that join a number to more of an expression.
const JOINING: [char; 13] = [
    '+', '-', '−', '×', '*', '/', '÷', '(', ')', '=', '^', '%', '°',
];

/// Whether the text before a chain makes it part of a longer expression:
/// a letter, digit, point, colon (a time: "10:30") or currency sign
/// touching its first number, or an operator, bracket or unit sign (or a
/// multiplying " x") before it.
fn continues_on_the_left(before: &str) -> bool {
    let touching = before.chars().next_back().is_some_and(|c| {
        c.is_alphanumeric() || matches!(c, '.' | ',' | ':' | '$' | '€' | '£' | '_')
    });
    let trimmed = before.trim_end();
    touching || trimmed.ends_with(JOINING) || trimmed.ends_with(" x") || trimmed.ends_with(" X")
}

/// Whether the text after a statement continues its right side: a
/// percentage, an operator, a letter touching its last number, or a colon
/// that makes it a time or a ratio ("8:30", "3:1").
fn continues_on_the_right(after: &str) -> bool {
    let touching = after.chars().next().is_some_and(char::is_alphanumeric)
        || after
            .strip_prefix(':')
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
    touching || after.trim_start().starts_with(JOINING)
}

/// The value of a chain of numbers and operators, multiplication and
/// division first; None for a division by zero.
fn value(chain: &str) -> Option<f64> {
    let mut sum = 0.0;
    let mut product = 1.0;
    let mut sign = 1.0;
    let mut pending = '*';
    for term in TERM.captures_iter(chain) {
        if let Some(number) = term.get(1) {
            let n = amount_value(number.as_str())?;
            match pending {
                '/' if n == 0.0 => return None,
                '/' => product /= n,
                _ => product *= n,
            }
        } else {
            let op = term[2].trim().to_lowercase();
            pending = match op.as_str() {
                "+" | "plus" | "-" | "−" | "minus" => {
                    sum += sign * product;
                    sign = if matches!(op.as_str(), "+" | "plus") {
                        1.0
                    } else {
                        -1.0
                    };
                    product = 1.0;
                    '*'
                }
                "/" | "÷" => '/',
                o if o.starts_with("divided") => '/',
                _ => '*',
            };
        }
    }
    Some(sum + sign * product)
}

/// Whether `stated` (written as `text`) is `exact` rounded to the digits
/// `text` gives; a right side that is itself a chain must be exact.
fn agrees(exact: f64, text: &str, stated: f64) -> bool {
    let text = text.trim().trim_start_matches(CURRENCY_SIGNS);
    let plain = text
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == ',');
    let tolerance = if plain {
        let decimals = text
            .split_once('.')
            .map_or(0, |(_, fraction)| fraction.len());
        0.5 * 10f64.powi(-(decimals as i32))
    } else {
        0.0
    };
    (exact - stated).abs() <= tolerance + 1e-9 * exact.abs().max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_sums_products_and_quotients_are_found_in_symbols_and_words() {
        for answer in [
            "17 + 25 = 32",
            "First add the ones, 7 + 5 = 2, so the total is 32.",
            "144 divided by 12 is 14.",
            "1,000 - 387 = 713",
            "80 × 3.5 = 240",
            "7 plus 8 is 90",
            "6 times 7 equals 43",
            "12 × $18 = $206, and adding the $25 fee makes $231.",
            "Subtracting 1987 from 2031 gives 54.",
            "Adding 12 and 30 makes 43.",
            "Multiplying 6 by 7 gives 48.",
            "dividing 96 by 8 is 13",
        ] {
            assert!(!wrong_statements(answer).is_empty(), "{answer}");
        }
    }

    #[test]
    fn a_prompt_ending_on_a_calculation_asks_for_its_whole_value() {
        let asked = |prompt| asked_value(prompt).map(|(_, v)| v);
        assert_eq!(
            asked("Answer the question.\n\nWhat is 17 + 25?"),
            Some(42.0)
        );
        assert_eq!(
            asked("Reply with the number.\n\nWhat is 1,000 minus 357? "),
            Some(643.0)
        );
        assert_eq!(asked("What is 144 divided by 12?"), Some(12.0));
        assert_eq!(asked("Answer.\n\nCalculate 1000 − 387."), Some(613.0));
        assert_eq!(asked("Work out 6 × 7"), Some(42.0));
        assert_eq!(asked("What is 6 × 7."), None, "a statement, not a question");
        assert_eq!(asked("What is 2 + 3 × 4?"), Some(14.0));
        assert_eq!(asked("What is 22 / 7?"), None, "not a whole number");
        assert_eq!(asked("What is 15% of 80?"), None);
        assert_eq!(
            asked("What is 17 + 25? Explain in words."),
            None,
            "not the last sentence"
        );
        assert_eq!(asked("Tell me what is 3 + 4? in the story"), None);
        assert_eq!(asked("So what is 2x + 3?"), None);
    }

    #[test]
    fn right_statements_and_ones_that_read_two_ways_pass() {
        for answer in [
            "17 + 25 = 42",
            "4 × 28 + 3 × 31 = 112 + 93, so the total is 205.",
            "For example, 20 °C × 1.8 + 32 = 68 °F.",
            "22 / 7 = 3.14 roughly.",
            "10 - 2 - 3 = 5 and 12 / 4 / 3 = 1.",
            "Ana has 40 - 3 left, so the answer is 37.",
            "It rose 50% + 10 = 60% last year.",
            "Version 2.0 + 1 is 3, see section 1.2.",
            "The sum -3 + 5 = 7 has a sign we do not read.",
            "So 12 + 3 = 14 + x holds for x = 1.",
            "Solve 2x + 3 = 7 for x.",
            "(2 + 3) × 4 = 20",
            "Dates like 2024-12-05 are fine, and 5-10 is a range.",
            "No arithmetic here at all.",
            "5 / 0 = 7",
            "Leave at 10:30 - 2 = 8:30 by the old clock.",
            "Mix them 6 - 3 = 4:1 by weight.",
            "12 × $18 = $216, and adding the $25 fee makes $241.",
            "Subtracting 1987 from 2031 gives 44.",
            "Adding 12 and 30 makes 42 in all.",
            "Multiplying 6 by 7 gives 42; dividing 96 by 8 is 12.",
            "Dividing 5 by 0 is 7, they say.",
            "Subtracting 3 from 10 gives 7% of it.",
        ] {
            assert_eq!(wrong_statements(answer), Vec::<&str>::new(), "{answer}");
        }
    }
}
