//! Metrics at a decision threshold: the confusion matrix, the threshold that
//! maximises F1, recall under a false-positive budget, and the share of the
//! fraud amount caught.
//!
//! The rule everywhere: a row is flagged (predicted positive) when
//! `score >= threshold`.

use serde::{Deserialize, Serialize};

use super::ranking::{Ranking, check_inputs, invalid};
use crate::error::Result;

/// The confusion matrix of flagging every row with `score >= threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConfusionAt {
    /// The decision threshold.
    pub threshold: f64,
    /// Frauds flagged.
    pub tp: u64,
    /// Legitimate rows flagged.
    pub fp: u64,
    /// Legitimate rows passed.
    pub tn: u64,
    /// Frauds passed.
    pub fn_: u64,
}

impl ConfusionAt {
    /// `tp / (tp + fp)`; 0 when nothing is flagged (scikit-learn's
    /// `zero_division=0`).
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    /// `tp / (tp + fn)`, the true-positive rate; 0 without positives.
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// Harmonic mean of precision and recall, `2 tp / (2 tp + fp + fn)`;
    /// 0 when `tp == 0`.
    pub fn f1(&self) -> f64 {
        f1(self.tp, self.fp, self.fn_)
    }

    /// `fp / (fp + tn)`, the false-positive rate; 0 without negatives.
    pub fn fpr(&self) -> f64 {
        ratio(self.fp, self.fp + self.tn)
    }
}

/// `num / den`, or 0 when `den == 0`.
fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// `2 tp / (2 tp + fp + fn)`, 0 when `tp == 0`.
fn f1(tp: u64, fp: u64, fn_: u64) -> f64 {
    ratio(2 * tp, 2 * tp + fp + fn_)
}

/// The confusion matrix at `threshold` (`score >= threshold` is flagged).
///
/// Errors: mismatched lengths, a label other than 0/1, a NaN score or a NaN
/// threshold.
pub fn confusion_at(scores: &[f64], labels: &[u8], threshold: f64) -> Result<ConfusionAt> {
    check_inputs(scores, labels)?;
    if threshold.is_nan() {
        return invalid("threshold is NaN".to_owned());
    }
    let mut counts = ConfusionAt {
        threshold,
        tp: 0,
        fp: 0,
        tn: 0,
        fn_: 0,
    };
    for (&score, &label) in scores.iter().zip(labels) {
        match (score >= threshold, label == 1) {
            (true, true) => counts.tp += 1,
            (true, false) => counts.fp += 1,
            (false, false) => counts.tn += 1,
            (false, true) => counts.fn_ += 1,
        }
    }
    Ok(counts)
}

/// The threshold with the highest F1, searched exactly over every distinct
/// score, and that F1. When several thresholds share the best F1 the highest
/// threshold (fewest alerts) is returned.
///
/// Choose it on the validation period only, then apply it to the test
/// period: choosing it on the test period is a leak.
///
/// Errors: as [`confusion_at`], or no positive label.
pub fn best_f1_threshold(scores: &[f64], labels: &[u8]) -> Result<(f64, f64)> {
    let ranking = Ranking::new(scores, labels)?;
    ranking.require_positives("best F1 threshold")?;
    let mut best = (f64::INFINITY, 0.0);
    for (threshold, tp, fp) in ranking.points() {
        let score = f1(tp, fp, ranking.positives - tp);
        if score > best.1 {
            best = (threshold, score);
        }
    }
    Ok(best)
}

/// The highest recall among the thresholds whose false-positive rate is at
/// most `max_fpr` (e.g. 0.01), over every distinct score. Flagging nothing
/// (recall 0, FPR 0) is always allowed, so the result is defined.
///
/// Errors: as [`confusion_at`], `max_fpr` outside `[0, 1]`, or a single
/// class.
pub fn recall_at_fpr(scores: &[f64], labels: &[u8], max_fpr: f64) -> Result<f64> {
    if !(0.0..=1.0).contains(&max_fpr) {
        return invalid(format!("max_fpr {max_fpr} is not in [0, 1]"));
    }
    let ranking = Ranking::new(scores, labels)?;
    ranking.require_positives("recall at FPR")?;
    ranking.require_negatives("recall at FPR")?;
    let mut best = 0.0;
    for (_, tp, fp) in ranking.points() {
        if ratio(fp, ranking.negatives) <= max_fpr {
            best = ratio(tp, ranking.positives);
        } else {
            break; // the FPR only grows as the threshold falls
        }
    }
    Ok(best)
}

/// The share of the fraud amount that is flagged: `sum(amount of frauds with
/// score >= threshold) / sum(amount of all frauds)`, a fraction in `[0, 1]`
/// (multiply by 100 for a percentage). An amount-weighted recall.
///
/// Errors: as [`confusion_at`], amounts of another length, a negative or
/// non-finite amount, or a total fraud amount of zero.
pub fn fraud_amount_caught(
    scores: &[f64],
    labels: &[u8],
    amounts: &[f64],
    threshold: f64,
) -> Result<f64> {
    check_inputs(scores, labels)?;
    if amounts.len() != labels.len() {
        return invalid(format!(
            "{} amounts for {} labels",
            amounts.len(),
            labels.len()
        ));
    }
    if let Some(row) = amounts.iter().position(|a| !a.is_finite() || *a < 0.0) {
        return invalid(format!("amount at row {row} is {}", amounts[row]));
    }
    if threshold.is_nan() {
        return invalid("threshold is NaN".to_owned());
    }
    let (mut caught, mut total) = (0.0, 0.0);
    for ((&score, &label), &amount) in scores.iter().zip(labels).zip(amounts) {
        if label == 1 {
            total += amount;
            if score >= threshold {
                caught += amount;
            }
        }
    }
    if total <= 0.0 {
        return invalid("the frauds have no amount".to_owned());
    }
    Ok(caught / total)
}
