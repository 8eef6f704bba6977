//! Instructions read from the prompt's own words: the verifiable rules a
//! prompt states ("answer with yes or no only", "exactly three words", "in
//! capital letters only", "reply with JSON only: an object with the keys
//! …", "two or three sentences"), as IFEval (Zhou et al. 2023,
//! arXiv 2311.07911) checks them, and the value of a calculation the
//! prompt ends by asking for ("What is 17 + 25?"), plus two that every
//! prompt implies: a finished answer, not one cut off mid-sentence, and
//! right arithmetic wherever the answer states a calculation.
//!
//! A space's checks are written by its author; these are found by the judge
//! in any prompt, so the judge holds answers to what they were asked even
//! in spaces without checks, and anyone can recompute the result. A small
//! judge model cannot tell a broken format or a cut answer from a good one
//! by its log-probabilities (BENCHMARKS.md, "Judge evaluation sets"), and
//! these rules need no model.
//!
//! The rules are read from the instructions: the prompt's first paragraph
//! when a blank line parts it from the question or text (as spaces write
//! prompts), so a text to summarize cannot set rules; else the whole prompt.

use std::sync::LazyLock;

use regex::Regex;

use crate::arithmetic::asked_value;
use crate::checks::{Check, CheckOutcome};
use crate::json_shape::json_schema;
use crate::word_problems::{Solved, solved_value};

/// One rule read from a prompt: the words it was read from, and its check.
#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    /// The prompt's words that state the rule (or "a finished answer",
    /// "right arithmetic" for the rules every prompt implies).
    pub said: String,
    pub check: Check,
}

impl Instruction {
    /// Applies the rule to `answer`; the outcome names the prompt's words.
    pub fn evaluate(&self, answer: &str) -> CheckOutcome {
        CheckOutcome {
            rule: self.said.clone(),
            passed: self.check.evaluate(answer).passed,
        }
    }
}

/// Number words up to twenty, as prompts write counts.
pub(crate) const NUMBER_WORDS: &[&str] = &[
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
];

/// A count as a prompt writes it: digits or a number word ("a" and
/// "single" mean one).
const COUNT: &str = r"(\d+|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|a|an|single)";

fn count_of(word: &str) -> Option<usize> {
    match word {
        "a" | "an" | "single" => Some(1),
        _ => word
            .parse()
            .ok()
            .or_else(|| NUMBER_WORDS.iter().position(|w| *w == word)),
    }
}

/// A request for a poem ("write a", "reply with a short", "answer as a
/// four-line"): a verb, an article or count, and a few words of its form,
/// so "explain what a rhyming couplet is" asks for none.
const VERSE_ASK: &str = r"\b(write|compose|create|craft|pen|give|make|produce|reply|answer|respond|rewrite|turn|be)\b(\s+(me|us|it|this|with|in|as|into|the form of))*(\s+(?P<count>{N}|some))?\s+((short|little|small|brief|simple|funny|silly|sweet|gentle|playful|whimsical|beautiful|lovely|original|traditional|classic|catchy|[a-z0-9]+(-[a-z0-9]+)+),?\s+){0,2}";

/// After [`VERSE_ASK`], a poem asked to rhyme ("a rhyming couplet", "a
/// poem that rhymes"; not "a non-rhyming poem"), or "it must rhyme".
const RHYMING: &str = r"((?P<not>non-|un)?rhym(ing|ed)\s+([\w-]+\s+)?(poem|verse|couplet|quatrain|stanza|song|ditty|limerick|line)s?\b|(poem|verse|couplet|quatrain|stanza|song|ditty|limerick|line)s?\b[^.!?\n]{0,40}?\b(that|which)\s+(all\s+)?rhymes?\b|in\s+rhyme\b)|\b(it|they|the poem|the lines|each line|every line|your answer)\s+(must|should|has to|have to|needs? to)\s+rhyme\b";

/// A regular expression over the lowercased instructions, with `{N}` for a count.
fn pattern(template: &str) -> Regex {
    Regex::new(&template.replace("{N}", COUNT)).expect("the instruction patterns are valid")
}

/// The patterns, compiled once.
struct Patterns {
    yes_no_only: Regex,
    yes_no_first: Regex,
    exact_words: Regex,
    max_words: Regex,
    fewer_words: Regex,
    min_words: Regex,
    one_word: Regex,
    number_only: Regex,
    upper_case: Regex,
    lower_case: Regex,
    forbidden_word: Regex,
    sentences_range: Regex,
    sentences_at_most: Regex,
    sentences: Regex,
    lines: Regex,
    bullets: Regex,
    numbered: Regex,
    comma_list: Regex,
    rhyme: Regex,
    haiku: Regex,
    syllable_counts: Regex,
    json: Regex,
    date_format: Regex,
    final_number: Regex,
    line_initial: Regex,
    alphabetical: Regex,
    question: Regex,
}

static PATTERNS: LazyLock<Patterns> = LazyLock::new(|| Patterns {
    yes_no_only: pattern(
        r"\b(yes or no only|only yes or no|(reply|answer|respond)( with)? (a )?(yes|'yes') or (no|'no')\b\W*$)",
    ),
    yes_no_first: pattern(
        r"\b(start|begin)\w* (your (answer|reply) )?with (yes|'yes') or (no|'no')",
    ),
    exact_words: pattern(r"\bexactly {N} words?\b"),
    max_words: pattern(
        r"\b(at most|no more than|not more than|maximum of|max\.?|up to) {N} words?\b|\b{N} words? or (fewer|less)\b",
    ),
    fewer_words: pattern(r"\b(fewer|less) than {N} words\b|\bunder {N} words\b"),
    min_words: pattern(r"\b(at least|no fewer than|no less than|minimum of) {N} words?\b"),
    one_word: pattern(r"\b(a single|only one|one) word\b( (per|for|each|about|on|from|of)\b)?"),
    number_only: pattern(
        r"\b(as|with) (a|the) number only\b|\bonly (a|the) number\b|\bjust (a|the) number\b|\b(the )?number only\b|\bdigits only\b",
    ),
    upper_case: pattern(
        r"\b(capital letters only|only capital letters|in (all )?capital letters|all capital letters|in capitals|all caps|in (all )?upper ?case|upper ?case (letters )?only)\b",
    ),
    lower_case: pattern(
        r"\b(lower ?case letters only|only lower ?case|in (all )?lower ?case|all lower ?case|lower ?case only)\b",
    ),
    forbidden_word: pattern(
        r#"\b(without (using )?|do not use |don't use |never use |avoid (using )?)the word ['"‘“]?(?P<word>[\w-]+)"#,
    ),
    sentences_range: pattern(
        r"\b{N} (or|to) {N} (short |plain |full |complete )*sentences\b|\b{N} (short )?sentences? or {N}\b",
    ),
    sentences_at_most: pattern(
        r"\b(at most|no more than|up to) {N} (short |plain |full |complete )*sentences?\b",
    ),
    sentences: pattern(
        r"\b(exactly |in |with |write |of )?{N} (short |plain |full |complete |simple |clear )*sentences?\b",
    ),
    lines: pattern(r"\b(exactly )?{N}[ -](short |separate )?lines?\b"),
    bullets: pattern(r"\b{N} bullet( point)?s?\b"),
    numbered: pattern(r"\b(a few (?:[a-z]+ ){0,2})?numbered (steps|list)\b"),
    comma_list: pattern(r"\bcomma[ -]separated list of {N}\b"),
    rhyme: pattern(&[VERSE_ASK, RHYMING].concat()),
    haiku: pattern(&[VERSE_ASK, r"haiku\b"].concat()),
    syllable_counts: pattern(r"\b[1-9]\d?([-–][1-9]\d?){1,9}\b"),
    json: pattern(r"\b(with|in|as) (a |an )?json\b|\bjson only\b|\bvalid json\b"),
    date_format: pattern(r"\b(yyyy|yy|dd|mm)([-/.])(mm|dd|m|d)([-/.])(yyyy|yy|dd|mm)\b"),
    final_number: pattern(
        r"\bfinal (number|answer as a number)\b|\bnumeric answer\b|\bend(s)? with (a|the) number\b",
    ),
    alphabetical: pattern(r"\balphabetical order\b|\balphabetically\b|\balphabeti[sz]ed\b"),
    question: pattern(
        r"\b(end|ends|ending|finish|finishes) with a question mark\b|\b(as|in the form of) a (single )?question\b|\bphrased as a question\b",
    ),
    line_initial: pattern(
        r#"\b(every|each) line\b[^.!?\n]{0,30}?\b(begins?|starts?|beginning|starting) with (the letter |the character )?(['"‘“](?P<quoted>\p{L})['"’”]|(?P<letter>\p{L})\b)"#,
    ),
});

/// The part of `prompt` that states its rules: the first paragraph when a
/// blank line follows it, else all of it.
pub(crate) fn instructions_of(prompt: &str) -> &str {
    prompt.split_once("\n\n").map_or(prompt, |(first, _)| first)
}

/// Every rule `prompt` states, then the rule that the answer be finished.
pub fn read_instructions(prompt: &str) -> Vec<Instruction> {
    let said = instructions_of(prompt);
    let text = said.to_lowercase();
    let p = &*PATTERNS;
    let mut rules = Vec::new();
    let mut add = |m: &str, check: Check| {
        rules.push(Instruction {
            said: m.trim().to_owned(),
            check,
        })
    };
    let count = |captures: &regex::Captures, group: usize| {
        captures.get(group).and_then(|m| count_of(m.as_str()))
    };
    if let Some(m) = p.yes_no_only.find(&text) {
        add(
            m.as_str(),
            Check::Matches {
                pattern: r"(?i)^(yes|no)\W*$".into(),
            },
        );
    } else if let Some(m) = p.yes_no_first.find(&text) {
        add(
            m.as_str(),
            Check::Matches {
                pattern: r"(?i)^\W*(yes|no)\b".into(),
            },
        );
    }
    if let Some(c) = p.exact_words.captures(&text)
        && let Some(n) = count(&c, 1).filter(|&n| n > 0)
    {
        add(&c[0], Check::ExactWords { count: n });
    } else if let Some(c) = p.one_word.captures(&text)
        && c.get(2).is_none()
    {
        add(&c[0], Check::ExactWords { count: 1 });
    }
    if let Some(c) = p.max_words.captures(&text)
        && let Some(n) = count(&c, 2).or_else(|| count(&c, 3)).filter(|&n| n > 0)
    {
        add(&c[0], Check::MaxWords { max: n });
    } else if let Some(c) = p.fewer_words.captures(&text)
        && let Some(n) = count(&c, 2).or_else(|| count(&c, 3)).filter(|&n| n > 1)
    {
        add(&c[0], Check::MaxWords { max: n - 1 });
    }
    if let Some(c) = p.min_words.captures(&text)
        && let Some(n) = count(&c, 2)
    {
        add(&c[0], Check::MinWords { min: n });
    }
    if let Some(m) = p.number_only.find(&text) {
        add(
            m.as_str(),
            Check::Matches {
                pattern: r"^[-+]?\d[\d,]*(\.\d+)?\.?$".into(),
            },
        );
    } else if let Some(m) = p.final_number.find(&text) {
        add(
            m.as_str(),
            Check::Matches {
                pattern: r"\d".into(),
            },
        );
    }
    if let Some(m) = p.upper_case.find(&text) {
        add(
            m.as_str(),
            Check::Matches {
                pattern: r"^[^\p{Ll}]*\p{Lu}[^\p{Ll}]*$".into(),
            },
        );
    } else if let Some(m) = p.lower_case.find(&text) {
        add(
            m.as_str(),
            Check::Matches {
                pattern: r"^[^\p{Lu}]*\p{Ll}[^\p{Lu}]*$".into(),
            },
        );
    }
    if let Some(c) = p.forbidden_word.captures(&text) {
        add(
            &c[0],
            Check::ForbiddenWords {
                words: vec![c["word"].to_owned()],
            },
        );
    }
    if let Some(c) = p.sentences_range.captures(&text)
        && let (Some(min), Some(max)) = (
            count(&c, 1).or_else(|| count(&c, 5)),
            count(&c, 3).or_else(|| count(&c, 7)),
        )
        && 0 < min
        && min <= max
    {
        add(&c[0], Check::Sentences { min, max });
    } else if let Some(c) = p.sentences_at_most.captures(&text)
        && let Some(max) = count(&c, 2).filter(|&n| n > 0)
    {
        add(&c[0], Check::Sentences { min: 1, max });
    } else if let Some(c) = p.sentences.captures(&text)
        && let Some(n) = count(&c, 2).filter(|&n| n > 0)
    {
        add(&c[0], Check::Sentences { min: n, max: n });
    }
    if let Some(c) = p.bullets.captures(&text)
        && let Some(n) = count(&c, 1).filter(|&n| n > 0)
    {
        add(
            &c[0],
            Check::Matches {
                pattern: format!(r"^(?:[-*•] [^\n]*\S[^\n]*(?:\n\s*|$)){{{n}}}$"),
            },
        );
    } else if let Some(c) = p.lines.captures(&text)
        && !matches!(&c[2], "a" | "an")
        && let Some(n) = count(&c, 2).filter(|&n| n > 0)
    {
        add(&c[0], Check::LineCount { lines: n });
    }
    if let Some(c) = p.numbered.captures(&text) {
        // "A few" is three or more; a couple is two.
        let items = if c.get(1).is_some() { 3 } else { 2 };
        let pattern = (1..=items)
            .map(|n| format!(r"^\s*{n}[.)][ \t]*\S"))
            .collect::<Vec<_>>()
            .join(".*");
        add(
            &c[0],
            Check::Matches {
                pattern: format!("(?ms){pattern}"),
            },
        );
    }
    if let Some(c) = p.comma_list.captures(&text)
        && let Some(n) = count(&c, 1).filter(|&n| n > 1)
    {
        add(
            &c[0],
            Check::Matches {
                pattern: format!(r"^[^,\n]*\w[^,\n]*(?:,[^,\n]*\w[^,\n]*){{{}}}$", n - 1),
            },
        );
    }
    if let Some(m) = p.json.find(&text) {
        add(
            m.as_str(),
            Check::JsonSchema {
                schema: json_schema(said),
            },
        );
    }
    if let Some(c) = p.rhyme.captures(&text).filter(|c| c.name("not").is_none()) {
        add(&c[0], Check::Rhymes);
    }
    if let Some(c) = p.haiku.captures(&text)
        && c.name("count").and_then(|m| count_of(m.as_str())) == Some(1)
    {
        let stated = p.syllable_counts.find(&text).map(|c| {
            let counts = c.as_str().split(['-', '–']);
            counts.filter_map(|n| n.parse().ok()).collect()
        });
        let per_line = stated.unwrap_or_else(|| vec![5, 7, 5]);
        add(&c[0], Check::Syllables { per_line });
    }
    if let Some(c) = p.date_format.captures(&text) {
        let format: String = c[0]
            .chars()
            .map(|ch| match ch {
                'y' | 'm' | 'd' => r"\d".to_owned(),
                other => regex::escape(&other.to_string()),
            })
            .collect();
        let only = text[c.get(0).map_or(0, |m| m.end())..]
            .trim_start()
            .starts_with("only");
        let pattern = if only {
            format!("^{format}$")
        } else {
            format.clone()
        };
        add(&c[0], Check::Matches { pattern });
    }
    if let Some(c) = p.line_initial.captures(&text)
        // A bare letter only after "the letter": "with a capital" is no rule.
        && let Some(letter) = c.name("quoted").or(c.get(3).and(c.name("letter")))
    {
        let letter = regex::escape(letter.as_str());
        // Lines without letters (blank ones, dividers) are let through.
        add(
            &c[0],
            Check::Matches {
                pattern: format!(
                    r"(?i)^[^\p{{L}}\n]*{letter}[^\n]*(?:\n[^\p{{L}}\n]*(?:{letter}[^\n]*)?)*$"
                ),
            },
        );
    }
    if let Some(m) = p.alphabetical.find(&text) {
        add(m.as_str(), Check::Alphabetical);
    }
    if let Some(m) = p.question.find(&text) {
        add(
            m.as_str(),
            Check::Matches {
                pattern: r#"\?["'”’)]*$"#.into(),
            },
        );
    }
    let asked =
        asked_value(prompt).map(|(question, expected)| (question, Solved::Number(expected)));
    if let Some((question, solved)) = asked.or_else(|| solved_value(prompt)) {
        add(question, solved.check());
    }
    rules.push(Instruction {
        said: "a finished answer".into(),
        check: Check::Complete,
    });
    rules.push(Instruction {
        said: "right arithmetic".into(),
        check: Check::ArithmeticHolds,
    });
    rules
}

#[cfg(test)]
mod tests {
    use super::read_instructions;
    use crate::checks::Check;

    fn checks(prompt: &str) -> Vec<Check> {
        read_instructions(&format!("{prompt}\n\nQuestion?"))
            .into_iter()
            .map(|r| r.check)
            .filter(|c| !matches!(c, Check::Complete | Check::ArithmeticHolds))
            .collect()
    }

    fn follows(prompt: &str, answer: &str) -> bool {
        let rules = read_instructions(&format!("{prompt}\n\nQuestion?"));
        rules.iter().all(|r| r.evaluate(answer).passed)
    }

    #[test]
    fn counts_and_limits_are_read_in_words_and_digits() {
        assert_eq!(
            checks("Reply with exactly three words."),
            [Check::ExactWords { count: 3 }]
        );
        assert_eq!(
            checks("Reply with a single word."),
            [Check::ExactWords { count: 1 }]
        );
        assert_eq!(
            checks("Write one catchy slogan of at most eight words for the business."),
            [Check::MaxWords { max: 8 }]
        );
        assert_eq!(
            checks("Use fewer than 20 words."),
            [Check::MaxWords { max: 19 }]
        );
        assert_eq!(
            checks("Write two or three sentences about the topic."),
            [Check::Sentences { min: 2, max: 3 }]
        );
        assert_eq!(
            checks("Answer the question correctly in one short sentence."),
            [Check::Sentences { min: 1, max: 1 }]
        );
        assert_eq!(
            checks("Write a haiku about the theme: exactly three short lines, nothing else."),
            [
                Check::LineCount { lines: 3 },
                Check::Syllables {
                    per_line: vec![5, 7, 5]
                }
            ]
        );
        assert_eq!(
            checks("Write a four-line rhyming poem about the topic."),
            [Check::LineCount { lines: 4 }, Check::Rhymes]
        );
    }

    #[test]
    fn a_text_after_the_instructions_sets_no_rules() {
        let prompt = "Summarize the text.\n\nText: The coach told them to answer in one word.";
        let implied: Vec<Check> = read_instructions(prompt)
            .into_iter()
            .map(|r| r.check)
            .collect();
        assert_eq!(
            implied,
            [Check::Complete, Check::ArithmeticHolds],
            "only the rules every prompt implies"
        );
    }

    #[test]
    fn a_letter_is_read_only_where_the_prompt_names_one() {
        for prompt in [
            "Write a poem in which each line starts with a capital letter.",
            "Every line should begin with a verb.",
        ] {
            assert!(checks(prompt).is_empty(), "{prompt}");
        }
        assert!(follows(
            "Write a poem where each line starts with the letter 'b'.",
            "Bright bees\nbuzz by"
        ));
    }

    #[test]
    fn answers_are_held_to_the_stated_format() {
        let cases = [
            (
                "Answer with yes or no only.",
                "Yes.",
                "Yes, the Earth is round.",
            ),
            (
                "Answer in capital letters only.",
                "GRASS IS GREEN.",
                "Grass is green.",
            ),
            ("Answer in lowercase letters only.", "jupiter.", "Jupiter."),
            (
                "Give the answer as a number only.",
                "6",
                "A hexagon has six sides.",
            ),
            (
                "Answer without using the word 'water'.",
                "In rivers.",
                "In water.",
            ),
            (
                "Reply with exactly three bullet points, each starting with '- '.",
                "- One.\n- Two.\n- Three.",
                "Sleep well.",
            ),
            (
                "Explain how to do the task in a few short numbered steps.",
                "1. Boil water.\n2. Add tea.\n3. Stir.",
                "1. Boil water.\n2. Add tea.",
            ),
            (
                "Give the steps as a numbered list.",
                "1. Boil water.\n2. Add tea.",
                "Boil water and add tea.",
            ),
            (
                "Reply with a comma-separated list of five items and nothing else.",
                "apple, pear, fig, kiwi, plum",
                "apple, pear",
            ),
            (
                "Reply with the date in the format YYYY-MM-DD only.",
                "2030-12-25",
                "It is 2030-12-25.",
            ),
            (
                "Reply with JSON only: an object with the keys \"name\" (a string) and \"age\" (a number).",
                "{\"name\": \"Maria\", \"age\": 34}",
                "{\"name\": \"Maria\"}",
            ),
            (
                "Write a poem in which every line begins with the letter S.",
                "Salt wind lifts the gulls,\n\nSurf folds silver on the sand,\n'Slow tides breathe.'",
                "Salt wind lifts the gulls,\nWaves fold silver on the sand.",
            ),
            (
                "Reply in JSON with the keys planet and moons, where moons is a number.",
                "{\"planet\": \"Mars\", \"moons\": 2}",
                "{\"planet\": \"Mars\", \"moons\": \"two\"}",
            ),
            (
                "Give your answer as a comma-separated list in alphabetical order, with nothing else.",
                "blue, green and red",
                "red, green, blue",
            ),
            (
                "List them alphabetically, one per line.",
                "1. Apple\n2. fig\n3. Pear",
                "- Pear\n- Apple",
            ),
            (
                "Write your answer as a single question that ends with a question mark.",
                "Which skill would you master, and why?",
                "Share your favourite weekend moment.",
            ),
            (
                "Reply with a JSON array of strings and nothing else.",
                "[\"Jupiter\", \"Saturn\"]",
                "['Jupiter', 'Saturn']",
            ),
            (
                "Solve the problem. Reply with one short sentence that ends with the final number.",
                "Each friend gets 8.",
                "Each friend gets an equal share, and to find it we",
            ),
        ];
        for (prompt, good, bad) in cases {
            assert!(follows(prompt, good), "{prompt}: {good}");
            assert!(!follows(prompt, bad), "{prompt}: {bad}");
        }
    }

    #[test]
    fn rhyme_is_read_where_the_poem_is_asked_to_rhyme() {
        for prompt in [
            "Write a short rhyming poem about the sea.",
            "Write a poem that rhymes.",
            "Write a funny four-line poem that rhymes.",
            "Compose a rhyming couplet about a cat.",
            "Reply with a short poem about rain. It must rhyme.",
        ] {
            assert!(checks(prompt).contains(&Check::Rhymes), "{prompt}");
        }
        for prompt in [
            "Explain what a rhyming couplet is.",
            "List three words that rhyme with cat.",
            "Write a non-rhyming poem about rain.",
            "Write an unrhymed poem about rain.",
            "Write a poem in free verse.",
            "Write an essay about rhyming poems.",
        ] {
            assert!(!checks(prompt).contains(&Check::Rhymes), "{prompt}");
        }
    }

    #[test]
    fn a_haiku_is_held_to_its_syllables() {
        let syllables = |prompt: &str| {
            checks(prompt).into_iter().find_map(|c| match c {
                Check::Syllables { per_line } => Some(per_line),
                _ => None,
            })
        };
        assert_eq!(
            syllables("Write a haiku about autumn."),
            Some(vec![5, 7, 5])
        );
        assert_eq!(
            syllables("Write a haiku (three lines, 5-7-5 syllables) about the topic."),
            Some(vec![5, 7, 5])
        );
        assert_eq!(
            syllables("Write a 3-5-3 haiku about frogs."),
            Some(vec![3, 5, 3])
        );
        for prompt in [
            "What is a haiku?",
            "Write three haiku about the seasons.",
            "Explain the history of the haiku in two sentences.",
            "Reply with JSON only, with the keys \"word\" and \"syllables\" (a number).",
        ] {
            assert_eq!(syllables(prompt), None, "{prompt}");
        }
        let haiku =
            "Black waves roll and hiss\nmoonlight scatters on the foam\nthe tide breathes slowly";
        let prose = "The ocean at night is dark and wide and full of fish and strange creatures\nmoon\nwaves";
        assert!(follows("Write a haiku about the ocean at night.", haiku));
        assert!(!follows("Write a haiku about the ocean at night.", prose));
        let poem = "The clouds roll in, the sky turns grey,\nthe puddles gather where we play.";
        assert!(follows("Write a short rhyming poem about rain.", poem));
        assert!(!follows(
            "Write a short rhyming poem about rain.",
            "Rain falls on the window and I read a book."
        ));
    }
}
