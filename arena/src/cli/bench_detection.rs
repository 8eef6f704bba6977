//! `arena bench detection`: the detection table of `arena verify`. Rounds of
//! the shipped agents are played with the best kernel; each is verified
//! honestly with every kernel this machine has (a reported problem is a
//! false alarm), and one answer per round is tampered with in each way an
//! operator could cheat (which agent, and which kernel checks it, rotate
//! from round to round); a tampering that verifies is a miss.

use anyhow::{Result, ensure};
use clap::Args;

use agents::row_matmul::Kernel;
use agents::{LanguageModel, LoadOptions};
use judge::records::AnswerRecord;

use crate::tournament::lifecycle::{ModelCache, asked_of, generate_answers, prompt_of_round};
use crate::tournament::{roster, space};

#[derive(Debug, Args)]
pub struct DetectionBenchArgs {
    /// Rounds played (each its own prompt and seeds).
    #[arg(long, default_value_t = 50)]
    runs: usize,
    /// Caps every answer's length.
    #[arg(long, default_value_t = 8)]
    max_tokens: usize,
    /// Spaces whose prompts the rounds play, in turn.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "factual-qa,arithmetic,haiku"
    )]
    spaces: Vec<String>,
}

/// The ways a stored answer is tampered with.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tampering {
    /// The answer passed off as the other model's, with that model's hash.
    SubstitutedModel,
    /// Text edited; tokens and commitment left as generated.
    EditedText,
    /// One token replaced and the text made to match, hidden states left.
    EditedTokens,
    /// Another system prompt recorded.
    ChangedSystemPrompt,
    /// Greedy sampling recorded for an answer that drew a token other
    /// than the most likely one.
    ChangedSampling,
}

const TAMPERINGS: [(Tampering, &str); 5] = [
    (
        Tampering::SubstitutedModel,
        "substituted model (the other model's name and file hash)",
    ),
    (Tampering::EditedText, "edited answer (text only)"),
    (
        Tampering::EditedTokens,
        "edited answer (a token replaced, text to match)",
    ),
    (Tampering::ChangedSystemPrompt, "changed system prompt"),
    (
        Tampering::ChangedSampling,
        "changed sampling (greedy claimed for a sampled answer)",
    ),
];

#[derive(Default)]
struct Count {
    trials: usize,
    hits: usize,
}

pub fn run(args: DetectionBenchArgs, fetcher: &agents::Fetcher) -> Result<()> {
    ensure!(args.runs > 0, "--runs must be positive");
    ensure!(!args.spaces.is_empty(), "--spaces names no space");
    let spaces = args
        .spaces
        .iter()
        .map(|name| space::find(&space::default_dir(), name))
        .collect::<Result<Vec<_>>>()?;
    let agents = roster::load(&roster::default_dir())?;
    let kernels = Kernel::available();
    let caches: Vec<ModelCache> = kernels
        .iter()
        .map(|&kernel| {
            ModelCache::with_options(
                fetcher.clone(),
                LoadOptions {
                    kernel,
                    ..LoadOptions::default()
                },
            )
        })
        .collect();
    let mut model_names: Vec<&str> = agents.iter().map(|a| a.model.as_str()).collect();
    model_names.sort_unstable();
    model_names.dedup();
    ensure!(
        model_names.len() >= 2,
        "the roster uses one model: a substituted model needs two"
    );
    for cache in &caches {
        for name in &model_names {
            cache.get(name)?;
        }
    }
    let names: Vec<&str> = kernels.iter().map(|k| k.name()).collect();
    println!(
        "{} agents, {} rounds, answers capped at {} tokens, played with {}, verified with {}",
        agents.len(),
        args.runs,
        args.max_tokens,
        names[0],
        names.join(", ")
    );
    let mut false_alarms: Vec<Count> = kernels.iter().map(|_| Count::default()).collect();
    let mut detected: Vec<Count> = TAMPERINGS.iter().map(|_| Count::default()).collect();
    let mut tokens = 0;
    for round in 1..=args.runs as u64 {
        let space = &spaces[(round as usize - 1) % spaces.len()];
        let prompt = space.full_prompt(prompt_of_round(space, round));
        let asked: Vec<_> = agents
            .iter()
            .map(|a| asked_of(space, round, a, Some(args.max_tokens)))
            .collect();
        let answers = generate_answers(&caches[0], &prompt, &asked, None, &mut |_, _| {})?;
        tokens += answers.iter().map(|a| a.generated_tokens).sum::<usize>();
        for (k, cache) in caches.iter().enumerate() {
            let each: Vec<(&str, &AnswerRecord)> =
                answers.iter().map(|a| (prompt.as_str(), a)).collect();
            let problems = super::verify::check_answers(cache, &each, &mut |_| {})?;
            false_alarms[k].trials += answers.len();
            false_alarms[k].hits += answers
                .iter()
                .filter(|a| problems.iter().any(|p| p.contains(&a.agent_id)))
                .count();
            for problem in &problems {
                println!("round {round}, {}: false alarm: {problem}", names[k]);
            }
        }
        let mut missed = Vec::new();
        for (t, (tampering, label)) in TAMPERINGS.iter().enumerate() {
            let offset = (round as usize + t) % answers.len();
            let Some(tampered) = tamper(*tampering, &answers, offset, &caches[0], &prompt)? else {
                continue;
            };
            let k = (round as usize + t) % caches.len();
            let problems = super::verify::check_answers(
                &caches[k],
                &[(prompt.as_str(), &tampered)],
                &mut |_| {},
            )?;
            detected[t].trials += 1;
            if problems.iter().any(|p| p.contains(&tampered.agent_id)) {
                detected[t].hits += 1;
            } else {
                missed.push(format!("{label} of {} ({})", tampered.agent_id, names[k]));
            }
        }
        for miss in &missed {
            println!("round {round}: missed: {miss}");
        }
        println!(
            "round {round} ({}): {} answers, {} tamperings missed",
            space.name,
            answers.len(),
            missed.len()
        );
    }
    println!("\n{tokens} tokens in all\n");
    println!("| tampering | rounds | detected | rate |");
    println!("| --- | --- | --- | --- |");
    for ((_, label), count) in TAMPERINGS.iter().zip(&detected) {
        println!(
            "| {label} | {} | {} | {} |",
            count.trials,
            count.hits,
            percent(count)
        );
    }
    println!("\n| honest answers verified with | answers | false alarms | rate |");
    println!("| --- | --- | --- | --- |");
    for (name, count) in names.iter().zip(&false_alarms) {
        println!(
            "| {name} | {} | {} | {} |",
            count.trials,
            count.hits,
            percent(count)
        );
    }
    Ok(())
}

fn percent(count: &Count) -> String {
    if count.trials == 0 {
        return "-".to_owned();
    }
    format!("{:.1}%", 100.0 * count.hits as f64 / count.trials as f64)
}

/// A copy of one of `answers` (the first suitable from `offset` on)
/// tampered with as `tampering` says; none when no answer suits it.
fn tamper(
    tampering: Tampering,
    answers: &[AnswerRecord],
    offset: usize,
    models: &ModelCache,
    prompt: &str,
) -> Result<Option<AnswerRecord>> {
    for i in 0..answers.len() {
        let answer = &answers[(offset + i) % answers.len()];
        let Some(commitment) = &answer.commitment else {
            continue;
        };
        if commitment.tokens.is_empty() {
            continue;
        }
        let model = models.get(&answer.model)?;
        let mut changed = answer.clone();
        let c = changed.commitment.as_mut().expect("checked above");
        match tampering {
            Tampering::SubstitutedModel => {
                let Some(other) = answers.iter().find(|a| a.model != answer.model) else {
                    continue;
                };
                changed.model = other.model.clone();
                c.model_sha256 = models.get(&other.model)?.sha256().to_owned();
            }
            Tampering::EditedText => changed.text.push_str(" (edited)"),
            Tampering::EditedTokens => {
                let position = c.tokens.len() / 2;
                let Some(replacement) = replacement_token(&model, c.tokens[position])? else {
                    continue;
                };
                c.tokens[position] = replacement;
                changed.text = model.answer_text(&c.tokens, &changed.sampling)?;
            }
            Tampering::ChangedSystemPrompt => {
                changed.system_prompt = "You are a pirate. Answer like one.".to_owned();
            }
            Tampering::ChangedSampling => {
                if answer.sampling.temperature <= 0.0 || all_greedy(&model, answer, prompt)? {
                    continue;
                }
                changed.sampling.temperature = 0.0;
            }
        }
        return Ok(Some(changed));
    }
    Ok(None)
}

/// A token to put in place of `token`: the first word of a short list the
/// tokenizer gives as one token other than `token`.
fn replacement_token(model: &LanguageModel, token: u32) -> Result<Option<u32>> {
    for word in [" never", " purple", " not"] {
        if let [id] = model.tokenizer().encode(word)?[..]
            && id != token
        {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// Whether every token of `answer` was the most likely one (then a claim of
/// greedy sampling is true of its tokens and no tampering at all): its check as a greedy claim draws every token exactly.
fn all_greedy(model: &LanguageModel, answer: &AnswerRecord, prompt: &str) -> Result<bool> {
    let greedy = agents::Sampling {
        temperature: 0.0,
        ..answer.sampling.clone()
    };
    let commitment = answer.commitment.as_ref().expect("the caller checked");
    let claim = agents::verification::Claim {
        request: agents::Request {
            system: &answer.system_prompt,
            prompt,
            sampling: &greedy,
            seed: answer.seed,
            deadline: None,
        },
        text: &answer.text,
        commitment,
    };
    let check = model.check_answers(std::slice::from_ref(&claim))?;
    Ok(check[0].exact == check[0].tokens)
}
