//! The training model against the inference path on SmolLM2: the f32
//! LoRA model without adapters scores an answer as the project's quantized
//! transformer does (same architecture, RoPE convention and chat
//! template), a few DPO steps on two pairs lower their loss and raise the
//! chosen-over-rejected log-ratio, and the merged GGUF loads in the
//! inference path and scores the pairs as the trained policy does.

mod common;

use std::fs::File;
use std::io::BufReader;

use agents::LanguageModel;
use agents::log_probs::LogProbRows;
use agents::training::dpo::{self, DpoSettings, Preference, Trainer};
use agents::training::gguf_writer::write_merged;
use agents::training::lora_model::{LoraModel, Scored};
use candle_core::quantized::gguf_file::Content;

fn lora_model(rank: usize) -> LoraModel {
    let path = common::model_path("smollm2-135m");
    let mut reader = BufReader::new(File::open(&path).unwrap());
    let content = Content::read(&mut reader).unwrap();
    LoraModel::load(&content, &mut reader, rank, 7, 256).unwrap()
}

/// Sum of the answer's log-probabilities under the inference path.
fn inference_log_prob(model: &LanguageModel, s: &Scored) -> f32 {
    let mut cache = model.transformer().new_cache();
    let answer = s.tokens.len() - s.prompt_len;
    let logits = model
        .transformer()
        .forward_tail(&s.tokens[..s.tokens.len() - 1], &mut cache, answer)
        .unwrap();
    let rows = LogProbRows::new(&logits).unwrap();
    s.tokens[s.prompt_len..]
        .iter()
        .enumerate()
        .map(|(row, &t)| rows.log_prob(row, t))
        .sum()
}

fn examples() -> Vec<Preference> {
    vec![
        Preference {
            prompt: "Ana has 40 marbles and gives away 3. How many marbles are left?".into(),
            chosen: "Ana has 37 marbles left.".into(),
            rejected: "Marbles are round and shiny.".into(),
        },
        Preference {
            prompt: "Ben has 8 stickers and gets 10 more. How many stickers does Ben have now?"
                .into(),
            chosen: "Ben has 18 stickers now.".into(),
            rejected: "Stickers are fun to collect.".into(),
        },
    ]
}

const SYSTEM: &str = "Answer in one short sentence.";

/// Asserts that the f32 score `f32_nats` and the inference path's score
/// `inference_nats` of answer `s` agree. The inference path quantizes
/// activations (and the merged model its weights) to 8 bits; per token the
/// two differ by about 0.05 nats (measured at most 0.054 untrained, 0.064
/// merged), a wrong RoPE or template by nats.
fn assert_scores_alike(f32_nats: f32, inference_nats: f32, s: &Scored) {
    let tokens = (s.tokens.len() - s.prompt_len) as f32;
    assert!(
        (f32_nats - inference_nats).abs() < 0.1 * tokens,
        "f32 {f32_nats} vs inference {inference_nats} over {tokens} tokens"
    );
}

#[test]
fn untrained_lora_model_scores_answers_as_the_inference_path_does() {
    let model = common::smollm2();
    let lora = lora_model(2);
    for example in examples() {
        let pair = dpo::tokenize(model, SYSTEM, &example, 256).unwrap();
        let ours = lora
            .answer_log_probs(&[pair.chosen.clone(), pair.rejected.clone()], false)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        for (s, ours) in [&pair.chosen, &pair.rejected].into_iter().zip(ours) {
            let reference = inference_log_prob(model, s);
            assert_scores_alike(ours, reference, s);
        }
    }
}

#[test]
fn dpo_steps_lower_the_loss_and_the_merged_model_loads_and_scores_as_trained() {
    let model = common::smollm2();
    let lora = lora_model(4);
    let pairs: Vec<_> = examples()
        .iter()
        .map(|e| dpo::tokenize(model, SYSTEM, e, 256).unwrap())
        .collect();
    let reference = dpo::reference_log_probs(&lora, &pairs, 2, &mut |_| {}).unwrap();
    let beta = 0.1;
    let before = dpo::evaluate(&lora, &pairs, &reference, beta, 2).unwrap();
    assert!(
        (before.loss - std::f64::consts::LN_2).abs() < 1e-4,
        "{before:?}"
    );
    let settings = DpoSettings {
        beta,
        learning_rate: 2e-3,
        batch_pairs: 2,
        seed: 0,
    };
    let mut trainer = Trainer::new(&lora, &pairs, &reference, settings).unwrap();
    for step in 0..4 {
        trainer.step(step).unwrap();
    }
    let after = dpo::evaluate(&lora, &pairs, &reference, beta, 2).unwrap();
    assert!(after.loss < before.loss, "{before:?} -> {after:?}");
    assert!(
        after.log_ratio > before.log_ratio,
        "{before:?} -> {after:?}"
    );

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("trained.gguf");
    let sha = write_merged(
        &common::model_path("smollm2-135m"),
        &lora.merged().unwrap(),
        &out,
    )
    .unwrap();
    let trained = LanguageModel::load(&out, agents::LoadOptions::default()).unwrap();
    assert_eq!(trained.sha256(), sha);
    assert_ne!(sha, model.sha256());
    // The merged Q8_0 weights score the pairs as the f32 policy did, and
    // keep what training moved: the chosen-over-rejected margin rises from
    // the untrained model's by at least half of the policy's rise.
    let answers = [&pairs[0].chosen, &pairs[0].rejected];
    let policy = lora
        .answer_log_probs(&answers.map(Clone::clone), true)
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let merged = answers.map(|s| inference_log_prob(&trained, s));
    let untrained = answers.map(|s| inference_log_prob(model, s));
    let tokens = answers.map(|s| s.tokens.len() - s.prompt_len);
    eprintln!(
        "nats of chosen and rejected ({tokens:?} tokens): merged Q8_0 {merged:?}, f32 policy {policy:?}, untrained {untrained:?}"
    );
    for ((p, m), s) in policy.iter().zip(merged).zip(answers) {
        assert_scores_alike(*p, m, s);
    }
    let rise = |scores: &[f32]| scores[0] - scores[1] - (untrained[0] - untrained[1]);
    let (policy_rise, merged_rise) = (rise(&policy), rise(&merged));
    assert!(
        policy_rise > 0.0 && merged_rise > 0.5 * policy_rise,
        "margin rise: merged {merged_rise} against the policy's {policy_rise}"
    );
    // Same weights, same file.
    let again = dir.path().join("again.gguf");
    let sha_again = write_merged(
        &common::model_path("smollm2-135m"),
        &lora.merged().unwrap(),
        &again,
    )
    .unwrap();
    assert_eq!(sha, sha_again);
}
