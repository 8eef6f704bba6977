//! `arena bench detection`: the detection table of `arena verify`. Rounds of
//! the shipped agents are played with the kernel `ARENA_KERNEL` names (the
//! best by default); each is verified honestly with every kernel this
//! machine has (a reported problem is a false alarm), and one answer per
//! round is tampered with in each way an
//! operator could cheat (which agent, and which kernel checks it, rotate
//! from round to round); a tampering that verifies is a miss. It also
//! prints the hidden-state distances the tolerance must separate: the
//! largest of honest answers per kernel, the smallest of tampered ones.
//! With `--copy MODEL=FILE`, one agent of MODEL per round also answers
//! with FILE (a fine-tuned or re-quantized copy) and claims MODEL and its
//! file's hash: a copy passed off as the original.

use anyhow::{Result, ensure};
use clap::Args;

use agents::commitment::{HIDDEN_TOLERANCE, SAME_KERNEL_TOLERANCE};
use agents::prefill::tail_passes;
use agents::row_matmul::Kernel;
use agents::sampling::Draw;
use agents::verification::{AnswerCheck, DRAW_NOISE, LOGIT_TOLERANCE};
use agents::{Agent, LanguageModel, LoadOptions};
use judge::records::AnswerRecord;

use super::verify::commitment_checks;
use crate::tournament::lifecycle::{
    ModelCache, asked_of, generate_answers, generate_each, prompt_of_round, request_of,
};
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
    /// A copy of a roster model, as MODEL=FILE (a fine-tuned or
    /// re-quantized GGUF, `scripts/requantize.py`), passed off as MODEL
    /// once a round; may be given more than once.
    #[arg(long, value_name = "MODEL=FILE")]
    copy: Vec<String>,
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
    /// Greedy sampling recorded for an answer that drew a token clearly
    /// less likely than the most likely one ([`clearly_not_greedy`]).
    ChangedSampling,
    /// The answer generated with another seed, its commitment recomputed
    /// for the round's seed, which is recorded: what an agent that picks
    /// the best of several samples, and knows the model, submits.
    AnotherSeed,
}

const TAMPERINGS: [(Tampering, &str); 6] = [
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
    (
        Tampering::AnotherSeed,
        "another seed (drawn with another seed, committed for the round's)",
    ),
];

#[derive(Default)]
struct Count {
    trials: usize,
    hits: usize,
    /// Rounds with no answer the tampering suits.
    unsuited: usize,
    /// Smallest (for tamperings) or largest (for honest answers) mean
    /// hidden-state distance seen.
    distance: Option<f32>,
}

impl Count {
    /// Counts a check; its hidden distance only if the prefill ran (a
    /// check that stopped before it has no tokens checked).
    fn add(&mut self, check: &AnswerCheck, keep: fn(f32, f32) -> f32) {
        self.trials += 1;
        self.hits += usize::from(!check.problems.is_empty());
        if check.tokens > 0 {
            let distance = check.hidden_distance;
            self.distance = Some(self.distance.map_or(distance, |d| keep(d, distance)));
        }
    }
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
    // The rounds are played with the kernel ARENA_KERNEL names (the best
    // by default), so one machine can play with each kernel it has.
    let played = Kernel::from_env().map_err(anyhow::Error::msg)?;
    let mut kernels = Kernel::available();
    kernels.retain(|&k| k != played);
    kernels.insert(0, played);
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
    let copies = args
        .copy
        .iter()
        .map(|pair| Copy::parse(pair, &model_names))
        .collect::<Result<Vec<_>>>()?;
    let mut false_alarms: Vec<Count> = kernels.iter().map(|_| Count::default()).collect();
    let mut detected: Vec<Count> = TAMPERINGS.iter().map(|_| Count::default()).collect();
    // Per copy, per checking kernel: a copy may hide within the tolerance
    // across numerics but not within the same numerics' one.
    let mut copies_detected: Vec<Vec<Count>> = copies
        .iter()
        .map(|_| kernels.iter().map(|_| Count::default()).collect())
        .collect();
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
        let each: Vec<(&str, &AnswerRecord)> =
            answers.iter().map(|a| (prompt.as_str(), a)).collect();
        for (k, cache) in caches.iter().enumerate() {
            for (answer, check) in commitment_checks(cache, &each)? {
                false_alarms[k].add(&check, f32::max);
                for problem in &check.problems {
                    println!(
                        "round {round}, {}: false alarm: {}: {problem}",
                        names[k], answer.agent_id
                    );
                }
            }
        }
        let mut missed = Vec::new();
        for (t, (tampering, label)) in TAMPERINGS.iter().enumerate() {
            let offset = (round as usize + t) % answers.len();
            let Some(tampered) = tamper(*tampering, &answers, offset, &caches[0], &prompt)? else {
                detected[t].unsuited += 1;
                continue;
            };
            let k = (round as usize + t) % caches.len();
            let checks = commitment_checks(&caches[k], &[(prompt.as_str(), &tampered)])?;
            let check = &checks[0].1;
            detected[t].add(check, f32::min);
            if check.problems.is_empty() {
                missed.push(format!("{label} of {} ({})", tampered.agent_id, names[k]));
            }
        }
        for (c, copy) in copies.iter().enumerate() {
            let agent = copy.agent_of_round(&agents, round as usize + c);
            let mut asked = asked_of(space, round, agent, Some(args.max_tokens));
            asked.model = copy.file.clone();
            let mut passed_off =
                generate_answers(&caches[0], &prompt, &[asked], None, &mut |_, _| {})?.remove(0);
            tokens += passed_off.generated_tokens;
            passed_off.model = copy.model.clone();
            if let Some(commitment) = passed_off.commitment.as_mut() {
                commitment.model_sha256 = caches[0].get(&copy.model)?.sha256().to_owned();
            }
            let k = (round as usize + c) % caches.len();
            let checks = commitment_checks(&caches[k], &[(prompt.as_str(), &passed_off)])?;
            let check = &checks[0].1;
            copies_detected[c][k].add(check, f32::min);
            if check.problems.is_empty() {
                missed.push(format!("{} of {} ({})", copy.label(), agent.id, names[k]));
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
    println!(
        "| tampering | rounds | detected | rate | rounds with no suited answer | smallest hidden distance |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    let copy_rows = copies
        .iter()
        .zip(&copies_detected)
        .flat_map(|(copy, counts)| {
            names
                .iter()
                .zip(counts)
                .map(move |(name, count)| (format!("{}, checked with {name}", copy.label()), count))
        });
    let rows = TAMPERINGS
        .iter()
        .map(|(_, label)| label.to_string())
        .zip(&detected)
        .chain(copy_rows);
    for (label, count) in rows {
        println!(
            "| {label} | {} | {} | {} | {} | {} |",
            count.trials,
            count.hits,
            percent(count),
            count.unsuited,
            shown(count.distance)
        );
    }
    println!(
        "\n| honest answers verified with | answers | false alarms | rate | largest hidden distance |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for (name, count) in names.iter().zip(&false_alarms) {
        println!(
            "| {name} | {} | {} | {} | {} |",
            count.trials,
            count.hits,
            percent(count),
            shown(count.distance)
        );
    }
    println!(
        "(hidden distance: the mean over an answer's committed positions; tolerance {SAME_KERNEL_TOLERANCE} with the numerics that played (every kernel of an x86-64 machine), else {HIDDEN_TOLERANCE})"
    );
    Ok(())
}

/// A copy of a roster model passed off as it: `--copy MODEL=FILE`.
struct Copy {
    model: String,
    file: String,
}

impl Copy {
    fn parse(pair: &str, models: &[&str]) -> Result<Self> {
        let Some((model, file)) = pair.split_once('=') else {
            anyhow::bail!("--copy {pair}: write MODEL=FILE, as smollm2-135m=copy.gguf");
        };
        ensure!(
            models.contains(&model),
            "--copy {pair}: no agent of the roster uses {model} (they use {})",
            models.join(", ")
        );
        ensure!(
            std::path::Path::new(file).is_file(),
            "--copy {pair}: there is no file {file}"
        );
        Ok(Self {
            model: model.to_owned(),
            file: file.to_owned(),
        })
    }

    /// The agent of the copy's model that answers with it in `round`.
    fn agent_of_round<'a>(&self, agents: &'a [Agent], round: usize) -> &'a Agent {
        let own: Vec<&Agent> = agents.iter().filter(|a| a.model == self.model).collect();
        own[round % own.len()]
    }

    fn label(&self) -> String {
        let name = std::path::Path::new(&self.file)
            .file_name()
            .map_or(self.file.clone(), |n| n.to_string_lossy().into_owned());
        format!("copy passed off as {} ({name})", self.model)
    }
}

fn shown(distance: Option<f32>) -> String {
    distance.map_or("-".to_owned(), |d| format!("{d:.3}"))
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
                if answer.sampling.temperature <= 0.0
                    || !clearly_not_greedy(&model, answer, prompt)?
                {
                    continue;
                }
                changed.sampling.temperature = 0.0;
            }
            Tampering::AnotherSeed => {
                let mut reseeded = answer.clone();
                reseeded.seed = answer.seed.wrapping_add(1);
                let again = generate_each(models, &[(prompt, &reseeded)], None, &mut |_, _| {})?;
                let Some(again) = again.into_iter().next().filter(|a| a.text != answer.text) else {
                    continue;
                };
                let tokens = &again
                    .commitment
                    .as_ref()
                    .expect("a local answer commits")
                    .tokens;
                let fingerprints =
                    model.fingerprints_of(&request_of(answer, prompt, None), tokens)?;
                changed = AnswerRecord {
                    seed: answer.seed,
                    ..again
                };
                if let Some(c) = changed.commitment.as_mut() {
                    c.fingerprints = fingerprints;
                }
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

/// Whether some token of `answer` lies more than twice
/// [`LOGIT_TOLERANCE`] below the most likely one, on the kernel that played
/// it: then a claim of greedy sampling is false by more than kernel noise
/// explains. An answer whose only other tokens are near-ties is left out:
/// greedy decoding on another kernel could have picked them too, so no
/// verifier can tell such a claim from the truth.
fn clearly_not_greedy(model: &LanguageModel, answer: &AnswerRecord, prompt: &str) -> Result<bool> {
    let greedy = agents::Sampling {
        temperature: 0.0,
        ..answer.sampling.clone()
    };
    let tokens = &answer
        .commitment
        .as_ref()
        .expect("the caller checked")
        .tokens;
    let rendered = model.render_prompt(&answer.system_prompt, prompt)?;
    let sequence = [
        &model.tokenizer().encode_prompt(&rendered)?[..],
        &tokens[..tokens.len() - 1],
    ]
    .concat();
    let mut sampler = greedy.sampler(answer.seed);
    let mut clearly = false;
    tail_passes(
        model.transformer(),
        &[sequence],
        &[tokens.len()],
        &mut |pass| {
            for (position, &token) in tokens.iter().enumerate() {
                let logits = pass.logits.get(position)?.to_vec1::<f32>()?;
                let draw = sampler.check(
                    &logits,
                    &tokens[..position],
                    token,
                    2.0 * LOGIT_TOLERANCE,
                    DRAW_NOISE,
                );
                clearly |= matches!(draw, Draw::Implausible(_));
            }
            Ok(())
        },
    )?;
    Ok(clearly)
}
