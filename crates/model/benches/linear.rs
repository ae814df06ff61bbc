//! Criterion benchmarks of linear-model serving: one row scored, turned into
//! a probability, and explained, on a model shaped like Vigie's (33 numeric
//! features, 14 categories, 24 hours: 71 encoded columns), without and with
//! 200 random Fourier features.
//!
//! `cargo bench -p vigie-model --bench linear`
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use vigie_model::{LinearParams, LinearSvm, LogisticRegression, RandomFeatures};

#[allow(dead_code, reason = "the bench uses part of the test support")]
#[path = "../tests/it/support.rs"]
mod support;

fn bench(c: &mut Criterion) {
    let train = support::wide_data(50_000, 33, 1);
    let calibration = support::wide_data(10_000, 33, 2);
    let params = LinearParams::default();
    let logistic = LogisticRegression::fit(&train, &params).unwrap();
    let svm = LinearSvm::fit(&train, &calibration, &params).unwrap();
    let bent_params = LinearParams {
        random_features: Some(RandomFeatures {
            dims: 200,
            gamma: 0.01,
            seed: 1,
        }),
        tolerance: 1e-4,
        ..LinearParams::default()
    };
    let bent = LogisticRegression::fit(&train.slice(0..10_000), &bent_params).unwrap();
    let rows: Vec<Vec<f32>> = (0..256).map(|i| support::row(&calibration, i)).collect();

    let mut group = c.benchmark_group("linear_single_row");
    let mut i = 0;
    let mut next = || {
        i = (i + 1) % rows.len();
        &rows[i]
    };
    group.bench_function("logistic_raw_score", |b| {
        b.iter(|| logistic.raw_score(black_box(next())))
    });
    group.bench_function("logistic_predict_proba", |b| {
        b.iter(|| logistic.predict_proba(black_box(next())))
    });
    group.bench_function("logistic_explain", |b| {
        b.iter(|| logistic.explain(black_box(next())))
    });
    group.bench_function("svm_predict_proba", |b| {
        b.iter(|| svm.predict_proba(black_box(next())))
    });
    group.bench_function("svm_explain", |b| b.iter(|| svm.explain(black_box(next()))));
    group.bench_function("logistic_rff200_raw_score", |b| {
        b.iter(|| bent.raw_score(black_box(next())))
    });
    group.bench_function("logistic_rff200_explain", |b| {
        b.iter(|| bent.explain(black_box(next())))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
