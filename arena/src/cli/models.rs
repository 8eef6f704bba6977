//! `arena models fetch|list`.

use clap::Subcommand;

use agents::catalog::{KNOWN_MODELS, ModelRef};

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Download and verify models (all known models when none is named).
    Fetch { names: Vec<String> },
    /// List the known models and whether they are cached.
    List,
}

pub fn run(command: ModelsCommand, fetcher: &agents::Fetcher) -> anyhow::Result<()> {
    match command {
        ModelsCommand::Fetch { names } => {
            let models = if names.is_empty() {
                KNOWN_MODELS.iter().map(|m| ModelRef::Known(*m)).collect()
            } else {
                names
                    .iter()
                    .map(|n| ModelRef::parse(n).map_err(anyhow::Error::msg))
                    .collect::<anyhow::Result<Vec<_>>>()?
            };
            for model in &models {
                let path = super::ensure_model(fetcher, model)?;
                println!("{model}\t{}", path.display());
            }
        }
        ModelsCommand::List => {
            for m in KNOWN_MODELS {
                let path = fetcher.cache_dir().join(m.file_name);
                let state = if path.is_file() {
                    "cached"
                } else {
                    "not fetched"
                };
                println!("{}\t{}\t{state}", m.name, path.display());
            }
        }
    }
    Ok(())
}
