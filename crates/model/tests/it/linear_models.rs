//! Training behaviour of the two linear models on synthetic data.

use vigie_model::metrics::{confusion_at, roc_auc};
use vigie_model::{
    ClassWeight, Dataset, FeatureKind, LinearParams, LinearSvm, LogisticRegression, ModelError,
    RandomFeatures, ScoreSpace,
};

use crate::support::{Rng, logistic_data, mixed_data, names, row, wide_data};

/// Parameters for recovering a generating model: almost no penalty, no
/// class weights, no clipping (so standardisation is an exact linear map).
fn unbiased() -> LinearParams {
    LinearParams {
        l2: 1e-9,
        class_weight: ClassWeight::None,
        clip_quantile: 0.0,
        tolerance: 1e-8,
        ..LinearParams::default()
    }
}

#[test]
fn logistic_regression_recovers_known_coefficients() {
    let w = [1.5, -2.0, 0.5];
    let intercept = -1.0;
    let data = logistic_data(200_000, &w, intercept, 7);
    let model = LogisticRegression::fit(&data, &unbiased()).unwrap();
    assert!(model.converged());
    assert_eq!(model.space(), ScoreSpace::LogOdds);
    // The fitted log-odds function, read back on probe points: the
    // intercept at the origin and each slope by a unit step.
    let origin = [0.0f32; 3];
    let at_origin = model.raw_score(&origin);
    assert!(
        (at_origin - intercept).abs() < 0.05,
        "intercept {at_origin}"
    );
    for (j, &wj) in w.iter().enumerate() {
        let mut step = origin;
        step[j] = 1.0;
        let slope = model.raw_score(&step) - at_origin;
        assert!((slope - wj).abs() < 0.05, "w{j}: {slope} vs {wj}");
    }
    // The curve starts high and never goes up.
    let curve = model.curve();
    assert!(curve.len() >= 2);
    assert!(curve.windows(2).all(|p| p[1] <= p[0]), "{curve:?}");
}

/// Two far-apart Gaussian blobs (1 % positives).
fn separable(rows: usize, seed: u64) -> Dataset {
    let mut rng = Rng::new(seed);
    let (mut a, mut b, mut labels) = (vec![], vec![], vec![]);
    for i in 0..rows {
        let fraud = i % 100 == 0;
        let shift = if fraud { 4.0 } else { -4.0 };
        a.push((rng.normal() + shift) as f32);
        b.push((rng.normal() - shift) as f32);
        labels.push(u8::from(fraud));
    }
    Dataset::new(names(2), vec![FeatureKind::Numeric; 2], vec![a, b], labels).unwrap()
}

#[test]
fn separable_data_is_separated_by_both_models() {
    let train = separable(20_000, 1);
    let test = separable(10_000, 2);
    let params = LinearParams::default();
    let logistic = LogisticRegression::fit(&train, &params).unwrap();
    let svm = LinearSvm::fit(&train, &separable(5_000, 3), &params).unwrap();
    for (name, scores, threshold) in [
        ("logistic", logistic.raw_scores(&test).unwrap(), 0.0),
        ("svm", svm.raw_scores(&test).unwrap(), 0.0),
    ] {
        let c = confusion_at(&scores, test.labels(), threshold).unwrap();
        let accuracy = (c.tp + c.tn) as f64 / test.n_rows() as f64;
        assert!(accuracy > 0.999, "{name}: {c:?}");
        assert!(c.recall() > 0.99, "{name}: {c:?}");
    }
}

#[test]
fn class_weights_raise_recall_on_rare_positives() {
    // About 2 % positives, heavily overlapping classes.
    let train = logistic_data(60_000, &[0.8, 0.3], -5.0, 11);
    let test = logistic_data(30_000, &[0.8, 0.3], -5.0, 12);
    let recall = |class_weight| {
        let params = LinearParams {
            class_weight,
            ..LinearParams::default()
        };
        let model = LogisticRegression::fit(&train, &params).unwrap();
        let scores = model.raw_scores(&test).unwrap();
        confusion_at(&scores, test.labels(), 0.0).unwrap().recall() // p >= 0.5
    };
    let plain = recall(ClassWeight::None);
    let balanced = recall(ClassWeight::Balanced);
    let heavy = recall(ClassWeight::Positive { weight: 200.0 });
    assert!(
        balanced > plain + 0.3,
        "balanced {balanced} vs none {plain}"
    );
    assert!(
        heavy > balanced,
        "positive x200 {heavy} vs balanced {balanced}"
    );
}

#[test]
fn categorical_levels_and_heavy_tails_are_learned() {
    let train = mixed_data(60_000, 5);
    let test = mixed_data(20_000, 6);
    for params in [LinearParams::default(), unbiased()] {
        let model = LogisticRegression::fit(&train, &params).unwrap();
        // Level 3 raises the log-odds by about 2 over the other levels.
        let level = |code: f32| model.raw_score(&[0.0, 1.0, code]);
        assert!(
            (level(3.0) - level(0.0) - 2.0).abs() < 0.3,
            "{}",
            level(3.0) - level(0.0)
        );
        assert!((level(1.0) - level(0.0)).abs() < 0.3);
        // An unknown code contributes nothing (the one-hot row is all 0).
        let unknown = model.explain(&[0.0, 1.0, 9.0]);
        assert_eq!(unknown.contributions[2], 0.0);
        let auc = roc_auc(&model.raw_scores(&test).unwrap(), test.labels()).unwrap();
        assert!(auc > 0.8, "AUC {auc}");
    }
    // With clipping, a huge value of the heavy-tailed feature moves the
    // score no more than the 99.9 % training quantile does.
    let model = LogisticRegression::fit(&train, &LinearParams::default()).unwrap();
    let mut heavy: Vec<f32> = train.column(1).to_vec();
    heavy.sort_by(f32::total_cmp);
    let q999 = heavy[(0.999 * (heavy.len() - 1) as f64).ceil() as usize];
    assert_eq!(
        model.raw_score(&[0.0, 1e30, 0.0]),
        model.raw_score(&[0.0, q999, 0.0])
    );
}

#[test]
fn explanations_add_up_exactly_to_the_raw_score() {
    let train = mixed_data(30_000, 8);
    let params = LinearParams::default();
    let logistic = LogisticRegression::fit(&train, &params).unwrap();
    let svm = LinearSvm::fit(&train, &mixed_data(10_000, 9), &params).unwrap();
    let batch_logistic = logistic.raw_scores(&train).unwrap();
    let batch_svm = svm.raw_scores(&train).unwrap();
    for i in (0..train.n_rows()).step_by(37) {
        let x = row(&train, i);
        for (score, batch, explanation, space) in [
            (
                logistic.raw_score(&x),
                batch_logistic[i],
                logistic.explain(&x),
                ScoreSpace::LogOdds,
            ),
            (
                svm.raw_score(&x),
                batch_svm[i],
                svm.explain(&x),
                ScoreSpace::Margin,
            ),
        ] {
            assert_eq!(explanation.raw_score(), score, "row {i}");
            assert_eq!(batch, score, "row {i}");
            assert_eq!(explanation.space, space);
            assert_eq!(explanation.contributions.len(), 3);
        }
        assert_eq!(logistic.explain(&x).bias, logistic.intercept());
        let p = logistic.predict_proba(&x);
        assert!((p - 1.0 / (1.0 + (-logistic.raw_score(&x)).exp())).abs() < 1e-12);
    }
}

#[test]
fn svm_probabilities_are_calibrated_on_the_calibration_period() {
    let train = mixed_data(40_000, 21);
    let calibration = mixed_data(20_000, 22);
    let model = LinearSvm::fit(&train, &calibration, &LinearParams::default()).unwrap();
    assert_eq!(model.space(), ScoreSpace::Margin);
    assert!(model.converged());
    let (a, _) = model.calibration();
    assert!(a < 0.0, "larger margins must mean more fraud, a = {a}");
    // Platt's maximum-likelihood fit matches the mean probability to the
    // (smoothed) fraud rate of the calibration rows.
    let probabilities = model.predict_probas(&calibration).unwrap();
    let mean = probabilities.iter().sum::<f64>() / probabilities.len() as f64;
    let rate = calibration.positives() as f64 / calibration.n_rows() as f64;
    assert!((mean - rate).abs() < 0.002, "mean {mean} vs rate {rate}");
    let x = row(&calibration, 0);
    assert_eq!(model.predict_proba(&x), probabilities[0]);
}

#[test]
fn training_is_bit_identical_whatever_the_thread_count() {
    let train = mixed_data(50_000, 31); // several 8,192-row blocks
    let calibration = mixed_data(5_000, 32);
    let with = |threads| LinearParams {
        threads,
        ..LinearParams::default()
    };
    let one = LogisticRegression::fit(&train, &with(1)).unwrap();
    for threads in [2, 3] {
        let many = LogisticRegression::fit(&train, &with(threads)).unwrap();
        assert_eq!(one.coefficients(), many.coefficients());
        assert_eq!(one.intercept().to_bits(), many.intercept().to_bits());
        assert_eq!(one.curve(), many.curve());
    }
    let svm_one = LinearSvm::fit(&train, &calibration, &with(1)).unwrap();
    let svm_two = LinearSvm::fit(&train, &calibration, &with(2)).unwrap();
    assert_eq!(svm_one.coefficients(), svm_two.coefficients());
    assert_eq!(svm_one.calibration(), svm_two.calibration());
}

#[test]
fn bad_inputs_are_errors() {
    let train = mixed_data(2_000, 41);
    let params = LinearParams::default();
    let model = LogisticRegression::fit(&train, &params).unwrap();
    assert!(matches!(
        model.try_raw_score(&[0.0, 1.0]),
        Err(ModelError::FeatureCount {
            expected: 3,
            found: 2
        })
    ));
    let renamed = Dataset::new(
        vec!["x".into(), "other".into(), "level".into()],
        train.kinds().to_vec(),
        (0..3).map(|f| train.column(f).to_vec()).collect(),
        train.labels().to_vec(),
    )
    .unwrap();
    assert!(matches!(
        model.raw_scores(&renamed),
        Err(ModelError::InvalidData { .. })
    ));
    // One class only.
    let one_class = Dataset::new(
        names(1),
        vec![FeatureKind::Numeric],
        vec![vec![1.0, 2.0]],
        vec![0, 0],
    )
    .unwrap();
    assert!(matches!(
        LogisticRegression::fit(&one_class, &params),
        Err(ModelError::InvalidData { .. })
    ));
    let negative_calibration = Dataset::new(
        train.names().to_vec(),
        train.kinds().to_vec(),
        (0..3).map(|f| train.column(f).to_vec()).collect(),
        vec![0; train.n_rows()],
    )
    .unwrap();
    assert!(matches!(
        LinearSvm::fit(&train, &negative_calibration, &params),
        Err(ModelError::InvalidData { .. })
    ));
    // Every bad parameter is reported at once.
    let bad = LinearParams {
        l2: -1.0,
        tolerance: 0.0,
        max_iterations: 0,
        clip_quantile: 0.7,
        class_weight: ClassWeight::Positive { weight: f64::NAN },
        threads: 1,
        random_features: Some(RandomFeatures {
            dims: 0,
            gamma: -1.0,
            seed: 0,
        }),
    };
    match LogisticRegression::fit(&train, &bad) {
        Err(ModelError::InvalidParam { reason, .. }) => {
            for name in [
                "l2",
                "tolerance",
                "max_iterations",
                "clip_quantile",
                "weight",
            ] {
                assert!(reason.contains(name), "{name} missing from {reason}");
            }
        }
        other => panic!("expected InvalidParam, got {other:?}"),
    }
    assert!(LinearParams::default().validate().is_ok());
    // Params are strict serde data.
    let parsed: LinearParams = serde_json::from_str(r#"{"l2": 0.5}"#).unwrap();
    assert_eq!(parsed.l2, 0.5);
    assert!(serde_json::from_str::<LinearParams>(r#"{"l3": 0.5}"#).is_err());
}

#[test]
fn one_hot_columns_fold_back_into_their_original_feature() {
    let data = wide_data(20_000, 33, 61);
    let model = LogisticRegression::fit(&data, &LinearParams::default()).unwrap();
    assert_eq!(model.n_features(), 35);
    assert_eq!(model.coefficients().len(), 33 + 14 + 24);
    let x = row(&data, 0);
    let explanation = model.explain(&x);
    assert_eq!(explanation.contributions.len(), 35);
    // The hour's contribution is the coefficient of its level, read from
    // the coefficient layout: numeric, then 14 categories, then 24 hours.
    let hour = x[34] as usize;
    assert_eq!(
        explanation.contributions[34],
        model.coefficients()[33 + 14 + hour]
    );
    // Night hours (< 4) carry the generated +1.5 over the others.
    let night = model.coefficients()[47..51].iter().sum::<f64>() / 4.0;
    let day = model.coefficients()[51..71].iter().sum::<f64>() / 20.0;
    assert!(
        (night - day - 1.5).abs() < 0.4,
        "night - day = {}",
        night - day
    );
}

/// Frauds outside a ring: `x^2 + y^2 > 2.5`, with 3 % of labels flipped,
/// plus a categorical feature with no effect. No straight line separates
/// them.
fn ring(rows: usize, seed: u64) -> Dataset {
    let mut rng = Rng::new(seed);
    let (mut a, mut b, mut c, mut labels) = (vec![], vec![], vec![], vec![]);
    for _ in 0..rows {
        let (x, y) = (rng.normal(), rng.normal());
        a.push(x as f32);
        b.push(y as f32);
        c.push(rng.below(3) as f32);
        let noise = rng.uniform() < 0.03;
        labels.push(u8::from((x * x + y * y > 2.5) != noise));
    }
    Dataset::new(
        names(3),
        vec![
            FeatureKind::Numeric,
            FeatureKind::Numeric,
            FeatureKind::Categorical { levels: 3 },
        ],
        vec![a, b, c],
        labels,
    )
    .unwrap()
}

fn with_random_features(seed: u64) -> LinearParams {
    LinearParams {
        l2: 1e-4,
        tolerance: 1e-5,
        random_features: Some(RandomFeatures {
            dims: 64,
            gamma: 0.3,
            seed,
        }),
        ..LinearParams::default()
    }
}

#[test]
fn random_fourier_features_let_both_models_bend() {
    let train = ring(8_000, 71);
    let test = ring(4_000, 72);
    let auc = |scores: Vec<f64>| roc_auc(&scores, test.labels()).unwrap();
    let plain = LogisticRegression::fit(&train, &LinearParams::default()).unwrap();
    let bent = LogisticRegression::fit(&train, &with_random_features(1)).unwrap();
    let svm = LinearSvm::fit(&train, &ring(2_000, 73), &with_random_features(1)).unwrap();
    let plain_auc = auc(plain.raw_scores(&test).unwrap());
    let bent_auc = auc(bent.raw_scores(&test).unwrap());
    let svm_auc = auc(svm.raw_scores(&test).unwrap());
    assert!(plain_auc < 0.6, "a line cannot fit a ring: {plain_auc}");
    assert!(bent_auc > 0.93, "random features: {bent_auc}");
    assert!(svm_auc > 0.93, "random features (SVM): {svm_auc}");
    assert!(bent.converged());

    // Still explained exactly, row by row and in batch.
    let batch = bent.raw_scores(&test).unwrap();
    for i in (0..test.n_rows()).step_by(41) {
        let x = row(&test, i);
        let explanation = bent.explain(&x);
        assert_eq!(explanation.raw_score(), bent.raw_score(&x), "row {i}");
        assert_eq!(batch[i], bent.raw_score(&x), "row {i}");
        assert_eq!(svm.explain(&x).raw_score(), svm.raw_score(&x), "row {i}");
        // The third feature has no effect on the label; the first two carry
        // the ring, so far out they dominate the explanation.
        if (x[0] * x[0] + x[1] * x[1]) > 6.0 {
            let c = &explanation.contributions;
            assert!(c[0].abs() + c[1].abs() > c[2].abs(), "row {i}: {c:?}");
        }
    }

    // Seeded: the same seed gives the same model, another seed another one.
    let again = LogisticRegression::fit(&train, &with_random_features(1)).unwrap();
    assert_eq!(again, bent);
    let other = LogisticRegression::fit(&train, &with_random_features(2)).unwrap();
    assert_ne!(other.coefficients(), bent.coefficients());
}
