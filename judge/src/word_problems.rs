//! Word problems the judge solves itself, so that a wrong final number
//! loses without a reference answer. A 135M judge model cannot do the sum
//! in its log-probabilities: a wrong operation done right ("40 + 3 is 43"
//! for marbles given away) is as fluent as the right one (BENCHMARKS.md,
//! "Judge evaluation sets").
//!
//! The question is read for the schemas of one- and two-step problems that
//! school texts and solvers of the ARIS line (Hosseini et al. 2014) name:
//! adding to and taking from, a part of a whole, equal groups, a rate over
//! a count of its unit, the time a total takes at a rate, sharing
//! equally, grouping into sets, unit conversion and percentages.
//! A problem counts as solved only when exactly one value comes out of the
//! schemas that match, and the matching schema used every number in the
//! question: a number left over means a problem the schemas do not cover,
//! and the rule then says nothing.

use std::sync::LazyLock;

use regex::{Captures, Regex};

use crate::arithmetic::{NUMBER, NUMBER_RE, number_value};

/// A longer question sets no rule: a long text with numbers is a
/// passage, not a word problem.
const MAX_QUESTION_CHARS: usize = 320;

/// The value `prompt`'s question asks for, with the question's words, when
/// the question is a word problem of a schema this module solves.
pub fn solved_value(prompt: &str) -> Option<(&str, f64)> {
    let question = prompt
        .trim_end()
        .rsplit_once("\n\n")
        .map_or(prompt, |(_, last)| last)
        .trim();
    if !question.ends_with('?') || question.len() > MAX_QUESTION_CHARS {
        return None;
    }
    let text = question.to_lowercase();
    let numbers = NUMBER_RE.find_iter(&text).count();
    let mut values: Vec<f64> = SCHEMAS
        .iter()
        .filter_map(|solve| solve(&text))
        .filter(|solution| solution.used == numbers)
        .map(|solution| solution.value)
        .collect();
    values.sort_by(f64::total_cmp);
    values.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    match values[..] {
        [value] if value.is_finite() && value >= 0.0 => Some((question, value)),
        _ => None,
    }
}

/// A schema's value and how many of the question's numbers it used.
struct Solution {
    value: f64,
    used: usize,
}

type Schema = fn(&str) -> Option<Solution>;

const SCHEMAS: [Schema; 9] = [
    change,
    part_of_whole,
    equal_groups,
    rate,
    filling,
    sharing,
    grouping,
    conversion,
    percentage,
];

/// Compiles a schema's pattern, where `N` stands for a number that starts
/// a word or follows a currency sign.
fn schema(template: &str) -> Regex {
    Regex::new(&template.replace('N', &format!(r"(?:\$|\b)({NUMBER})"))).expect("schema pattern")
}

fn number(captures: &Captures, group: usize) -> f64 {
    number_value(&captures[group]).expect("the pattern matched a number")
}

/// Whether `noun` names `unit` or its plural ("day", "days"; "box",
/// "boxes"; "candy", "candies").
fn same_noun(noun: &str, unit: &str) -> bool {
    noun == unit
        || noun.strip_suffix('s') == Some(unit)
        || noun.strip_suffix("es") == Some(unit)
        || (unit
            .strip_suffix('y')
            .is_some_and(|stem| noun.strip_suffix("ies") == Some(stem)))
}

/// "has 40 marbles and gives away 3 (how many are left?)", "has 28 books
/// and gets 12 more (how many now?)".
fn change(text: &str) -> Option<Solution> {
    static CHANGE: LazyLock<Regex> = LazyLock::new(|| {
        schema(
            r"N\s+(?:[a-z]+\s+){0,3}?and\s+(?:then\s+)?(gets|finds|buys|receives|collects|picks|earns|wins|makes|gives away|gives|loses|eats|spends|sells|uses|drops|breaks)\s+(?:another\s+)?N(\s+more)?\b",
        )
    });
    let c = CHANGE.captures(text)?;
    let (start, step) = (number(&c, 1), number(&c, 3));
    let gain = matches!(
        &c[2],
        "gets" | "finds" | "buys" | "receives" | "collects" | "picks" | "earns" | "wins" | "makes"
    );
    static TOTAL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b(now|in all|altogether|in total)\b").expect("total words"));
    static LEFT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b(left|remain|remains|now)\b").expect("left words"));
    let value = if gain && (c.get(4).is_some() || TOTAL.is_match(text)) {
        start + step
    } else if !gain && LEFT.is_match(text) {
        start - step
    } else {
        return None;
    };
    Some(Solution { value, used: 2 })
}

/// "has 52 seats and 19 of them are empty. How many seats are taken?"
fn part_of_whole(text: &str) -> Option<Solution> {
    static PART: LazyLock<Regex> = LazyLock::new(|| {
        schema(
            r"N\s+[a-z]+\s+and\s+N\s+of\s+them\s+are\s+([a-z]+)\b.*\bhow\s+many(?:\s+[a-z]+)?\s+are\s+([a-z]+)",
        )
    });
    let c = PART.captures(text)?;
    (c[3] != c[4]).then(|| Solution {
        value: number(&c, 1) - number(&c, 2),
        used: 2,
    })
}

/// "5 packs of apples with 10 in each pack", "4 classes of 28 pupils and 3
/// classes of 31 pupils (in total)", "12 crayons in each of 6 boxes".
fn equal_groups(text: &str) -> Option<Solution> {
    static GROUPS: LazyLock<Regex> = LazyLock::new(|| {
        schema(
            r"N\s+([a-z]+)\s+of\s+(?:(?:[a-z]+\s+){1,2}with\s+)?N\b|N\s+(?:[a-z]+\s+)?in\s+each\s+of\s+N\b",
        )
    });
    const NOT_GROUPS: [&str; 6] = ["of", "out", "them", "those", "these", "percent"];
    let products: Vec<f64> = GROUPS
        .captures_iter(text)
        .map(|c| {
            if c.get(1).is_some() && !NOT_GROUPS.contains(&&c[2]) {
                Some(number(&c, 1) * number(&c, 3))
            } else if c.get(4).is_some() {
                Some(number(&c, 4) * number(&c, 5))
            } else {
                None
            }
        })
        .collect::<Option<_>>()?;
    static TOTAL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b(in total|in all|altogether|are there)\b").expect("total words")
    });
    let total = products.len() == 1 || TOTAL.is_match(text);
    (!products.is_empty() && total).then(|| Solution {
        value: products.iter().sum(),
        used: 2 * products.len(),
    })
}

/// "14 pages a day for 9 days", "60 km per hour for 3 hours", "earns $15
/// an hour and works 38 hours", "a pen costs 3 dollars; how much do 12
/// pens cost?".
fn rate(text: &str) -> Option<Solution> {
    static RATE: LazyLock<Regex> = LazyLock::new(|| {
        schema(
            r"N\s+(?:[a-z]+\s+){0,3}?(?:per|a|an|each)\s+([a-z]+)\b|\b(?:a|an|one|each)\s+([a-z]+)\s+costs?\s+N",
        )
    });
    static COUNT: LazyLock<Regex> = LazyLock::new(|| schema(r"N\s+([a-z]+)"));
    let solutions: Vec<f64> = RATE
        .captures_iter(text)
        .filter_map(|c| {
            let (per, unit) = match c.get(1) {
                Some(_) => (number(&c, 1), c.get(2)?.as_str()),
                None => (number(&c, 4), c.get(3)?.as_str()),
            };
            let counts: Vec<f64> = COUNT
                .captures_iter(text)
                .filter(|n| same_noun(&n[2], unit))
                .map(|n| number(&n, 1))
                .collect();
            match counts[..] {
                [count] => Some(per * count),
                _ => None,
            }
        })
        .collect();
    match solutions[..] {
        [value] => Some(Solution { value, used: 2 }),
        _ => None,
    }
}

/// "holds 180 litres and a hose fills it at 12 litres per minute. How
/// many minutes does it take?", "a 240-litre tank": the time a total takes
/// at a rate of the same unit, a whole quotient only.
fn filling(text: &str) -> Option<Solution> {
    static RATE: LazyLock<Regex> =
        LazyLock::new(|| schema(r"N\s+([a-z]+)\s+(?:per|a|an|each)\s+([a-z]+)\b"));
    static AMOUNT: LazyLock<Regex> = LazyLock::new(|| schema(r"N[\s-]([a-z]+)"));
    static ASKED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\bhow\s+many\s+([a-z]+)").expect("asked pattern"));
    let [rate] = &RATE.captures_iter(text).collect::<Vec<_>>()[..] else {
        return None;
    };
    let (unit, period) = (&rate[2], &rate[3]);
    if !same_noun(&ASKED.captures(text)?[1], period) {
        return None;
    }
    let rate_at = rate.get(1)?.start();
    let totals: Vec<f64> = AMOUNT
        .captures_iter(text)
        .filter(|c| c.get(1).is_some_and(|n| n.start() != rate_at))
        // "a 240-litre tank" at "16 litres per minute"
        .filter(|c| same_noun(&c[2], unit) || same_noun(unit, &c[2]))
        .map(|c| number(&c, 1))
        .collect();
    match totals[..] {
        [total] => whole_quotient(total, number(rate, 1)),
        _ => None,
    }
}

/// "shares 24 cards equally among 4 friends", "splits $60 between 3
/// people": a whole quotient only.
fn sharing(text: &str) -> Option<Solution> {
    static SHARE: LazyLock<Regex> = LazyLock::new(|| {
        schema(
            r"\b(?:shares?|splits?|divides?)\s+(?:[a-z]+\s+){0,2}?N\s+(?:[a-z]+\s+){0,2}?(?:equally\s+)?(?:among|between)\s+N\b",
        )
    });
    let c = SHARE.captures(text)?;
    whole_quotient(number(&c, 1), number(&c, 2))
}

/// "makes 96 rolls and packs them into bags of 8. How many bags?"
fn grouping(text: &str) -> Option<Solution> {
    static INTO: LazyLock<Regex> = LazyLock::new(|| {
        schema(
            r"N\s+[a-z]+\s+(?:[a-z]+\s+){0,4}?into\s+([a-z]+)\s+of\s+N\b.*\bhow\s+many\s+([a-z]+)",
        )
    });
    let c = INTO.captures(text)?;
    if c[2] != c[4] {
        return None;
    }
    whole_quotient(number(&c, 1), number(&c, 3))
}

fn whole_quotient(dividend: f64, divisor: f64) -> Option<Solution> {
    let value = dividend / divisor;
    (divisor != 0.0 && value.fract() == 0.0).then_some(Solution { value, used: 2 })
}

/// "How many minutes are in 2.5 hours?"
fn conversion(text: &str) -> Option<Solution> {
    static CONVERT: LazyLock<Regex> = LazyLock::new(|| {
        schema(r"\bhow\s+many\s+([a-z]+)\s+(?:are\s+)?(?:there\s+)?in\s+N\s+([a-z]+)\s*\?$")
    });
    /// Small units per large unit.
    const UNITS: [(&str, &str, f64); 12] = [
        ("second", "minute", 60.0),
        ("minute", "hour", 60.0),
        ("hour", "day", 24.0),
        ("day", "week", 7.0),
        ("month", "year", 12.0),
        ("millimetre", "centimetre", 10.0),
        ("centimetre", "metre", 100.0),
        ("metre", "kilometre", 1000.0),
        ("gram", "kilogram", 1000.0),
        ("millilitre", "litre", 1000.0),
        ("inch", "foot", 12.0),
        ("ounce", "pound", 16.0),
    ];
    let c = CONVERT.captures(text)?;
    let canonical = |word: &str| word.replace("meter", "metre").replace("liter", "litre");
    let (small, large) = (canonical(&c[1]), canonical(&c[3]));
    let amount = number(&c, 2);
    UNITS.iter().find_map(|(s, l, factor)| {
        let (s, l) = (*s, *l);
        let plural_or_one =
            |noun: &str, unit: &str| same_noun(noun, unit) || (unit == "foot" && noun == "feet");
        (plural_or_one(&small, s) && plural_or_one(&large, l)).then(|| Solution {
            value: amount * factor,
            used: 1,
        })
    })
}

/// "What is 15% of 80?", "costs $40 and is on sale for 25% off. What is
/// the sale price?"
fn percentage(text: &str) -> Option<Solution> {
    static OF: LazyLock<Regex> =
        LazyLock::new(|| schema(r"^what\s+is\s+N\s*(?:%|\s+percent)\s+of\s+N\s*\?$"));
    static OFF: LazyLock<Regex> = LazyLock::new(|| {
        schema(
            r"\bcosts?\s+N\b.*?N\s*(?:%|\s+percent)\s+off\b.*\b(?:sale|new|final|reduced)\s+price\b",
        )
    });
    if let Some(c) = OF.captures(text) {
        return Some(Solution {
            value: number(&c, 1) * number(&c, 2) / 100.0,
            used: 2,
        });
    }
    let c = OFF.captures(text)?;
    Some(Solution {
        value: number(&c, 1) * (1.0 - number(&c, 2) / 100.0),
        used: 2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solved(question: &str) -> Option<f64> {
        solved_value(&format!("Answer the question.\n\n{question}")).map(|(_, v)| v)
    }

    #[test]
    fn each_schema_is_solved() {
        for (question, value) in [
            (
                "Kim has 30 stamps and gets 14 more. How many stamps does Kim have now?",
                44.0,
            ),
            (
                "Raj has 50 dollars and spends 18. How much money is left?",
                32.0,
            ),
            (
                "Sue picked 25 plums and then eats 4. How many plums remain?",
                21.0,
            ),
            (
                "A hall has 120 chairs and 45 of them are broken. How many chairs are usable?",
                75.0,
            ),
            (
                "Lee buys 3 crates of pears with 24 in each crate. How many pears is that?",
                72.0,
            ),
            (
                "A farm has 2 pens of 9 goats and 3 pens of 7 goats. How many goats are there in total?",
                39.0,
            ),
            (
                "There are 6 eggs in each of 5 cartons. How many eggs are there?",
                30.0,
            ),
            (
                "A cyclist rides 15 km per hour for 4 hours. How far does she ride?",
                60.0,
            ),
            (
                "Ava saves $12 a week for 10 weeks. How much does she save?",
                120.0,
            ),
            (
                "If a ticket costs 8 dollars, how much do 5 tickets cost?",
                40.0,
            ),
            (
                "Max shares 36 grapes equally among 6 friends. How many does each friend get?",
                6.0,
            ),
            (
                "A cook bakes 48 buns and puts them into trays of 12. How many trays does he fill?",
                4.0,
            ),
            (
                "A tank holds 180 litres and a hose fills it at 12 litres per minute. How many minutes does it take to fill the empty tank?",
                15.0,
            ),
            (
                "A 96-page report is printed at 8 pages a minute. How many minutes does it take?",
                12.0,
            ),
            ("How many seconds are there in 3 minutes?", 180.0),
            ("How many centimeters are in 2.5 meters?", 250.0),
            ("What is 20% of 150?", 30.0),
            (
                "A coat costs $80 and is on sale for 10% off. What is the sale price?",
                72.0,
            ),
        ] {
            assert_eq!(solved(question), Some(value), "{question}");
        }
    }

    #[test]
    fn problems_outside_the_schemas_set_no_rule() {
        for question in [
            // A number no schema uses.
            "Kim has 30 stamps and gets 14 more, then loses 5. How many stamps does Kim have now?",
            // No question.
            "Kim has 30 stamps and gets 14 more.",
            // A quotient that is not whole: the rounding is the answer's to choose.
            "Max shares 10 grapes equally among 4 friends. How many does each friend get?",
            // A total that a rate does not divide: rounding up or down is the answer's.
            "Mia reads 25 pages a day. How many days does she need for a 340-page book?",
            // Two totals of the rate's unit.
            "A pool holds 900 litres, a tank 300 litres, and a hose gives 30 litres per minute. How many minutes?",
            // The part asked about is the part given.
            "A hall has 120 chairs and 45 of them are broken. How many chairs are broken?",
            // A unit pair not in the table.
            "How many cups are in 3 quarts?",
            // A passage with numbers, not a word problem.
            "In 1969, 3 astronauts flew to the Moon. Why was the mission important?",
            "What is the capital of Australia?",
        ] {
            assert_eq!(solved(question), None, "{question}");
        }
    }

    #[test]
    fn only_the_last_paragraph_is_read() {
        let prompt = "Use 2 sentences.\n\nMax shares 36 grapes equally among 6 friends. How many does each friend get?";
        assert_eq!(solved_value(prompt).map(|(_, v)| v), Some(6.0));
        assert_eq!(
            solved_value(
                "Max shares 36 grapes equally among 6 friends. How many does each get?\n\nSummarize the text above."
            ),
            None
        );
    }
}
