//! Properties that must hold for any input: rankings ignore the order in
//! which answers arrive, and MMR changes of a round sum to zero.

use judge::ratings::mmr_changes;
use judge::{Check, Contest, Entry, Judge};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ranking_is_invariant_to_answer_order(
        numbers in prop::collection::vec(0u8..6, 2..8),
        rotation in 0usize..8,
    ) {
        let entries: Vec<Entry> = numbers
            .iter()
            .enumerate()
            .map(|(i, n)| Entry { agent_id: format!("agent-{i}"), model: "m".into(), text: format!("It is {n}") })
            .collect();
        let checks = [Check::NumericAnswer { expected: 3.0, tolerance: 1.0 }];
        let judge = Judge::checks_only();
        let contest = |entries: &[Entry]| {
            judge.judge(&Contest { question: "q", reference: None, checks: &checks, entries, own_answer: None  }).unwrap()
        };
        let original = contest(&entries);
        let mut shuffled = entries.clone();
        shuffled.rotate_left(rotation % entries.len());
        shuffled.reverse();
        let again = contest(&shuffled);
        prop_assert_eq!(&original.ranking, &again.ranking);
        prop_assert_eq!(&original.verdicts, &again.verdicts);
    }

    #[test]
    fn mmr_changes_are_zero_sum(
        players in prop::collection::vec((500.0f64..2000.0, 0u8..4), 1..9),
    ) {
        let mut players: Vec<(String, f64, f64)> = players
            .iter()
            .enumerate()
            .map(|(i, (r, s))| (format!("a{i}"), *r, f64::from(*s)))
            .collect();
        players.sort_by(|a, b| b.2.total_cmp(&a.2));
        let sum: f64 = mmr_changes(&players).iter().sum();
        prop_assert!(sum.abs() < 1e-9, "sum {}", sum);
    }
}

mod export_round_trip {
    use judge::Store;
    use judge::export::{Filter, Format, export, pair_from_record};
    use judge::records::{PreferencePair, RoundRecord, RoundStatus};
    use judge::store::JudgedRound;
    use judge::verdict::Judgment;
    use judge::{Contest, Entry, Judge};
    use proptest::prelude::*;

    /// The judgment of a round between agents "a" and "b" in a space
    /// without checks, so the pairs below have scores to be read.
    fn judgment() -> Judgment {
        let entries: Vec<Entry> = ["a", "b"]
            .iter()
            .map(|id| Entry {
                agent_id: (*id).into(),
                model: "m".into(),
                text: format!("answer of {id}"),
            })
            .collect();
        Judge::checks_only()
            .judge(&Contest {
                question: "q",
                reference: None,
                checks: &[],
                entries: &entries,
                own_answer: None,
            })
            .unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]

        /// Whatever text the pairs hold (quotes, newlines, any unicode),
        /// every pair format reads back to exactly what was stored.
        #[test]
        fn stored_pairs_export_and_read_back_exactly(
            texts in prop::collection::vec(("\\PC{0,40}", "\\PC{0,40}", "\\PC{1,40}"), 1..6),
            margin in 0.0f64..1.0,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(&dir.path().join("db")).unwrap();
            let round = RoundRecord {
                id: 1, space: "s".into(), prompt: texts[0].2.clone(), reference: None, agents: vec![],
                status: RoundStatus::Judged, opened_at: 0, result_root: None, transactions: vec![], fee: None, matches: vec![], challenge_ends_at: None, challenger: None,
            };
            let pairs: Vec<PreferencePair> = texts
                .iter()
                .map(|(chosen, rejected, prompt)| PreferencePair {
                    round: 1, space: "s".into(), prompt: prompt.clone(), chosen: chosen.clone(),
                    rejected: rejected.clone(), chosen_agent: "a".into(), rejected_agent: "b".into(),
                    chosen_model: "m".into(), rejected_model: "n".into(), margin, judge: "j".into(), history: vec![],
                })
                .collect();
            store.commit_judged(&JudgedRound { round: &round, answers: &[], judgment: &judgment(), pairs: &pairs }).unwrap();
            for format in [Format::TrlStandard, Format::TrlConversational, Format::OpenAi] {
                let mut out = Vec::new();
                export(&store, format, &Filter::default(), &mut out, &mut |_| {}).unwrap();
                let back: Vec<PreferencePair> = String::from_utf8(out)
                    .unwrap()
                    .lines()
                    .map(|l| pair_from_record(&serde_json::from_str(l).unwrap()).unwrap())
                    .collect();
                prop_assert_eq!(&back, &pairs);
            }
        }
    }
}
