//! The boosting loop: gradients of the weighted log-loss, one tree per
//! round on the current bag and feature subset, Newton leaf values,
//! validation monitoring and early stopping.
//!
//! Invariant: every sum over rows is taken in a fixed order of fixed
//! blocks, and every random draw comes from the one seeded stream in round
//! order, so the same data and parameters give the same trees bit for bit
//! whatever the number of threads.

use rayon::prelude::*;

use super::TrainingCurves;
use super::params::GbdtParams;
use crate::dataset::Dataset;
use crate::error::Result;
use crate::tree::bins::BinnedData;
use crate::tree::grower::{FeatureChoice, GrowConfig, Grower, GrowthOrder, MAX_TREE_DEPTH};
use crate::tree::histogram::GradHess;
use crate::tree::rng::SplitMix64;
use crate::tree::split::SplitRules;
use crate::tree::stored::Tree;

/// Rows per block in parallel element-wise loops and fixed-order sums.
const BLOCK: usize = 1 << 14;

/// What the boosting loop produces.
pub(super) struct Boosted {
    pub(super) base_score: f64,
    pub(super) trees: Vec<Tree>,
    pub(super) curves: TrainingCurves,
    pub(super) best_iteration: usize,
}

/// Trains on `train`, monitoring `valid`; runs inside the caller's pool.
pub(super) fn boost(
    train: &Dataset,
    valid: Option<&Dataset>,
    params: &GbdtParams,
) -> Result<Boosted> {
    let binned = BinnedData::build(train, params.max_bins, params.bin_sample_rows)?;
    let labels = train.labels();
    let n = labels.len();
    let spw = params.scale_pos_weight;
    let positives = train.positives() as f64;
    let prior = spw * positives / (spw * positives + (n as f64 - positives));
    let base_score = (prior / (1.0 - prior)).ln();

    let mut scores = vec![base_score; n];
    let mut valid_scores = valid.map(|v| vec![base_score; v.n_rows()]);
    let mut gh: Vec<GradHess> = vec![[0.0; 2]; n];
    let mut rng = SplitMix64::new(params.seed);
    let mut grower = Grower::default();
    let mut bag: Option<Vec<u32>> = None;
    let mut in_bag = vec![true; n];
    let mut feature_scratch = Vec::new();
    let n_features = binned.n_features();
    let all_features: Vec<usize> = (0..n_features).collect();
    let config = GrowConfig {
        max_leaves: params.max_leaves,
        max_depth: params
            .max_depth
            .unwrap_or(MAX_TREE_DEPTH)
            .min(MAX_TREE_DEPTH),
        rules: SplitRules {
            lambda_l2: params.lambda_l2,
            min_data_in_leaf: params.min_data_in_leaf as u32,
            min_sum_hessian: params.min_sum_hessian_in_leaf,
            min_gain: params.min_gain_to_split,
            cat_smooth: params.cat_smooth,
        },
        order: GrowthOrder::BestFirst,
        parallel: true,
    };
    let bagging = params.bagging_freq > 0 && params.bagging_fraction < 1.0;

    let mut trees = Vec::new();
    let mut curves = TrainingCurves::default();
    let mut best = (f64::INFINITY, 0usize);
    for round in 0..params.n_trees {
        // The loss of the scores so far, computed with the gradients.
        let train_loss = gradients(&scores, labels, spw, &mut gh);
        if round > 0 {
            curves.train_logloss.push(train_loss);
        }
        if bagging && round % params.bagging_freq == 0 {
            let rows: Vec<u32> = (0..n as u32)
                .filter(|_| rng.next_f64() < params.bagging_fraction)
                .collect();
            in_bag.fill(false);
            for &r in &rows {
                in_bag[r as usize] = true;
            }
            bag = Some(rows);
        }
        let features = if params.feature_fraction < 1.0 {
            let k = ((params.feature_fraction * n_features as f64).round() as usize).max(1);
            rng.choose_sorted(n_features, k, &mut feature_scratch)
        } else {
            all_features.clone()
        };
        let grown = grower.grow(
            &binned,
            &gh,
            bag.as_deref(),
            &config,
            FeatureChoice::Fixed(&features),
        );
        let values: Vec<f64> = grown
            .leaves
            .iter()
            .map(|s| -params.learning_rate * s.grad / (s.hess + params.lambda_l2))
            .collect();
        let tree = Tree::from_grown(&grown, &binned, |leaf| values[leaf]);

        let partition = grower.partition();
        for (leaf, value) in values.iter().enumerate().take(partition.n_leaves()) {
            for &row in partition.rows(leaf) {
                scores[row as usize] += value;
            }
        }
        if bag.is_some() {
            add_tree(&tree, train, &mut scores, Some(&in_bag));
        }
        if let (Some(v), Some(vs)) = (valid, valid_scores.as_mut()) {
            add_tree(&tree, v, vs, None);
            let loss = logloss(vs, v.labels());
            curves.valid_logloss.push(loss);
            if loss < best.0 {
                best = (loss, round + 1);
            }
        }
        trees.push(tree);
        if let (Some(rounds), Some(_)) = (params.early_stopping_rounds, valid)
            && round + 1 - best.1 >= rounds
        {
            break;
        }
    }
    curves.train_logloss.push(logloss(&scores, labels));
    let best_iteration = if valid.is_some() && params.early_stopping_rounds.is_some() {
        best.1.max(1)
    } else {
        trees.len()
    };
    trees.truncate(best_iteration);
    Ok(Boosted {
        base_score,
        trees,
        curves,
        best_iteration,
    })
}

/// Gradient and hessian of the weighted log-loss at the current scores:
/// `w (p - y)` and `w p (1 - p)`, `w = scale_pos_weight` for positives.
/// Returns the mean unweighted log-loss of those scores (as [`logloss`]).
fn gradients(scores: &[f64], labels: &[u8], spw: f64, gh: &mut [GradHess]) -> f64 {
    let partial: Vec<f64> = gh
        .par_chunks_mut(BLOCK)
        .enumerate()
        .map(|(block, chunk)| {
            let start = block * BLOCK;
            let mut loss = 0.0;
            for (i, slot) in chunk.iter_mut().enumerate() {
                let (s, y) = (scores[start + i], labels[start + i]);
                let e = (-s).exp();
                let p = 1.0 / (1.0 + e);
                let w = if y == 1 { spw } else { 1.0 };
                *slot = [
                    (w * (p - f64::from(y))) as f32,
                    (w * p * (1.0 - p)).max(1e-16) as f32,
                ];
                loss += point_loss(s, e, y);
            }
            loss
        })
        .collect();
    partial.iter().sum::<f64>() / scores.len().max(1) as f64
}

/// Adds `tree`'s value to the score of every row of `data` (only rows not
/// in `skip` when given), walking raw feature values.
fn add_tree(tree: &Tree, data: &Dataset, scores: &mut [f64], skip: Option<&[bool]>) {
    scores
        .par_chunks_mut(BLOCK)
        .enumerate()
        .for_each(|(block, chunk)| {
            for (i, score) in chunk.iter_mut().enumerate() {
                let row = block * BLOCK + i;
                if skip.is_some_and(|s| s[row]) {
                    continue;
                }
                let leaf = tree.leaf_of(|f| data.column(f)[row]);
                *score += tree.leaves[leaf].value;
            }
        });
}

/// The logistic function.
pub(crate) fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The log-loss of one row with raw score `s` (`e = exp(-s)`), capped at
/// `-ln(1e-15)` as if probabilities were clipped to `[1e-15, 1 - 1e-15]`.
fn point_loss(s: f64, e: f64, y: u8) -> f64 {
    const MAX_LOSS: f64 = 34.538_776_394_910_684;
    // -ln(p) = ln(1 + e); -ln(1 - p) = s + ln(1 + e).
    let loss = if y == 1 {
        (1.0 + e).ln()
    } else {
        s + (1.0 + e).ln()
    };
    loss.clamp(0.0, MAX_LOSS)
}

/// Mean (unweighted) log-loss of raw scores against labels; summed in
/// fixed blocks.
pub(crate) fn logloss(scores: &[f64], labels: &[u8]) -> f64 {
    let partial: Vec<f64> = scores
        .par_chunks(BLOCK)
        .zip(labels.par_chunks(BLOCK))
        .map(|(s, y)| {
            s.iter()
                .zip(y)
                .map(|(&s, &y)| point_loss(s, (-s).exp(), y))
                .sum::<f64>()
        })
        .collect();
    partial.iter().sum::<f64>() / scores.len().max(1) as f64
}
