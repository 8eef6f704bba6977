//! Words that say nothing on their own: the openers of a "master key"
//! answer ("Thought process:", "Let's solve this step by step", arXiv
//! 2507.08794) and the framing of a copied prompt ("The question is: ...").
//! An answer made only of these, or of these and copied text, has no
//! content ([`crate::integrity`], [`crate::copying`]).

/// The words, lowercased as [`crate::checks`] normalizes them ("let's"
/// becomes "let" and "s").
const FILLER_WORDS: &[&str] = &[
    "a", "about", "all", "an", "and", "answer", "answers", "are", "as", "be", "below", "by", "can",
    "explanation", "final", "first", "follows", "for", "here", "i", "in", "instruction",
    "instructions", "is", "it", "let", "lets", "me", "my", "now", "of", "ok", "okay", "on", "or",
    "problem", "process", "prompt", "question", "reasoning", "response", "result", "s", "so",
    "solution", "solve", "solving", "step", "steps", "sure", "task", "that", "the", "think",
    "thinking", "this", "thought", "to", "us", "was", "we", "well", "will", "with", "you",
    "your", "解", "解答", "答案", "かいせつ", "respuesta", "réponse", "antwort", "lösung",
    "ответ", "решение",
];

/// Whether `word` (lowercased) is a filler word.
pub(crate) fn is_filler(word: &str) -> bool {
    FILLER_WORDS.contains(&word)
}
