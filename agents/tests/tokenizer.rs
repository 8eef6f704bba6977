//! The tokenizers built from GGUF metadata: lossless, and equal to llama.cpp's.

mod common;

use agents::LanguageModel;

const ROUND_TRIP: &[&str] = &[
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "   leading spaces and trailing   ",
    "runs    of     spaces",
    "tabs\tand\t\ttabs",
    "digits 1234567890 and 3.14159 and 007",
    "unicode: naïve café, Größe, 日本語, Ελληνικά, русский",
    "emoji 🎉🚀 and a family 👨‍👩‍👧 and flags 🇫🇷",
    "newlines\n\nand\r\nCRLF\n",
    "code: fn main() { println!(\"{}\", x[0]); }",
    "MiXeD CaSe, punctuation?!... and ‘quotes’ — dashes",
    "ﬁ ligature, combining e\u{301}, zero\u{200b}width",
];

fn assert_round_trip(model: &LanguageModel, extra: &[&str]) {
    let tok = model.tokenizer();
    for text in ROUND_TRIP.iter().chain(extra) {
        let ids = tok.encode(text).unwrap();
        assert!(!ids.is_empty(), "no tokens for {text:?}");
        assert_eq!(
            &tok.decode(&ids).unwrap(),
            text,
            "round trip of {text:?} via {ids:?}"
        );
    }
}

#[test]
fn smollm2_round_trips_text_and_special_tokens() {
    let model = common::smollm2();
    assert_round_trip(model, &["<|im_start|>user\nhi<|im_end|>\n"]);
    let ids = model.tokenizer().encode("<|im_start|>user").unwrap();
    assert_eq!(ids[0], 1, "<|im_start|> is one special token");
}

#[test]
fn gemma3_round_trips_text_and_special_tokens() {
    let model = common::gemma3();
    assert_round_trip(model, &["<start_of_turn>user\nhi<end_of_turn>\n"]);
    let ids = model.tokenizer().encode("<start_of_turn>user").unwrap();
    assert_eq!(ids[0], 105, "<start_of_turn> is one special token");
}

fn assert_ids_match_llama_cpp(name: &str, model: &LanguageModel) {
    let reference = common::llama_cpp_reference();
    let strings = reference["strings"].as_array().unwrap();
    let expected = reference["models"][name]["token_ids"].as_array().unwrap();
    assert_eq!(strings.len(), expected.len());
    for (text, ids) in strings.iter().zip(expected) {
        let text = text.as_str().unwrap();
        let ids: Vec<u32> = serde_json::from_value(ids.clone()).unwrap();
        assert_eq!(
            model.tokenizer().encode(text).unwrap(),
            ids,
            "{name}: ids of {text:?}"
        );
    }
}

#[test]
fn smollm2_ids_equal_llama_cpp() {
    assert_ids_match_llama_cpp("smollm2-135m", common::smollm2());
}

#[test]
fn gemma3_ids_equal_llama_cpp() {
    assert_ids_match_llama_cpp("gemma3-270m", common::gemma3());
}
