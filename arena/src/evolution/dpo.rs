//! An agent trained on its space's preference pairs (`arena train`, and
//! `arena evolve --mutator dpo`): the pairs chosen from the store and
//! checked, the run of [`agents::training`], and the new version that plays
//! with the trained model. Split in a plan read from the store and a
//! version written to it, so the command line can close the database while
//! it trains.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use agents::training::dpo::{DpoSettings, Preference};
use agents::training::{Outcome, Progress, Run};
use agents::{Agent, Fetcher, ModelRef};
use anyhow::{Result, bail};
use judge::Store;
use judge::export::{Filter, kept_pairs};
use judge::records::{AgentVersion, RoundId, TrainedModel, VersionOrigin, VersionStatus};

use super::step::{current, first_version};

/// Fewest pairs a run accepts: fewer teach the model the pairs by heart
/// rather than a preference.
pub const MIN_PAIRS: usize = 8;

/// Defaults of `arena train`, which `arena evolve --mutator dpo` uses too.
pub const DEFAULT_STEPS: usize = 100;
pub const DEFAULT_BETA: f64 = 0.1;
pub const DEFAULT_RANK: usize = 8;
pub const DEFAULT_LR: f64 = 5e-4;
pub const DEFAULT_BATCH: usize = 2;
pub const DEFAULT_MAX_LEN: usize = 256;

/// What the user chose.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub first_round: Option<RoundId>,
    pub last_round: Option<RoundId>,
    pub verified_only: bool,
    /// Leave out pairs with an answer from a model of another tokenizer
    /// instead of refusing them.
    pub own_tokenizer_only: bool,
    pub settings: DpoSettings,
    pub rank: usize,
    pub steps: usize,
    pub max_len: usize,
}

/// A run ready to start: the pairs and the version it builds on.
pub struct Plan {
    pub examples: Vec<Preference>,
    /// The version trained from (its model is the reference).
    pub base: AgentVersion,
    /// Whether `base` is version 1, not stored yet (stored with the new one).
    base_is_new: bool,
    /// The GGUF file of the base version's model.
    pub model: PathBuf,
    /// The number the new version gets.
    pub version: u32,
    /// The last round whose pairs are in the run.
    pub last_round: RoundId,
    /// Where the checkpoint and the new model go.
    pub checkpoint: PathBuf,
    pub out: PathBuf,
    pub options: TrainOptions,
}

impl TrainOptions {
    /// `arena train`'s defaults with `steps` steps, on all pairs.
    pub fn with_steps(steps: usize) -> Self {
        Self {
            first_round: None,
            last_round: None,
            verified_only: false,
            own_tokenizer_only: true,
            settings: DpoSettings {
                beta: DEFAULT_BETA,
                learning_rate: DEFAULT_LR,
                batch_pairs: DEFAULT_BATCH,
                seed: 0,
            },
            rank: DEFAULT_RANK,
            steps,
            max_len: DEFAULT_MAX_LEN,
        }
    }
}

/// Where a run starts: the version trained from and the new one's number.
pub struct Base {
    pub version: AgentVersion,
    /// Whether `version` is version 1, not stored yet (stored with the new one).
    pub is_new: bool,
    pub next_number: u32,
}

impl Base {
    /// The agent's current version in `space` (version 1 from its file if
    /// it has none yet), and the next free number.
    pub fn current(store: &Store, space: &str, agent: &Agent) -> Result<Self> {
        let versions = store.agent_versions(space, &agent.id)?;
        let (version, is_new) = match current(&versions) {
            Some(v) => (v.clone(), false),
            None => (first_version(space, agent), true),
        };
        Ok(Self {
            next_number: versions.iter().map(|v| v.version).max().unwrap_or(1) + 1,
            version,
            is_new,
        })
    }
}

impl Plan {
    /// Reads the pairs of `base`'s space from `store` and checks them for
    /// training `agent`: enough of them, and every answer from a model
    /// with the same tokenizer as the base version's model. Files go under
    /// `data_dir` (`training/` for checkpoints, `models/` for models).
    pub fn new(
        store: &Store,
        fetcher: &Fetcher,
        data_dir: &Path,
        agent: &Agent,
        base: Base,
        options: TrainOptions,
    ) -> Result<Self> {
        let space = base.version.space.clone();
        let space = space.as_str();
        let Base {
            version: base,
            is_new: base_is_new,
            next_number: version,
        } = base;
        let filter = Filter {
            space: Some(space.to_owned()),
            first_round: options.first_round,
            last_round: options.last_round,
            verified_only: options.verified_only,
            ..Filter::default()
        };
        let mut pairs = Vec::new();
        kept_pairs(store, &filter, &mut |pair, _| {
            pairs.push(pair);
            Ok(())
        })?;
        let selection = describe(&options, space);
        let too_few = |n: usize, note: String| {
            anyhow::anyhow!(
                "{n} preference pairs for {selection}{note}: training needs at least {MIN_PAIRS}; play more rounds of the space (arena tournament --space {space}), or widen --rounds or drop --verified-only"
            )
        };
        let total = pairs.len();
        if total < MIN_PAIRS {
            return Err(too_few(total, String::new()));
        }
        let model_name = base
            .model
            .as_ref()
            .map_or_else(|| agent.model.clone(), |m| m.path.clone());
        let model = local_model(fetcher, &model_name, &agent.id)?;
        // Each answer's model, and whether it tokenizes as the agent's does.
        let own = agents::gguf_tokenizer::GgufTokenizer::read(&model)?.vocabulary_digest();
        let mut fits: BTreeMap<String, bool> = BTreeMap::new();
        for pair in &pairs {
            for name in [&pair.chosen_model, &pair.rejected_model] {
                if !fits.contains_key(name) {
                    let fit = *name == model_name || same_tokenizer(fetcher, name, &own);
                    fits.insert(name.clone(), fit);
                }
            }
        }
        let foreign: Vec<&str> = fits
            .iter()
            .filter(|(_, fit)| !**fit)
            .map(|(name, _)| name.as_str())
            .collect();
        if !foreign.is_empty() {
            let kept: Vec<_> = pairs
                .iter()
                .filter(|p| fits[&p.chosen_model] && fits[&p.rejected_model])
                .cloned()
                .collect();
            if !options.own_tokenizer_only {
                bail!(
                    "{} of the {total} pairs of space '{space}' have an answer from {}, whose tokenizer differs from that of {model_name} (agent '{}'s model): pass --own-tokenizer-only to train on the {} pairs whose answers all came from models with its tokenizer",
                    total - kept.len(),
                    foreign.join(", "),
                    agent.id,
                    kept.len()
                );
            }
            pairs = kept;
            if pairs.len() < MIN_PAIRS {
                return Err(too_few(
                    pairs.len(),
                    format!(
                        " with answers of its tokenizer ({} others)",
                        total - pairs.len()
                    ),
                ));
            }
        }
        let last_round = pairs.iter().map(|p| p.round).max().unwrap_or_default();
        let examples = pairs
            .into_iter()
            .map(|p| Preference {
                prompt: p.prompt,
                chosen: p.chosen,
                rejected: p.rejected,
            })
            .collect();
        let stem = format!("{}-{space}-v{version}", agent.id);
        Ok(Self {
            examples,
            model,
            version,
            last_round,
            checkpoint: data_dir
                .join("training")
                .join(format!("{stem}.checkpoint.safetensors")),
            out: data_dir.join("models").join(format!("{stem}.gguf")),
            base,
            base_is_new,
            options,
        })
    }

    /// Trains (resuming a checkpoint of the same plan; `restart` discards
    /// it) and returns the outcome.
    pub fn train(&self, restart: bool, progress: &mut dyn FnMut(Progress)) -> Result<Outcome> {
        for dir in [&self.checkpoint, &self.out]
            .iter()
            .filter_map(|p| p.parent())
        {
            std::fs::create_dir_all(dir)?;
        }
        if restart && self.checkpoint.exists() {
            std::fs::remove_file(&self.checkpoint)?;
        }
        agents::training::train(
            &Run {
                model: &self.model,
                system_prompt: &self.base.system_prompt,
                examples: &self.examples,
                settings: self.options.settings,
                rank: self.options.rank,
                steps: self.options.steps,
                max_len: self.options.max_len,
                checkpoint: &self.checkpoint,
                out: &self.out,
            },
            progress,
        )
    }

    /// The versions to store: the new one, playing with the trained model
    /// (last), after version 1 if the agent had no stored version yet.
    /// `status` is `Kept` for a run asked for by hand, `Trial` in evolution.
    pub fn versions(
        &self,
        outcome: &Outcome,
        status: VersionStatus,
        mmr: f64,
    ) -> Vec<AgentVersion> {
        let mut versions = Vec::new();
        if self.base_is_new {
            versions.push(self.base.clone());
        }
        versions.push(self.version(outcome, status, mmr));
        versions
    }

    fn version(&self, outcome: &Outcome, status: VersionStatus, mmr: f64) -> AgentVersion {
        let o = &self.options;
        let (before, after) = (outcome.before, outcome.after);
        let note = format!(
            "DPO on {} pairs ({}) from v{}'s model, {} steps, beta {}, rank {}, lr {}: loss {:.4} -> {:.4}, chosen-over-rejected log-ratio {:.3} -> {:.3}",
            self.examples.len(),
            describe(o, &self.base.space),
            self.base.version,
            outcome.steps.len(),
            o.settings.beta,
            o.rank,
            o.settings.learning_rate,
            before.loss,
            after.loss,
            before.log_ratio,
            after.log_ratio,
        );
        AgentVersion {
            version: self.version,
            parent: Some(self.base.version),
            created_after_round: Some(self.last_round),
            origin: VersionOrigin::Dpo,
            model: Some(TrainedModel {
                path: outcome.path.display().to_string(),
                sha256: outcome.sha256.clone(),
            }),
            status,
            form: None,
            mmr: Some(mmr),
            rounds_played: 0,
            note,
            ..self.base.clone()
        }
    }
}

/// The path of a local model, refusing a served one (its weights are not here).
fn local_model(fetcher: &Fetcher, name: &str, agent: &str) -> Result<PathBuf> {
    let model = ModelRef::parse(name).map_err(anyhow::Error::msg)?;
    if let ModelRef::Remote(_) = model {
        bail!(
            "agent '{agent}' plays with {name} on a server, whose weights are not here: only agents on local GGUF models (smollm2-135m, a .gguf file) can be trained"
        );
    }
    Ok(fetcher.ensure(&model, &mut |line| eprintln!("{line}"))?)
}

/// Whether model `name` tokenizes with the vocabulary of digest `own`
/// (false for served models and models that cannot be read: nothing shows
/// their tokenizer).
fn same_tokenizer(fetcher: &Fetcher, name: &str, own: &str) -> bool {
    let Ok(model) = ModelRef::parse(name) else {
        return false;
    };
    if let ModelRef::Remote(_) = model {
        return false;
    }
    fetcher
        .ensure(&model, &mut |line| eprintln!("{line}"))
        .ok()
        .and_then(|path| agents::gguf_tokenizer::GgufTokenizer::read(&path).ok())
        .is_some_and(|t| t.vocabulary_digest() == own)
}

/// "space 'S', rounds A..B, verified only", as the pairs were chosen.
fn describe(options: &TrainOptions, space: &str) -> String {
    let mut text = format!("space '{space}'");
    if options.first_round.is_some() || options.last_round.is_some() {
        let bound = |r: Option<RoundId>| r.map_or(String::new(), |r| r.to_string());
        text.push_str(&format!(
            ", rounds {}..{}",
            bound(options.first_round),
            bound(options.last_round)
        ));
    }
    if options.verified_only {
        text.push_str(", verified only");
    }
    text
}
