//! Rounds judged by checks alone, as the store's, damage and export tests
//! need them: one builder for the records a tournament would write.

use judge::pairs::preference_pairs;
use judge::records::{AnswerRecord, PreferencePair, RoundRecord, RoundStatus};
use judge::store::JudgedRound;
use judge::{Check, Contest, Entry, Judge, Judgment, Store};

/// What a round asks and how its answers are checked.
pub struct RoundSpec<'a> {
    pub id: u64,
    pub space: &'a str,
    pub prompt: String,
    pub reference: Option<&'a str>,
    pub status: RoundStatus,
    pub checks: &'a [Check],
}

/// A round's records, judged by its checks.
pub struct CheckedRound {
    pub round: RoundRecord,
    pub answers: Vec<AnswerRecord>,
    pub judgment: Judgment,
}

impl RoundSpec<'_> {
    /// The round answered with `texts` by agents `agent-0`, `agent-1`...
    /// on SmolLM2, judged by the checks alone.
    pub fn judge<S: AsRef<str>>(&self, texts: &[S]) -> CheckedRound {
        let entries: Vec<Entry> = texts
            .iter()
            .enumerate()
            .map(|(i, text)| Entry {
                agent_id: format!("agent-{i}"),
                model: "smollm2-135m".into(),
                text: text.as_ref().into(),
            })
            .collect();
        let round = RoundRecord {
            id: self.id,
            space: self.space.into(),
            prompt: self.prompt.clone(),
            reference: self.reference.map(Into::into),
            agents: entries.iter().map(|e| e.agent_id.clone()).collect(),
            status: self.status,
            opened_at: 1_700_000_000 + self.id,
            result_root: None,
            transactions: vec![],
            fee: None,
            matches: Vec::new(),
            challenge_ends_at: None,
            challenger: None,
        };
        let judgment = Judge::checks_only()
            .judge(&Contest {
                question: &round.prompt,
                reference: None,
                checks: self.checks,
                entries: &entries,
                own_answer: None,
            })
            .unwrap();
        let answers = entries
            .iter()
            .map(|e| AnswerRecord {
                round: self.id,
                agent_id: e.agent_id.clone(),
                model: e.model.clone(),
                text: e.text.clone(),
                truncated: false,
                generated_tokens: e.text.split_whitespace().count(),
                seed: self.id,
                system_prompt: String::new(),
                sampling: agents::Sampling::default(),
                endpoint: None,
                commitment: None,
            })
            .collect();
        CheckedRound {
            round,
            answers,
            judgment,
        }
    }
}

impl CheckedRound {
    /// The preference pairs the judgment makes.
    pub fn pairs(&self) -> Vec<PreferencePair> {
        preference_pairs(&self.round, &self.answers, &self.judgment)
    }

    /// Commits the round with `pairs` in one transaction, as a tournament does.
    pub fn commit_with(&self, store: &Store, pairs: &[PreferencePair]) {
        store
            .commit_judged(&JudgedRound {
                round: &self.round,
                answers: &self.answers,
                judgment: &self.judgment,
                pairs,
            })
            .unwrap();
    }

    /// Commits the round with the pairs its judgment makes.
    pub fn commit(&self, store: &Store) {
        self.commit_with(store, &self.pairs());
    }
}
