//! Who meets whom in an interactive round: the round's agents (chosen by the tournament's
//! matchmaking) ordered by MMR and paired neighbour with neighbour, as a Swiss round pairs
//! players of equal standing.

use judge::records::MatchRecord;

/// The round's matches from its agents and their MMR: highest MMR first (ties by id), each
/// agent paired with the next. Which seat moves first alternates with the round id, so no
/// agent always opens. An odd agent out (never so in a valid space) sits out.
pub fn pair_by_mmr(round_id: u64, agents: &[(String, f64)]) -> Vec<MatchRecord> {
    let mut ordered: Vec<&(String, f64)> = agents.iter().collect();
    ordered.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ordered
        .chunks_exact(2)
        .map(|pair| {
            let (higher, lower) = (pair[0].0.clone(), pair[1].0.clone());
            let seats = if round_id.is_multiple_of(2) {
                vec![higher, lower]
            } else {
                vec![lower, higher]
            };
            MatchRecord {
                seats,
                turns: Vec::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_in_mmr_meet_and_the_opening_seat_alternates() {
        let agents: Vec<(String, f64)> =
            [("a", 1000.0), ("b", 1200.0), ("c", 990.0), ("d", 1190.0)]
                .iter()
                .map(|(id, mmr)| (id.to_string(), *mmr))
                .collect();
        let odd = pair_by_mmr(1, &agents);
        let seats: Vec<Vec<String>> = odd.iter().map(|m| m.seats.clone()).collect();
        assert_eq!(seats, [vec!["d", "b"], vec!["c", "a"]]);
        let even = pair_by_mmr(2, &agents);
        assert_eq!(even[0].seats, ["b", "d"]);
        assert!(even.iter().all(|m| m.turns.is_empty()));
    }
}
