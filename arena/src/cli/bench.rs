//! `arena bench gen`: prompt and generation speed of the local models, one
//! stream and a round's batch of streams, optionally against llama.cpp on
//! the same files, alternating the two engines run by run.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use clap::{Args, Subcommand};

use agents::{LanguageModel, LoadOptions, ModelRef, Request, Sampling};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Prompt processing and generation tokens/s, median over several runs.
    Gen(GenArgs),
    /// The matrix kernels this machine runs, best first, one name a line:
    /// the values ARENA_KERNEL takes (the test script runs each).
    Kernels,
    /// Checking a round's answers against their commitments against
    /// generating them again, for a round of the shipped agents.
    Verify(super::bench_verify::VerifyBenchArgs),
    /// The detection table of `arena verify`: rounds played with the kernel
    /// ARENA_KERNEL names, verified honestly with every kernel (false alarms) and
    /// after each kind of tampering (detection).
    Detection(super::bench_detection::DetectionBenchArgs),
}

/// What `arena bench gen` measures.
#[derive(Debug, Args)]
pub struct GenArgs {
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
    /// Tokens generated per run and sequence (greedy, never stopped early).
    #[arg(long, default_value_t = 64)]
    gen_tokens: usize,
    /// Sequences generated together, as the agents of a round (0 = skip).
    #[arg(long, default_value_t = 8)]
    batch: usize,
    /// Keep the GGUF formats as stored instead of re-quantizing to Q8_0.
    #[arg(long)]
    no_requantize: bool,
    /// Also run llama.cpp (scripts/bench_llama_cpp.py) after each of our
    /// runs and report ratios.
    #[arg(long)]
    llama_cpp: bool,
}

const BENCH_TEXT: &str = "The arena opens at dawn. Agents read the prompt, think, and answer; \
the judge compares every pair of answers and the best one wins the round. ";

/// Rates of one engine over the runs: (prompt tok/s, generation tok/s).
#[derive(Default)]
struct Rates {
    prompt: Vec<f64>,
    generation: Vec<f64>,
}

impl Rates {
    fn push(&mut self, (prompt, generation): (f64, f64)) {
        self.prompt.push(prompt);
        self.generation.push(generation);
    }

    fn medians(&mut self) -> (f64, f64) {
        (median(&mut self.prompt), median(&mut self.generation))
    }
}

pub fn run(command: BenchCommand, fetcher: &agents::Fetcher) -> anyhow::Result<()> {
    let GenArgs {
        models,
        runs,
        prompt_tokens,
        gen_tokens,
        batch,
        no_requantize,
        llama_cpp,
    } = match command {
        BenchCommand::Gen(args) => args,
        BenchCommand::Verify(args) => return super::bench_verify::run(args, fetcher),
        BenchCommand::Detection(args) => return super::bench_detection::run(args, fetcher),
        BenchCommand::Kernels => {
            for kernel in agents::row_matmul::Kernel::available() {
                println!("{}", kernel.name());
            }
            return Ok(());
        }
    };
    ensure!(
        runs > 0 && prompt_tokens > 0 && gen_tokens > 0,
        "runs, prompt and generation lengths must be positive"
    );
    ensure!(
        !llama_cpp || (prompt_tokens == 64 && gen_tokens == 64),
        "the llama.cpp script measures 64 prompt and 64 generated tokens: keep the defaults"
    );
    let threads = candle_core::utils::get_num_threads();
    let kernel = agents::row_matmul::Kernel::from_env().map_err(anyhow::Error::msg)?;
    println!(
        "kernel: {} (of {}; choose with {}=NAME)",
        kernel.name(),
        agents::row_matmul::Kernel::available()
            .iter()
            .map(|k| k.name())
            .collect::<Vec<_>>()
            .join(", "),
        agents::row_matmul::KERNEL_ENV
    );
    println!(
        "| model | engine | threads | prompt tok/s | generation tok/s | prompt ratio | generation ratio | runs |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for name in &models {
        let model = ModelRef::parse(name).map_err(anyhow::Error::msg)?;
        let path = super::ensure_model(fetcher, &model)?;
        let options = LoadOptions {
            requantize: !no_requantize,
            ..LoadOptions::default()
        };
        let lm = LanguageModel::load(&path, options)?;
        let prompt = bench_prompt(&lm, prompt_tokens)?;
        let (mut ours, mut batched, mut round, mut reference) = (
            Rates::default(),
            Rates::default(),
            Rates::default(),
            Rates::default(),
        );
        for _ in 0..runs {
            ours.push(measure(&lm, &prompt, gen_tokens, 1)?);
            if batch > 0 {
                batched.push(measure(&lm, &prompt, gen_tokens, batch)?);
                round.push(measure_round(&lm, gen_tokens, batch)?);
            }
            if llama_cpp {
                reference.push(measure_llama_cpp(&path, name)?);
            }
        }
        let base = llama_cpp.then(|| reference.medians());
        let row = |engine: &str, (p, g): (f64, f64)| {
            let ratio = |ours: f64, theirs: f64| format!("{:.2}", ours / theirs);
            let (rp, rg) = base.map_or((String::new(), String::new()), |(bp, bg)| {
                (ratio(p, bp), ratio(g, bg))
            });
            println!("| {name} | {engine} | {threads} | {p:.1} | {g:.1} | {rp} | {rg} | {runs} |");
        };
        row("arena, one stream", ours.medians());
        if batch > 0 {
            row(
                &format!("arena, {batch} streams batched (aggregate)"),
                batched.medians(),
            );
            row(
                &format!("arena, round of {batch} agents (sampling, aggregate)"),
                round.medians(),
            );
        }
        if let Some(b) = base {
            row("llama.cpp, one stream", b);
        }
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

/// One run of `streams` sequences with the same prompt, greedy decoding:
/// (prompt tokens/s, generated tokens/s summed over the streams). One
/// stream processes its prompt alone; several process theirs in one pass,
/// then every generation step is one pass for all streams.
fn measure(
    lm: &LanguageModel,
    prompt: &[u32],
    gen_tokens: usize,
    streams: usize,
) -> anyhow::Result<(f64, f64)> {
    let model = lm.transformer();
    let mut caches: Vec<_> = (0..streams).map(|_| model.new_cache()).collect();
    let mut rows: Vec<_> = caches.iter_mut().collect();
    let start = Instant::now();
    let logits = model.forward_batch(&vec![prompt; streams], &mut rows)?;
    let mut next = logits.argmax(1)?.to_vec1::<u32>()?;
    let prompt_secs = start.elapsed().as_secs_f64();
    let start = Instant::now();
    for _ in 0..gen_tokens {
        let steps: Vec<&[u32]> = next.iter().map(std::slice::from_ref).collect();
        let logits = model.forward_batch(&steps, &mut rows)?;
        next = logits.argmax(1)?.to_vec1::<u32>()?;
    }
    let gen_secs = start.elapsed().as_secs_f64();
    Ok((
        (streams * prompt.len()) as f64 / prompt_secs,
        (streams * gen_tokens) as f64 / gen_secs,
    ))
}

/// One round as the tournament plays it: `agents` requests with the
/// default agent sampling (temperature, top-k, top-p, repetition penalty)
/// and their own seeds, through `LanguageModel::generate_batch` (prompt
/// rendering, sampling, detokenization, stop scanning). Returns (prompt
/// tokens/s, generated tokens/s summed over the agents). Answers may end
/// before `gen_tokens` at an end of turn; only generated tokens count.
fn measure_round(
    lm: &LanguageModel,
    gen_tokens: usize,
    agents: usize,
) -> anyhow::Result<(f64, f64)> {
    let sampling = Sampling {
        max_tokens: gen_tokens,
        ..Sampling::default()
    };
    let requests: Vec<Request<'_>> = (0..agents)
        .map(|seed| Request {
            system: "You are a concise assistant.",
            prompt: BENCH_TEXT,
            sampling: &sampling,
            seed: seed as u64,
            deadline: None,
        })
        .collect();
    let generations = lm.generate_batch(&requests, &mut |_, _| {})?;
    let total = |f: fn(&agents::Generation) -> f64| generations.iter().map(f).sum::<f64>();
    // The prompts share one pass and the answers one loop: the longest
    // time of each is the round's.
    let longest = |f: fn(&agents::Generation) -> f64| generations.iter().map(f).fold(0.0, f64::max);
    let prompt_secs = longest(|g| g.prompt_secs);
    let generation_secs = longest(|g| g.generation_secs);
    Ok((
        total(|g| g.prompt_tokens as f64) / prompt_secs,
        total(|g| g.generated_tokens as f64) / generation_secs,
    ))
}

/// One run of scripts/bench_llama_cpp.py on the same file.
fn measure_llama_cpp(model_path: &Path, name: &str) -> anyhow::Result<(f64, f64)> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/bench_llama_cpp.py");
    let dir = model_path.parent().context("model path has no directory")?;
    let output = Command::new("python3")
        .arg(&script)
        .arg(dir)
        .args(["1", name, "--raw"])
        .output()
        .context("running python3 scripts/bench_llama_cpp.py (see scripts/install-llama-cpp.sh)")?;
    if !output.status.success() {
        bail!(
            "scripts/bench_llama_cpp.py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<&str> = stdout
        .lines()
        .find(|l| l.starts_with(name))
        .context("no result line from scripts/bench_llama_cpp.py")?
        .split_whitespace()
        .collect();
    ensure!(fields.len() == 3, "unexpected llama.cpp result: {stdout}");
    Ok((fields[1].parse()?, fields[2].parse()?))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
