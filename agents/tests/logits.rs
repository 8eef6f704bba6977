//! The project's transformer against two references: llama.cpp's logits
//! (stored in data/llama_cpp_reference.json) and candle's own
//! `quantized_llama` on the same file.

mod common;

use agents::LanguageModel;
use candle_core::{Device, Tensor};

/// Compares our logits after the reference prompt with llama.cpp's top 10.
fn assert_close_to_llama_cpp(name: &str, model: &LanguageModel) {
    let reference = &common::llama_cpp_reference()["models"][name];
    let prompt: Vec<u32> = serde_json::from_value(reference["prompt_ids"].clone()).unwrap();
    let top_ids: Vec<u32> = serde_json::from_value(reference["top_ids"].clone()).unwrap();
    let top_logits: Vec<f32> = serde_json::from_value(reference["top_logits"].clone()).unwrap();
    let text = common::llama_cpp_reference()["logit_prompt"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        model.tokenizer().encode_prompt(&text).unwrap(),
        prompt,
        "prompt ids"
    );

    let mut cache = model.transformer().new_cache();
    let logits: Vec<f32> = model
        .transformer()
        .forward(&prompt, &mut cache)
        .unwrap()
        .to_vec1()
        .unwrap();
    let mut ours: Vec<u32> = (0..logits.len() as u32).collect();
    ours.sort_by(|a, b| logits[*b as usize].total_cmp(&logits[*a as usize]));
    assert_eq!(ours[0], top_ids[0], "{name}: top token");
    // Ranks 3 to 7 of llama.cpp's SmolLM2 logits lie within 0.33 of each
    // other, less than the difference accepted below (the summation order
    // of the 4-bit kernels moves single logits by that much), so their
    // order is not asserted: each of llama.cpp's top 5 must be in our top 10.
    for id in &top_ids[..5] {
        assert!(
            ours[..10].contains(id),
            "{name}: llama.cpp's top-5 token {id} is not in our top 10 {:?}",
            &ours[..10]
        );
    }
    let diffs: Vec<f32> = top_ids
        .iter()
        .zip(&top_logits)
        .map(|(id, expected)| (logits[*id as usize] - expected).abs())
        .collect();
    let mean = diffs.iter().sum::<f32>() / diffs.len() as f32;
    let max = diffs.iter().cloned().fold(0.0, f32::max);
    eprintln!("{name}: |ours - llama.cpp| over its top 10: mean {mean:.3}, max {max:.3}");
    assert!(
        mean < 0.3 && max < 0.6,
        "{name}: logit differences {diffs:?}"
    );
}

#[test]
fn gemma3_logits_close_to_llama_cpp() {
    assert_close_to_llama_cpp("gemma3-270m", &common::exact("gemma3-270m"));
}

#[test]
fn smollm2_logits_close_to_llama_cpp() {
    assert_close_to_llama_cpp("smollm2-135m", &common::exact("smollm2-135m"));
}

#[test]
fn smollm2_matches_candle_quantized_llama_token_by_token() {
    let path = common::model_path("smollm2-135m");
    let model = common::exact("smollm2-135m");
    let mut file = std::fs::File::open(&path).unwrap();
    let content = candle_core::quantized::gguf_file::Content::read(&mut file).unwrap();
    let mut reference = candle_transformers::models::quantized_llama::ModelWeights::from_gguf(
        content,
        &mut file,
        &Device::Cpu,
    )
    .unwrap();
    let ids = model
        .tokenizer()
        .encode("Arena agents compete in rounds")
        .unwrap();
    let mut cache = model.transformer().new_cache();
    for (pos, id) in ids.iter().enumerate() {
        let ours = model.transformer().forward(&[*id], &mut cache).unwrap();
        let input = Tensor::new(&[*id], &Device::Cpu)
            .unwrap()
            .unsqueeze(0)
            .unwrap();
        let theirs = reference
            .forward(&input, pos)
            .unwrap()
            .flatten_all()
            .unwrap();
        let diff = max_abs_diff(&ours, &theirs);
        // Our Q4_1 kernel sums in another order than candle's scalar one;
        // the 1e-5 differences flip some 8-bit roundings of activations,
        // which moves single logits by up to about 0.75 over the 49k
        // vocabulary with the SIMD kernels and 1.26 with the portable one
        // (ARENA_KERNEL=portable; measured), while ours gets closer to
        // llama.cpp's (test above). The top token must agree.
        let argmax = |t: &Tensor| t.argmax(0).unwrap().to_scalar::<u32>().unwrap();
        assert_eq!(argmax(&ours), argmax(&theirs), "position {pos}: top token");
        assert!(diff < 1.5, "position {pos}: max logit difference {diff}");
    }
}

/// Processing a prompt in one pass or token by token must agree. The
/// tolerance per family is what llama.cpp itself shows on the same files:
/// Gemma 3's large activations make its batched and single-token logits
/// differ by up to 0.64 in llama.cpp (n_batch 512 vs 1, measured on the
/// reference prompt), while the Llama path agrees to rounding.
#[test]
fn prompt_in_one_pass_equals_token_by_token() {
    for (model, tolerance) in [(common::smollm2(), 1e-2), (common::gemma3(), 0.75)] {
        let ids = model
            .tokenizer()
            .encode_prompt("One pass or many, the same answer.")
            .unwrap();
        let mut batch = model.transformer().new_cache();
        let whole = model.transformer().forward(&ids, &mut batch).unwrap();
        let mut single = model.transformer().new_cache();
        let mut last = None;
        for id in &ids {
            last = Some(model.transformer().forward(&[*id], &mut single).unwrap());
        }
        let last = last.unwrap();
        let argmax = |t: &Tensor| t.argmax(0).unwrap().to_scalar::<u32>().unwrap();
        assert_eq!(argmax(&whole), argmax(&last));
        let diff = max_abs_diff(&whole, &last);
        assert!(
            diff < tolerance,
            "{:?}: max difference {diff}",
            model.transformer().family()
        );
    }
}

#[test]
fn tail_logits_are_the_per_position_logits() {
    let model = common::smollm2();
    let t = model.transformer();
    let ids = model
        .tokenizer()
        .encode_prompt("Score every position at once.")
        .unwrap();
    let mut cache = t.new_cache();
    let tail = t.forward_tail(&ids, &mut cache, 3).unwrap();
    assert_eq!(
        tail.dims(),
        [3, t.forward(&ids, &mut t.new_cache()).unwrap().dims()[0]]
    );
    for (row, end) in (ids.len() - 2..=ids.len()).enumerate() {
        let mut cache = t.new_cache();
        let single = t.forward(&ids[..end], &mut cache).unwrap();
        let diff = max_abs_diff(&tail.get(row).unwrap(), &single);
        assert!(diff < 1e-2, "position {end}: max difference {diff}");
    }
}

/// Largest absolute difference between two logit vectors.
fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar()
        .unwrap()
}
