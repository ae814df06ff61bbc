//! Imbalance-aware evaluation of scores against labels: the ranking
//! metrics, the metrics at a decision threshold chosen beforehand, the
//! investigator's view (card precision top-100 per day) and the money view.

use serde::Serialize;
use vigie_model::DecisionThresholds;
use vigie_model::metrics::{
    PrPoint, RocPoint, average_precision, best_f1_threshold, card_precision_at_k, confusion_at,
    downsample, fraud_amount_caught, pr_curve, recall_at_fpr, roc_auc, roc_curve,
};
use vigie_types::FraudScenario;

use crate::data::LabeledSet;
use crate::error::Result;

/// Metrics of scores on one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// Area under the ROC curve.
    pub auc_roc: f64,
    /// Average precision (area under the precision-recall curve).
    pub average_precision: f64,
    /// Precision at the block threshold.
    pub precision: f64,
    /// Recall at the block threshold.
    pub recall: f64,
    /// F1 at the block threshold.
    pub f1: f64,
    /// The block threshold (chosen on validation).
    pub threshold: f64,
    /// Recall when at most 1 % of legitimate transactions are flagged.
    pub recall_at_1pct_fpr: f64,
    /// Card precision top-100, averaged over days (Fraud Detection Handbook).
    pub card_precision_at_100: f64,
    /// The best card precision top-100 any model could reach on this period
    /// (a day with 3 compromised cards allows 3 %).
    pub card_precision_at_100_max: f64,
    /// Share of the fraud amount flagged at the block threshold, percent.
    pub fraud_amount_caught_pct: f64,
    /// Transactions flagged at the block threshold.
    pub flagged: u64,
    /// Frauds in the period.
    pub frauds: u64,
}

/// Recall per labelled fraud scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioRecall {
    /// The scenario.
    pub scenario: String,
    /// Frauds of that scenario.
    pub frauds: u64,
    /// Of which flagged at the block threshold.
    pub caught: u64,
}

/// Curves for plotting (down-sampled).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Curves {
    /// ROC `(fpr, tpr)`.
    pub roc: Vec<(f64, f64)>,
    /// Precision-recall `(recall, precision)`.
    pub pr: Vec<(f64, f64)>,
}

/// Evaluates `scores` of `set` at `threshold`.
pub fn evaluate(scores: &[f64], set: &LabeledSet, threshold: f64) -> Result<Metrics> {
    let labels = set.dataset.labels();
    let at = confusion_at(scores, labels, threshold)?;
    Ok(Metrics {
        auc_roc: roc_auc(scores, labels)?,
        average_precision: average_precision(scores, labels)?,
        precision: at.precision(),
        recall: at.recall(),
        f1: at.f1(),
        threshold,
        recall_at_1pct_fpr: recall_at_fpr(scores, labels, 0.01)?,
        card_precision_at_100: card_precision_at_k(scores, labels, &set.cards, &set.days, 100)?,
        card_precision_at_100_max: {
            let perfect: Vec<f64> = labels.iter().map(|&l| f64::from(l)).collect();
            card_precision_at_k(&perfect, labels, &set.cards, &set.days, 100)?
        },
        fraud_amount_caught_pct: 100.0
            * fraud_amount_caught(scores, labels, &set.amounts, threshold)?,
        flagged: at.tp + at.fp,
        frauds: at.tp + at.fn_,
    })
}

/// Review and block thresholds chosen on validation scores: block at the
/// best F1, review at the best F2 (recall weighs four times precision),
/// never above the block threshold.
pub fn choose_thresholds(scores: &[f64], set: &LabeledSet) -> Result<DecisionThresholds> {
    let labels = set.dataset.labels();
    let (block, _) = best_f1_threshold(scores, labels)?;
    let mut review = (block, 0.0);
    for p in pr_curve(scores, labels)? {
        let denominator = 4.0 * p.precision + p.recall;
        let f2 = if denominator > 0.0 {
            5.0 * p.precision * p.recall / denominator
        } else {
            0.0
        };
        if f2 > review.1 && p.threshold.is_finite() {
            review = (p.threshold, f2);
        }
    }
    Ok(DecisionThresholds {
        review: review.0.min(block),
        block,
    })
}

/// Recall per fraud scenario (empty when the data names none).
pub fn scenario_recall(scores: &[f64], set: &LabeledSet, threshold: f64) -> Vec<ScenarioRecall> {
    FraudScenario::ALL
        .iter()
        .filter_map(|s| {
            let rows: Vec<usize> = (0..set.len())
                .filter(|&i| set.scenarios[i] == Some(*s))
                .collect();
            (!rows.is_empty()).then(|| ScenarioRecall {
                scenario: s.as_str().to_string(),
                frauds: rows.len() as u64,
                caught: rows.iter().filter(|&&i| scores[i] >= threshold).count() as u64,
            })
        })
        .collect()
}

/// ROC and precision-recall curves, down-sampled to `points`.
pub fn curves(scores: &[f64], set: &LabeledSet, points: usize) -> Result<Curves> {
    let labels = set.dataset.labels();
    let roc: Vec<RocPoint> = downsample(&roc_curve(scores, labels)?, points);
    let pr: Vec<PrPoint> = downsample(&pr_curve(scores, labels)?, points);
    Ok(Curves {
        roc: roc.iter().map(|p| (p.fpr, p.tpr)).collect(),
        pr: pr.iter().map(|p| (p.recall, p.precision)).collect(),
    })
}
