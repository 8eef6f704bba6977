// Throwaway: not to be committed.
use judge::Judge;
use judge::eval::{evaluate, load_set, render};
use judge::instructions::read_instructions;

#[test]
fn scratch() {
    for set in [
        "evals/clean.jsonl",
        "evals/adversarial.jsonl",
        "tests/data/labelled_pairs.json",
        "evals/clean-holdout.jsonl",
    ] {
        let Ok(items) = load_set(std::path::Path::new(set)) else {
            continue;
        };
        println!("===== {set}");
        for item in &items {
            let rules = read_instructions(&item.prompt);
            let fails = |a: &str| {
                rules
                    .iter()
                    .filter(|r| !r.evaluate(a).passed)
                    .map(|r| r.said.clone())
                    .collect::<Vec<_>>()
            };
            let (b, w) = (fails(&item.better), fails(&item.worse));
            if !b.is_empty() {
                println!(
                    "BETTER FAILS {:?} | {} | {:?}",
                    b,
                    item.prompt.split("\n\n").next().unwrap(),
                    item.better
                );
            }
            if std::env::var("SHOW").is_ok() {
                println!(
                    "{} | rules {:?} | worse fails {:?} | {:?}",
                    item.kind,
                    rules.iter().map(|r| &r.said).collect::<Vec<_>>(),
                    w,
                    &item.worse.chars().take(60).collect::<String>()
                );
            }
        }
        let report = evaluate(&Judge::checks_only(), &items, &mut |_| {}).unwrap();
        println!("{}", render(&report));
        std::fs::write(
            format!("/tmp/scratch/rules-{}.json", set.replace('/', "_")),
            serde_json::to_string(&report.outcomes).unwrap(),
        )
        .unwrap();
    }
}
