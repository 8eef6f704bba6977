//! An export started from the Export panel, running on its own thread with
//! the same code as `arena export`; the panel polls its progress.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use judge::Store;
use judge::export::{Filter, Format};

/// A running or finished export.
pub struct ExportJob {
    pub path: PathBuf,
    written: Arc<AtomicU64>,
    result: Arc<Mutex<Option<Result<u64, String>>>>,
}

impl ExportJob {
    /// Starts exporting `store` to `path` in `format`, keeping what `filter` keeps.
    pub fn start(store: Store, format: Format, filter: Filter, path: PathBuf) -> Self {
        let written = Arc::new(AtomicU64::new(0));
        let result = Arc::new(Mutex::new(None));
        let (progress, done, out) = (written.clone(), result.clone(), path.clone());
        std::thread::spawn(move || {
            let outcome = out
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .map_err(anyhow::Error::from)
                .and_then(|()| {
                    crate::cli::export::export_file(&store, format, &filter, &out, &mut |n| {
                        progress.store(n, Ordering::Relaxed)
                    })
                })
                .map_err(|e| format!("exporting to {}: {e:#}", out.display()));
            *done.lock().expect("export lock") = Some(outcome);
        });
        Self {
            path,
            written,
            result,
        }
    }

    /// Records written so far.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// The outcome, once finished: records written, or the error.
    pub fn result(&self) -> Option<Result<u64, String>> {
        self.result.lock().expect("export lock").clone()
    }
}
