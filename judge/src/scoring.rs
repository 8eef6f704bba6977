//! What the LLM judge reads from a model: log-probabilities of answers and
//! of one-word replies. A trait, so the judging logic in
//! [`crate::llm_judge`] is written once for a local model (here) and for a
//! model on a server ([`crate::remote_scoring`]).
//!
//! A round asks the same model about many answers to one question, so the
//! batch methods are the ones judging calls: a local model runs the
//! questions' shared token prefix once and the rest of every question in
//! ragged batches ([`agents::prefill`]), instead of one
//! full pass per question.

use agents::log_probs::LogProbRows;
use agents::prefill::tail_passes;
use agents::transformer::Transformer;
use agents::{Generation, LanguageModel};
use anyhow::{Result, bail};

use crate::own_answer;

/// The log-probability of an answer's tokens after a question: their sum
/// (relevance adds up what every token says about the question) and how
/// many there were (a passage's mean compares across contexts).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnswerLogProb {
    /// Sum of the tokens' log-probabilities, in nats.
    pub total: f64,
    /// How many tokens were scored (at least one).
    pub tokens: usize,
}

impl AnswerLogProb {
    /// Mean log-probability per token.
    pub fn mean(self) -> f64 {
        self.total / self.tokens as f64
    }
}

/// A model the judge can read log-probabilities from.
pub trait ScoringModel {
    /// The log-probability of `answer` as the reply to `question`; `None`
    /// when the answer has no tokens.
    fn answer_logprob(&self, question: &str, answer: &str) -> Result<Option<AnswerLogProb>>;

    /// Probability of each of two one-word replies as the first token of the
    /// reply to `user` under `system`, counting the word with and without a
    /// leading space (base models use both).
    fn reply_mass(&self, system: &str, user: &str, words: [&str; 2]) -> Result<[f64; 2]>;

    /// The model's own greedy answer to `question` under its chat
    /// template, at most [`crate::own_answer::OWN_ANSWER_TOKENS`] tokens.
    fn own_answer(&self, question: &str) -> Result<Generation>;

    /// [`ScoringModel::answer_logprob`] of every (question, answer) pair.
    fn answer_logprobs(&self, asked: &[(&str, &str)]) -> Result<Vec<Option<AnswerLogProb>>> {
        asked
            .iter()
            .map(|(question, answer)| self.answer_logprob(question, answer))
            .collect()
    }

    /// [`ScoringModel::reply_mass`] of every prompt in `users`.
    fn reply_masses(
        &self,
        system: &str,
        users: &[String],
        words: [&str; 2],
    ) -> Result<Vec<[f64; 2]>> {
        users
            .iter()
            .map(|u| self.reply_mass(system, u, words))
            .collect()
    }
}

impl ScoringModel for LanguageModel {
    fn own_answer(&self, question: &str) -> Result<Generation> {
        let sampling = own_answer::sampling();
        self.generate(&own_answer::request(question, &sampling), &mut |_| {})
    }

    fn answer_logprob(&self, question: &str, answer: &str) -> Result<Option<AnswerLogProb>> {
        Ok(self.answer_logprobs(&[(question, answer)])?.remove(0))
    }

    fn reply_mass(&self, system: &str, user: &str, words: [&str; 2]) -> Result<[f64; 2]> {
        Ok(self
            .reply_masses(system, &[user.to_owned()], words)?
            .remove(0))
    }

    /// The chat-formatted question followed by each answer but its last
    /// token: the logits after the question's last token and after each
    /// answer token predict the answer's tokens. Each question's context is
    /// run once for all its answers ([`agents::prefill`]).
    fn answer_logprobs(&self, asked: &[(&str, &str)]) -> Result<Vec<Option<AnswerLogProb>>> {
        let mut contexts: Vec<(&str, Vec<u32>)> = Vec::new();
        let mut targets = Vec::with_capacity(asked.len());
        let mut context_of = Vec::with_capacity(asked.len());
        for (question, answer) in asked {
            let index = match contexts.iter().position(|(q, _)| q == question) {
                Some(index) => index,
                None => {
                    let ids = self
                        .tokenizer()
                        .encode_prompt(&self.render_prompt("", question)?)?;
                    contexts.push((question, ids));
                    contexts.len() - 1
                }
            };
            let room = self
                .transformer()
                .max_context()
                .saturating_sub(contexts[index].1.len());
            let mut ids = self.tokenizer().encode(answer.trim())?;
            if !ids.is_empty() && room == 0 {
                bail!("the judge's context has no room left for the answer: shorten the prompt");
            }
            ids.truncate(room);
            targets.push(ids);
            context_of.push(index);
        }
        let scored: Vec<usize> = (0..asked.len())
            .filter(|&i| !targets[i].is_empty())
            .collect();
        let sequences: Vec<Vec<u32>> = scored
            .iter()
            .map(|&i| {
                let answer = &targets[i];
                [&contexts[context_of[i]].1[..], &answer[..answer.len() - 1]].concat()
            })
            .collect();
        let tails: Vec<usize> = scored.iter().map(|&i| targets[i].len()).collect();
        let mut totals = vec![0.0; scored.len()];
        tail_rows(
            self.transformer(),
            &sequences,
            &tails,
            &mut |s, row, log_prob| {
                totals[s] += f64::from(log_prob(targets[scored[s]][row]));
            },
        )?;
        let mut scores = vec![None; asked.len()];
        for (s, &i) in scored.iter().enumerate() {
            scores[i] = Some(AnswerLogProb {
                total: totals[s],
                tokens: targets[i].len(),
            });
        }
        Ok(scores)
    }

    /// The next-token distribution after each rendered chat prompt.
    fn reply_masses(
        &self,
        system: &str,
        users: &[String],
        words: [&str; 2],
    ) -> Result<Vec<[f64; 2]>> {
        let mut variants: [Vec<u32>; 2] = Default::default();
        for (ids, word) in variants.iter_mut().zip(words) {
            for variant in [word.to_owned(), format!(" {word}")] {
                if let Some(id) = self.tokenizer().encode(&variant)?.first() {
                    ids.push(*id);
                }
            }
        }
        let sequences = users
            .iter()
            .map(|user| {
                self.tokenizer()
                    .encode_prompt(&self.render_prompt(system, user)?)
            })
            .collect::<Result<Vec<_>>>()?;
        let mut masses = vec![[0.0; 2]; users.len()];
        tail_rows(
            self.transformer(),
            &sequences,
            &vec![1; users.len()],
            &mut |s, _, log_prob| {
                for (mass, ids) in masses[s].iter_mut().zip(&variants) {
                    *mass = ids.iter().map(|id| f64::from(log_prob(*id)).exp()).sum();
                }
            },
        )?;
        Ok(masses)
    }
}

/// What [`tail_rows`] calls for each row: sequence, row of its tail, and
/// the row's log-probability of a token.
type RowVisitor<'a> = dyn FnMut(usize, usize, &dyn Fn(u32) -> f32) + 'a;

/// Runs `sequences` in ragged batches ([`agents::prefill::tail_passes`])
/// and, for each of the last `tails[i]` tokens of each, calls
/// `visit(i, row, log_prob)`, where `log_prob(token)` reads that row.
fn tail_rows(
    transformer: &Transformer,
    sequences: &[Vec<u32>],
    tails: &[usize],
    visit: &mut RowVisitor<'_>,
) -> Result<()> {
    tail_passes(transformer, sequences, tails, &mut |pass| {
        let rows = LogProbRows::new(&pass.logits)?;
        let mut next = 0;
        for s in pass.sequences {
            for row in 0..tails[s] {
                visit(s, row, &|token| rows.log_prob(next, token));
                next += 1;
            }
        }
        Ok(())
    })
}
