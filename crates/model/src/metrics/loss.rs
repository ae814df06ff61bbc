//! Log-loss, the calibration-sensitive metric of predicted probabilities.

use super::ranking::invalid;
use crate::error::Result;

/// Mean negative log-likelihood of the labels under the predicted fraud
/// probabilities: `-(1/n) sum [y ln p + (1 - y) ln(1 - p)]`, natural log,
/// with `p` clipped to `[eps, 1 - eps]`, `eps = f64::EPSILON` (as
/// `sklearn.metrics.log_loss` does for float64 input).
///
/// Errors: mismatched lengths, no rows, a label other than 0/1, or a
/// probability outside `[0, 1]` (or NaN).
pub fn log_loss(probabilities: &[f64], labels: &[u8]) -> Result<f64> {
    if probabilities.len() != labels.len() {
        return invalid(format!(
            "{} probabilities for {} labels",
            probabilities.len(),
            labels.len()
        ));
    }
    if labels.is_empty() {
        return invalid("log-loss needs at least one row".to_owned());
    }
    if let Some(row) = labels.iter().position(|&l| l > 1) {
        return invalid(format!("label at row {row} is {}", labels[row]));
    }
    if let Some(row) = probabilities.iter().position(|p| !(0.0..=1.0).contains(p)) {
        return invalid(format!(
            "probability at row {row} is {}",
            probabilities[row]
        ));
    }
    let eps = f64::EPSILON;
    let total: f64 = probabilities
        .iter()
        .zip(labels)
        .map(|(&p, &label)| {
            let p = p.clamp(eps, 1.0 - eps);
            if label == 1 { -p.ln() } else { -(1.0 - p).ln() }
        })
        .sum();
    Ok(total / labels.len() as f64)
}
