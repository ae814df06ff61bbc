//! Helpers shared by the tree models' parameter structs: collecting every
//! problem before reporting, and running work on a pool of the asked size.

use crate::error::{ModelError, Result};

/// Collects parameter problems so that `validate()` reports all at once.
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<(&'static str, String)>);

impl Problems {
    /// Records a problem with `name` unless `ok`.
    pub(crate) fn check(&mut self, ok: bool, name: &'static str, reason: impl FnOnce() -> String) {
        if !ok {
            self.0.push((name, reason()));
        }
    }

    /// `Ok` if nothing was recorded; otherwise one `InvalidParam` named after
    /// the first problem whose reason lists every problem.
    pub(crate) fn finish(self) -> Result<()> {
        let Some(&(name, _)) = self.0.first() else {
            return Ok(());
        };
        let reason = self
            .0
            .iter()
            .map(|(n, r)| format!("{n} {r}"))
            .collect::<Vec<_>>()
            .join("; ");
        Err(ModelError::InvalidParam { name, reason })
    }
}

/// Runs `work` on a thread pool of `n_threads` threads (0 = one per core).
pub(crate) fn with_threads<T: Send>(
    n_threads: usize,
    work: impl FnOnce() -> T + Send,
) -> Result<T> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n_threads)
        .build()
        .map_err(|e| ModelError::InvalidParam {
            name: "n_threads",
            reason: e.to_string(),
        })?;
    Ok(pool.install(work))
}

/// Checks that `data` can train a binary classifier: rows, both classes.
pub(crate) fn check_training_data(data: &crate::Dataset) -> Result<()> {
    let positives = data.positives();
    if data.n_rows() == 0 || data.n_features() == 0 || positives == 0 || positives == data.n_rows()
    {
        return Err(ModelError::InvalidData {
            reason: format!(
                "training needs rows, features and both labels ({} rows, {} features, {positives} positives)",
                data.n_rows(),
                data.n_features()
            ),
        });
    }
    if data.n_rows() >= u32::MAX as usize {
        return Err(ModelError::InvalidData {
            reason: format!("{} rows: trees take fewer than 2^32", data.n_rows()),
        });
    }
    Ok(())
}
