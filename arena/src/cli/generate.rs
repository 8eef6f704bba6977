//! `arena generate`: one answer from an agent file (its model local or on a
//! server) or an ad-hoc local model setup.

use std::io::Write;
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use agents::{Agent, LanguageModel, LoadOptions, ModelRef, RemoteModel, Request, Sampling};

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Agent definition (TOML) to answer with.
    #[arg(long, conflicts_with_all = ["model", "system"])]
    agent: Option<PathBuf>,
    /// Model name (smollm2-135m, gemma3-270m) or .gguf path, without an agent file.
    #[arg(long, default_value = "smollm2-135m")]
    model: String,
    /// System prompt, without an agent file.
    #[arg(long, default_value = "You are a helpful assistant. Answer briefly.")]
    system: String,
    /// The prompt to answer.
    #[arg(long)]
    prompt: String,
    /// Sampler seed: the same seed gives the same answer.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Override the number of tokens to generate.
    #[arg(long, allow_negative_numbers = true)]
    max_tokens: Option<usize>,
    /// Override the temperature (0 = greedy).
    #[arg(long, allow_negative_numbers = true)]
    temperature: Option<f64>,
    /// Stop after this many seconds, marking the answer truncated.
    #[arg(long, allow_negative_numbers = true)]
    deadline_secs: Option<f64>,
}

/// Longest accepted --deadline-secs (a day): beyond it a deadline is no limit.
const MAX_DEADLINE_SECS: f64 = 86_400.0;

pub fn run(args: GenerateArgs, fetcher: &agents::Fetcher) -> anyhow::Result<()> {
    let (model, system, mut sampling, endpoint) = match &args.agent {
        Some(path) => {
            let agent = Agent::load(path)?;
            (
                agent.model_ref()?,
                agent.system_prompt,
                agent.sampling,
                agent.endpoint,
            )
        }
        None => (
            ModelRef::parse(&args.model).map_err(anyhow::Error::msg)?,
            args.system.clone(),
            Sampling::default(),
            None,
        ),
    };
    if let Some(n) = args.max_tokens {
        sampling.max_tokens = n;
    }
    if let Some(t) = args.temperature {
        sampling.temperature = t;
    }
    // An override out of range is named by its flag, not its agent-file field.
    sampling.validate().map_err(|e| match e.field {
        "sampling.max_tokens" if args.max_tokens.is_some() => {
            anyhow::anyhow!("--max-tokens {}", e.message)
        }
        "sampling.temperature" if args.temperature.is_some() => {
            anyhow::anyhow!("--temperature {}", e.message)
        }
        _ => e.into(),
    })?;
    let deadline = match args.deadline_secs {
        Some(s) if !(s > 0.0 && s <= MAX_DEADLINE_SECS) => bail!(
            "--deadline-secs {s}: use a number of seconds above 0 and at most {MAX_DEADLINE_SECS}"
        ),
        Some(s) => Some(std::time::Instant::now() + std::time::Duration::from_secs_f64(s)),
        None => None,
    };
    let request = Request {
        system: &system,
        prompt: &args.prompt,
        sampling: &sampling,
        seed: args.seed,
        deadline,
    };
    let mut stdout = std::io::stdout();
    let mut on_text = |piece: &str| {
        let _ = stdout.write_all(piece.as_bytes());
        let _ = stdout.flush();
    };
    let generation = match (&model, &endpoint) {
        (ModelRef::Remote(name), Some(endpoint)) => {
            RemoteModel::new(name, endpoint)?.generate(&request, &mut on_text)?
        }
        _ => {
            let path = super::ensure_model(fetcher, &model)?;
            let lm = LanguageModel::load(&path, LoadOptions::default())?;
            lm.generate(&request, &mut on_text)?
        }
    };
    println!();
    eprintln!(
        "[{model}] {} prompt tokens at {:.1} tok/s, {} tokens at {:.1} tok/s, finish: {:?}{}",
        generation.prompt_tokens,
        generation.prompt_tokens_per_sec(),
        generation.generated_tokens,
        generation.tokens_per_sec(),
        generation.finish,
        if generation.truncated() {
            " (truncated)"
        } else {
            ""
        }
    );
    Ok(())
}
