//! Quantities an answer equates in different units of one kind, recomputed:
//! "1 km = 100 m" and "2 hours 20 minutes is 2.2 hours" are wrong whatever
//! the question was, as a wrong sum is ([`crate::arithmetic`]). A small
//! judge model reads such a line as fluent text; the word problems that
//! convert units turn on it (BENCHMARKS.md, "Relevance summed over the
//! answer, and a sixth fresh set").

use std::sync::LazyLock;

use regex::{Captures, Regex};

use crate::arithmetic::{NUMBER, number_value, stands_alone};

/// Share of the larger side the two sides may differ by: everyday factors
/// are rounded ("1 mile = 1.6 km" and "1 inch = 2.5 cm" are 0.6% and 1.6%
/// off), while the usual slips (100 m to the kilometre, 20 minutes as 0.2
/// hours) are off by far more.
const RELATIVE_TOLERANCE: f64 = 0.03;

/// What a unit measures: only units of one kind convert into each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Length,
    Mass,
    Volume,
    Time,
    /// Months and years, whose lengths in days vary, so that "a month is
    /// 4 weeks" is loose rather than wrong: they convert only into each
    /// other.
    Calendar,
}

/// Each unit's spellings (a regex alternative), its kind and its size in
/// the kind's base unit (metre, gram, millilitre, second, month). Units of
/// several sizes (US and imperial cups and gallons) and spellings that are
/// also words ("in", "s") are left out.
const UNITS: [(&str, Kind, f64); 24] = [
    (r"mm|millimet(?:re|er)s?", Kind::Length, 0.001),
    (r"cm|centimet(?:re|er)s?", Kind::Length, 0.01),
    (r"m|met(?:re|er)s?", Kind::Length, 1.0),
    (r"km|kilomet(?:re|er)s?", Kind::Length, 1000.0),
    (r"inch(?:es)?", Kind::Length, 0.0254),
    (r"ft|foot|feet", Kind::Length, 0.3048),
    (r"yd|yards?", Kind::Length, 0.9144),
    (r"mi|miles?", Kind::Length, 1609.344),
    (r"mg|milligrams?", Kind::Mass, 0.001),
    (r"g|grams?", Kind::Mass, 1.0),
    (r"kg|kilograms?|kilos?", Kind::Mass, 1000.0),
    (r"lbs?|pounds?", Kind::Mass, 453.592_37),
    (r"oz|ounces?", Kind::Mass, 28.349_523),
    (r"tonnes?", Kind::Mass, 1.0e6),
    (r"ml|millilit(?:re|er)s?", Kind::Volume, 1.0),
    (r"cl|centilit(?:re|er)s?", Kind::Volume, 10.0),
    (r"l|lit(?:re|er)s?", Kind::Volume, 1000.0),
    (r"secs?|seconds?", Kind::Time, 1.0),
    (r"mins?|minutes?", Kind::Time, 60.0),
    (r"h|hrs?|hours?", Kind::Time, 3600.0),
    (r"days?", Kind::Time, 86_400.0),
    (r"weeks?", Kind::Time, 604_800.0),
    (r"months?", Kind::Calendar, 1.0),
    (r"years?|yrs?", Kind::Calendar, 12.0),
];

/// A number and a unit, one capture group per unit: "1,500 ml", "2 hours".
static QUANTITY: LazyLock<Regex> = LazyLock::new(|| {
    let units: Vec<String> = UNITS.iter().map(|(u, _, _)| format!("({u})")).collect();
    Regex::new(&format!(r"(?i)({NUMBER})\s*(?:{})\b", units.join("|"))).expect("quantity pattern")
});

/// Quantities summed ("2 hours 20 minutes", "1 h and 5 min"), a word or
/// sign of equality, and quantities again.
static EQUATION: LazyLock<Regex> = LazyLock::new(|| {
    let quantity = QUANTITY.as_str().trim_start_matches("(?i)");
    let quantities = format!(r"{quantity}(?:\s*(?:,|and)?\s*{quantity})*");
    let equals =
        r"\s*(?:=|≈|is\s+(?:equal\s+to|about|roughly|approximately|exactly)|is|equals|makes)\s*";
    Regex::new(&format!(
        r"(?i)(?P<left>{quantities}){equals}(?P<right>{quantities})"
    ))
    .expect("unit equation pattern")
});

/// Each unit's spellings as a whole word, in the order of [`UNITS`].
static UNIT_WORDS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    UNITS
        .iter()
        .map(|(u, _, _)| Regex::new(&format!("(?i)^(?:{u})$")).expect("unit pattern"))
        .collect()
});

/// The kind and size of the unit `word` names ("kilometres", "ml").
pub(crate) fn unit_named(word: &str) -> Option<(Kind, f64)> {
    let unit = UNIT_WORDS.iter().position(|r| r.is_match(word))?;
    Some((UNITS[unit].1, UNITS[unit].2))
}

/// The index in [`UNITS`] of the unit a [`QUANTITY`] match is in.
fn unit_of(quantity: &Captures) -> Option<usize> {
    (0..UNITS.len()).find(|&u| quantity.get(u + 2).is_some())
}

/// The kind and size of every unit `text` gives a number in ("400 m",
/// "2 hours").
pub(crate) fn given_units(text: &str) -> Vec<(Kind, f64)> {
    QUANTITY
        .captures_iter(text)
        .filter_map(|q| unit_of(&q))
        .map(|u| (UNITS[u].1, UNITS[u].2))
        .collect()
}

/// A side's quantities: its total in the base unit of its one kind, and
/// the set of units it is written in; `None` when it mixes kinds.
fn side(text: &str) -> Option<(f64, Kind, Vec<usize>)> {
    let mut total = 0.0;
    let mut kind = None;
    let mut units = Vec::new();
    for quantity in QUANTITY.captures_iter(text) {
        let number = number_value(&quantity[1])?;
        let unit = unit_of(&quantity)?;
        let (_, unit_kind, size) = UNITS[unit];
        if kind.is_some_and(|k| k != unit_kind) {
            return None;
        }
        kind = Some(unit_kind);
        total += number * size;
        units.push(unit);
    }
    units.sort_unstable();
    units.dedup();
    Some((total, kind?, units))
}

/// The equations `answer` states between quantities in different units of
/// one kind that do not hold, as written. Equations inside a longer
/// expression ("13 × 400 m = 5,200 m"), of rates ("60 km/h") or between
/// the same units ("of the 5 km, 3 km is uphill") are left alone.
pub fn wrong_equivalences(answer: &str) -> Vec<&str> {
    EQUATION
        .captures_iter(answer)
        .filter(|c| {
            let whole = c.get(0).expect("whole match");
            if !stands_alone(answer, whole) || rate_follows(&answer[whole.end()..]) {
                return false;
            }
            let (Some((left, left_kind, left_units)), Some((right, right_kind, right_units))) =
                (side(&c["left"]), side(&c["right"]))
            else {
                return false;
            };
            left_kind == right_kind
                && left_units != right_units
                && (left - right).abs() > RELATIVE_TOLERANCE * left.abs().max(right.abs())
        })
        .map(|c| c.get(0).expect("whole match").as_str())
        .collect()
}

/// Whether the text after a quantity makes it a rate ("18 km per hour",
/// "5 ml a day").
fn rate_follows(after: &str) -> bool {
    let next = after.split_whitespace().next().unwrap_or("");
    matches!(
        next.to_lowercase().as_str(),
        "per" | "a" | "an" | "each" | "every"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_conversions_between_units_are_found() {
        for wrong in [
            "Since 1 km = 100 m, that is 5,200 ÷ 100 = 52 km.",
            "2 hours 20 minutes is 2.2 hours, so she rides 39.6 km.",
            "1.5 litres is 150 ml.",
            "A week is 7 days, and 3 weeks = 24 days.",
            "2 kg equals 200 g.",
        ] {
            assert_eq!(wrong_equivalences(wrong).len(), 1, "{wrong}");
        }
    }

    #[test]
    fn right_or_rounded_conversions_and_other_statements_pass() {
        for right in [
            "Since 1 km = 1,000 m, that is 5,200 ÷ 1,000 = 5.2 km.",
            "2 hours 20 minutes is 2 1/3 hours, or 7/3 hours.",
            "2 hours and 20 minutes = 140 minutes.",
            "1 mile is about 1.6 km, and 1 inch = 2.5 cm.",
            "13 × 400 m = 5,200 m.",
            "Of the 10 km, 4 km is uphill.",
            "Of the 10 km, 4 km is 6 km short of the 20 km.",
            "60 km/h = 1 km per minute.",
            "18 km per hour is 300 m per minute.",
            "1 km² = 100 hectares.",
            "20 minutes is 1/3 hour.",
        ] {
            assert_eq!(wrong_equivalences(right), Vec::<&str>::new(), "{right}");
        }
    }
}
