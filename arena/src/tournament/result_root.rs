//! The result root settled on chain: a SHA-256 Merkle root over the round's
//! record (prompt, every answer with its commitment, an interactive round's transcripts, the
//! judgment), so
//! anyone holding the record can recompute it and compare it with the
//! contract, and the chain binds each answer to its model.

use judge::Judgment;
use judge::records::{AnswerRecord, RoundRecord};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The root of `round`'s record; answers are taken in agent-id order.
pub fn result_root(round: &RoundRecord, answers: &[AnswerRecord], judgment: &Judgment) -> [u8; 32] {
    let mut sorted: Vec<&AnswerRecord> = answers.iter().collect();
    sorted.sort_by(|a, b| a.agent_id.cmp(&b.agent_id));
    let mut leaves = vec![leaf(&(&round.id, &round.space, &round.prompt))];
    // An answer with a commitment binds its model file, tokens, hidden
    // states, system prompt, sampling and seed too; older records keep
    // their leaf, so their settled roots still verify.
    // A served answer whose server claims a model binds the server (with
    // its claim), system prompt, sampling and seed the same way.
    leaves.extend(sorted.iter().map(|a| {
        let answer = (&a.agent_id, &a.model, &a.text, a.truncated);
        let claiming = a.endpoint.as_ref().filter(|e| e.claimed_model.is_some());
        match (&a.commitment, claiming) {
            (Some(c), _) => leaf(&(answer, (&a.system_prompt, &a.sampling, a.seed, c))),
            (None, Some(endpoint)) => {
                leaf(&(answer, (&a.system_prompt, &a.sampling, a.seed, endpoint)))
            }
            (None, None) => leaf(&answer),
        }
    }));
    // An interactive round binds its transcripts, every move with what its seat saw and
    // its commitment; single-shot rounds have none and keep their leaves.
    if !round.matches.is_empty() {
        leaves.push(leaf(&round.matches));
    }
    leaves.push(leaf(judgment));
    merkle(leaves)
}

fn leaf(value: &impl Serialize) -> [u8; 32] {
    let bytes = serde_json::to_vec(value).expect("round records serialize");
    Sha256::digest(&bytes).into()
}

/// Pairs nodes level by level; an odd node is paired with itself.
fn merkle(mut level: Vec<[u8; 32]>) -> [u8; 32] {
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| {
                let right = pair.get(1).unwrap_or(&pair[0]);
                let mut h = Sha256::new();
                h.update(pair[0]);
                h.update(right);
                h.finalize().into()
            })
            .collect();
    }
    level[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_changes_with_any_leaf_and_pairs_odd_nodes() {
        let a = [1u8; 32];
        let b = [2u8; 32];
        let c = [3u8; 32];
        assert_eq!(merkle(vec![a]), a);
        assert_ne!(merkle(vec![a, b, c]), merkle(vec![a, b, b]));
        assert_ne!(merkle(vec![a, b]), merkle(vec![b, a]));
    }
}
