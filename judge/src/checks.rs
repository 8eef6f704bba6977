//! Verifiable checks: rules anyone can recompute from the answer alone, so
//! their scores are rewards that need no trust in a model.

use serde::{Deserialize, Serialize};

use crate::arithmetic::wrong_statements;
use crate::completeness::{is_cut_off, sentence_count};
use crate::verse::{dashed, lines_rhyme, syllables_fit};
use crate::word_problems::clock_times;

/// One rule an answer must follow, as written in a space's TOML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    /// The last number in the answer equals `expected` within `tolerance`.
    NumericAnswer {
        expected: f64,
        #[serde(default)]
        tolerance: f64,
    },
    /// The answer contains `expected` as whole words, ignoring case and punctuation.
    ContainsAnswer { expected: String },
    /// At most `max` words.
    MaxWords { max: usize },
    /// At least `min` words.
    MinWords { min: usize },
    /// Exactly `lines` non-empty lines (a haiku has 3).
    LineCount { lines: usize },
    /// Every one of `words` appears (whole word, any case).
    RequiredWords { words: Vec<String> },
    /// None of `words` appears (whole word, any case).
    ForbiddenWords { words: Vec<String> },
    /// The answer is JSON valid against `schema` (JSON Schema).
    JsonSchema { schema: serde_json::Value },
    /// Exactly `count` words.
    ExactWords { count: usize },
    /// Between `min` and `max` sentences ([`sentence_count`]).
    Sentences { min: usize, max: usize },
    /// The trimmed answer matches the regular expression `pattern` (anchor
    /// it with `^` and `$` to match the whole answer).
    Matches { pattern: String },
    /// The answer is finished, not cut off mid-sentence ([`crate::completeness`]).
    Complete,
    /// Every calculation the answer states in digits is right, and every
    /// temperature it gives in both scales agrees ([`crate::arithmetic`]):
    /// a wrong sum is wrong whatever was asked.
    ArithmeticHolds,
    /// At least two lines, and at least half of them end on a rhyme with a
    /// line at most two away ([`crate::verse`]): a rhyming poem, not prose.
    Rhymes,
    /// One non-empty line per count in `per_line`, each about that many
    /// syllables ([`crate::verse::SYLLABLE_TOLERANCE`]); a haiku is [5, 7, 5].
    Syllables { per_line: Vec<usize> },
    /// The answer's items, comma-separated on one line or one per line
    /// (bullets and numbers set aside), are in alphabetical order
    /// ([`alphabetical_items`]).
    Alphabetical,
    /// The last clock time the answer writes ("12:20", "12:20 p.m.") is
    /// `minutes` after midnight, read on a 12-hour clock: a time of day
    /// is not one number, so `numeric_answer` cannot check it.
    ClockTime { minutes: u32 },
}

/// The result of one check on one answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckOutcome {
    /// Which rule, in words.
    pub rule: String,
    /// Whether the answer follows it.
    pub passed: bool,
}

impl Check {
    /// Applies the rule to `answer`.
    pub fn evaluate(&self, answer: &str) -> CheckOutcome {
        let words = normalized_words(answer);
        let has = |w: &str| {
            let target = normalized_words(w);
            !target.is_empty()
                && words
                    .windows(target.len())
                    .any(|win| win == target.as_slice())
        };
        let (rule, passed) = match self {
            Self::NumericAnswer {
                expected,
                tolerance,
            } => (
                format!("answer is {expected}"),
                last_number(answer).is_some_and(|n| (n - expected).abs() <= tolerance.max(1e-9)),
            ),
            Self::ContainsAnswer { expected } => (format!("mentions '{expected}'"), has(expected)),
            Self::MaxWords { max } => (format!("at most {max} words"), word_count(answer) <= *max),
            Self::MinWords { min } => (format!("at least {min} words"), word_count(answer) >= *min),
            Self::LineCount { lines } => (
                format!("exactly {lines} lines"),
                answer.lines().filter(|l| !l.trim().is_empty()).count() == *lines,
            ),
            Self::RequiredWords { words } => (
                format!("uses {}", words.join(", ")),
                words.iter().all(|w| has(w)),
            ),
            Self::ForbiddenWords { words } => (
                format!("avoids {}", words.join(", ")),
                !words.iter().any(|w| has(w)),
            ),
            Self::JsonSchema { schema } => (
                "valid JSON for the schema".into(),
                json_valid(answer, schema),
            ),
            Self::ExactWords { count } => (
                format!("exactly {count} words"),
                word_count(answer) == *count,
            ),
            Self::Sentences { min, max } => (
                if min == max {
                    format!("exactly {min} sentences")
                } else {
                    format!("{min} to {max} sentences")
                },
                (*min..=*max).contains(&sentence_count(answer)),
            ),
            Self::Matches { pattern } => (
                format!("matches {pattern}"),
                regex::Regex::new(pattern).is_ok_and(|r| r.is_match(answer.trim())),
            ),
            Self::Complete => ("not cut off".into(), !is_cut_off(answer)),
            Self::ArithmeticHolds => (
                "its arithmetic is right".into(),
                wrong_statements(answer).is_empty(),
            ),
            Self::Rhymes => ("the lines rhyme".into(), lines_rhyme(answer)),
            Self::Syllables { per_line } => (
                format!("lines of {} syllables", dashed(per_line)),
                syllables_fit(answer, per_line),
            ),
            Self::Alphabetical => ("in alphabetical order".into(), alphabetical_items(answer)),
            Self::ClockTime { minutes } => (
                format!(
                    "the time is {}:{:02}",
                    (minutes / 60 + 11) % 12 + 1,
                    minutes % 60
                ),
                clock_times(answer).last() == Some(&(minutes % (12 * 60))),
            ),
        };
        CheckOutcome { rule, passed }
    }

    /// Rejects rules that can never be met (a bad space file), naming the problem.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Self::NumericAnswer {
                expected,
                tolerance,
            } if !expected.is_finite() || *tolerance < 0.0 => {
                Err("numeric_answer needs a finite expected value and a tolerance >= 0".into())
            }
            Self::ContainsAnswer { expected } if normalized_words(expected).is_empty() => {
                Err("contains_answer needs a non-empty expected answer".into())
            }
            Self::LineCount { lines: 0 }
            | Self::MaxWords { max: 0 }
            | Self::ExactWords { count: 0 } => {
                Err("line_count, max_words and exact_words need a positive number".into())
            }
            Self::Sentences { min, max } if min > max || *max == 0 => {
                Err("sentences needs 1 <= max and min <= max".into())
            }
            Self::Matches { pattern } => regex::Regex::new(pattern)
                .map(|_| ())
                .map_err(|e| format!("matches needs a valid regular expression: {e}")),
            Self::RequiredWords { words } | Self::ForbiddenWords { words } if words.is_empty() => {
                Err("required_words and forbidden_words need at least one word".into())
            }
            Self::Syllables { per_line } if per_line.is_empty() || per_line.contains(&0) => Err(
                "syllables needs a positive count for each line, e.g. per_line = [5, 7, 5]".into(),
            ),
            Self::ClockTime { minutes } if *minutes >= 24 * 60 => {
                Err("clock_time needs minutes after midnight, below 1440".into())
            }
            Self::JsonSchema { schema } => jsonschema::validator_for(schema)
                .map(|_| ())
                .map_err(|e| format!("json_schema is not a valid schema: {e}")),
            _ => Ok(()),
        }
    }
}

/// Whether the items of `answer` are in alphabetical order, ignoring case
/// and anything but letters and digits: a one-line answer's items are
/// parted by commas (and a last "and"), a longer answer's by lines, whose
/// bullets or numbers are set aside.
pub fn alphabetical_items(answer: &str) -> bool {
    static MARKER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"^\s*(?:[-*•]|\d+[.)])\s*").expect("list marker pattern")
    });
    let lines: Vec<&str> = answer.lines().filter(|l| !l.trim().is_empty()).collect();
    let items: Vec<String> = match lines[..] {
        [line] => line
            .split(',')
            .flat_map(|item| item.split(" and "))
            .map(str::to_owned)
            .collect(),
        _ => lines
            .iter()
            .map(|line| MARKER.replace(line, "").into_owned())
            .collect(),
    };
    let keys: Vec<String> = items
        .iter()
        .map(|item| {
            item.chars()
                .filter(|c| c.is_alphanumeric() || *c == ' ')
                .collect::<String>()
                .trim()
                .to_lowercase()
        })
        .filter(|key| !key.is_empty())
        .collect();
    keys.windows(2).all(|pair| pair[0] <= pair[1])
}

/// Fraction of `checks` that `answer` passes, with each outcome; `None`
/// when there are no checks.
pub fn run_checks(checks: &[Check], answer: &str) -> (Option<f64>, Vec<CheckOutcome>) {
    let outcomes: Vec<CheckOutcome> = checks.iter().map(|c| c.evaluate(answer)).collect();
    if outcomes.is_empty() {
        return (None, outcomes);
    }
    let passed = outcomes.iter().filter(|o| o.passed).count();
    (Some(passed as f64 / outcomes.len() as f64), outcomes)
}

/// Letters two words must share at the start to count as one word
/// ("answered" and "answer", "oceans" and "ocean").
const STEM: usize = 5;

/// A word's crude stem, its first [`STEM`] letters: enough to match
/// restated instructions ([`crate::integrity`]) and an answer to the
/// judge's own ([`crate::own_answer`]).
pub(crate) fn stem(word: &str) -> String {
    word.chars().take(STEM).collect()
}

/// The text's words, lowercased, split at every character that is not a
/// letter or digit (shared with [`crate::copying`]).
pub(crate) fn normalized_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// The last number written in `text` (digits with optional sign, thousands
/// commas and decimals).
fn last_number(text: &str) -> Option<f64> {
    let mut last = None;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let negative = i > 0 && chars[i - 1] == '-';
            let mut s = String::new();
            while i < chars.len()
                && (chars[i].is_ascii_digit()
                    || ((chars[i] == '.' || chars[i] == ',')
                        && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
            {
                if chars[i] != ',' {
                    s.push(chars[i]);
                }
                i += 1;
            }
            last = s.parse::<f64>().ok().map(|n| if negative { -n } else { n });
        } else {
            i += 1;
        }
    }
    last
}

fn json_valid(answer: &str, schema: &serde_json::Value) -> bool {
    let trimmed = answer
        .trim()
        .trim_start_matches("```json")
        .trim_matches('`')
        .trim();
    let Ok(value) = serde_json::from_str::<serde_json::Value>(trimmed) else {
        return false;
    };
    jsonschema::validator_for(schema).is_ok_and(|v| v.is_valid(&value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passes(check: Check, answer: &str) -> bool {
        check.evaluate(answer).passed
    }

    #[test]
    fn numeric_answers_use_the_last_number() {
        let c = || Check::NumericAnswer {
            expected: 42.0,
            tolerance: 0.0,
        };
        assert!(passes(c(), "17 + 25 = 42."));
        assert!(!passes(c(), "17 + 25 = 43"));
        assert!(passes(c(), "It is 1,234 minus 1,192, so 42"));
        assert!(!passes(c(), "no idea"));
        assert!(passes(
            Check::NumericAnswer {
                expected: -3.5,
                tolerance: 0.01
            },
            "x = -3.5"
        ));
    }

    #[test]
    fn word_rules_match_whole_words_in_any_case() {
        assert!(passes(
            Check::ContainsAnswer {
                expected: "Paris".into()
            },
            "It's PARIS!"
        ));
        assert!(!passes(
            Check::ContainsAnswer {
                expected: "Paris".into()
            },
            "Parisian food"
        ));
        assert!(passes(
            Check::RequiredWords {
                words: vec!["coffee".into()]
            },
            "Coffee, now."
        ));
        assert!(!passes(
            Check::ForbiddenWords {
                words: vec!["best".into()]
            },
            "The best beans"
        ));
        assert!(passes(Check::MaxWords { max: 3 }, "one two three"));
        assert!(!passes(Check::MaxWords { max: 3 }, "one two three four"));
        assert!(passes(Check::LineCount { lines: 3 }, "a\n\nb\nc\n"));
    }

    #[test]
    fn json_schema_checks_validity() {
        let schema = serde_json::json!({"type": "object", "required": ["name"]});
        let c = || Check::JsonSchema {
            schema: schema.clone(),
        };
        assert!(passes(c(), "{\"name\": \"x\"}"));
        assert!(passes(c(), "```json\n{\"name\": \"x\"}\n```"));
        assert!(!passes(c(), "{\"title\": \"x\"}"));
        assert!(!passes(c(), "name: x"));
        assert!(
            Check::JsonSchema {
                schema: serde_json::json!({"type": 5})
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn shape_rules_count_words_sentences_patterns_and_finish() {
        let checks: Vec<Check> = serde_json::from_str(
            r#"[{"kind": "exact_words", "count": 3},
                {"kind": "sentences", "min": 1, "max": 1},
                {"kind": "matches", "pattern": "^[A-Z ,.]+$"},
                {"kind": "complete"}]"#,
        )
        .unwrap();
        assert_eq!(run_checks(&checks, "VAST, BLUE, RESTLESS.").0, Some(1.0));
        assert_eq!(run_checks(&checks, "The sea is").0, Some(0.5));
        assert!(checks.iter().all(|c| c.validate().is_ok()));
        for bad in [
            Check::Matches {
                pattern: "(".into(),
            },
            Check::Sentences { min: 2, max: 1 },
            Check::ExactWords { count: 0 },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_space_can_ask_for_right_arithmetic() {
        let checks: Vec<Check> = serde_json::from_str(r#"[{"kind": "arithmetic_holds"}]"#).unwrap();
        assert!(checks.iter().all(|c| c.validate().is_ok()));
        assert_eq!(run_checks(&checks, "So 17 + 25 = 42.").0, Some(1.0));
        assert_eq!(run_checks(&checks, "So 17 + 25 = 32.").0, Some(0.0));
    }

    #[test]
    fn verse_checks_read_from_a_space_file_and_reject_impossible_counts() {
        let checks: Vec<Check> = serde_json::from_str(
            r#"[{"kind": "rhymes"}, {"kind": "syllables", "per_line": [5, 7, 5]}]"#,
        )
        .unwrap();
        assert!(checks.iter().all(|c| c.validate().is_ok()));
        let haiku =
            "Black waves roll and hiss\nmoonlight scatters on the foam\nthe tide breathes slowly";
        assert_eq!(run_checks(&checks[1..], haiku).0, Some(1.0));
        assert_eq!(run_checks(&checks[..1], haiku).0, Some(0.0));
        for per_line in [vec![], vec![5, 0, 5]] {
            let error = Check::Syllables { per_line }.validate().unwrap_err();
            assert!(
                error.contains("syllables needs a positive count"),
                "{error}"
            );
        }
    }

    #[test]
    fn score_is_the_fraction_passed() {
        let checks = [
            Check::MaxWords { max: 2 },
            Check::RequiredWords {
                words: vec!["hi".into()],
            },
        ];
        assert_eq!(run_checks(&checks, "hi there").0, Some(1.0));
        assert_eq!(run_checks(&checks, "hello there you").0, Some(0.0));
        assert_eq!(run_checks(&checks, "hi there you").0, Some(0.5));
        assert_eq!(run_checks(&[], "x").0, None);
    }
}
