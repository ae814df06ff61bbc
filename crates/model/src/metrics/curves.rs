//! ROC and precision-recall curves through every distinct threshold, and a
//! down-sampler that keeps a curve's shape in at most N points for plotting.

use serde::{Deserialize, Serialize};

use super::ranking::Ranking;
use crate::error::Result;

/// A point of a curve in the unit square, for [`downsample`].
pub trait CurvePoint {
    /// The point's `(x, y)` coordinates.
    fn xy(&self) -> (f64, f64);
}

/// One point of the ROC curve: flagging `score >= threshold` gives this
/// false-positive rate and true-positive rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RocPoint {
    /// The decision threshold (`+inf` for the first point, nothing flagged).
    pub threshold: f64,
    /// False-positive rate, `fp / negatives`.
    pub fpr: f64,
    /// True-positive rate (recall), `tp / positives`.
    pub tpr: f64,
}

impl CurvePoint for RocPoint {
    fn xy(&self) -> (f64, f64) {
        (self.fpr, self.tpr)
    }
}

/// One point of the precision-recall curve: flagging `score >= threshold`
/// gives this recall and precision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PrPoint {
    /// The decision threshold.
    pub threshold: f64,
    /// `tp / positives`.
    pub recall: f64,
    /// `tp / (tp + fp)`.
    pub precision: f64,
}

impl CurvePoint for PrPoint {
    fn xy(&self) -> (f64, f64) {
        (self.recall, self.precision)
    }
}

/// The ROC curve: `(+inf, 0, 0)` then one point per distinct score, from the
/// highest threshold down to the lowest, which flags everything `(1, 1)`.
/// No point is dropped (unlike scikit-learn's `drop_intermediate=True`); use
/// [`downsample`] to plot.
///
/// Errors: mismatched lengths, a label other than 0/1, a NaN score, or a
/// single class.
pub fn roc_curve(scores: &[f64], labels: &[u8]) -> Result<Vec<RocPoint>> {
    let ranking = Ranking::new(scores, labels)?;
    ranking.require_positives("the ROC curve")?;
    ranking.require_negatives("the ROC curve")?;
    let (positives, negatives) = (ranking.positives as f64, ranking.negatives as f64);
    let first = RocPoint {
        threshold: f64::INFINITY,
        fpr: 0.0,
        tpr: 0.0,
    };
    let rest = ranking.points().map(|(threshold, tp, fp)| RocPoint {
        threshold,
        fpr: fp as f64 / negatives,
        tpr: tp as f64 / positives,
    });
    Ok(std::iter::once(first).chain(rest).collect())
}

/// The precision-recall curve: one point per distinct score, from the
/// highest threshold (lowest recall) down to the lowest (recall 1).
/// scikit-learn's `precision_recall_curve` returns the same points in
/// reverse order plus an artificial `(recall 0, precision 1)` end, which is
/// not added here.
///
/// Errors: mismatched lengths, a label other than 0/1, a NaN score, or no
/// positive label.
pub fn pr_curve(scores: &[f64], labels: &[u8]) -> Result<Vec<PrPoint>> {
    let ranking = Ranking::new(scores, labels)?;
    ranking.require_positives("the precision-recall curve")?;
    let positives = ranking.positives as f64;
    Ok(ranking
        .points()
        .map(|(threshold, tp, fp)| PrPoint {
            threshold,
            recall: tp as f64 / positives,
            precision: tp as f64 / (tp + fp) as f64,
        })
        .collect())
}

/// At most `max_points` points of `points`, in order, spread evenly along the
/// curve's length (so steep and flat stretches are both drawn), always
/// keeping the first and last points. Returns a copy when the curve is
/// already small enough; `max_points == 1` keeps the first point only.
pub fn downsample<P: CurvePoint + Clone>(points: &[P], max_points: usize) -> Vec<P> {
    if points.len() <= max_points {
        return points.to_vec();
    }
    if max_points < 2 {
        return points.iter().take(max_points).cloned().collect();
    }
    // Cumulative length of the polyline at each point.
    let mut cumulative = Vec::with_capacity(points.len());
    let mut length = 0.0;
    let mut previous = points[0].xy();
    for point in points {
        let (x, y) = point.xy();
        length += (x - previous.0).hypot(y - previous.1);
        cumulative.push(length);
        previous = (x, y);
    }
    let last = points.len() - 1;
    let mut kept = Vec::with_capacity(max_points);
    kept.push(0usize);
    let mut cursor = 0usize;
    for step in 1..max_points - 1 {
        let target = length * step as f64 / (max_points - 1) as f64;
        while cursor < last && cumulative[cursor] < target {
            cursor += 1;
        }
        let previous_kept = kept.last().copied().unwrap_or(0);
        if cursor > previous_kept && cursor < last {
            kept.push(cursor);
        }
    }
    kept.push(last);
    kept.into_iter().map(|i| points[i].clone()).collect()
}
