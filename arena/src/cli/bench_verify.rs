//! `arena bench verify`: how much cheaper checking a round's answers
//! against their commitments (one batched prefill per model) is than
//! generating them again, for a round of the shipped agents, with the
//! models loaded beforehand so both sides time computation alone. It also
//! times the prompt pass alone (each answer capped at one token): both
//! sides must run it, so generation over it bounds the ratio any check of
//! the answers could reach.

use std::time::Instant;

use anyhow::{Result, ensure};
use clap::Args;
use judge::records::AnswerRecord;

use crate::tournament::lifecycle::{ModelCache, asked_of, generate_answers, prompt_of_round};
use crate::tournament::{roster, space};

#[derive(Debug, Args)]
pub struct VerifyBenchArgs {
    /// Rounds measured (each its own prompt and seeds); medians are reported.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Caps every answer's length.
    #[arg(long, default_value_t = 64)]
    max_tokens: usize,
    /// The space whose prompts the rounds play.
    #[arg(long, default_value = "factual-qa")]
    space: String,
}

pub fn run(args: VerifyBenchArgs, fetcher: &agents::Fetcher) -> Result<()> {
    ensure!(args.runs > 0, "--runs must be positive");
    let space = space::find(&space::default_dir(), &args.space)?;
    let agents = roster::load(&roster::default_dir())?;
    let models = ModelCache::new(fetcher.clone());
    for agent in &agents {
        models.get(&agent.model)?;
    }
    let kernel = agents::row_matmul::Kernel::from_env().map_err(anyhow::Error::msg)?;
    println!(
        "{} agents, answers capped at {} tokens, kernel {}",
        agents.len(),
        args.max_tokens,
        kernel.name()
    );
    let (mut generation, mut verification, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut prompt_passes, mut bounds) = (Vec::new(), Vec::new());
    for round in 1..=args.runs as u64 {
        let prompt = space.full_prompt(prompt_of_round(&space, round));
        let asked: Vec<_> = agents
            .iter()
            .map(|a| asked_of(&space, round, a, Some(args.max_tokens)))
            .collect();
        let one_token: Vec<_> = agents
            .iter()
            .map(|a| asked_of(&space, round, a, Some(1)))
            .collect();
        let started = Instant::now();
        generate_answers(&models, &prompt, &one_token, None, &mut |_, _| {})?;
        let prompt_pass = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let answers = generate_answers(&models, &prompt, &asked, None, &mut |_, _| {})?;
        let generated = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let each: Vec<(&str, &AnswerRecord)> =
            answers.iter().map(|a| (prompt.as_str(), a)).collect();
        let problems = super::verify::check_answers(&models, &each, &mut |_| {})?;
        let checked = started.elapsed().as_secs_f64();
        ensure!(
            problems.is_empty(),
            "round {round} did not verify: {problems:?}"
        );
        let tokens: usize = answers.iter().map(|a| a.generated_tokens).sum();
        println!(
            "round {round}: {tokens} tokens, generation {generated:.2} s, verification {checked:.2} s ({:.1}x); prompt pass alone {prompt_pass:.2} s (bound {:.1}x)",
            generated / checked,
            generated / prompt_pass
        );
        generation.push(generated);
        verification.push(checked);
        ratios.push(generated / checked);
        prompt_passes.push(prompt_pass);
        bounds.push(generated / prompt_pass);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "median: generation {:.2} s, verification {:.2} s, ratio {:.1}x; prompt pass alone {:.2} s, bound {:.1}x",
        median(&mut generation),
        median(&mut verification),
        median(&mut ratios),
        median(&mut prompt_passes),
        median(&mut bounds)
    );
    Ok(())
}
