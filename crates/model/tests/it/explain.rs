//! Explanations: exact TreeSHAP contributions add up to the raw score.

use proptest::prelude::*;
use vigie_model::{Dataset, Explanation, FeatureKind, Forest, ForestParams, Gbdt, GbdtParams};

use crate::synthetic::{Rng, fraud_like, xor_problem};

fn assert_adds_up(explanation: &Explanation, raw: f64) {
    let total = explanation.raw_score();
    assert!(
        (total - raw).abs() <= 1e-9 * (1.0 + raw.abs()),
        "bias {} + contributions = {total}, raw {raw}",
        explanation.bias
    );
}

#[test]
fn gbdt_and_forest_explanations_add_up_and_credit_the_real_features() {
    let train = xor_problem(4_000, 3, 0.0, 1);
    let gbdt = Gbdt::fit(
        &train,
        None,
        &GbdtParams {
            n_trees: 30,
            ..GbdtParams::default()
        },
    )
    .unwrap();
    let forest = Forest::fit(
        &train,
        &ForestParams {
            n_trees: 10,
            ..ForestParams::default()
        },
    )
    .unwrap();
    let mut row = Vec::new();
    let mut mean_abs = [vec![0.0; 5], vec![0.0; 5]];
    for r in 0..200 {
        train.row_into(r, &mut row);
        let (g, f) = (gbdt.explain(&row), forest.explain(&row));
        assert_adds_up(&g, gbdt.raw_score(&row));
        assert_adds_up(&f, forest.raw_score(&row));
        assert_eq!(g.contributions.len(), 5);
        for (m, e) in mean_abs.iter_mut().zip([&g, &f]) {
            for (a, c) in m.iter_mut().zip(&e.contributions) {
                *a += c.abs();
            }
        }
    }
    for m in &mean_abs {
        assert!(m[0] > 5.0 * m[2] && m[1] > 5.0 * m[4], "{m:?}");
    }
}

#[test]
fn categorical_models_explain_exactly() {
    let data = fraud_like(8_000, 6, 2);
    let gbdt = Gbdt::fit(
        &data,
        None,
        &GbdtParams {
            n_trees: 20,
            ..GbdtParams::default()
        },
    )
    .unwrap();
    let mut row = Vec::new();
    for r in 0..100 {
        data.row_into(r, &mut row);
        assert_adds_up(&gbdt.explain(&row), gbdt.raw_score(&row));
    }
}

fn random_dataset(seed: u64, rows: usize, features: usize) -> Dataset {
    let mut rng = Rng::new(seed);
    let mut kinds = vec![FeatureKind::Numeric; features];
    kinds[0] = FeatureKind::Categorical { levels: 5 };
    let columns = (0..features)
        .map(|f| {
            (0..rows)
                .map(|_| {
                    if f == 0 {
                        rng.below(5) as f32
                    } else {
                        (rng.below(20) as f32) * 0.5
                    }
                })
                .collect()
        })
        .collect();
    let mut labels: Vec<u8> = (0..rows).map(|_| u8::from(rng.uniform() < 0.3)).collect();
    labels[0] = 1;
    labels[1] = 0;
    let names = (0..features).map(|f| format!("f{f}")).collect();
    Dataset::new(names, kinds, columns, labels).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn contributions_add_up_on_random_data(seed in any::<u64>(), rows in 40usize..300, features in 1usize..7) {
        let data = random_dataset(seed, rows, features);
        let gbdt_params = GbdtParams { n_trees: 8, min_data_in_leaf: 2, ..GbdtParams::default() };
        let gbdt = Gbdt::fit(&data, None, &gbdt_params).unwrap();
        let forest_params = ForestParams { n_trees: 4, min_data_in_leaf: 1, seed, ..ForestParams::default() };
        let forest = Forest::fit(&data, &forest_params).unwrap();
        let mut row = Vec::new();
        for r in 0..rows.min(10) {
            data.row_into(r, &mut row);
            let g = gbdt.explain(&row);
            let f = forest.explain(&row);
            prop_assert!((g.raw_score() - gbdt.raw_score(&row)).abs() <= 1e-9 * (1.0 + g.raw_score().abs()));
            prop_assert!((f.raw_score() - forest.raw_score(&row)).abs() <= 1e-9);
        }
    }
}
