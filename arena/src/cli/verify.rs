//! `arena verify ROUND`: anyone holding the database can check a round. The
//! result root is recomputed from the stored record and compared with the
//! one settled on chain; the answers are generated again from their seeds
//! and the verdicts judged again, and whatever does not reproduce is named.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use judge::judging::CHECKS_ONLY;

use crate::tournament::chain_link::ChainLink;
use crate::tournament::lifecycle::{ModelCache, generate_answers, judge_answers};
use crate::tournament::result_root::result_root;
use crate::tournament::space;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The round to verify.
    round: u64,
    /// Directory of space files (default: the shipped spaces).
    #[arg(long)]
    spaces: Option<PathBuf>,
    /// Only compare result roots; do not replay generation and judging.
    #[arg(long)]
    no_replay: bool,
}

pub fn run(args: VerifyArgs, fetcher: agents::Fetcher, data_dir: PathBuf) -> Result<()> {
    let store = super::open_store(&data_dir)?;
    let round = store
        .round(args.round)?
        .with_context(|| format!("no round {} in {}", args.round, store.path().display()))?;
    let answers = store.answers(round.id)?;
    let judgment = store
        .judgment(round.id)?
        .with_context(|| format!("round {} has not been judged yet", round.id))?;
    let mut problems = Vec::new();

    let root_bytes = result_root(&round, &answers, &judgment);
    let root = hex::encode(root_bytes);
    println!("result root recomputed from the store: 0x{root}");
    if round.result_root.as_deref() != Some(root.as_str()) {
        problems
            .push("the stored record no longer matches the root recorded at settlement".to_owned());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let chain = runtime.block_on(ChainLink::local(&data_dir.join("chain")))?;
    let on_chain = runtime
        .block_on(chain.operator.round(round.id))?
        .result_root;
    println!("result root on chain:                  {on_chain}");
    if on_chain.as_slice() != root_bytes.as_slice() {
        problems.push("the root on chain differs from the root of the stored record".to_owned());
    }
    drop(chain);

    if !args.no_replay {
        let space = space::find(
            &args.spaces.unwrap_or_else(space::default_dir),
            &round.space,
        )?;
        let models = ModelCache::new(fetcher);
        let replayed = generate_answers(&models, &round.prompt, &answers, None, &mut |_, _| {})?;
        for (stored, again) in answers.iter().zip(&replayed) {
            if stored.truncated {
                println!(
                    "answer of {}: cut by the round's deadline, not replayable",
                    stored.agent_id
                );
            } else if stored.text == again.text {
                println!("answer of {}: reproduced", stored.agent_id);
            } else {
                problems.push(format!(
                    "the answer of {} does not reproduce: stored {:?}, generated {:?}",
                    stored.agent_id, stored.text, again.text
                ));
            }
        }
        let judge = (judgment.judge != CHECKS_ONLY).then_some(judgment.judge.as_str());
        let rejudged = judge_answers(&models, judge, &space, &round, &answers)?;
        if rejudged == judgment {
            println!(
                "judgment: reproduced (ranking {})",
                judgment.ranking.order.join(" > ")
            );
        } else {
            problems.push(format!(
                "the judgment does not reproduce: stored ranking {}, judged again {}",
                judgment.ranking.order.join(" > "),
                rejudged.ranking.order.join(" > ")
            ));
        }
    }
    if problems.is_empty() {
        println!("round {} verified", round.id);
        Ok(())
    } else {
        bail!(
            "round {} failed verification:\n- {}",
            round.id,
            problems.join("\n- ")
        )
    }
}
