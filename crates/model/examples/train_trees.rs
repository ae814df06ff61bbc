//! Trains the GBDT and the random forest on a synthetic fraud-like matrix
//! (default 1.2 M rows x 35 features, about 0.5 % positives) or on numeric
//! CSV files, and prints training time, rows/s, test AUC/AP and single-row
//! latency percentiles, for comparison with LightGBM on the same data.
//!
//! ```sh
//! cargo run --release -p vigie-model --example train_trees -- [--rows N] [--features F]
//!     [--trees T] [--leaves L] [--forest-trees T] [--threads N] [--skip-forest]
//!     [--csv TRAIN.csv [--test-csv TEST.csv] [--categorical NAME]...]
//! ```
//!
//! A CSV has a header and numeric cells; the label column is `label` or
//! `is_fraud` (else the last column); `--categorical NAME` reads a column as
//! category codes. Without `--test-csv`, the last 20 % of
//! rows are the test period and the 10 % before them the validation set.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/it/synthetic.rs"]
mod synthetic;

use std::time::Instant;

use vigie_model::{Dataset, FeatureKind, Forest, ForestParams, Gbdt, GbdtParams};

struct Args {
    rows: usize,
    features: usize,
    trees: usize,
    leaves: usize,
    forest_trees: usize,
    threads: usize,
    skip_forest: bool,
    csv: Option<String>,
    test_csv: Option<String>,
    categorical: Vec<String>,
}

fn parse_args() -> Args {
    let mut a = Args {
        rows: 1_200_000,
        features: 35,
        trees: 300,
        leaves: 31,
        forest_trees: 100,
        threads: 0,
        skip_forest: false,
        csv: None,
        test_csv: None,
        categorical: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().expect("flag needs a value");
        match flag.as_str() {
            "--rows" => a.rows = value().parse().unwrap(),
            "--features" => a.features = value().parse().unwrap(),
            "--trees" => a.trees = value().parse().unwrap(),
            "--leaves" => a.leaves = value().parse().unwrap(),
            "--forest-trees" => a.forest_trees = value().parse().unwrap(),
            "--threads" => a.threads = value().parse().unwrap(),
            "--skip-forest" => a.skip_forest = true,
            "--csv" => a.csv = Some(value()),
            "--test-csv" => a.test_csv = Some(value()),
            "--categorical" => a.categorical.push(value()),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

fn read_csv(path: &str, categorical: &[String]) -> Dataset {
    let text = std::fs::read_to_string(path).expect("read csv");
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(str::to_owned)
        .collect();
    let label_at = header
        .iter()
        .position(|h| h == "label" || h == "is_fraud")
        .unwrap_or(header.len() - 1);
    let mut columns = vec![Vec::new(); header.len() - 1];
    let mut labels = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let mut f = 0;
        for (i, cell) in line.split(',').enumerate() {
            let v: f64 = cell.trim().parse().unwrap_or(0.0);
            if i == label_at {
                labels.push(u8::from(v > 0.5));
            } else {
                columns[f].push(v as f32);
                f += 1;
            }
        }
    }
    let names = header
        .into_iter()
        .enumerate()
        .filter(|&(i, _)| i != label_at)
        .map(|(_, n)| n)
        .collect();
    let names: Vec<String> = names;
    let kinds = names
        .iter()
        .zip(&columns)
        .map(|(name, column)| {
            if categorical.contains(name) {
                let levels = column.iter().fold(0f32, |a, &v| a.max(v)) as u16 + 1;
                FeatureKind::Categorical { levels }
            } else {
                FeatureKind::Numeric
            }
        })
        .collect();
    Dataset::new(names, kinds, columns, labels).expect("valid csv data")
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Times `f` on each of up to `max_rows` test rows; returns (p50, p99) in us.
fn latency(test: &Dataset, max_rows: usize, f: impl Fn(&[f32]) -> f64) -> (f64, f64) {
    let n = test.n_rows().min(max_rows);
    let mut row = Vec::new();
    let mut times = Vec::with_capacity(n);
    let mut sink = 0.0;
    for r in 0..n {
        test.row_into(r, &mut row);
        let start = Instant::now();
        sink += f(&row);
        times.push(start.elapsed().as_secs_f64() * 1e6);
    }
    assert!(sink.is_finite());
    times.sort_by(f64::total_cmp);
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

fn report(name: &str, secs: f64, train_rows: usize, scores: &[f64], test: &Dataset) {
    println!(
        "{name}: train {secs:.2} s ({:.0} rows/s), test AUC {:.4} AP {:.4}",
        train_rows as f64 / secs,
        synthetic::auc(scores, test.labels()),
        synthetic::average_precision(scores, test.labels()),
    );
}

fn main() {
    let args = parse_args();
    let start = Instant::now();
    let (train, valid, test) = match (&args.csv, &args.test_csv) {
        (Some(train), Some(test)) => {
            let train = read_csv(train, &args.categorical);
            let n = train.n_rows();
            (
                train.slice(0..n * 9 / 10),
                train.slice(n * 9 / 10..n),
                read_csv(test, &args.categorical),
            )
        }
        (csv, _) => {
            let all = match csv {
                Some(path) => read_csv(path, &args.categorical),
                None => synthetic::fraud_like(args.rows * 10 / 7, args.features, 7),
            };
            let n = all.n_rows();
            let (a, b) = (n * 7 / 10, n * 8 / 10);
            (all.slice(0..a), all.slice(a..b), all.slice(b..n))
        }
    };
    println!(
        "data: train {} x {} ({} positives), valid {}, test {} ({:.1} s to build)",
        train.n_rows(),
        train.n_features(),
        train.positives(),
        valid.n_rows(),
        test.n_rows(),
        start.elapsed().as_secs_f64()
    );

    let params = GbdtParams {
        n_trees: args.trees,
        max_leaves: args.leaves,
        early_stopping_rounds: None,
        n_threads: args.threads,
        ..GbdtParams::default()
    };
    let start = Instant::now();
    let gbdt = Gbdt::fit(&train, Some(&valid), &params).expect("gbdt");
    let secs = start.elapsed().as_secs_f64();
    report(
        &format!("gbdt {} trees x {} leaves", gbdt.n_trees(), args.leaves),
        secs,
        train.n_rows(),
        &gbdt.raw_scores(&test),
        &test,
    );
    let (p50, p99) = latency(&test, 100_000, |row| gbdt.raw_score(row));
    println!("gbdt single-row raw_score: p50 {p50:.2} us, p99 {p99:.2} us");
    let (p50, p99) = latency(&test, 2_000, |row| gbdt.explain(row).bias);
    println!("gbdt single-row explain:   p50 {p50:.2} us, p99 {p99:.2} us");
    let start = Instant::now();
    let batch = gbdt.raw_scores(&test);
    println!(
        "gbdt batch raw_scores: {:.0} rows/s ({} rows)",
        batch.len() as f64 / start.elapsed().as_secs_f64(),
        batch.len()
    );

    if args.skip_forest {
        return;
    }
    let params = ForestParams {
        n_trees: args.forest_trees,
        n_threads: args.threads,
        ..ForestParams::default()
    };
    let start = Instant::now();
    let forest = Forest::fit(&train, &params).expect("forest");
    let secs = start.elapsed().as_secs_f64();
    report(
        &format!("forest {} trees", forest.n_trees()),
        secs,
        train.n_rows(),
        &forest.raw_scores(&test),
        &test,
    );
    let (p50, p99) = latency(&test, 100_000, |row| forest.raw_score(row));
    println!("forest single-row raw_score: p50 {p50:.2} us, p99 {p99:.2} us");
}
