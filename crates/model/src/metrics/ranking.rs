//! The ranking every threshold-free metric is read from: scores sorted
//! highest first, ties grouped, with cumulative true and false positives at
//! each distinct score.
//!
//! Invariant: `thresholds` is strictly decreasing, and entry `i` counts the
//! rows with `score >= thresholds[i]` (the rule of [`super::confusion_at`]),
//! so the last entry counts every row.

use crate::error::{ModelError, Result};

/// Checks that `scores` and `labels` can be evaluated together: same length,
/// labels 0 or 1, no NaN score (infinite scores rank like any other).
pub(crate) fn check_inputs(scores: &[f64], labels: &[u8]) -> Result<()> {
    if scores.len() != labels.len() {
        return invalid(format!(
            "{} scores for {} labels",
            scores.len(),
            labels.len()
        ));
    }
    if let Some(row) = labels.iter().position(|&l| l > 1) {
        return invalid(format!("label at row {row} is {}", labels[row]));
    }
    if let Some(row) = scores.iter().position(|s| s.is_nan()) {
        return invalid(format!("score at row {row} is NaN"));
    }
    Ok(())
}

/// An `InvalidData` error.
pub(crate) fn invalid<T>(reason: String) -> Result<T> {
    Err(ModelError::InvalidData { reason })
}

/// Cumulative counts at each distinct score, highest score first.
#[derive(Debug, Clone)]
pub(crate) struct Ranking {
    /// Distinct scores, strictly decreasing.
    pub thresholds: Vec<f64>,
    /// Positives scoring at least `thresholds[i]`.
    pub true_positives: Vec<u64>,
    /// Negatives scoring at least `thresholds[i]`.
    pub false_positives: Vec<u64>,
    /// All positives.
    pub positives: u64,
    /// All negatives.
    pub negatives: u64,
}

impl Ranking {
    /// Sorts the scores (O(n log n)) and groups ties. Equal scores (including
    /// `0.0` and `-0.0`) form one threshold.
    pub fn new(scores: &[f64], labels: &[u8]) -> Result<Self> {
        check_inputs(scores, labels)?;
        let mut pairs: Vec<(f64, u8)> =
            scores.iter().copied().zip(labels.iter().copied()).collect();
        pairs.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
        let mut ranking = Self {
            thresholds: Vec::new(),
            true_positives: Vec::new(),
            false_positives: Vec::new(),
            positives: 0,
            negatives: 0,
        };
        let (mut tp, mut fp) = (0u64, 0u64);
        for (i, &(score, label)) in pairs.iter().enumerate() {
            if label == 1 {
                tp += 1;
            } else {
                fp += 1;
            }
            let group_ends = pairs.get(i + 1).is_none_or(|next| next.0 != score);
            if group_ends {
                ranking.thresholds.push(score);
                ranking.true_positives.push(tp);
                ranking.false_positives.push(fp);
            }
        }
        ranking.positives = tp;
        ranking.negatives = fp;
        Ok(ranking)
    }

    /// Fails unless there is at least one positive.
    pub fn require_positives(&self, metric: &str) -> Result<()> {
        if self.positives == 0 {
            return invalid(format!("{metric} is undefined without positive labels"));
        }
        Ok(())
    }

    /// Fails unless there is at least one negative.
    pub fn require_negatives(&self, metric: &str) -> Result<()> {
        if self.negatives == 0 {
            return invalid(format!("{metric} is undefined without negative labels"));
        }
        Ok(())
    }

    /// `(threshold, true positives, false positives)` per distinct score.
    pub fn points(&self) -> impl Iterator<Item = (f64, u64, u64)> + '_ {
        self.thresholds
            .iter()
            .zip(&self.true_positives)
            .zip(&self.false_positives)
            .map(|((&t, &tp), &fp)| (t, tp, fp))
    }
}

/// Area under the ROC curve, exact.
///
/// Definition: the probability that a random positive scores higher than a
/// random negative, counting ties as one half (the Mann-Whitney U statistic
/// over `positives x negatives`). Computed as the trapezoid area under the
/// ROC curve through every distinct threshold, which is the same number;
/// the sum is kept in integers, so the only rounding is the final division.
/// Matches `sklearn.metrics.roc_auc_score`. O(n log n).
///
/// Errors: mismatched lengths, a label other than 0/1, a NaN score, or a
/// single class (the AUC is undefined).
pub fn roc_auc(scores: &[f64], labels: &[u8]) -> Result<f64> {
    let ranking = Ranking::new(scores, labels)?;
    ranking.require_positives("ROC AUC")?;
    ranking.require_negatives("ROC AUC")?;
    let (mut twice_area, mut prev_tp, mut prev_fp) = (0u128, 0u64, 0u64);
    for (_, tp, fp) in ranking.points() {
        twice_area += u128::from(fp - prev_fp) * u128::from(tp + prev_tp);
        (prev_tp, prev_fp) = (tp, fp);
    }
    let pairs = u128::from(ranking.positives) * u128::from(ranking.negatives);
    Ok(twice_area as f64 / (2 * pairs) as f64)
}

/// Average precision, scikit-learn's definition.
///
/// Definition: `AP = sum_n (R_n - R_{n-1}) * P_n` over the distinct scores
/// taken as thresholds from the highest down, where `P_n` and `R_n` are the
/// precision and recall of flagging every row scoring at least the n-th
/// threshold and `R_0 = 0`. Tied rows enter together (no interpolation).
/// Matches `sklearn.metrics.average_precision_score`. O(n log n).
///
/// Errors: mismatched lengths, a label other than 0/1, a NaN score, or no
/// positive label.
pub fn average_precision(scores: &[f64], labels: &[u8]) -> Result<f64> {
    let ranking = Ranking::new(scores, labels)?;
    ranking.require_positives("average precision")?;
    let positives = ranking.positives as f64;
    let (mut ap, mut prev_tp) = (0.0, 0u64);
    for (_, tp, fp) in ranking.points() {
        if tp > prev_tp {
            let recall_gain = (tp - prev_tp) as f64 / positives;
            ap += recall_gain * (tp as f64 / (tp + fp) as f64);
        }
        prev_tp = tp;
    }
    Ok(ap)
}
