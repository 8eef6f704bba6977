//! The rules read from prompts ([`judge::instructions`]) on the project's
//! labelled sets, with no model: they must never prefer the worse answer
//! where the better one follows its prompt's stated rules, and they must
//! decide the pairs whose worse answer breaks a stated format.

use std::path::Path;

use judge::eval::{EvalItem, evaluate, load_set};
use judge::instructions::read_instructions;
use judge::verdict::Layer;
use judge::word_problems::solved_value;
use judge::{Contest, Entry, Judge};

fn set(name: &str) -> Vec<EvalItem> {
    load_set(&Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).expect("the set loads")
}

/// Every labelled set of the project.
const SETS: [&str; 12] = [
    "evals/clean.jsonl",
    "evals/clean-holdout.jsonl",
    "evals/clean-fresh.jsonl",
    "evals/clean-fresh-2.jsonl",
    "evals/clean-fresh-3.jsonl",
    "evals/clean-fresh-4.jsonl",
    "evals/clean-fresh-5.jsonl",
    "evals/clean-fresh-6.jsonl",
    "evals/clean-fresh-7.jsonl",
    "evals/clean-fresh-8.jsonl",
    "evals/adversarial.jsonl",
    "tests/data/labelled_pairs.json",
];

/// Whether `answer` follows every rule `prompt` states.
fn follows_all(prompt: &str, answer: &str) -> bool {
    read_instructions(prompt)
        .iter()
        .all(|r| r.evaluate(answer).passed)
}

#[test]
fn rules_alone_never_prefer_the_worse_answer() {
    let judge = Judge::checks_only();
    for name in SETS {
        let items = set(name);
        // A better answer that breaks a stated rule can lose by the rule:
        // such pairs are left out here and named in BENCHMARKS.md.
        let compliant: Vec<EvalItem> = items
            .into_iter()
            .filter(|i| follows_all(&i.prompt, &i.better))
            .collect();
        let report = evaluate(&judge, &compliant, &mut |_| {}).expect("judging");
        let o = report.overall;
        eprintln!(
            "{name}: {} pairs, {} of {} judgments decided by rules and checks, {} for the worse answer",
            o.items,
            o.decided,
            o.judgments,
            o.decided - o.agreed
        );
        assert_eq!(
            o.decided, o.agreed,
            "{name}: rules preferred the worse answer"
        );
        assert_eq!(o.flips, 0, "{name}");
    }
}

#[test]
fn broken_formats_lose_by_the_instructions_layer_before_any_model() {
    let items = set("evals/clean.jsonl");
    let format: Vec<&EvalItem> = items.iter().filter(|i| i.kind == "format").collect();
    assert!(format.len() >= 10);
    for item in format {
        let entries = [("a", &item.better), ("b", &item.worse)].map(|(id, text)| Entry {
            agent_id: id.into(),
            model: "m".into(),
            text: text.clone(),
        });
        let contest = Contest {
            question: &item.prompt,
            reference: None,
            checks: &[],
            entries: &entries,
            own_answer: None,
        };
        let judgment = Judge::checks_only().judge(&contest).expect("judging");
        let verdict = &judgment.verdicts[0];
        assert_eq!(verdict.layer, Layer::Instructions, "{}", item.prompt);
        assert_eq!(judgment.ranking.order, ["a", "b"], "{}", item.prompt);
        let broken: Vec<&str> = judgment.answers[1]
            .instructions
            .iter()
            .filter(|o| !o.passed)
            .map(|o| o.rule.as_str())
            .collect();
        assert!(
            !broken.is_empty(),
            "{}: the broken rule is named",
            item.prompt
        );
    }
}

/// The word-problem solver must never contradict a labelled better answer:
/// a wrong solve would make a right answer lose by a rule. (The test above
/// cannot see that, since it leaves out pairs whose better answer breaks a
/// rule.)
#[test]
fn solved_word_problems_agree_with_every_better_answer() {
    let mut solved = 0;
    for name in SETS {
        for item in set(name) {
            let Some((_, expected)) = solved_value(&item.prompt) else {
                continue;
            };
            solved += 1;
            assert!(
                expected.check().evaluate(&item.better).passed,
                "{name}: solved {expected:?} for {:?}, the better answer is {:?}",
                item.prompt,
                item.better
            );
        }
    }
    eprintln!("{solved} prompts solved");
    assert!(solved > 0);
}
