//! `arena verify ROUND`: anyone holding the database can check a round, on
//! any machine. The result root is recomputed from the stored record and
//! compared with the one settled on chain; every answer is checked against
//! the commitment it made as it was generated, with one batched prefill
//! pass per model ([`agents::verification`]), and every served answer
//! against a prefill of the model its server claims
//! ([`agents::served_verification`]), and the judge's own answer
//! ([`judge::own_answer`]) against its commitment; the verdicts are judged
//! again, with that recorded own answer, and compared within tolerances. `--replay` generates the answers
//! again from their seeds instead, which costs as much as the round and
//! reproduces only with the kernel that played it. `--vote` then casts a verifier's vote on
//! the round's challenge ([`super::vote`]).

use std::path::PathBuf;
use std::time::Instant;

use agents::served_verification::ServedClaim;
use agents::verification::{AnswerCheck, Claim};
use anyhow::{Context, Result, bail};
use clap::Args;
use contracts::RoundState;
use judge::Judgment;
use judge::own_answer;
use judge::records::AnswerRecord;

use super::vote::ChainArgs;
use crate::tournament::interactive::audit::{labelled_moves, transcript_problems};
use crate::tournament::interactive::outcome::judge_model_of;
use crate::tournament::lifecycle::{
    ModelCache, generate_each, judge_config, judge_round, request_of,
};
use crate::tournament::result_root::result_root;
use crate::tournament::space;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The round to verify.
    round: u64,
    /// Directory of space files (default: the shipped spaces).
    #[arg(long)]
    spaces: Option<PathBuf>,
    /// Only compare result roots; check neither answers nor judgment.
    #[arg(long, conflicts_with = "replay")]
    roots_only: bool,
    /// Generate the answers again from their seeds and compare texts,
    /// instead of checking their commitments: as slow as the round, and
    /// exact only with the matrix kernel that played it.
    #[arg(long)]
    replay: bool,
    #[command(flatten)]
    chain: ChainArgs,
}

pub fn run(args: VerifyArgs, fetcher: agents::Fetcher, data_dir: PathBuf) -> Result<()> {
    let store = super::open_store(&data_dir)?;
    let round = store
        .round(args.round)?
        .with_context(|| format!("no round {} in {}", args.round, store.path().display()))?;
    let answers = store.answers(round.id)?;
    let judgment = store
        .judgment(round.id)?
        .with_context(|| format!("round {} has not been judged yet", round.id))?;
    let mut problems = Vec::new();

    let root_bytes = result_root(&round, &answers, &judgment);
    let root = hex::encode(root_bytes);
    println!("result root recomputed from the store: 0x{root}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let chain = args.chain.connect(&runtime, &data_dir)?;
    let info = runtime.block_on(chain.client().round(round.id))?;
    println!("round on chain: {}", info.state);
    if info.state == RoundState::Cancelled && round.result_root.is_none() {
        // An interactive round whose matches were all drawn is refunded, not settled.
        println!("round refunded on chain (cancelled): no result root was settled");
    } else {
        if round.result_root.as_deref() != Some(root.as_str()) {
            problems.push(
                "the stored record no longer matches the root recorded at settlement".to_owned(),
            );
        }
        println!(
            "result root on chain:                  {}",
            info.result_root
        );
        if info.result_root.as_slice() != root_bytes.as_slice() {
            problems
                .push("the root on chain differs from the root of the stored record".to_owned());
        }
    }

    if !args.roots_only {
        let space = space::find(
            &args.spaces.unwrap_or_else(space::default_dir),
            &round.space,
        )?;
        let models = ModelCache::new(fetcher);
        let started = Instant::now();
        // A single-shot round's answers all saw its prompt; an interactive round's moves each
        // saw their own, which must be what the transcript before them shows.
        let moves = match &space.interactive {
            Some(interactive) => {
                problems.extend(transcript_problems(interactive, &round, &answers));
                labelled_moves(&round)
            }
            None => answers
                .iter()
                .map(|a| (round.prompt.clone(), a.clone()))
                .collect(),
        };
        let moves: Vec<(&str, &AnswerRecord)> =
            moves.iter().map(|(p, a)| (p.as_str(), a)).collect();
        if args.replay {
            problems.extend(replay(&models, &moves)?);
        } else {
            problems.extend(check_answers(&models, &moves, &mut |line| {
                println!("{line}")
            })?);
        }
        println!(
            "answers checked in {:.2} s",
            started.elapsed().as_secs_f64()
        );
        let judge = judge_model_of(&judgment.judge);
        // The recorded own answer of the judge: a greedy answer can change
        // with the kernel's rounding, and the verdicts are checked against
        // the text they were judged with.
        let rejudged = judge_round(
            &models,
            judge,
            &space,
            &round,
            &answers,
            judgment.own_answer.as_deref(),
        )?;
        if let Some(problem) = own_answer_problem(&models, judge, &round.prompt, &judgment)? {
            problems.push(problem);
        }
        let differences = judgment.differences(&rejudged, &judge_config(judge)?);
        if differences.is_empty() {
            println!(
                "judgment: reproduced (ranking {})",
                judgment.ranking.order.join(" > ")
            );
        } else {
            problems.push(format!(
                "the judgment does not reproduce: {}",
                differences.join("; ")
            ));
        }
    }
    chain.vote(&runtime, round.id, !problems.is_empty())?;
    if problems.is_empty() {
        println!("round {} verified", round.id);
        Ok(())
    } else {
        bail!(
            "round {} failed verification:\n- {}",
            round.id,
            problems.join("\n- ")
        )
    }
}

/// Checks every `(prompt, answer)`: a local answer against its commitment,
/// a served one against a local prefill of the model its server claims, the
/// answers of one model in one batched prefill; returns what does not
/// hold, naming the agent, and tells `report` what holds. `arena bench
/// verify` times it.
pub(crate) fn check_answers(
    models: &ModelCache,
    answers: &[(&str, &AnswerRecord)],
    report: &mut dyn FnMut(String),
) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut claimed: Vec<&str> = Vec::new();
    for &(_, answer) in answers.iter().filter(|(_, a)| a.commitment.is_none()) {
        if let Some(endpoint) = &answer.endpoint {
            match &endpoint.claimed_model {
                Some(model) => claimed.push(model),
                None => report(format!(
                    "answer of {}: served by {}, whose endpoint claims no model; not checked (set claimed_model in its [endpoint] to have it checked)",
                    answer.agent_id, answer.model
                )),
            }
        } else {
            problems.push(format!(
                "the answer of {} has no commitment (recorded before commitments existed): check it with --replay",
                answer.agent_id
            ));
        }
    }
    for (answer, check) in commitment_checks(models, answers)? {
        if check.problems.is_empty() {
            report(format!(
                "answer of {}: consistent with {} (mean hidden-state distance {:.4} of at most {}, {} of {} draws exact, the others within {:.3} of the mass)",
                answer.agent_id,
                answer.model,
                check.hidden_distance,
                check.hidden_tolerance,
                check.exact,
                check.tokens,
                check.largest_miss
            ));
        } else {
            problems.extend(check.problems.iter().map(|p| {
                format!(
                    "the answer of {} does not match its claim on {}: {p}",
                    answer.agent_id, answer.model
                )
            }));
        }
    }
    for name in sorted_unique(claimed) {
        let model = models.get(name)?;
        let group: Vec<(&str, &AnswerRecord)> = answers
            .iter()
            .copied()
            .filter(|(_, a)| {
                a.commitment.is_none()
                    && a.endpoint
                        .as_ref()
                        .is_some_and(|e| e.claimed_model.as_deref() == Some(name))
            })
            .collect();
        let claims: Vec<ServedClaim> = group
            .iter()
            .map(|&(prompt, a)| ServedClaim {
                request: request_of(a, prompt, None),
                text: &a.text,
            })
            .collect();
        for ((_, answer), check) in group.iter().zip(model.check_served(&claims)?) {
            let server = answer.endpoint.as_ref().map_or("", |e| e.url.as_str());
            let z = check
                .likelihood_z
                .map_or(String::new(), |z| format!(", likelihood z {z:+.1}"));
            if check.problems.is_empty() {
                report(format!(
                    "answer of {}: served by {server}, consistent with its claimed model {name} ({} tokens, log-likelihood {:.2} per token{z}, largest gap {:.2} logits)",
                    answer.agent_id, check.tokens, check.mean_logprob, check.largest_gap
                ));
            } else {
                problems.extend(check.problems.iter().map(|p| {
                    format!(
                        "the answer of {} served by {server} is not what its claimed model {name} gives: {p}",
                        answer.agent_id
                    )
                }));
            }
        }
    }
    Ok(problems)
}

/// Every answer of `answers` that has a commitment, with what checking it
/// found: the answers of one model in one batched prefill, models in name
/// order.
pub(crate) fn commitment_checks<'a>(
    models: &ModelCache,
    answers: &[(&str, &'a AnswerRecord)],
) -> Result<Vec<(&'a AnswerRecord, AnswerCheck)>> {
    let committed = answers
        .iter()
        .filter(|(_, a)| a.commitment.is_some())
        .map(|(_, a)| a.model.as_str())
        .collect();
    let mut checks = Vec::new();
    for name in sorted_unique(committed) {
        let model = models.get(name)?;
        let group: Vec<(&str, &AnswerRecord)> = answers
            .iter()
            .copied()
            .filter(|(_, a)| a.model == name && a.commitment.is_some())
            .collect();
        let claims: Vec<Claim> = group
            .iter()
            .map(|&(prompt, a)| Claim {
                request: request_of(a, prompt, None),
                text: &a.text,
                commitment: a.commitment.as_ref().expect("filtered on commitments"),
            })
            .collect();
        let found = model.check_answers(&claims)?;
        checks.extend(group.iter().map(|(_, a)| *a).zip(found));
    }
    Ok(checks)
}

fn sorted_unique(mut names: Vec<&str>) -> Vec<&str> {
    names.sort_unstable();
    names.dedup();
    names
}

/// What is wrong with the judge's recorded own answer, checked against its
/// commitment with one prefill of the judge model, as the agents' answers
/// are; `None` when it holds or there is none to check (a served judge
/// commits to nothing, and says so).
fn own_answer_problem(
    models: &ModelCache,
    judge: Option<&str>,
    question: &str,
    judgment: &Judgment,
) -> Result<Option<String>> {
    let (Some(text), Some(name)) = (&judgment.own_answer, judge) else {
        return Ok(None);
    };
    let Some(commitment) = &judgment.own_answer_commitment else {
        println!("judge's own answer: written by {name}, which commits to nothing; not checked");
        return Ok(None);
    };
    let sampling = own_answer::sampling();
    let claim = Claim {
        request: own_answer::request(question, &sampling),
        text,
        commitment,
    };
    let check = models.get(name)?.check_answers(&[claim])?.remove(0);
    if check.problems.is_empty() {
        println!(
            "judge's own answer: consistent with {name} ({} of {} greedy tokens exact)",
            check.exact, check.tokens
        );
        return Ok(None);
    }
    Ok(Some(format!(
        "the judge's own answer does not match its claim on {name}: {}",
        check.problems.join("; ")
    )))
}

/// Generates the answers again from their seeds and compares the texts. Answers are generated
/// in batches of distinct agents: a single-shot round in one, an interactive round's moves
/// about one batch per step.
fn replay(models: &ModelCache, answers: &[(&str, &AnswerRecord)]) -> Result<Vec<String>> {
    let mut batches: Vec<Vec<(&str, &AnswerRecord)>> = Vec::new();
    for &(prompt, answer) in answers {
        let free = batches
            .iter_mut()
            .find(|b| b.iter().all(|(_, a)| a.agent_id != answer.agent_id));
        match free {
            Some(batch) => batch.push((prompt, answer)),
            None => batches.push(vec![(prompt, answer)]),
        }
    }
    let mut problems = Vec::new();
    for mut batch in batches {
        batch.sort_by(|a, b| a.1.agent_id.cmp(&b.1.agent_id));
        let replayed = generate_each(models, &batch, None, &mut |_, _| {})?;
        for ((_, stored), again) in batch.iter().zip(&replayed) {
            if stored.truncated {
                println!(
                    "answer of {}: cut by the round's deadline, not replayable",
                    stored.agent_id
                );
            } else if stored.text == again.text {
                println!("answer of {}: reproduced", stored.agent_id);
            } else {
                problems.push(format!(
                    "the answer of {} does not reproduce: stored {:?}, generated {:?}",
                    stored.agent_id, stored.text, again.text
                ));
            }
        }
    }
    Ok(problems)
}
