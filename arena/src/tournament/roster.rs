//! The agents of a tournament and who meets whom: matchmaking by MMR
//! within a space, so agents of similar strength share rounds and everyone
//! gets to play.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use agents::Agent;
use anyhow::{Result, bail};

/// The directory of shipped agents.
pub fn default_dir() -> PathBuf {
    crate::assets_dir().join("agents")
}

/// Every agent file in `dir`, sorted by id; duplicate ids are refused.
pub fn load(dir: &Path) -> Result<Vec<Agent>> {
    let mut agents = super::toml_files(dir, "agents")?
        .iter()
        .map(|path| Agent::load(path))
        .collect::<Result<Vec<_>, _>>()?;
    check_unique(&mut agents, dir)?;
    Ok(agents)
}

/// Sorts `agents` by id and refuses duplicate ids, naming `dir` in the error.
pub fn check_unique(agents: &mut [Agent], dir: &Path) -> Result<()> {
    agents.sort_by(|a, b| a.id.cmp(&b.id));
    for pair in agents.windows(2) {
        if pair[0].id == pair[1].id {
            bail!(
                "two agents have the id '{}' (see {}): ids must be unique",
                pair[0].id,
                dir.display()
            );
        }
    }
    Ok(())
}

/// Picks `size` agents for the next round: `first` if given (an agent just
/// entered by a player), else the agent that has played least (then lowest
/// id), and the agents closest to it in MMR (ties: fewer games, then id).
/// Deterministic for the same inputs.
pub fn matchmake<'a>(
    agents: &'a [Agent],
    size: usize,
    mmr: &HashMap<String, f64>,
    played: &HashMap<String, usize>,
    first: Option<&str>,
) -> Vec<&'a Agent> {
    let games = |a: &Agent| played.get(&a.id).copied().unwrap_or(0);
    let rating = |a: &Agent| mmr.get(&a.id).copied().unwrap_or(judge::ratings::START_MMR);
    let chosen_first = first.and_then(|id| agents.iter().find(|a| a.id == id));
    let Some(anchor) = chosen_first.or_else(|| {
        agents
            .iter()
            .min_by(|a, b| games(a).cmp(&games(b)).then(a.id.cmp(&b.id)))
    }) else {
        return Vec::new();
    };
    let mut others: Vec<&Agent> = agents.iter().filter(|a| a.id != anchor.id).collect();
    others.sort_by(|a, b| {
        let da = (rating(a) - rating(anchor)).abs();
        let db = (rating(b) - rating(anchor)).abs();
        da.total_cmp(&db)
            .then(games(a).cmp(&games(b)))
            .then(a.id.cmp(&b.id))
    });
    let mut chosen = vec![anchor];
    chosen.extend(others.into_iter().take(size.saturating_sub(1)));
    chosen.sort_by(|a, b| a.id.cmp(&b.id));
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_roster_has_eight_agents_on_both_models() {
        let agents = load(&default_dir()).unwrap();
        assert!(agents.len() >= 8);
        let models: std::collections::BTreeSet<&str> =
            agents.iter().map(|a| a.model.as_str()).collect();
        assert!(models.contains("smollm2-135m") && models.contains("gemma3-270m"));
    }

    #[test]
    fn matchmaking_pairs_close_ratings_and_rotates_players() {
        let agents = load(&default_dir()).unwrap();
        let ids: Vec<String> = agents.iter().map(|a| a.id.clone()).collect();
        let mmr: HashMap<String, f64> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), 1000.0 + 100.0 * i as f64))
            .collect();
        let mut played: HashMap<String, usize> = HashMap::new();
        let first: Vec<String> = matchmake(&agents, 3, &mmr, &played, None)
            .iter()
            .map(|a| a.id.clone())
            .collect();
        assert_eq!(first, vec![ids[0].clone(), ids[1].clone(), ids[2].clone()]);
        for id in &first {
            played.insert(id.clone(), 1);
        }
        let second: Vec<String> = matchmake(&agents, 3, &mmr, &played, None)
            .iter()
            .map(|a| a.id.clone())
            .collect();
        assert!(
            second.contains(&ids[3]),
            "the least-played agent plays next: {second:?}"
        );
        let last = ids.last().unwrap();
        let entered: Vec<String> = matchmake(&agents, 3, &mmr, &played, Some(last))
            .iter()
            .map(|a| a.id.clone())
            .collect();
        assert!(
            entered.contains(last) && !entered.contains(&ids[0]),
            "a just-entered agent plays next with its rating neighbours: {entered:?}"
        );
    }
}
