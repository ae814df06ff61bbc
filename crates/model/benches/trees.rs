//! Criterion benchmarks of the tree models on a synthetic fraud-like matrix
//! (200k rows x 35 features, about 0.5 % positives): single-row GBDT
//! prediction (300 trees x 31 leaves) and explanation, forest prediction,
//! and training time.
//!
//! `cargo bench -p vigie-model --bench trees`
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vigie_model::{Forest, ForestParams, Gbdt, GbdtParams};

#[path = "../tests/it/synthetic.rs"]
mod synthetic;

const ROWS: usize = 200_000;
const FEATURES: usize = 35;

fn gbdt_params() -> GbdtParams {
    GbdtParams {
        n_trees: 300,
        max_leaves: 31,
        early_stopping_rounds: None,
        ..GbdtParams::default()
    }
}

fn bench(c: &mut Criterion) {
    let data = synthetic::fraud_like(ROWS, FEATURES, 7);
    let gbdt = Gbdt::fit(&data, None, &gbdt_params()).unwrap();
    let forest = Forest::fit(&data, &ForestParams::default()).unwrap();
    let rows: Vec<Vec<f32>> = (0..1024)
        .map(|r| {
            let mut row = Vec::new();
            data.row_into(r * 97, &mut row);
            row
        })
        .collect();

    let mut group = c.benchmark_group("predict");
    let mut next = 0usize;
    let mut pick = || {
        next = (next + 1) % rows.len();
        &rows[next]
    };
    group.bench_function("gbdt_300x31_raw_score", |b| {
        b.iter(|| black_box(gbdt.raw_score(black_box(pick()))))
    });
    group.bench_function("gbdt_300x31_explain", |b| {
        b.iter(|| black_box(gbdt.explain(black_box(pick()))))
    });
    group.bench_function("forest_100_raw_score", |b| {
        b.iter(|| black_box(forest.raw_score(black_box(pick()))))
    });
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(10);
    group.bench_function("gbdt_300x31_raw_scores_batch_200k", |b| {
        b.iter(|| black_box(gbdt.raw_scores(&data)))
    });
    group.finish();

    let mut group = c.benchmark_group("train");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(60));
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("gbdt_100x31_200k_x_35", |b| {
        let params = GbdtParams {
            n_trees: 100,
            ..gbdt_params()
        };
        b.iter(|| black_box(Gbdt::fit(&data, None, &params).unwrap()))
    });
    group.bench_function("forest_20_200k_x_35", |b| {
        let params = ForestParams {
            n_trees: 20,
            ..ForestParams::default()
        };
        b.iter(|| black_box(Forest::fit(&data, &params).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
