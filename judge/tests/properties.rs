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
            judge.judge(&Contest { question: "q", reference: None, checks: &checks, entries }).unwrap()
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
