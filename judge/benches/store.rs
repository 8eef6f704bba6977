//! Store and export throughput: `cargo bench -p judge --bench store`.
//!
//! Writes judged rounds with many pairs each (through the same
//! `commit_judged` the tournament uses), then exports every pair as TRL
//! JSONL to a file, reporting rates and the growth of peak memory during
//! the export.

use std::io::BufWriter;
use std::time::Instant;

use judge::Store;
use judge::export::{Filter, Format, export};
use judge::records::{AnswerRecord, PreferencePair, RoundRecord, RoundStatus};
use judge::store::JudgedRound;
use judge::verdict::{Judgment, LengthBias, Ranking};

const PAIRS_PER_ROUND: usize = 2_000;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let total_pairs: usize = std::env::var("BENCH_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let rounds = total_pairs.div_ceil(PAIRS_PER_ROUND);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    let judgment = Judgment {
        judge: "bench".into(),
        answers: vec![],
        verdicts: vec![],
        ranking: Ranking {
            order: vec!["a".into(), "b".into()],
            strengths: vec![1.0, 0.0],
            confidence: vec![1.0, 1.0],
            length_controlled: vec![1.0, 0.0],
        },
        length_bias: LengthBias {
            decided: 0,
            longer_won: 0,
            effect: 0.0,
        },
        own_answer: None,
        own_answer_commitment: None,
    };
    let answers: Vec<AnswerRecord> = ["a", "b"]
        .iter()
        .map(|id| AnswerRecord {
            round: 0,
            agent_id: (*id).into(),
            model: "m".into(),
            text: "x".into(),
            truncated: false,
            generated_tokens: 1,
            seed: 0,
            system_prompt: String::new(),
            sampling: agents::Sampling::default(),
            endpoint: None,
            commitment: None,
        })
        .collect();
    let started = Instant::now();
    for r in 1..=rounds as u64 {
        let round = RoundRecord {
            id: r,
            space: "bench".into(),
            prompt: format!("Prompt of round {r}: what is the best slogan for a coffee shop?"),
            reference: None,
            agents: vec!["a".into(), "b".into()],
            status: RoundStatus::Judged,
            opened_at: r,
            result_root: None,
            transactions: vec![],
            fee: None,
            matches: Vec::new(),
            challenge_ends_at: None,
            challenger: None,
        };
        let pairs: Vec<PreferencePair> = (0..PAIRS_PER_ROUND)
            .map(|i| PreferencePair {
                round: r,
                space: "bench".into(),
                prompt: round.prompt.clone(),
                chosen: format!(
                    "Wake up to the best brew in town, number {i}. Fresh beans roasted daily."
                ),
                rejected: format!("Coffee {i}."),
                chosen_agent: "a".into(),
                rejected_agent: "b".into(),
                chosen_model: "smollm2-135m".into(),
                rejected_model: "gemma3-270m".into(),
                margin: 0.5,
                judge: "bench".into(),
                history: Vec::new(),
            })
            .collect();
        store
            .commit_judged(&JudgedRound {
                round: &round,
                answers: &answers,
                judgment: &judgment,
                pairs: &pairs,
            })
            .unwrap();
    }
    let store_secs = started.elapsed().as_secs_f64();
    let stored = rounds * PAIRS_PER_ROUND;
    println!(
        "stored {stored} pairs in {rounds} rounds: {:.0} pairs/s ({:.1} rounds/s)",
        stored as f64 / store_secs,
        rounds as f64 / store_secs
    );

    let rss_before = peak_rss_kib();
    let out = dir.path().join("pairs.jsonl");
    let mut writer = BufWriter::new(std::fs::File::create(&out).unwrap());
    let started = Instant::now();
    let n = export(
        &store,
        Format::TrlStandard,
        &Filter::default(),
        &mut writer,
        &mut |_| {},
    )
    .unwrap();
    let export_secs = started.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&out).unwrap().len();
    println!(
        "exported {n} pairs ({:.0} MiB) in {export_secs:.1} s: {:.0} pairs/s; peak RSS {} MiB before export, {} MiB after",
        bytes as f64 / (1 << 20) as f64,
        n as f64 / export_secs,
        rss_before / 1024,
        peak_rss_kib() / 1024
    );
}
