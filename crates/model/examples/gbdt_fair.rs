//! The Vigie side of `bench/gbdt_fair.py`: trains the GBDT on the matrices
//! that script exports, with LightGBM's parameters of that script, a fixed
//! number of rounds and no early stopping, and prints seconds (binning
//! included, file reading excluded), milliseconds per tree and the
//! validation average precision.
//!
//! ```sh
//! cargo build --release -p vigie-model --example gbdt_fair
//! target/release/examples/gbdt_fair FIT.bin VALID.bin [--rounds 300] [--threads 2]
//! ```
//!
//! File format (written by bench/gbdt_fair.py): `u64` rows, `u64` features,
//! then the features column-major as `f32`, then one `u8` label per row, all
//! little-endian. Feature 2 is `category` (14 levels), the rest numeric.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use vigie_model::metrics::average_precision;
use vigie_model::{Dataset, FeatureKind, Gbdt, GbdtParams};

/// Index and levels of the categorical feature (`category`).
const CATEGORY: (usize, u16) = (2, 14);

fn read(path: &str) -> Dataset {
    let bytes = std::fs::read(path).expect("read matrix");
    let word = |i: usize| u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap()) as usize;
    let (rows, features) = (word(0), word(1));
    let body = &bytes[16..];
    let columns: Vec<Vec<f32>> = (0..features)
        .map(|f| {
            body[f * rows * 4..(f + 1) * rows * 4]
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
                .collect()
        })
        .collect();
    let labels = body[features * rows * 4..].to_vec();
    assert_eq!(labels.len(), rows, "labels");
    let kinds = (0..features)
        .map(|f| {
            if f == CATEGORY.0 {
                FeatureKind::Categorical { levels: CATEGORY.1 }
            } else {
                FeatureKind::Numeric
            }
        })
        .collect();
    let names = (0..features).map(|f| format!("f{f}")).collect();
    Dataset::new(names, kinds, columns, labels).expect("valid matrix")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let fit_path = args.next().expect("FIT.bin");
    let valid_path = args.next().expect("VALID.bin");
    let (mut rounds, mut threads) = (300, 2);
    while let Some(flag) = args.next() {
        let value: usize = args.next().expect("value").parse().expect("number");
        match flag.as_str() {
            "--rounds" => rounds = value,
            "--threads" => threads = value,
            other => panic!("unknown flag {other}"),
        }
    }
    let (fit, valid) = (read(&fit_path), read(&valid_path));
    let params = GbdtParams {
        n_trees: rounds,
        learning_rate: 0.1,
        max_leaves: 31,
        min_data_in_leaf: 50,
        min_sum_hessian_in_leaf: 1e-3,
        lambda_l2: 1.0,
        max_bins: 255,
        early_stopping_rounds: None,
        n_threads: threads,
        ..GbdtParams::default()
    };
    let start = Instant::now();
    let model = Gbdt::fit(&fit, Some(&valid), &params).expect("fit");
    let secs = start.elapsed().as_secs_f64();
    let ap = average_precision(&model.raw_scores(&valid), valid.labels()).expect("ap");
    println!(
        "vigie gbdt: {} trees in {secs:.2} s ({:.1} ms/tree), valid AP {ap:.4} ({} fit rows, {threads} threads)",
        model.n_trees(),
        1000.0 * secs / model.n_trees() as f64,
        fit.n_rows(),
    );
}
