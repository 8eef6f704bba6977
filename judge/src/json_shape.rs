//! The shape of the JSON a prompt's instruction asks for, as a JSON Schema:
//! an object with the keys it names and the types it gives them, or a list.
//! Prompts name keys in three ways ("the keys \"name\" (a string) and
//! \"age\" (a number)", "of the form {\"total\": number}", "the keys planet
//! and moons, where moons is a number"), and an answer that gives "two"
//! where a number was asked, or another key than the one named, breaks the
//! instruction as surely as invalid JSON does.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value, json};

/// A key's value type as a prompt says it: "(a number)", "(numbers)",
/// "holding numbers", "(a list of strings)", "(true or false)",
/// ": integer". A plural ("numbers") speaks of every key named since the
/// last typed one.
static TYPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:(?P<list>list|array)s? of (?P<items>string|number|integer)s?|(?P<boolean>true or false|boolean)|(?P<kind>string|number|integer|whole number)(?P<plural>s)?)\b",
    )
    .expect("type pattern")
});

/// A quoted key: `"name"`.
static QUOTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""([^"]+)""#).expect("quoted pattern"));

/// Bare keys, two or more: "the keys planet and moons", "keys name, year
/// and place".
static BARE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bkeys ([a-z_]\w*(?:, [a-z_]\w*)*),? and ([a-z_]\w*)\b").expect("bare pattern")
});

/// "where moons is a number": a type given to a key by name.
static WHERE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\bwhere "?([a-z_]\w*)"? (?:is|holds|must be) ([a-z ]+)"#)
        .expect("where pattern")
});

/// The JSON Schema `said` (an instruction that asks for JSON) describes:
/// an object (with the keys it names required, typed where it says how),
/// a list, else any JSON value.
pub(crate) fn json_schema(said: &str) -> Value {
    let text = said.to_lowercase();
    let object =
        text.contains("an object") || text.contains("a json object") || text.contains("key");
    let list = text.contains("a list")
        || text.contains("an array")
        || text.contains("json array")
        || text.contains("json list");
    if !object {
        return if list {
            json!({"type": "array"})
        } else {
            json!({})
        };
    }
    let keys = named_keys(said);
    let required: Vec<&str> = keys.iter().map(|(name, _)| name.as_str()).collect();
    let properties: Map<String, Value> = keys
        .iter()
        .filter_map(|(name, kind)| Some((name.clone(), kind.clone()?)))
        .collect();
    json!({"type": "object", "required": required, "properties": properties})
}

/// The keys `said` names, in order, each with the schema of its value when
/// `said` gives one.
fn named_keys(said: &str) -> Vec<(String, Option<Value>)> {
    let mut keys = if said.contains('{') {
        form_keys(said)
    } else {
        quoted_keys(said)
    };
    if keys.is_empty()
        && !said.contains('"')
        && let Some(c) = BARE.captures(said)
    {
        keys = c[1]
            .split(", ")
            .chain([&c[2]])
            .map(|name| (name.to_owned(), None))
            .collect();
    }
    for c in WHERE.captures_iter(said) {
        if let Some((_, kind)) = keys.iter_mut().find(|(name, _)| *name == c[1])
            && let Some((t, _)) = type_at_start(&c[2])
        {
            *kind = Some(t);
        }
    }
    keys
}

/// `{"total": number, "currency": string}`.
fn form_keys(said: &str) -> Vec<(String, Option<Value>)> {
    let Some(form) = said
        .split_once('{')
        .and_then(|(_, rest)| rest.split_once('}'))
        .map(|(form, _)| form)
    else {
        return Vec::new();
    };
    form.split(',')
        .filter_map(|entry| {
            let (name, kind) = entry.split_once(':')?;
            let name = QUOTED.captures(name)?[1].to_owned();
            Some((name, type_at_start(kind).map(|(t, _)| t)))
        })
        .collect()
}

/// The quoted names from the first "key" on, or those just before a
/// closing "keys" ("with \"city\" and \"country\" keys"), each typed by
/// the words between it and the next name.
fn quoted_keys(said: &str) -> Vec<(String, Option<Value>)> {
    let Some(at) = said.find("key") else {
        return Vec::new();
    };
    let after: Vec<_> = QUOTED.captures_iter(&said[at..]).collect();
    let (names, from) = if after.is_empty() {
        let clause_start = said[..at].rfind(['.', ':', ';']).map_or(0, |i| i + 1);
        (
            QUOTED.captures_iter(&said[clause_start..at]).collect(),
            clause_start,
        )
    } else {
        (after, at)
    };
    let mut keys: Vec<(String, Option<Value>)> = Vec::new();
    let mut untyped_from = 0;
    for (i, c) in names.iter().enumerate() {
        let whole = c.get(0).expect("whole match");
        let gap_end = names.get(i + 1).map_or(said.len() - from, |next| {
            next.get(0).expect("whole").start()
        });
        let gap = said[from + whole.end()..from + gap_end].trim_start();
        keys.push((c[1].to_owned(), None));
        // A type in brackets right after the name, or one it holds.
        let stated = ["(", "holding ", "holds ", "which holds "]
            .iter()
            .find_map(|opening| gap.strip_prefix(opening))
            .and_then(type_at_start);
        if let Some((kind, plural)) = stated {
            let first = if plural { untyped_from } else { i };
            for key in &mut keys[first..=i] {
                key.1.get_or_insert_with(|| kind.clone());
            }
            untyped_from = i + 1;
        }
    }
    keys
}

/// The value type `words` start with (after an article), and whether it is
/// said in the plural.
fn type_at_start(words: &str) -> Option<(Value, bool)> {
    let words = words.trim_start();
    let words = ["an ", "a "]
        .iter()
        .find_map(|article| words.strip_prefix(article))
        .unwrap_or(words);
    let t = TYPE
        .captures(words)
        .filter(|t| t.get(0).is_some_and(|m| m.start() == 0))?;
    Some((schema_of(&t), t.name("plural").is_some()))
}

/// The schema of one value type read by [`TYPE`].
fn schema_of(t: &regex::Captures) -> Value {
    let scalar = |word: &str| match word {
        "string" => "string",
        "integer" | "whole number" => "integer",
        _ => "number",
    };
    if let Some(items) = t.name("items") {
        json!({"type": "array", "items": {"type": scalar(&items.as_str().to_lowercase())}})
    } else if t.name("boolean").is_some() {
        json!({"type": "boolean"})
    } else {
        json!({"type": scalar(&t["kind"].to_lowercase())})
    }
}

#[cfg(test)]
mod tests {
    use super::json_schema;
    use serde_json::json;

    #[test]
    fn keys_and_types_are_read_however_the_prompt_names_them() {
        let cases = [
            (
                r#"Reply with JSON only: an object with the keys "name" (a string) and "age" (a number)."#,
                json!({"type": "object", "required": ["name", "age"], "properties": {"name": {"type": "string"}, "age": {"type": "number"}}}),
            ),
            (
                r#"Reply with JSON only, with the keys "celsius" and "fahrenheit" holding numbers."#,
                json!({"type": "object", "required": ["celsius", "fahrenheit"], "properties": {"celsius": {"type": "number"}, "fahrenheit": {"type": "number"}}}),
            ),
            (
                r#"Reply with JSON only, with the keys "word" and "syllables" (a number)."#,
                json!({"type": "object", "required": ["word", "syllables"], "properties": {"syllables": {"type": "number"}}}),
            ),
            (
                r#"Reply with only a JSON object of the form {"total": number, "currency": string}."#,
                json!({"type": "object", "required": ["total", "currency"], "properties": {"total": {"type": "number"}, "currency": {"type": "string"}}}),
            ),
            (
                r#"Reply with JSON only: an object whose key "primes" holds a list of numbers."#,
                json!({"type": "object", "required": ["primes"], "properties": {"primes": {"type": "array", "items": {"type": "number"}}}}),
            ),
            (
                r#"Reply with JSON only: an object with the keys "day" (a weekday name) and "is_weekend" (true or false)."#,
                json!({"type": "object", "required": ["day", "is_weekend"], "properties": {"is_weekend": {"type": "boolean"}}}),
            ),
            (
                r#"Give the result as a JSON object with "city" and "country" keys."#,
                json!({"type": "object", "required": ["city", "country"], "properties": {}}),
            ),
            (
                "Reply in JSON with the keys planet and moons, where moons is a number.",
                json!({"type": "object", "required": ["planet", "moons"], "properties": {"moons": {"type": "number"}}}),
            ),
            (
                "Reply in JSON with keys for the name and the year.",
                json!({"type": "object", "required": [], "properties": {}}),
            ),
            (
                r#"Reply with JSON only, with the keys "answer" and "explanation", giving the answer as a whole number."#,
                json!({"type": "object", "required": ["answer", "explanation"], "properties": {}}),
            ),
            (
                "Reply with JSON only: a list of strings.",
                json!({"type": "array"}),
            ),
        ];
        for (said, schema) in cases {
            assert_eq!(json_schema(said), schema, "{said}");
        }
    }
}
