//! Helpers shared by the tests.

use vigie_features::{FeatureVector, MemoryStateStore, Observed, ReplayOptions, Replayer, observe};
use vigie_types::LabeledTransaction;

/// Features of a sorted sequence, one transaction at a time (the online path).
pub fn online(sequence: &[LabeledTransaction]) -> Vec<FeatureVector> {
    let store = MemoryStateStore::default();
    sequence
        .iter()
        .map(|t| match observe(&store, &t.txn).unwrap() {
            Observed::Fresh(v) => v,
            Observed::Duplicate => panic!("unique trans_nums in the sequence"),
        })
        .collect()
}

/// Features from the batch replay, input given in `batches`.
pub fn batch(
    batches: Vec<Vec<LabeledTransaction>>,
    options: ReplayOptions,
) -> Vec<(LabeledTransaction, FeatureVector)> {
    let mut replayer = Replayer::new(options);
    let mut out = Vec::new();
    let mut sink = |rows: Vec<vigie_features::FeatureRow>| {
        out.extend(rows.into_iter().map(|r| (r.txn, r.features)));
        Ok(())
    };
    for b in batches {
        replayer.push(b, &mut sink).unwrap();
    }
    replayer.finish(&mut sink).unwrap();
    out
}

/// Replay options for tests: small release blocks so releases happen often.
pub fn options(threads: usize, max_lateness_secs: i64, release_rows: usize) -> ReplayOptions {
    ReplayOptions {
        threads,
        max_lateness_secs,
        release_rows,
    }
}

/// Splits `items` into consecutive batches of the given sizes (cycled).
pub fn split<T: Clone>(items: &[T], sizes: &[usize]) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut i = 0;
    while at < items.len() {
        let n = sizes[i % sizes.len()].max(1).min(items.len() - at);
        out.push(items[at..at + n].to_vec());
        at += n;
        i += 1;
    }
    out
}
