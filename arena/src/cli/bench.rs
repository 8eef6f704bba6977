//! `arena bench gen`: prompt and generation speed of the local models.

use std::time::Instant;

use clap::Subcommand;

use agents::{LanguageModel, LoadOptions, ModelRef};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Prompt processing and generation tokens/s, median over several runs.
    Gen {
        /// Models to measure.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "smollm2-135m,gemma3-270m"
        )]
        models: Vec<String>,
        /// Runs per model; the median is reported.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Prompt length in tokens.
        #[arg(long, default_value_t = 64)]
        prompt_tokens: usize,
        /// Tokens generated per run (greedy, never stopped early).
        #[arg(long, default_value_t = 64)]
        gen_tokens: usize,
        /// Keep the GGUF formats as stored instead of re-quantizing to Q8_0.
        #[arg(long)]
        no_requantize: bool,
    },
}

const BENCH_TEXT: &str = "The arena opens at dawn. Agents read the prompt, think, and answer; \
the judge compares every pair of answers and the best one wins the round. ";

pub fn run(command: BenchCommand, fetcher: &agents::Fetcher) -> anyhow::Result<()> {
    let BenchCommand::Gen {
        models,
        runs,
        prompt_tokens,
        gen_tokens,
        no_requantize,
    } = command;
    anyhow::ensure!(
        runs > 0 && prompt_tokens > 0 && gen_tokens > 0,
        "runs, prompt and generation lengths must be positive"
    );
    println!("| model | threads | prompt tok/s (median) | generation tok/s (median) | runs |");
    println!("|---|---|---|---|---|");
    for name in &models {
        let model = ModelRef::parse(name).map_err(anyhow::Error::msg)?;
        let path = super::ensure_model(fetcher, &model)?;
        let options = LoadOptions {
            requantize: !no_requantize,
            ..LoadOptions::default()
        };
        let lm = LanguageModel::load(&path, options)?;
        let prompt = bench_prompt(&lm, prompt_tokens)?;
        let mut prompt_rates = Vec::new();
        let mut gen_rates = Vec::new();
        for _ in 0..runs {
            let (p, g) = measure(&lm, &prompt, gen_tokens)?;
            prompt_rates.push(p);
            gen_rates.push(g);
        }
        println!(
            "| {name} | {} | {:.1} | {:.1} | {runs} |",
            candle_core::utils::get_num_threads(),
            median(&mut prompt_rates),
            median(&mut gen_rates)
        );
    }
    Ok(())
}

fn bench_prompt(lm: &LanguageModel, n: usize) -> anyhow::Result<Vec<u32>> {
    let mut ids = lm.tokenizer().encode_prompt("")?;
    let text_ids = lm.tokenizer().encode(BENCH_TEXT)?;
    while ids.len() < n {
        ids.extend(&text_ids);
    }
    ids.truncate(n);
    Ok(ids)
}

/// One run: (prompt tokens/s, generated tokens/s), greedy decoding.
fn measure(lm: &LanguageModel, prompt: &[u32], gen_tokens: usize) -> anyhow::Result<(f64, f64)> {
    let model = lm.transformer();
    let mut cache = model.new_cache();
    let start = Instant::now();
    let mut logits = model.forward(prompt, &mut cache)?;
    let prompt_secs = start.elapsed().as_secs_f64();
    let start = Instant::now();
    for _ in 0..gen_tokens {
        let next = logits.argmax(0)?.to_scalar::<u32>()?;
        logits = model.forward(&[next], &mut cache)?;
    }
    let gen_secs = start.elapsed().as_secs_f64();
    Ok((
        prompt.len() as f64 / prompt_secs,
        gen_tokens as f64 / gen_secs,
    ))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
