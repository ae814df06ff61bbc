//! Random forest: learning, class weighting, determinism.

use vigie_model::{
    Forest, ForestClassWeight as ClassWeight, ForestParams, MaxFeatures, ModelError, RowSampling,
    ScoreSpace,
};

use crate::synthetic::{auc, fraud_like, rare_xor_problem, xor_problem};

fn quick(n_trees: usize) -> ForestParams {
    ForestParams {
        n_trees,
        ..ForestParams::default()
    }
}

#[test]
fn learns_xor_and_scores_are_probabilities() {
    let train = xor_problem(6_000, 3, 0.0, 1);
    let test = xor_problem(2_000, 3, 0.0, 2);
    let forest = Forest::fit(&train, &quick(20)).unwrap();
    let scores = forest.raw_scores(&test);
    let auc = auc(&scores, test.labels());
    assert!(auc > 0.99, "AUC {auc}");
    assert!(scores.iter().all(|s| (0.0..=1.0).contains(s)));
    assert_eq!(forest.space(), ScoreSpace::Probability);
    let mut row = Vec::new();
    test.row_into(3, &mut row);
    assert_eq!(forest.predict_proba(&row), forest.raw_score(&row));
    assert_eq!(forest.raw_score(&row).to_bits(), scores[3].to_bits());
    let gain = forest.feature_importance_gain();
    assert!(gain[0] > gain[2] && gain[1] > gain[3], "{gain:?}");
}

#[test]
fn balanced_class_weights_rank_rare_positives_and_lift_their_scores() {
    let train = rare_xor_problem(30_000, 5);
    let test = rare_xor_problem(10_000, 6);
    let params = ForestParams {
        max_features: MaxFeatures::All,
        min_data_in_leaf: 3,
        class_weight: ClassWeight::Balanced,
        ..quick(15)
    };
    let balanced = Forest::fit(&train, &params).unwrap();
    let auc = auc(&balanced.raw_scores(&test), test.labels());
    assert!(auc > 0.97, "AUC {auc}");
    // Shallow trees keep mixed leaves (about half positives where x2 > 0.99):
    // weighted fractions there are near 1, plain ones near 1/2.
    let shallow = ForestParams {
        max_depth: Some(2),
        ..params
    };
    let plain = ForestParams {
        class_weight: ClassWeight::Uniform,
        ..shallow.clone()
    };
    let mean = |p: &ForestParams| {
        let s = Forest::fit(&train, p).unwrap().raw_scores(&test);
        s.iter().sum::<f64>() / s.len() as f64
    };
    let (balanced_mean, plain_mean) = (mean(&shallow), mean(&plain));
    assert!(
        balanced_mean > 1.6 * plain_mean,
        "{balanced_mean} vs {plain_mean}"
    );
}

#[test]
fn training_is_deterministic_for_a_seed_whatever_the_thread_count() {
    let train = fraud_like(4_000, 7, 3);
    for sampling in [RowSampling::Bootstrap, RowSampling::Subsample] {
        let params = ForestParams {
            sampling,
            sample_fraction: 0.8,
            ..quick(6)
        };
        let one = Forest::fit(
            &train,
            &ForestParams {
                n_threads: 1,
                ..params.clone()
            },
        )
        .unwrap();
        let two = Forest::fit(
            &train,
            &ForestParams {
                n_threads: 2,
                ..params.clone()
            },
        )
        .unwrap();
        let other = Forest::fit(
            &train,
            &ForestParams {
                seed: 5,
                ..params.clone()
            },
        )
        .unwrap();
        assert_eq!(one.raw_scores(&train), two.raw_scores(&train));
        assert_eq!(one.feature_importance_gain(), two.feature_importance_gain());
        assert_ne!(one.raw_scores(&train), other.raw_scores(&train));
    }
}

#[test]
fn bad_parameters_and_rows_are_refused() {
    let train = xor_problem(300, 0, 0.0, 1);
    let bad = ForestParams {
        n_trees: 0,
        ..ForestParams::default()
    };
    assert!(matches!(
        Forest::fit(&train, &bad),
        Err(ModelError::InvalidParam { .. })
    ));
    let forest = Forest::fit(&train, &quick(2)).unwrap();
    assert!(matches!(
        forest.try_raw_score(&[1.0]),
        Err(ModelError::FeatureCount { .. })
    ));
}
