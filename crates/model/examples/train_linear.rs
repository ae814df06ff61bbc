//! Trains both linear models on a numeric CSV matrix and prints how they do
//! on a later test period, for comparison with `bench/linear_reference.py`
//! (scikit-learn, same splits, same preprocessing idea).
//!
//! ```sh
//! python bench/make_matrix.py /tmp/vdata/train.csv /tmp/linear-data/matrix.csv
//! cargo run --release -p vigie-model --example train_linear -- \
//!     /tmp/linear-data/matrix.csv --categorical category,hour,dow \
//!     [--threads N] [--class-weight balanced|none] [--random-features DIMS,GAMMA] \
//!     [--tolerance T]
//! ```
//!
//! The CSV has a header of feature names and `is_fraud` as its last column;
//! rows are in time order. Splits, in file order: the first 85 % of rows
//! are the training part, the rest the test period; the last 15 % of the
//! training part is the validation period (the SVM's Platt calibration and
//! both models' F1 threshold), the models are fitted on the rest.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs
)]

use std::time::Instant;

use vigie_model::metrics::{
    average_precision, best_f1_threshold, confusion_at, log_loss, recall_at_fpr, roc_auc,
};
use vigie_model::{
    ClassWeight, Dataset, FeatureKind, LinearParams, LinearSvm, LogisticRegression, RandomFeatures,
};

struct Args {
    path: String,
    categorical: Vec<String>,
    threads: usize,
    class_weight: ClassWeight,
    random_features: Option<RandomFeatures>,
    tolerance: f64,
}

fn parse_args() -> Args {
    let mut args = std::env::args().skip(1);
    let mut parsed = Args {
        path: String::new(),
        categorical: Vec::new(),
        threads: 0,
        class_weight: ClassWeight::Balanced,
        random_features: None,
        tolerance: LinearParams::default().tolerance,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--categorical" => {
                let list = args.next().expect("--categorical needs a list");
                parsed.categorical = list.split(',').map(str::to_owned).collect();
            }
            "--threads" => parsed.threads = args.next().expect("--threads N").parse().unwrap(),
            "--random-features" => {
                let spec = args.next().expect("--random-features DIMS,GAMMA");
                let (dims, gamma) = spec.split_once(',').expect("DIMS,GAMMA");
                parsed.random_features = Some(RandomFeatures {
                    dims: dims.parse().unwrap(),
                    gamma: gamma.parse().unwrap(),
                    seed: 1,
                });
            }
            "--tolerance" => {
                parsed.tolerance = args.next().expect("--tolerance T").parse().unwrap()
            }
            "--class-weight" => {
                parsed.class_weight = match args.next().as_deref() {
                    Some("balanced") => ClassWeight::Balanced,
                    Some("none") => ClassWeight::None,
                    other => panic!("--class-weight balanced|none, got {other:?}"),
                }
            }
            _ => parsed.path = arg,
        }
    }
    assert!(
        !parsed.path.is_empty(),
        "usage: train_linear FILE [--categorical a,b] [--threads N]"
    );
    parsed
}

/// Reads the matrix: names, column-major values, labels.
fn read_matrix(path: &str) -> (Vec<String>, Vec<Vec<f32>>, Vec<u8>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    let n_features = header.len() - 1;
    assert_eq!(
        header[n_features], "is_fraud",
        "the last column must be is_fraud"
    );
    let mut columns = vec![Vec::new(); n_features];
    let mut labels = Vec::new();
    for line in lines {
        let mut fields = line.split(',');
        for column in &mut columns {
            column.push(fields.next().unwrap().parse::<f32>().unwrap());
        }
        labels.push(fields.next().unwrap().parse::<u8>().unwrap());
    }
    (header[..n_features].to_vec(), columns, labels)
}

struct Scores {
    validation: Vec<f64>,
    test: Vec<f64>,
    test_probabilities: Vec<f64>,
}

fn report(
    name: &str,
    seconds: f64,
    detail: &str,
    scores: &Scores,
    valid: &Dataset,
    test: &Dataset,
) {
    let (threshold, valid_f1) = best_f1_threshold(&scores.validation, valid.labels()).unwrap();
    let at = confusion_at(&scores.test, test.labels(), threshold).unwrap();
    println!(
        "{name:<20} train {seconds:>6.2} s  AUC {:.4}  AP {:.4}  F1@valid-threshold {:.4} \
         (P {:.3} R {:.3}; valid F1 {valid_f1:.4})  recall@1%FPR {:.4}  log-loss {:.5}  [{detail}]",
        roc_auc(&scores.test, test.labels()).unwrap(),
        average_precision(&scores.test, test.labels()).unwrap(),
        at.f1(),
        at.precision(),
        at.recall(),
        recall_at_fpr(&scores.test, test.labels(), 0.01).unwrap(),
        log_loss(&scores.test_probabilities, test.labels()).unwrap(),
    );
}

fn main() {
    let args = parse_args();
    let started = Instant::now();
    let (names, columns, labels) = read_matrix(&args.path);
    let kinds: Vec<FeatureKind> = names
        .iter()
        .zip(&columns)
        .map(|(name, column)| {
            if args.categorical.contains(name) {
                let max = column.iter().fold(0.0f32, |m, &v| m.max(v));
                FeatureKind::Categorical {
                    levels: max as u16 + 1,
                }
            } else {
                FeatureKind::Numeric
            }
        })
        .collect();
    let data = Dataset::new(names, kinds, columns, labels).unwrap();
    let n = data.n_rows();
    let train_end = n * 85 / 100;
    let fit_end = train_end * 85 / 100;
    let fit = data.slice(0..fit_end);
    let valid = data.slice(fit_end..train_end);
    let test = data.slice(train_end..n);
    println!(
        "{}: {} features; fit {} rows ({} frauds), validation {} ({}), test {} ({}); read in {:.1} s",
        args.path,
        data.n_features(),
        fit.n_rows(),
        fit.positives(),
        valid.n_rows(),
        valid.positives(),
        test.n_rows(),
        test.positives(),
        started.elapsed().as_secs_f64()
    );
    let params = LinearParams {
        threads: args.threads,
        class_weight: args.class_weight,
        random_features: args.random_features,
        tolerance: args.tolerance,
        ..LinearParams::default()
    };

    let t = Instant::now();
    let logistic = LogisticRegression::fit(&fit, &params).unwrap();
    let seconds = t.elapsed().as_secs_f64();
    let scores = Scores {
        validation: logistic.raw_scores(&valid).unwrap(),
        test: logistic.raw_scores(&test).unwrap(),
        test_probabilities: logistic.predict_probas(&test).unwrap(),
    };
    let detail = format!(
        "{} Newton iterations, converged {}, objective {:.10}",
        logistic.curve().len() - 1,
        logistic.converged(),
        logistic.curve().last().unwrap()
    );
    report(
        "logistic regression",
        seconds,
        &detail,
        &scores,
        &valid,
        &test,
    );

    let t = Instant::now();
    let svm = LinearSvm::fit(&fit, &valid, &params).unwrap();
    let seconds = t.elapsed().as_secs_f64();
    let scores = Scores {
        validation: svm.raw_scores(&valid).unwrap(),
        test: svm.raw_scores(&test).unwrap(),
        test_probabilities: svm.predict_probas(&test).unwrap(),
    };
    let detail = format!(
        "{} Newton iterations, converged {}, objective {:.10}",
        svm.curve().len() - 1,
        svm.converged(),
        svm.curve().last().unwrap()
    );
    report(
        "linear SVM + Platt",
        seconds,
        &detail,
        &scores,
        &valid,
        &test,
    );
}
