//! Criterion benchmark of single-row exact TreeSHAP explanations, the two
//! algorithms side by side in one run: Lundberg et al.'s (`lundberg`) and
//! Linear TreeSHAP (`linear`), on a deep random forest (100 trees, depth
//! up to 20), a GBDT (300 trees x 31 leaves) and a shallow GBDT (300 trees
//! x 7 leaves), all trained on a synthetic fraud-like matrix (50k rows x 35
//! features).
//!
//! `cargo bench -p vigie-model --bench explain`
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "a benchmark: panics on setup failure, prints the models' shapes"
)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use serde_json::Value;
use vigie_model::tree::{ShapAlgorithm, force_shap_algorithm};
use vigie_model::{Forest, ForestParams, Gbdt, GbdtParams};

#[path = "../tests/it/synthetic.rs"]
mod synthetic;

const ROWS: usize = 50_000;
const FEATURES: usize = 35;

fn bench(c: &mut Criterion) {
    let data = synthetic::fraud_like(ROWS, FEATURES, 7);
    let forest = Forest::fit(
        &data,
        &ForestParams {
            n_trees: 100,
            max_depth: Some(20),
            min_data_in_leaf: 1,
            ..ForestParams::default()
        },
    )
    .unwrap();
    let gbdt = Gbdt::fit(
        &data,
        None,
        &GbdtParams {
            n_trees: 300,
            max_leaves: 31,
            early_stopping_rounds: None,
            ..GbdtParams::default()
        },
    )
    .unwrap();
    let shallow = Gbdt::fit(
        &data,
        None,
        &GbdtParams {
            n_trees: 300,
            max_leaves: 7,
            early_stopping_rounds: None,
            ..GbdtParams::default()
        },
    )
    .unwrap();
    let rows: Vec<Vec<f32>> = (0..1024)
        .map(|r| {
            let mut row = Vec::new();
            data.row_into(r * 47, &mut row);
            row
        })
        .collect();

    report_depths("forest", &forest);
    report_depths("gbdt", &gbdt);
    report_depths("shallow gbdt", &shallow);

    let mut group = c.benchmark_group("explain");
    let mut next = 0usize;
    let mut pick = || {
        next = (next + 1) % rows.len();
        &rows[next]
    };
    for (name, algorithm) in ALGORITHMS {
        force_shap_algorithm(Some(algorithm));
        group.bench_function(BenchmarkId::new("forest_100_depth20", name), |b| {
            b.iter(|| black_box(forest.explain(black_box(pick()))))
        });
    }
    for (name, algorithm) in ALGORITHMS {
        force_shap_algorithm(Some(algorithm));
        group.bench_function(BenchmarkId::new("gbdt_300x31", name), |b| {
            b.iter(|| black_box(gbdt.explain(black_box(pick()))))
        });
    }
    for (name, algorithm) in ALGORITHMS {
        force_shap_algorithm(Some(algorithm));
        group.bench_function(BenchmarkId::new("gbdt_300x7", name), |b| {
            b.iter(|| black_box(shallow.explain(black_box(pick()))))
        });
    }
    force_shap_algorithm(None);
    group.finish();
}

const ALGORITHMS: [(&str, ShapAlgorithm); 2] = [
    ("lundberg", ShapAlgorithm::Lundberg),
    ("linear", ShapAlgorithm::Linear),
];

/// Something saved as JSON with its trees somewhere inside.
trait Saved {
    fn json(&self) -> Value;
}

impl Saved for Forest {
    fn json(&self) -> Value {
        let mut bytes = Vec::new();
        self.save(&mut bytes).unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }
}

impl Saved for Gbdt {
    fn json(&self) -> Value {
        let mut bytes = Vec::new();
        self.save(&mut bytes).unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }
}

/// Prints the deepest and mean tree depth (internal nodes on a path) and
/// the mean leaf count, so the figures can be read against tree shape.
fn report_depths(name: &str, model: &impl Saved) {
    let mut trees = Vec::new();
    let json = model.json();
    collect_trees(&json, &mut trees);
    let depths: Vec<usize> = trees.iter().map(|t| depth(t, 0)).collect();
    let leaves: usize = trees
        .iter()
        .map(|t| t["leaves"].as_array().map_or(0, Vec::len))
        .sum();
    eprintln!(
        "{name}: {} trees, depth max {} mean {:.1}, {:.1} leaves per tree",
        trees.len(),
        depths.iter().max().unwrap_or(&0),
        depths.iter().sum::<usize>() as f64 / trees.len() as f64,
        leaves as f64 / trees.len() as f64,
    );
}

fn collect_trees<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    match value {
        Value::Object(map) if map.contains_key("nodes") && map.contains_key("leaves") => {
            out.push(value)
        }
        Value::Object(map) => map.values().for_each(|v| collect_trees(v, out)),
        Value::Array(items) => items.iter().for_each(|v| collect_trees(v, out)),
        _ => {}
    }
}

fn depth(tree: &Value, node: usize) -> usize {
    let Some(split) = tree["nodes"].get(node) else {
        return 0;
    };
    let below = |side: &str| {
        split[side]["node"]
            .as_u64()
            .map_or(0, |n| depth(tree, n as usize))
    };
    1 + below("left").max(below("right"))
}

criterion_group!(benches, bench);
criterion_main!(benches);
