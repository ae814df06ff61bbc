//! Gradient boosting: learning, determinism, early stopping, input checks.

use vigie_model::{Dataset, FeatureKind, Gbdt, GbdtParams, ModelError, ScoreSpace};

use crate::synthetic::{auc, fraud_like, rare_xor_problem, xor_problem};

fn quick(n_trees: usize) -> GbdtParams {
    GbdtParams {
        n_trees,
        early_stopping_rounds: None,
        ..GbdtParams::default()
    }
}

fn saved(model: &Gbdt) -> Vec<u8> {
    let mut bytes = Vec::new();
    model.save(&mut bytes).unwrap();
    bytes
}

#[test]
fn learns_xor_to_high_auc_and_ranks_the_two_real_features_first() {
    let train = xor_problem(8_000, 3, 0.0, 1);
    let test = xor_problem(3_000, 3, 0.0, 2);
    let model = Gbdt::fit(&train, None, &quick(60)).unwrap();
    let scores = model.raw_scores(&test);
    let auc = auc(&scores, test.labels());
    assert!(auc > 0.995, "AUC {auc}");
    assert_eq!(model.space(), ScoreSpace::LogOdds);
    let gain = model.feature_importance_gain();
    let noise_max = gain[2..].iter().copied().fold(0.0, f64::max);
    assert!(
        gain[0] > 10.0 * noise_max && gain[1] > 10.0 * noise_max,
        "{gain:?}"
    );
}

#[test]
fn learns_rare_positives() {
    let train = rare_xor_problem(40_000, 3);
    let test = rare_xor_problem(20_000, 4);
    assert!(
        train.positives() > 50 && train.positives() < 400,
        "{}",
        train.positives()
    );
    let params = GbdtParams {
        min_data_in_leaf: 5,
        scale_pos_weight: 5.0,
        ..quick(80)
    };
    let model = Gbdt::fit(&train, None, &params).unwrap();
    let auc = auc(&model.raw_scores(&test), test.labels());
    assert!(auc > 0.98, "AUC {auc}");
}

#[test]
fn learns_categorical_structure() {
    let train = fraud_like(30_000, 6, 5);
    let test = fraud_like(30_000, 6, 6);
    let model = Gbdt::fit(&train, None, &quick(40)).unwrap();
    let auc = auc(&model.raw_scores(&test), test.labels());
    assert!(auc > 0.85, "AUC {auc}");
    assert!(
        model.feature_importance_gain()[0] > 0.0,
        "the category is used"
    );
}

#[test]
fn base_score_is_the_prior_log_odds_and_probabilities_are_its_sigmoid() {
    let train = xor_problem(2_000, 1, 0.1, 3);
    let model = Gbdt::fit(&train, None, &quick(5)).unwrap();
    let prior = train.positives() as f64 / train.n_rows() as f64;
    assert!((model.base_score() - (prior / (1.0 - prior)).ln()).abs() < 1e-12);
    let mut row = Vec::new();
    train.row_into(7, &mut row);
    let raw = model.raw_score(&row);
    assert_eq!(model.predict_proba(&row), 1.0 / (1.0 + (-raw).exp()));
}

#[test]
fn batch_scores_equal_single_row_scores_bit_for_bit() {
    let data = fraud_like(5_000, 8, 9);
    let model = Gbdt::fit(&data, None, &quick(20)).unwrap();
    let batch = model.raw_scores(&data);
    let mut row = Vec::new();
    for (r, &score) in batch.iter().enumerate() {
        data.row_into(r, &mut row);
        assert_eq!(score.to_bits(), model.raw_score(&row).to_bits(), "row {r}");
    }
}

#[test]
fn training_is_deterministic_for_a_seed_whatever_the_thread_count() {
    let train = fraud_like(6_000, 8, 11);
    let valid = fraud_like(2_000, 8, 12);
    let params = GbdtParams {
        feature_fraction: 0.6,
        bagging_fraction: 0.7,
        bagging_freq: 1,
        ..quick(15)
    };
    let one = Gbdt::fit(
        &train,
        Some(&valid),
        &GbdtParams {
            n_threads: 1,
            ..params.clone()
        },
    )
    .unwrap();
    let two = Gbdt::fit(
        &train,
        Some(&valid),
        &GbdtParams {
            n_threads: 2,
            ..params.clone()
        },
    )
    .unwrap();
    let again = Gbdt::fit(
        &train,
        Some(&valid),
        &GbdtParams {
            n_threads: 2,
            ..params.clone()
        },
    )
    .unwrap();
    let other_seed = Gbdt::fit(
        &train,
        Some(&valid),
        &GbdtParams {
            seed: 99,
            ..params.clone()
        },
    )
    .unwrap();
    // The saved models differ only in the recorded n_threads.
    let without_threads = |m: &Gbdt| {
        let mut v: serde_json::Value = serde_json::from_slice(&saved(m)).unwrap();
        v["params"]["n_threads"] = 0.into();
        v
    };
    assert_eq!(without_threads(&one), without_threads(&two));
    assert_eq!(one.raw_scores(&valid), two.raw_scores(&valid));
    assert_eq!(one.curves(), two.curves());
    assert_eq!(saved(&two), saved(&again));
    assert_ne!(
        one.raw_scores(&valid),
        other_seed.raw_scores(&valid),
        "the seed matters"
    );
}

#[test]
fn early_stopping_stops_and_keeps_the_best_round() {
    let train = xor_problem(3_000, 2, 0.3, 21);
    let valid = xor_problem(3_000, 2, 0.3, 22);
    let params = GbdtParams {
        learning_rate: 0.5,
        max_leaves: 63,
        min_data_in_leaf: 2,
        lambda_l2: 0.0,
        early_stopping_rounds: Some(5),
        ..quick(500)
    };
    let model = Gbdt::fit(&train, Some(&valid), &params).unwrap();
    let curves = model.curves();
    let trained = curves.valid_logloss.len();
    assert!(trained < 500, "overfitting noise should stop early");
    assert_eq!(curves.train_logloss.len(), trained);
    assert_eq!(trained, model.best_iteration() + 5);
    assert_eq!(model.n_trees(), model.best_iteration());
    let best = curves.valid_logloss[model.best_iteration() - 1];
    assert!(curves.valid_logloss.iter().all(|&l| l >= best));
    assert!(
        curves
            .train_logloss
            .windows(2)
            .all(|w| w[1] <= w[0] + 1e-12),
        "training loss falls"
    );
}

#[test]
fn bad_inputs_are_refused_with_the_right_error() {
    let train = xor_problem(500, 1, 0.0, 1);
    let bad = GbdtParams {
        max_leaves: 0,
        lambda_l2: -1.0,
        ..GbdtParams::default()
    };
    assert!(matches!(
        Gbdt::fit(&train, None, &bad),
        Err(ModelError::InvalidParam { .. })
    ));

    let names = vec!["x".to_string()];
    let one_class = Dataset::new(
        names,
        vec![FeatureKind::Numeric],
        vec![vec![1.0, 2.0]],
        vec![0, 0],
    )
    .unwrap();
    assert!(matches!(
        Gbdt::fit(&one_class, None, &quick(3)),
        Err(ModelError::InvalidData { .. })
    ));

    let narrower = train.select_features(&[0]);
    assert!(matches!(
        Gbdt::fit(&train, Some(&narrower), &quick(3)),
        Err(ModelError::InvalidData { .. })
    ));

    assert!(matches!(
        Gbdt::fit(&train, Some(&train.slice(0..0)), &quick(3)),
        Err(ModelError::InvalidData { .. })
    ));

    let model = Gbdt::fit(&train, None, &quick(3)).unwrap();
    assert!(matches!(
        model.try_raw_score(&[0.5]),
        Err(ModelError::FeatureCount {
            expected: 3,
            found: 1
        })
    ));
    assert!(model.try_raw_score(&[0.5, 0.5, 0.5]).is_ok());
    assert!(matches!(
        model.try_raw_scores(&narrower),
        Err(ModelError::FeatureCount {
            expected: 3,
            found: 1
        })
    ));
    let mut kinds = train.kinds().to_vec();
    kinds[0] = FeatureKind::Categorical { levels: 2 };
    let columns = (0..3)
        .map(|f| train.column(f).iter().map(|v| v.floor()).collect())
        .collect();
    let recoded = Dataset::new(
        train.names().to_vec(),
        kinds,
        columns,
        train.labels().to_vec(),
    )
    .unwrap();
    assert!(matches!(
        model.try_raw_scores(&recoded),
        Err(ModelError::InvalidData { .. })
    ));
    assert_eq!(
        model.try_raw_scores(&train).unwrap(),
        model.raw_scores(&train)
    );
}

/// Mean log-loss of raw scores (the curves' definition).
fn logloss(scores: &[f64], labels: &[u8]) -> f64 {
    let total: f64 = scores
        .iter()
        .zip(labels)
        .map(|(&s, &y)| {
            let p = (1.0 / (1.0 + (-s).exp())).clamp(1e-15, 1.0 - 1e-15);
            if y == 1 { -p.ln() } else { -(1.0 - p).ln() }
        })
        .sum();
    total / scores.len() as f64
}

#[test]
fn training_curve_ends_at_the_models_own_training_loss_with_and_without_bagging() {
    let train = fraud_like(5_000, 6, 31);
    for (bagging_fraction, bagging_freq) in [(1.0, 0), (0.5, 2)] {
        let params = GbdtParams {
            bagging_fraction,
            bagging_freq,
            feature_fraction: 0.7,
            ..quick(25)
        };
        let model = Gbdt::fit(&train, None, &params).unwrap();
        let curve = &model.curves().train_logloss;
        assert_eq!(curve.len(), 25);
        let own = logloss(&model.raw_scores(&train), train.labels());
        let last = curve[24];
        assert!(
            (own - last).abs() < 1e-9,
            "bagging {bagging_fraction}: {own} vs {last}"
        );
        assert!(curve[24] < curve[0]);
    }
}
