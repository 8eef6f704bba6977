//! Temperatures an answer gives in both Celsius and Fahrenheit, recomputed:
//! `{"celsius": 100, "fahrenheit": 180}` and "20 °C is 72 °F" are wrong
//! whatever the question was, as a wrong sum is ([`crate::arithmetic`]).

use std::sync::LazyLock;

use regex::Regex;

use crate::arithmetic::{NUMBER, number_value};

/// Degrees Fahrenheit a stated pair may be off by, at the least: a
/// Celsius value rounded to whole degrees moves its Fahrenheit value by up
/// to 0.9.
const TOLERANCE: f64 = 2.0;

/// Share of the Fahrenheit value a stated pair may be off by: cooks round
/// both ("230 °C (450 °F)" is 446 °F, "180 °C (350 °F)" 356 °F), while
/// the usual mistakes (leaving out the 32, or the wrong factor) are off by
/// far more.
const RELATIVE_TOLERANCE: f64 = 0.05;

/// Degrees Fahrenheit at `celsius` degrees Celsius.
pub fn fahrenheit(celsius: f64) -> f64 {
    celsius * 1.8 + 32.0
}

/// Degrees Celsius at `fahrenheit` degrees Fahrenheit.
pub fn celsius(fahrenheit: f64) -> f64 {
    (fahrenheit - 32.0) / 1.8
}

/// A temperature in one scale: the number (with its sign) and the unit.
fn temperature(scale: &str) -> String {
    format!(r"(-?(?:{NUMBER}))\s*(?:°\s*|º\s*|degrees?\s+)?{scale}")
}

/// "20 °C is 68 °F", "100 degrees Celsius (212 degrees Fahrenheit)",
/// "68°F = 20°C": two temperatures joined by a word or sign of equality,
/// or a bracket.
static STATED_PAIR: LazyLock<Regex> = LazyLock::new(|| {
    let celsius = temperature(r"(?:c\b|celsius\b|centigrade\b|℃)");
    let fahrenheit = temperature(r"(?:f\b|fahrenheit\b|℉)");
    let joined = r"\s*(?:=|≈|is|equals|makes|gives|is\s+equal\s+to|is\s+about|or|\(|,|→|->|to)\s*";
    Regex::new(&format!(
        r"(?i){celsius}{joined}{fahrenheit}|{fahrenheit}{joined}{celsius}"
    ))
    .expect("temperature pair pattern")
});

/// A JSON-style field for a scale: `"celsius": 100`.
static JSON_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?i)"[^"]*?(celsius|fahrenheit)[^"]*"\s*:\s*(-?(?:{NUMBER}))"#
    ))
    .expect("temperature field pattern")
});

/// The pairs of temperatures `answer` states that disagree, as written.
pub fn wrong_conversions(answer: &str) -> Vec<&str> {
    let mut wrong: Vec<&str> = STATED_PAIR
        .captures_iter(answer)
        .filter(|c| {
            let pair = match (c.get(1), c.get(2), c.get(3), c.get(4)) {
                (Some(celsius), Some(fahrenheit), _, _) => (celsius, fahrenheit),
                (_, _, Some(fahrenheit), Some(celsius)) => (celsius, fahrenheit),
                _ => return false,
            };
            disagree(pair.0.as_str(), pair.1.as_str())
        })
        .map(|c| c.get(0).expect("whole match").as_str())
        .collect();
    let fields: Vec<(bool, &str)> = JSON_FIELD
        .captures_iter(answer)
        .map(|c| {
            let is_celsius = c[1].eq_ignore_ascii_case("celsius");
            (is_celsius, c.get(2).expect("value").as_str())
        })
        .collect();
    let celsius = fields.iter().find(|(is_celsius, _)| *is_celsius);
    let fahrenheit = fields.iter().find(|(is_celsius, _)| !*is_celsius);
    if let (Some((_, c)), Some((_, f))) = (celsius, fahrenheit)
        && disagree(c, f)
    {
        wrong.push(answer.trim());
    }
    wrong
}

/// Whether a Celsius and a Fahrenheit number are not the same temperature.
fn disagree(celsius: &str, fahrenheit: &str) -> bool {
    match (number_value(celsius), number_value(fahrenheit)) {
        (Some(c), Some(f)) => {
            let exact = self::fahrenheit(c);
            (exact - f).abs() > TOLERANCE.max(RELATIVE_TOLERANCE * exact.abs())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::wrong_conversions;

    #[test]
    fn right_conversions_pass() {
        for answer in [
            r#"{"celsius": 100, "fahrenheit": 212}"#,
            r#"{"fahrenheit": 104, "celsius": 40}"#,
            "20 °C is 68 °F.",
            "Body temperature is 37 degrees Celsius (98.6 degrees Fahrenheit).",
            "-40°C = -40°F, where the scales meet.",
            "Multiply by 1.8 and add 32: 20 °C × 1.8 + 32 = 68 °F.",
            "Water freezes at 0 °C and boils at 212 °F.",
            "It was 30 °C today.",
            "Bake it at about 230 °C (450 °F) for one hour.",
            "Heat the oven to 180 °C (350 °F).",
        ] {
            assert!(wrong_conversions(answer).is_empty(), "{answer}");
        }
    }

    #[test]
    fn wrong_conversions_are_found() {
        for answer in [
            r#"{"celsius": 100, "fahrenheit": 180}"#,
            r#"{"temp_celsius": 40, "temp_fahrenheit": 72}"#,
            "20 °C is 72 °F.",
            "So 100 degrees Celsius equals 180 degrees Fahrenheit.",
            "68°F = 36°C",
        ] {
            assert_eq!(wrong_conversions(answer).len(), 1, "{answer}");
        }
    }
}
