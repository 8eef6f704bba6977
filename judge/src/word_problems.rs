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
use crate::checks::Check;
use crate::temperatures::{celsius, fahrenheit};
use crate::units::{given_units, unit_named};

/// A longer question sets no rule: a long text with numbers is a
/// passage, not a word problem.
const MAX_QUESTION_CHARS: usize = 320;

/// What a solved word problem asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Solved {
    /// A number: the answer's last number must be it.
    Number(f64),
    /// A time of day, in minutes after 12:00 on a 12-hour clock: the
    /// answer's last clock time must show it ([`clock_times`]).
    ClockTime(u32),
    /// A percentage: the answer's last number must be it, or the answer
    /// must give it with "%" or "percent" (working that ends on the
    /// fraction, "12%. … 1,500 ÷ 12,500 = 0.12", gives it first).
    Percent(f64),
}

impl Solved {
    /// The check an answer to the problem must pass.
    pub fn check(self) -> Check {
        match self {
            Self::Number(expected) => Check::NumericAnswer {
                expected,
                tolerance: 0.0,
            },
            Self::ClockTime(minutes) => Check::ClockTime { minutes },
            Self::Percent(value) => {
                let digits = regex::escape(&value.to_string());
                Check::Matches {
                    pattern: format!(
                        r"(?s)(?:^|[^\d.,]){digits}(?:\.0+)?(?:\s*(?:%|percent\b)|\D*$)"
                    ),
                }
            }
        }
    }

    /// Whether two schemas found the same answer.
    fn same(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Number(a), Self::Number(b)) => (a - b).abs() < 1e-9,
            (Self::ClockTime(a), Self::ClockTime(b)) => a == b,
            (Self::Percent(a), Self::Percent(b)) => (a - b).abs() < 1e-9,
            _ => false,
        }
    }
}

/// What `prompt`'s question asks for, with the question's words, when the
/// question is a word problem of a schema this module solves.
pub fn solved_value(prompt: &str) -> Option<(&str, Solved)> {
    let question = prompt
        .trim_end()
        .rsplit_once("\n\n")
        .map_or(prompt, |(_, last)| last)
        .trim();
    let text = question.to_lowercase();
    let asks = question.ends_with('?') || ORDER.is_match(&text);
    if !asks || question.len() > MAX_QUESTION_CHARS {
        return None;
    }
    if conversion(&text).is_none() && asks_in_another_unit(&text) {
        return None;
    }
    let numbers = NUMBER_RE.find_iter(&text).count();
    let mut values: Vec<Solved> = Vec::new();
    for solution in SCHEMAS.iter().filter_map(|solve| solve(&text)) {
        let finite = !matches!(solution.value, Solved::Number(v) if !v.is_finite());
        if finite && solution.used == numbers && !values.iter().any(|v| v.same(&solution.value)) {
            values.push(solution.value);
        }
    }
    match values[..] {
        [Solved::Number(value)] if value < 0.0 => None,
        [value] => Some((question, value)),
        _ => None,
    }
}

/// A problem set as an order rather than a question ("Find the mean of 12,
/// 19, 23 and 30.").
static ORDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:find|calculate|compute|work\s+out|determine|convert)\b")
        .expect("order pattern")
});

/// A schema's answer and how many of the question's numbers it used.
struct Solution {
    value: Solved,
    used: usize,
}

impl Solution {
    fn number(value: f64, used: usize) -> Self {
        Self {
            value: Solved::Number(value),
            used,
        }
    }
}

type Schema = fn(&str) -> Option<Solution>;

const SCHEMAS: [Schema; 24] = [
    change,
    part_of_whole,
    equal_groups,
    each_group,
    rate,
    proportion,
    filling,
    sharing,
    grouping,
    conversion,
    temperature,
    percentage,
    discounts,
    price_before,
    percent_change,
    simple_interest,
    percent_of_count,
    rectangle,
    covering,
    mean,
    score_needed,
    age,
    clock,
    speed,
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
    Some(Solution::number(value, 2))
}

/// "has 52 seats and 19 of them are empty. How many seats are taken?"
fn part_of_whole(text: &str) -> Option<Solution> {
    static PART: LazyLock<Regex> = LazyLock::new(|| {
        schema(
            r"N\s+[a-z]+\s+and\s+N\s+of\s+them\s+are\s+([a-z]+)\b.*\bhow\s+many(?:\s+[a-z]+)?\s+are\s+([a-z]+)",
        )
    });
    let c = PART.captures(text)?;
    (c[3] != c[4]).then(|| Solution::number(number(&c, 1) - number(&c, 2), 2))
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
    (!products.is_empty() && total)
        .then(|| Solution::number(products.iter().sum(), 2 * products.len()))
}

/// "14 pages a day for 9 days", "60 km per hour for 3 hours", "earns $15
/// an hour and works 38 hours", "a pen costs 3 dollars; how much do 12
/// pens cost?".
fn rate(text: &str) -> Option<Solution> {
    static RATE: LazyLock<Regex> = LazyLock::new(|| {
        schema(
            r"N\s+(?:[a-z]+\s+){0,3}?(?:per|a|an|each|every)\s+([a-z]+)\b|\b(?:a|an|one|each)\s+([a-z]+)\s+costs?\s+N",
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
        [value] => Some(Solution::number(value, 2)),
        _ => None,
    }
}

/// "holds 180 litres and a hose fills it at 12 litres per minute. How
/// many minutes does it take?", "a 240-litre tank": the time a total takes
/// at a rate of the same unit, a whole quotient only.
fn filling(text: &str) -> Option<Solution> {
    static RATE: LazyLock<Regex> =
        LazyLock::new(|| schema(r"N\s+([a-z]+)\s+(?:per|a|an|each|every)\s+([a-z]+)\b"));
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
    (divisor != 0.0 && value.fract() == 0.0).then_some(Solution::number(value, 2))
}

/// "How many minutes are in 2.5 hours?", "How many metres are in 3 km?":
/// two units of one kind ([`crate::units`]).
fn conversion(text: &str) -> Option<Solution> {
    static CONVERT: LazyLock<Regex> = LazyLock::new(|| {
        schema(r"\bhow\s+many\s+([a-z]+)\s+(?:are\s+)?(?:there\s+)?in\s+N\s+([a-z]+)\s*\?$")
    });
    let c = CONVERT.captures(text)?;
    let (asked_kind, asked) = unit_named(&c[1])?;
    let (given_kind, given) = unit_named(&c[3])?;
    (asked_kind == given_kind).then(|| Solution::number(number(&c, 2) * given / asked, 1))
}

/// Whether the question asks for an amount in a unit its numbers are not
/// given in, while they are given in another unit of that kind ("400 m
/// per lap … How many kilometres?"): the other schemas reckon with the
/// numbers as given, so their answer would be in the wrong unit.
fn asks_in_another_unit(text: &str) -> bool {
    static ASKED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\bhow\s+(?:many|much)\s+([a-z]+)|\bin\s+([a-z]+)\s*\?$").expect("asked unit")
    });
    let Some(asked) = ASKED
        .captures(text)
        .and_then(|c| c.get(1).or(c.get(2)))
        .and_then(|w| unit_named(w.as_str()))
    else {
        return false;
    };
    let given = given_units(text);
    given.iter().any(|g| g.0 == asked.0) && !given.contains(&asked)
}

/// "Convert 100 degrees Celsius to Fahrenheit.", "What is 68 °F in
/// Celsius?"; a Celsius temperature with no scale named converts to
/// Fahrenheit, the other scale of everyday use.
fn temperature(text: &str) -> Option<Solution> {
    static CONVERT: LazyLock<Regex> = LazyLock::new(|| {
        schema(
            r"^(?:convert|what\s+is)\s+(-)?N\s*(?:°\s*|degrees?\s+)(celsius|centigrade|c|fahrenheit|f)\b(?:\s+(?:to|in|into)\s+(?:degrees?\s+)?(celsius|centigrade|c|fahrenheit|f)\b)?\s*[.?]?$",
        )
    });
    let c = CONVERT.captures(text)?;
    let sign = if c.get(1).is_some() { -1.0 } else { 1.0 };
    let degrees = sign * number(&c, 2);
    let from_celsius = !c[3].starts_with('f');
    let to_celsius = c.get(4).map(|to| !to.as_str().starts_with('f'));
    let value = match (from_celsius, to_celsius) {
        (true, None | Some(false)) => fahrenheit(degrees),
        (false, None | Some(true)) => celsius(degrees),
        _ => return None,
    };
    Some(Solution::number(value, 1))
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
        return Some(Solution::number(number(&c, 1) * number(&c, 2) / 100.0, 2));
    }
    let c = OFF.captures(text)?;
    Some(Solution::number(
        number(&c, 1) * (1.0 - number(&c, 2) / 100.0),
        2,
    ))
}

/// A percentage that changes a price, with the factor it changes it by:
/// taken off or added on as the words beside it say ("marked down 25%",
/// "a 10% sales tax is added"); None where they say neither or both.
fn price_changes(text: &str) -> Vec<Option<f64>> {
    static CUT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:off|down|discount(?:ed)?|reduced|reduction|cut|less)$")
            .expect("cut pattern")
    });
    static ADDED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^(?:tax|added|plus|surcharge|markup|raised|increased|increase|rise|rises|rose)$",
        )
        .expect("added pattern")
    });
    /// Words on each side of a percentage that must say how it changes the price.
    const NEAR: usize = 3;
    PERCENT
        .captures_iter(text)
        .map(|m| {
            let whole = m.get(0).expect("whole match");
            let before = text[..whole.start()].split_whitespace().rev().take(NEAR);
            let after = text[whole.end()..].split_whitespace().take(NEAR + 1);
            let words: Vec<&str> = before
                .chain(after)
                .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
                .collect();
            let taken_off = words.iter().any(|w| CUT.is_match(w));
            let added_on = words.iter().any(|w| ADDED.is_match(w));
            let sign = match (taken_off, added_on) {
                (true, false) => -1.0,
                (false, true) => 1.0,
                _ => return None,
            };
            Some(1.0 + sign * number(&m, 1) / 100.0)
        })
        .collect()
}

/// A percentage: "25%", "25 percent".
static PERCENT: LazyLock<Regex> = LazyLock::new(|| schema(r"N\s*(?:%|\s+percent\b)"));

/// A question about the price before a change ("What was its price before
/// the discount?", "the original price").
static PRICE_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:before|original|originally|earlier)\b").expect("price before pattern")
});

/// "costs $80. It is marked down 25%, and then an extra 10% is taken off
/// the reduced price. What is the final price?", "is discounted by 25%,
/// and then a 10% sales tax is added", "raised by 20% in spring and then
/// cut by 20% in autumn. What is the autumn price?": two or more changes,
/// each a percentage of the price the one before left (not added up).
fn discounts(text: &str) -> Option<Solution> {
    static PRICE: LazyLock<Regex> = LazyLock::new(|| {
        schema(
            r"\bcosts?\s+N\b.*(?:\b(?:sale|new|final|reduced)\s+price\b|\bwhat\s+is\s+(?:the|its)\s+(?:[a-z]+\s+)?price\b)",
        )
    });
    if PRICE_BEFORE.is_match(text) {
        return None;
    }
    let c = PRICE.captures(text)?;
    let changes = price_changes(text);
    let price = changes
        .iter()
        .try_fold(number(&c, 1), |price, change| Some(price * (*change)?))?;
    (changes.len() >= 2).then(|| Solution::number((price * 1e6).round() / 1e6, changes.len() + 1))
}

/// "After a 15% discount, a coat costs $187. What was its price before the
/// discount?": the price one change left, taken back (divided by the
/// change's factor, not undone by the opposite percentage).
fn price_before(text: &str) -> Option<Solution> {
    static PRICE: LazyLock<Regex> = LazyLock::new(|| schema(r"\bcosts?\s+[$£€]N\b"));
    if !PRICE_BEFORE.is_match(text) {
        return None;
    }
    let c = PRICE.captures(text)?;
    let [Some(change)] = price_changes(text)[..] else {
        return None;
    };
    let value = number(&c, 1) / change;
    at_most_cents((value * 1e6).round() / 1e6)
        .then(|| Solution::number((value * 1e6).round() / 1e6, 2))
}

/// "grew from 24,000 to 27,600 over five years. By what percentage did it
/// increase?": the change as a percentage of where it started (not of
/// where it ended), where the words asked agree with its direction.
fn percent_change(text: &str) -> Option<Solution> {
    static FROM_TO: LazyLock<Regex> =
        LazyLock::new(|| schema(r"\bfrom\s+[£€]?N\s*(?:[a-z%]+\s+)?to\s+[£€]?N\b"));
    static ASKED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\bwhat\s+percent(?:age)?\b|\bpercent(?:age)?\s+(?P<change>[a-z]+)\b")
            .expect("percent change pattern")
    });
    static UP: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b(?:increase[sd]?|rise|rose|grow|grew|growth|gain(?:ed)?)\b").expect("up")
    });
    static DOWN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b(?:decrease[sd]?|fall|fell|drop(?:ped)?|decline[sd]?|shr[iau]nk)\b")
            .expect("down")
    });
    let c = FROM_TO.captures(text)?;
    let asked = ASKED.captures(text)?;
    let question = &text[asked.get(0)?.start()..];
    let (from, to) = (number(&c, 1), number(&c, 2));
    let (up, down) = (UP.is_match(question), DOWN.is_match(question));
    if from <= 0.0 || (up && to < from) || (down && to > from) || (up && down) {
        return None;
    }
    let value = ((to - from).abs() / from * 100.0 * 1e6).round() / 1e6;
    at_most_cents(value).then_some(Solution {
        value: Solved::Percent(value),
        used: 2,
    })
}

/// "deposits $2,500 in an account paying 4% simple interest per year. How
/// much interest has she earned after 3 years?": the principal times the
/// yearly rate times the years; the balance where the question asks what
/// the account holds or is worth.
fn simple_interest(text: &str) -> Option<Solution> {
    static TERMS: LazyLock<Regex> = LazyLock::new(|| {
        schema(
            r"\$N\b.*?\bN\s*(?:%|\s+percent\b)\s*(?:a\s+year\s+|per\s+year\s+|annual\s+|yearly\s+)?simple\s+interest\b(?:\s+(?:a|per)\s+year)?.*?\bN\s+years?\b",
        )
    });
    static ASKED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?P<interest>\bhow\s+much\s+interest\b)|(?P<balance>\bhow\s+much\s+(?:money\s+)?(?:is|will\s+be|does\s+\w+\s+have)\s+in\s+the\s+account\b|\bwhat\s+is\s+the\s+(?:total|balance)\b)")
            .expect("asked interest pattern")
    });
    let c = TERMS.captures(text)?;
    let asked = ASKED.captures(text)?;
    let interest = number(&c, 1) * number(&c, 2) / 100.0 * number(&c, 3);
    let value = if asked.name("interest").is_some() {
        interest
    } else {
        number(&c, 1) + interest
    };
    at_most_cents(value).then(|| Solution::number(value, 3))
}

/// Whether `value` has at most two decimals: a quotient that runs on is
/// the answer's to round, so it sets no rule.
fn at_most_cents(value: f64) -> bool {
    ((value * 100.0).round() - value * 100.0).abs() < 1e-6
}

/// "a café has 9 tables, and each table has 6 chairs. How many chairs
/// …?": equal groups counted by "each", asked for the counted thing.
fn each_group(text: &str) -> Option<Solution> {
    static EACH: LazyLock<Regex> = LazyLock::new(|| {
        schema(
            r"N\s+[a-z]+\b[^.?]*?\beach(?:\s+of\s+them|\s+[a-z]+)?\s+(?:has|holds|contains|carries|seats|fits|had|have)\s+N\s+([a-z]+)",
        )
    });
    let c = EACH.captures(text)?;
    let asked = ASKED_COUNT.captures(text)?;
    same_noun(&asked[1], &c[3]).then(|| Solution::number(number(&c, 1) * number(&c, 2), 2))
}

/// "How many pupils …", "how many chairs …": the thing a question counts.
static ASKED_COUNT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bhow\s+many\s+([a-z]+)").expect("asked count pattern"));

/// "6.5 litres of fuel per 100 km … for a 340 km journey": an amount per
/// a number of units, scaled to another number of the same units.
fn proportion(text: &str) -> Option<Solution> {
    static PER: LazyLock<Regex> = LazyLock::new(|| {
        schema(
            r"N\s+[a-z]+\s+(?:of\s+[a-z]+\s+)?(?:per|for\s+every|every|for\s+each)\s+N[\s-]?([a-z]+)",
        )
    });
    static AMOUNT: LazyLock<Regex> = LazyLock::new(|| schema(r"N[\s-]?([a-z]+)"));
    let [per] = &PER.captures_iter(text).collect::<Vec<_>>()[..] else {
        return None;
    };
    let unit = &per[3];
    let given_at = [per.get(1)?.start(), per.get(2)?.start()];
    let wanted: Vec<f64> = AMOUNT
        .captures_iter(text)
        .filter(|c| c.get(1).is_some_and(|n| !given_at.contains(&n.start())))
        .filter(|c| same_noun(&c[2], unit) || same_noun(unit, &c[2]))
        .map(|c| number(&c, 1))
        .collect();
    let [wanted] = wanted[..] else {
        return None;
    };
    let value = number(per, 1) * wanted / number(per, 2);
    (number(per, 2) != 0.0 && at_most_cents(value)).then(|| Solution::number(value, 3))
}

/// "In a class of 40 pupils, 35% walk to school. How many pupils walk …?":
/// a percentage of a counted whole, a whole result only. A question
/// about the rest ("how many do not") is left alone.
fn percent_of_count(text: &str) -> Option<Solution> {
    static PERCENT: LazyLock<Regex> = LazyLock::new(|| schema(r"N\s*(?:%|\s+percent\b)"));
    static COUNT: LazyLock<Regex> = LazyLock::new(|| schema(r"N\s+([a-z]+)"));
    static REST: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b(?:not|don't|doesn't|other|rest|left|remain\w*|more|fewer|less|increase\w*|decrease\w*|off|discount)\b")
            .expect("rest pattern")
    });
    let [percent] = &PERCENT.captures_iter(text).collect::<Vec<_>>()[..] else {
        return None;
    };
    if REST.is_match(text) {
        return None;
    }
    let asked = ASKED_COUNT.captures(text)?;
    let wholes: Vec<f64> = COUNT
        .captures_iter(text)
        .filter(|c| same_noun(&c[2], &asked[1]))
        .map(|c| number(&c, 1))
        .collect();
    let [whole] = wholes[..] else {
        return None;
    };
    let value = whole * number(percent, 1) / 100.0;
    (value.fract() == 0.0).then(|| Solution::number(value, 2))
}

/// "measures 14 m by 9 m", "12 m long and 7.5 m wide": a rectangle's
/// area, or its perimeter where the question asks for a fence or border
/// all the way around.
fn rectangle(text: &str) -> Option<Solution> {
    static AROUND: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b(?:perimeter|fenc\w*|border|edging|all\s+the\s+way\s+around|around\s+the\s+(?:edge|outside))\b")
            .expect("around pattern")
    });
    let [a, b] = rectangle_sides(text)?;
    let value = match (AREA.is_match(text), AROUND.is_match(text)) {
        (true, false) => a * b,
        (false, true) => 2.0 * (a + b),
        _ => return None,
    };
    at_most_cents(value).then(|| Solution::number(value, 2))
}

/// The sides of the one rectangle `text` gives ("14 m by 9 m", "12 m long
/// and 7.5 m wide").
fn rectangle_sides(text: &str) -> Option<[f64; 2]> {
    static SIDES: LazyLock<Regex> = LazyLock::new(|| {
        schema(
            r"N\s*(?:[a-z]+\s+)?(?:by|x|×)\s+N\b|N\s*(?:[a-z]+\s+)?(?:long|wide)\s+and\s+N\s*(?:[a-z]+\s+)?(?:long|wide)\b",
        )
    });
    let [sides] = &SIDES.captures_iter(text).collect::<Vec<_>>()[..] else {
        return None;
    };
    Some(match sides.get(1) {
        Some(_) => [number(sides, 1), number(sides, 2)],
        None => [number(sides, 3), number(sides, 4)],
    })
}

/// An area asked for.
static AREA: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\barea\b").expect("area pattern"));

/// "A garden measures 14 m by 9 m. A path 1 m wide runs all the way
/// around the outside of it. What is the area of the path?": the outer
/// rectangle less the inner (not the perimeter times the width). "A room
/// measures 4.5 m by 3.2 m. Carpet costs $28 per square metre. How much
/// will it cost?": the area times the price.
fn covering(text: &str) -> Option<Solution> {
    static PATH: LazyLock<Regex> = LazyLock::new(|| {
        schema(r"\b(?:path|border|strip|walkway)\s+N\s*(?:[a-z]+\s+)?wide\b.*\baround\b")
    });
    static PER_AREA: LazyLock<Regex> = LazyLock::new(|| {
        schema(
            r"[£€]?N\s*(?:[a-z]+\s+)?(?:per|a|an|each)\s+(?:square\s+(?:metre|meter|foot|feet|yard)|sq\.?\s*(?:m|ft)|m²|m2)(?:\W|$)",
        )
    });
    static COST: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b(?:how\s+much|cost|price|pay|spend)\b").expect("cost pattern")
    });
    let [a, b] = rectangle_sides(text)?;
    let value = if let Some(path) = PATH.captures(text) {
        let width = number(&path, 1);
        if !AREA.is_match(text) {
            return None;
        }
        (a + 2.0 * width) * (b + 2.0 * width) - a * b
    } else {
        let price = PER_AREA.captures(text)?;
        let question = text.rsplit(['.', '!']).find(|s| s.contains('?'))?;
        if !COST.is_match(question) {
            return None;
        }
        a * b * number(&price, 1)
    };
    let value = (value * 1e6).round() / 1e6;
    at_most_cents(value).then(|| Solution::number(value, 3))
}

/// "Find the mean of 12, 19, 23 and 30.", "scores of 70, 85 and 91. What
/// is the average?": the mean of one listed run of numbers. Average
/// speeds and rates are another schema's.
fn mean(text: &str) -> Option<Solution> {
    static ASKED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b(?:mean|average)\b").expect("mean pattern"));
    static RATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b(?:speed|per|rate|hour|km/h|mph)\b").expect("rate pattern")
    });
    if !ASKED.is_match(text) || RATE.is_match(text) {
        return None;
    }
    let values = only_list(text)?;
    let value = values.iter().sum::<f64>() / values.len() as f64;
    at_most_cents(value).then(|| Solution::number(value, values.len()))
}

/// The numbers of the one list `text` gives ("12, 19, 23 and 30"); none
/// where it gives none or several.
fn only_list(text: &str) -> Option<Vec<f64>> {
    static LIST: LazyLock<Regex> = LazyLock::new(|| schema(r"N(?:\s*,\s*N)*\s*,?\s+and\s+N\b"));
    let [list] = &LIST.find_iter(text).collect::<Vec<_>>()[..] else {
        return None;
    };
    Some(
        NUMBER_RE
            .find_iter(list.as_str())
            .filter_map(|m| number_value(m.as_str()))
            .collect(),
    )
}

/// "scored 72, 85, 90 and 81 on her first four quizzes. What score does
/// she need on the fifth quiz to have an average of exactly 84?": the
/// total the average asks for over one more score, less the scores so far.
fn score_needed(text: &str) -> Option<Solution> {
    static TARGET: LazyLock<Regex> = LazyLock::new(|| {
        schema(
            r"\b(?:mean|average)(?:\s+[a-z]+)?\s+(?:of|is|be)\s+(?:exactly\s+|at\s+least\s+)?N\b",
        )
    });
    static NEED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b(?:need|needs|must)\b").expect("need pattern"));
    const ORDINALS: [&str; 9] = [
        "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
    ];
    if !NEED.is_match(text) {
        return None;
    }
    let target = TARGET.captures(text)?;
    let scores = only_list(text)?;
    // The score asked for is the next one, named by its ordinal.
    let next = ORDINALS.get(scores.len().checked_sub(1)?)?;
    if !text
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w == *next)
    {
        return None;
    }
    let value = number(&target, 1) * (scores.len() + 1) as f64 - scores.iter().sum::<f64>();
    (value >= 0.0 && at_most_cents(value)).then(|| Solution::number(value, scores.len() + 1))
}

/// "Lena was born in 1987. How old will she turn on her birthday in
/// 2031?": the years between.
fn age(text: &str) -> Option<Solution> {
    static BORN: LazyLock<Regex> = LazyLock::new(|| schema(r"\bborn\s+in\s+N\b"));
    static YEAR: LazyLock<Regex> = LazyLock::new(|| schema(r"\bin\s+N\b"));
    static ASKED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\bhow\s+old\b").expect("age pattern"));
    let born = BORN.captures(text)?;
    if !ASKED.is_match(text) {
        return None;
    }
    let born_at = born.get(1)?.start();
    let years: Vec<f64> = YEAR
        .captures_iter(text)
        .filter(|c| c.get(1).is_some_and(|n| n.start() != born_at))
        .map(|c| number(&c, 1))
        .collect();
    let [year] = years[..] else {
        return None;
    };
    Some(Solution::number(year - number(&born, 1), 2))
}

/// A duration in words ("2 hours 35 minutes", "95 minutes", "3 hours"):
/// its minutes and how many numbers it states.
static DURATION: LazyLock<Regex> =
    LazyLock::new(|| schema(r"N\s+hours?(?:\s*,?\s*(?:and\s+)?N\s+minutes?)?|N\s+minutes?"));

/// The total minutes of the durations `text` states, and how many
/// numbers they use; None when it states none.
fn durations(text: &str) -> Option<(f64, usize)> {
    let (mut minutes, mut used) = (0.0, 0);
    for c in DURATION.captures_iter(text) {
        if let Some(hours) = c.get(1) {
            minutes += 60.0 * number_value(hours.as_str())?;
            used += 1;
            if let Some(more) = c.get(2) {
                minutes += number_value(more.as_str())?;
                used += 1;
            }
        } else {
            minutes += number(&c, 3);
            used += 1;
        }
    }
    (used > 0).then_some((minutes, used))
}

/// "A train leaves at 9:45 and the trip takes 2 hours 35 minutes. At what
/// time does it arrive?": a clock time moved on by the durations stated,
/// on a 12-hour clock (an answer may write "12:20" or "12:20 p.m.").
/// A question that counts back ("before", "earlier") is left alone.
fn clock(text: &str) -> Option<Solution> {
    static ASKED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\bwhat\s+time\b|\bwhen\s+(?:does|will|did)\b").expect("asked time pattern")
    });
    static BACK: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b(?:before|earlier|ago|back)\b").expect("back pattern"));
    let [start] = clock_times(text)[..] else {
        return None;
    };
    if !ASKED.is_match(text) || BACK.is_match(text) {
        return None;
    }
    let (minutes, used) = durations(text)?;
    let end = (f64::from(start) + minutes) % HALF_DAY;
    Some(Solution {
        value: Solved::ClockTime(end as u32),
        used: 2 + used,
    })
}

/// Minutes on a 12-hour clock.
const HALF_DAY: f64 = 12.0 * 60.0;

/// The clock times `text` writes ("9:45", "14:05"), in minutes after 12:00
/// on a 12-hour clock; a.m. and p.m. change nothing there.
pub(crate) fn clock_times(text: &str) -> Vec<u32> {
    static TIME: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b(\d{1,2}):(\d{2})\b").expect("time pattern"));
    TIME.captures_iter(text)
        .filter_map(|c| {
            let (hour, minute): (u32, u32) = (c[1].parse().ok()?, c[2].parse().ok()?);
            (hour < 24 && minute < 60).then_some((hour % 12) * 60 + minute)
        })
        .collect()
}

/// "travels 180 km in 2 hours 15 minutes. What is its average speed in
/// km/h?": a distance over the time it took, per hour.
fn speed(text: &str) -> Option<Solution> {
    static TRAVEL: LazyLock<Regex> =
        LazyLock::new(|| schema(r"N\s*(?:km|kilometres?|kilometers?|miles?)\s+in\s+\d"));
    static ASKED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\bspeed\b|km/h|\bmph\b|\bper\s+hour\b").expect("speed pattern")
    });
    let travel = TRAVEL.captures(text)?;
    if !ASKED.is_match(text) {
        return None;
    }
    let (minutes, used) = durations(text)?;
    let value = number(&travel, 1) * 60.0 / minutes;
    (minutes > 0.0 && at_most_cents(value)).then(|| Solution::number(value, 1 + used))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solved(question: &str) -> Option<f64> {
        match solved_value(&format!("Answer the question.\n\n{question}")) {
            Some((_, Solved::Number(value))) => Some(value),
            Some((_, Solved::ClockTime(minutes))) => Some(f64::from(minutes)),
            Some((_, Solved::Percent(value))) => Some(value),
            None => None,
        }
    }

    #[test]
    fn a_percentage_is_the_last_number_or_one_given_as_a_percentage() {
        let check = Solved::Percent(12.0).check();
        for right in [
            "12%. The rise is 1,500, and 1,500 ÷ 12,500 = 0.12.",
            "The rise is 1,500 of 12,500. Answer: 12",
            "It grew by 12 percent (1,500 more).",
        ] {
            assert!(check.evaluate(right).passed, "{right}");
        }
        for wrong in [
            "1,500 ÷ 14,000 ≈ 0.107, so about 10.7%. Answer: 10.7",
            "It grew by 112%. Answer: 112",
            "The rise is 1,500, so 12.5%.",
        ] {
            assert!(!check.evaluate(wrong).passed, "{wrong}");
        }
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
            ("How many months are there in 2 years?", 24.0),
            ("How many metres are in 3 km?", 3000.0),
            ("What is 20% of 150?", 30.0),
            (
                "A coat costs $80 and is on sale for 10% off. What is the sale price?",
                72.0,
            ),
            (
                "A café has 9 tables, and each table has 6 chairs around it. How many chairs are there altogether?",
                54.0,
            ),
            (
                "An office printer produces 15 pages every minute. How many minutes will it take to print a 390-page report?",
                26.0,
            ),
            (
                "A car burns 6.5 litres of fuel per 100 km. How much fuel does it need for a 340 km journey?",
                22.1,
            ),
            (
                "A car uses 6 litres of petrol for every 100 kilometres. How many litres does it need for a 450-kilometre trip?",
                27.0,
            ),
            (
                "In a class of 40 pupils, 35% walk to school. How many pupils walk to school?",
                14.0,
            ),
            (
                "A rectangular vegetable patch measures 14 m by 9 m. How many metres of fencing are needed to go all the way around it?",
                46.0,
            ),
            (
                "A rectangular garden is 12 m long and 7.5 m wide. What is its area in square metres?",
                90.0,
            ),
            ("Find the mean of 12, 19, 23 and 30.", 21.0),
            ("Convert 100 degrees Celsius.", 212.0),
            (
                "A jacket costs $80. It is marked down 25%, and then an extra 10% is taken off the reduced price at the checkout. What is the final price?",
                54.0,
            ),
            (
                "A lamp costs $50. It is marked down 20%, then its price is raised by 10%. What is the new price?",
                44.0,
            ),
            (
                "A coat costs $120. It is reduced by 15%, and then 5% tax is added. What is the final price?",
                107.1,
            ),
            (
                "A bicycle costs $300. Its price is raised by 10% in spring and then cut by 10% in autumn. What is the autumn price?",
                297.0,
            ),
            (
                "After a 20% discount, a lamp costs $36. What was its price before the discount?",
                45.0,
            ),
            (
                "Including a 5% tax, a coat costs $126. What was its original price before tax?",
                120.0,
            ),
            (
                "Omar puts $1,200 in a savings account paying 3% simple interest per year. How much interest does he earn in 5 years?",
                180.0,
            ),
            (
                "Ada deposits $800 at 5% simple interest a year. How much money is in the account after 2 years?",
                880.0,
            ),
            (
                "After a 15% discount, a jacket costs £68. What was its price before the discount, in pounds?",
                80.0,
            ),
            (
                "A town's population grew from 24,000 to 27,600 over five years. By what percentage did it increase?",
                15.0,
            ),
            (
                "A bike's price fell from £250 to £200. What is the percentage decrease?",
                20.0,
            ),
            (
                "Mia scored 72, 85, 90 and 81 on her first four quizzes. What score does she need on the fifth quiz to have an average of exactly 84 across all five?",
                92.0,
            ),
            (
                "A rectangular garden measures 14 m by 9 m. A path 1 m wide runs all the way around the outside of it. What is the area of the path in square metres?",
                50.0,
            ),
            (
                "A room measures 4.5 m by 3.2 m. Carpet costs $28 per square metre. How much will it cost, in dollars, to carpet the whole floor?",
                403.2,
            ),
            ("Convert 40 degrees Celsius to Fahrenheit.", 104.0),
            ("What is 68 °F in Celsius?", 20.0),
            (
                "Lena was born in 1987. How old will she turn on her birthday in 2031?",
                44.0,
            ),
            (
                "A car travels 180 km in 2 hours 15 minutes. What is its average speed in km/h?",
                80.0,
            ),
            (
                "A train leaves at 9:45 and the trip takes 2 hours 35 minutes. At what time does it arrive?",
                20.0,
            ),
            (
                "A meeting starts at 10:50 a.m. and lasts 95 minutes. At what time does it end?",
                25.0,
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
            // Units of two kinds.
            "How many days are in 3 years?",
            // Asked in another unit than the one given.
            "A running track is 400 m per lap. Tomás runs 13 laps. How many kilometres does he run?",
            // A passage with numbers, not a word problem.
            "In 1969, 3 astronauts flew to the Moon. Why was the mission important?",
            "What is the capital of Australia?",
            // How many do not: the rest of the whole.
            "In a class of 40 pupils, 35% walk to school. How many pupils do not walk?",
            // A side of each kind, and both questions at once.
            "A room is 5 m by 4 m. What is its area and its perimeter?",
            // A change the words beside it do not name, or name both ways.
            "A lamp costs $50. It is marked down 20%, then its price moves 10%. What is the new price?",
            "A lamp costs $50. It is discounted 20% before tax. What is the final price?",
            // A price before two changes.
            "A lamp costs $44 after a 20% discount and a 10% rise. What was its original price?",
            // Compound interest is not simple interest.
            "Ada deposits $800 at 5% interest compounded yearly. How much interest does she earn in 2 years?",
            // A scale the table does not hold.
            "Convert 100 degrees Celsius to Kelvin.",
            // A mean that runs on.
            "Find the mean of 1, 2 and 2.",
            // A change asked the other way round, and one that runs on.
            "Sales fell from 500 to 400. By what percentage did they increase?",
            "A town grew from 300 to 400 people. By what percentage did it grow?",
            // A path whose area is not asked for, and a price the question does not ask.
            "A lawn is 10 m by 6 m, with a path 1 m wide all around it. How long is the path's outer edge?",
            "A room is 4 m by 3 m, and carpet is $20 per square metre. What is the area of the room?",
            // The next score is not the one asked about.
            "Jo scored 70, 80 and 90 in three tests. What must she score in the fifth test for an average of 80?",
            // An average speed is not the mean of a list.
            "A car goes 40 km and 60 km in two hours. What is its average speed?",
            // Counting back from a time.
            "A film ends at 9:15 and lasted 2 hours. When did it start, 2 hours before?",
            // Two clock times.
            "A bus leaves at 8:10 and another at 8:40. At what time does the third leave?",
        ] {
            assert_eq!(solved(question), None, "{question}");
        }
    }

    #[test]
    fn only_the_last_paragraph_is_read() {
        let prompt = "Use 2 sentences.\n\nMax shares 36 grapes equally among 6 friends. How many does each friend get?";
        assert_eq!(
            solved_value(prompt).map(|(_, v)| v),
            Some(Solved::Number(6.0))
        );
        assert_eq!(
            solved_value(
                "Max shares 36 grapes equally among 6 friends. How many does each get?\n\nSummarize the text above."
            ),
            None
        );
    }
}
