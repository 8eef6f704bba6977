//! One evolution step, run after a generation of rounds: judge each
//! evolving agent's candidate against its parent (keep or roll back), find
//! the agents below the median form (share of opponents outranked per
//! round) of the field, and give each of them a
//! new candidate version. Everything the step decides is written to the
//! store in one transaction.

use std::collections::HashMap;

use agents::{Agent, Sampling};
use anyhow::{Context, Result};
use judge::Store;
use judge::records::{AgentVersion, RoundId, VersionOrigin, VersionStatus};
use judge::verdict::Ranking;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use agents::training::Progress;

use super::dpo::{Base, Plan, TrainOptions};
use super::mutation::{instruction_library, mutate_prompt, mutate_sampling};
use super::rewrite::{LosingAnswer, rewrite_prompt};
use crate::tournament::lifecycle::{ModelCache, seed_for};
use crate::tournament::space::Space;

/// How candidate system prompts are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mutator {
    /// Add or remove instructions from the space's library.
    Rules,
    /// Ask a language model to rewrite the prompt (rules when its reply is unusable).
    Model,
    /// Either, chosen by the seeded RNG for each candidate.
    Both,
    /// Population-based training's exploit and explore: copy the system
    /// prompt and sampling of the generation's best agent (baseline
    /// included), then add or remove one instruction by the rules.
    Imitate,
    /// Train the agent's model by DPO on the space's preference pairs
    /// (`arena train`'s defaults); the rules when there are too few pairs.
    Dpo,
}

/// What [`Mutator::Dpo`] trains with.
pub struct Training<'a> {
    pub fetcher: &'a agents::Fetcher,
    /// Where checkpoints and trained models go.
    pub data_dir: &'a std::path::Path,
    pub steps: usize,
}

/// What the step needs besides the store.
pub struct Evolver<'a> {
    pub space: &'a Space,
    pub models: &'a ModelCache,
    pub mutator: Mutator,
    /// The model that rewrites prompts.
    pub rewriter: &'a str,
    pub seed: u64,
    /// For [`Mutator::Dpo`].
    pub training: Training<'a>,
}

/// The outcome of a generation, for the run's report.
pub struct GenerationReport {
    pub first_round: RoundId,
    pub last_round: RoundId,
    /// Mean MMR of the evolving agents and of the baseline after the generation.
    pub evolving_mmr: f64,
    pub baseline_mmr: f64,
    /// Games of evolving against baseline agents in the generation's
    /// rankings, and the evolving side's score in them (draws count half):
    /// a rating against a roster that never changes, unlike MMR, which
    /// moves with the opponents' own.
    pub vs_baseline: (f64, usize),
    /// One line per decision (kept, rolled back, new candidate).
    pub decisions: Vec<String>,
}

/// The version an agent plays with: its newest one not rolled back.
pub fn current(versions: &[AgentVersion]) -> Option<&AgentVersion> {
    versions
        .iter()
        .rev()
        .find(|v| v.status != VersionStatus::RolledBack)
}

/// Version 1 of `agent` in `space`: its file as it is.
pub fn first_version(space: &str, agent: &Agent) -> AgentVersion {
    AgentVersion {
        space: space.to_owned(),
        agent_id: agent.id.clone(),
        version: 1,
        parent: None,
        created_after_round: None,
        origin: VersionOrigin::File,
        system_prompt: agent.system_prompt.clone(),
        sampling: agent.sampling.clone(),
        model: None,
        status: VersionStatus::Kept,
        form: None,
        mmr: None,
        rounds_played: 0,
        note: "from the agent file".into(),
    }
}

/// The current versions of `agents` in the evolver's space, creating
/// version 1 from an agent's file when it has none yet.
pub fn current_versions(store: &Store, space: &str, agents: &[Agent]) -> Result<Vec<AgentVersion>> {
    let mut first = Vec::new();
    let mut currents = Vec::new();
    for agent in agents {
        let versions = store.agent_versions(space, &agent.id)?;
        match current(&versions) {
            Some(v) => currents.push(v.clone()),
            None => {
                let v = first_version(space, agent);
                first.push(v.clone());
                currents.push(v);
            }
        }
    }
    store.put_agent_versions(&first)?;
    Ok(currents)
}

/// `agent` playing as `version`: its system prompt, sampling and, for a
/// trained version, its model file.
pub fn as_version(agent: &Agent, version: &AgentVersion) -> Result<Agent> {
    let played = Agent {
        system_prompt: version.system_prompt.clone(),
        sampling: version.sampling.clone(),
        model: version
            .model
            .as_ref()
            .map_or_else(|| agent.model.clone(), |m| m.path.clone()),
        ..agent.clone()
    };
    played.validate().with_context(|| {
        format!(
            "stored version {} of agent '{}' is invalid",
            version.version, agent.id
        )
    })?;
    Ok(played)
}

/// The evolving agents' score and games against the baseline over `rounds`:
/// in each round's ranking, every evolving agent meets every baseline agent
/// that played (see [`pairing_score`]).
pub fn score_vs_baseline(
    store: &Store,
    evolving: &[Agent],
    baseline: &[Agent],
    rounds: &[RoundId],
) -> Result<(f64, usize)> {
    let (mut score, mut games) = (0.0, 0);
    for &round in rounds {
        let Some(judgment) = store.judgment(round)? else {
            continue;
        };
        for e in evolving {
            for b in baseline {
                if let Some(s) = pairing_score(&judgment.ranking, &e.id, &b.id) {
                    score += s;
                    games += 1;
                }
            }
        }
    }
    Ok((score, games))
}

/// `a`'s score against `b` in a round's ranking: 1 if ranked stronger, 0 if
/// weaker, a half for equal strengths (a draw, as for MMR); `None` unless
/// both played.
fn pairing_score(ranking: &Ranking, a: &str, b: &str) -> Option<f64> {
    let strength = |id: &str| {
        ranking
            .order
            .iter()
            .position(|x| x == id)
            .and_then(|i| ranking.strengths.get(i).copied())
    };
    let (sa, sb) = (strength(a)?, strength(b)?);
    Some(if (sa - sb).abs() < 1e-6 {
        0.5
    } else if sa > sb {
        1.0
    } else {
        0.0
    })
}

/// The Elo-scale rating difference that predicts a `score` out of `games`
/// (0 at an even score), clamped to +-800 so a sweep stays finite.
pub fn elo_gap(score: f64, games: usize) -> Option<f64> {
    if games == 0 {
        return None;
    }
    let p = (score / games as f64).clamp(0.01, 0.99);
    Some((400.0 * (p / (1.0 - p)).log10()).clamp(-800.0, 800.0))
}

/// Per agent: (sum of round scores, rounds) over `rounds`, where a round's
/// score is the share of the other players it outranked (draws half). Unlike
/// MMR changes this does not depend on the ratings going in, so a version's
/// form can be compared with its parent's from an earlier generation.
fn forms(store: &Store, rounds: &[RoundId]) -> Result<HashMap<String, (f64, usize)>> {
    let mut forms: HashMap<String, (f64, usize)> = HashMap::new();
    for &round in rounds {
        let Some(judgment) = store.judgment(round)? else {
            continue;
        };
        let players = &judgment.ranking.order;
        if players.len() < 2 {
            continue;
        }
        for a in players {
            let won: f64 = players
                .iter()
                .filter(|b| *b != a)
                .filter_map(|b| pairing_score(&judgment.ranking, a, b))
                .sum();
            let entry = forms.entry(a.clone()).or_default();
            entry.0 += won / (players.len() - 1) as f64;
            entry.1 += 1;
        }
    }
    Ok(forms)
}

/// Mean MMR of `agents` in `space` (0 for no agents).
pub fn mean_mmr(store: &Store, space: &str, agents: &[Agent]) -> Result<f64> {
    let mut sum = 0.0;
    for a in agents {
        sum += store.mmr(space, &a.id)?;
    }
    Ok(sum / agents.len().max(1) as f64)
}

impl Evolver<'_> {
    /// Runs the step after a generation that played `rounds` (ids, oldest first).
    pub fn after_generation(
        &self,
        store: &Store,
        evolving: &[Agent],
        baseline: &[Agent],
        rounds: &[RoundId],
    ) -> Result<GenerationReport> {
        let space = &self.space.name;
        let forms = forms(store, rounds)?;
        let form_of = |id: &str| forms.get(id).filter(|f| f.1 > 0).map(|f| f.0 / f.1 as f64);
        let last_round = rounds.last().copied().unwrap_or_default();
        let mut writes = Vec::new();
        let mut decisions = Vec::new();
        let mut bases = Vec::new();
        for agent in evolving {
            let mut versions = store.agent_versions(space, &agent.id)?;
            let Some(index) = versions
                .iter()
                .rposition(|v| v.status != VersionStatus::RolledBack)
            else {
                continue;
            };
            let mut played = versions[index].clone();
            let form = form_of(&agent.id);
            played.form = form.or(played.form);
            played.mmr = Some(store.mmr(space, &agent.id)?);
            played.rounds_played += forms.get(&agent.id).map_or(0, |f| f.1);
            let mut base = played.clone();
            if played.status == VersionStatus::Trial {
                let parent = played
                    .parent
                    .and_then(|p| versions.iter().find(|v| v.version == p))
                    .cloned();
                let parent_form = parent.as_ref().and_then(|p| p.form);
                let worse = matches!((form, parent_form), (Some(f), Some(p)) if f < p);
                let verdict = format!(
                    "form {} vs parent v{} {}",
                    show(form),
                    played.parent.unwrap_or(0),
                    show(parent_form)
                );
                if worse && let Some(parent) = parent {
                    played.status = VersionStatus::RolledBack;
                    played.note.push_str(&format!("; rolled back: {verdict}"));
                    decisions.push(format!(
                        "{}: v{} rolled back to v{} ({verdict})",
                        agent.id, played.version, parent.version
                    ));
                    base = parent;
                } else {
                    played.status = VersionStatus::Kept;
                    played.note.push_str(&format!("; kept: {verdict}"));
                    decisions.push(format!(
                        "{}: v{} kept ({verdict})",
                        agent.id, played.version
                    ));
                    base = played.clone();
                }
            }
            versions[index] = played.clone();
            writes.push(played);
            bases.push((agent, base, versions));
        }

        let mut all_forms: Vec<f64> = evolving
            .iter()
            .chain(baseline)
            .filter_map(|a| form_of(&a.id))
            .collect();
        all_forms.sort_by(f64::total_cmp);
        let median = match all_forms.len() {
            0 => None,
            n if n % 2 == 1 => Some(all_forms[n / 2]),
            n => Some((all_forms[n / 2 - 1] + all_forms[n / 2]) / 2.0),
        };
        // The generation's best agent and what it played with, for `Imitate`.
        let played_as: Vec<(&str, &str, &Sampling)> = bases
            .iter()
            .map(|(a, b, _)| (a.id.as_str(), b.system_prompt.as_str(), &b.sampling))
            .chain(
                baseline
                    .iter()
                    .map(|a| (a.id.as_str(), a.system_prompt.as_str(), &a.sampling)),
            )
            .collect();
        let leader = played_as
            .iter()
            .filter_map(|(id, prompt, sampling)| {
                form_of(id).map(|f| (f, (id.to_string(), prompt.to_string(), (*sampling).clone())))
            })
            .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.0.cmp(&a.1.0)))
            .map(|(_, leader)| leader);
        for (agent, base, versions) in bases {
            let (Some(form), Some(median)) = (form_of(&agent.id), median) else {
                continue;
            };
            if form >= median {
                continue;
            }
            let number = versions.iter().map(|v| v.version).max().unwrap_or(0) + 1;
            let start = match (&leader, self.mutator) {
                (Some((id, prompt, sampling)), Mutator::Imitate) if *id != agent.id => {
                    AgentVersion {
                        system_prompt: prompt.clone(),
                        sampling: sampling.clone(),
                        note: format!("copied from {id}; "),
                        ..base.clone()
                    }
                }
                _ => AgentVersion {
                    note: String::new(),
                    ..base.clone()
                },
            };
            let candidate = match self.mutator {
                Mutator::Dpo => self.trained(store, agent, &start, number, rounds, last_round)?,
                _ => self.candidate(store, agent, &start, number, rounds, last_round)?,
            };
            decisions.push(format!(
                "{}: form {form:.2} below the median {median:.2}: v{} on trial ({})",
                agent.id, candidate.version, candidate.note
            ));
            writes.push(candidate);
        }
        store.put_agent_versions(&writes)?;

        Ok(GenerationReport {
            first_round: rounds.first().copied().unwrap_or_default(),
            last_round,
            evolving_mmr: mean_mmr(store, space, evolving)?,
            baseline_mmr: mean_mmr(store, space, baseline)?,
            vs_baseline: score_vs_baseline(store, evolving, baseline, rounds)?,
            decisions,
        })
    }

    /// A new candidate version `number` of `agent`, derived from `base`.
    fn candidate(
        &self,
        store: &Store,
        agent: &Agent,
        base: &AgentVersion,
        number: u32,
        rounds: &[RoundId],
        last_round: RoundId,
    ) -> Result<AgentVersion> {
        let mut rng = StdRng::seed_from_u64(self.seed ^ seed_for(u64::from(number), &agent.id));
        let by_model = match self.mutator {
            Mutator::Rules | Mutator::Imitate | Mutator::Dpo => false,
            Mutator::Model => true,
            Mutator::Both => rng.random_bool(0.5),
        };
        let mut origin = VersionOrigin::Mutated;
        // `base.note` says where an imitated prompt came from.
        let mut prompt_note = base.note.clone();
        let mut prompt = None;
        if by_model {
            let worst = self.worst_answer(store, &agent.id, rounds)?;
            let losing = worst.as_ref().map(|(round, answer)| LosingAnswer {
                question: &round.prompt,
                answer: &answer.text,
                reference: round.reference.as_deref(),
            });
            prompt = rewrite_prompt(
                self.models,
                self.rewriter,
                self.space,
                &base.system_prompt,
                losing.as_ref(),
                rng.random(),
            )?;
            match &prompt {
                Some(_) => {
                    origin = VersionOrigin::Rewritten;
                    prompt_note = format!("prompt rewritten by {}", self.rewriter);
                }
                None => prompt_note = format!("{}'s rewrite unusable, ", self.rewriter),
            }
        }
        let prompt = match prompt {
            Some(p) => p,
            None => {
                let (p, note) = mutate_prompt(
                    &base.system_prompt,
                    &instruction_library(self.space),
                    &mut rng,
                );
                prompt_note.push_str(&format!("rules: {note}"));
                p
            }
        };
        let (sampling, sampling_note) =
            mutate_sampling(&base.sampling, self.space.max_tokens, &mut rng);
        Ok(AgentVersion {
            space: self.space.name.clone(),
            agent_id: agent.id.clone(),
            version: number,
            parent: Some(base.version),
            created_after_round: Some(last_round),
            origin,
            system_prompt: prompt,
            sampling,
            model: base.model.clone(),
            status: VersionStatus::Trial,
            form: None,
            mmr: None,
            rounds_played: 0,
            note: format!("{prompt_note}; {sampling_note}"),
        })
    }

    /// A candidate version `number` of `agent` whose model is `base`'s
    /// trained by DPO on the space's pairs; a rules candidate (saying why)
    /// when the pairs cannot be trained on (too few, say).
    fn trained(
        &self,
        store: &Store,
        agent: &Agent,
        base: &AgentVersion,
        number: u32,
        rounds: &[RoundId],
        last_round: RoundId,
    ) -> Result<AgentVersion> {
        let start = Base {
            version: base.clone(),
            is_new: false,
            next_number: number,
        };
        let t = &self.training;
        let plan = match Plan::new(
            store,
            t.fetcher,
            t.data_dir,
            agent,
            start,
            TrainOptions::with_steps(t.steps),
        ) {
            Ok(plan) => plan,
            Err(e) => {
                let mut candidate =
                    self.candidate(store, agent, base, number, rounds, last_round)?;
                candidate.note = format!("DPO not run ({e:#}); {}", candidate.note);
                return Ok(candidate);
            }
        };
        let outcome = plan.train(false, &mut |p| {
            if let Progress::Step { done, total, stats } = p
                && (done % 10 == 0 || done == total)
            {
                eprintln!(
                    "training {}: step {done}/{total}, loss {:.3}, accuracy {:.2}",
                    agent.id, stats.loss, stats.accuracy
                );
            }
        })?;
        let mmr = store.mmr(&self.space.name, &agent.id)?;
        let mut versions = plan.versions(&outcome, VersionStatus::Trial, mmr);
        Ok(versions.pop().expect("the new version"))
    }

    /// The agent's answer in the round of `rounds` where it lost the most MMR.
    fn worst_answer(
        &self,
        store: &Store,
        agent: &str,
        rounds: &[RoundId],
    ) -> Result<Option<(judge::records::RoundRecord, judge::records::AnswerRecord)>> {
        let mut worst: Option<(RoundId, f64)> = None;
        for &round in rounds {
            for c in store.rating_changes(round)? {
                let delta = c.after - c.before;
                if c.agent_id == agent && worst.is_none_or(|(_, d)| delta < d) {
                    worst = Some((round, delta));
                }
            }
        }
        let Some((id, _)) = worst else {
            return Ok(None);
        };
        let round = store.round(id)?;
        let answer = store.answers(id)?.into_iter().find(|a| a.agent_id == agent);
        Ok(round.zip(answer))
    }
}

fn show(form: Option<f64>) -> String {
    form.map_or("-".into(), |f| format!("{f:.2}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elo_gap_is_zero_at_even_and_symmetric() {
        assert_eq!(elo_gap(0.0, 0), None);
        assert!(elo_gap(8.0, 16).unwrap().abs() < 1e-9);
        let (up, down) = (elo_gap(12.0, 16).unwrap(), elo_gap(4.0, 16).unwrap());
        assert!((up + down).abs() < 1e-9 && (up - 190.8).abs() < 0.1, "{up}");
        assert!(elo_gap(16.0, 16).unwrap() <= 800.0);
    }
}
