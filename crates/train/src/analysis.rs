//! Error analysis of a model on the test period: which frauds it misses and
//! which legitimate transactions it flags, by category, amount, time of day
//! and fraud scenario.

use std::collections::BTreeMap;

use serde::Serialize;
use vigie_model::Model;
use vigie_types::Category;

use crate::data::LabeledSet;
use crate::error::Result;

/// Counts of errors by slice.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ErrorAnalysis {
    /// Frauds not flagged, and all frauds, per slice.
    pub missed_frauds: BTreeMap<String, (u64, u64)>,
    /// Legitimate transactions flagged, and all legitimate ones, per slice.
    pub false_alarms: BTreeMap<String, (u64, u64)>,
}

fn amount_band(amount: f64) -> &'static str {
    match amount {
        a if a < 10.0 => "amount < 10",
        a if a < 100.0 => "amount 10-100",
        a if a < 500.0 => "amount 100-500",
        _ => "amount >= 500",
    }
}

fn slices(set: &LabeledSet, i: usize) -> Vec<String> {
    let category = Category::ALL
        .get(usize::from(set.categories[i]))
        .map_or("?", |c| c.as_str());
    let hour = set.hours[i];
    let mut out = vec![
        format!("category {category}"),
        amount_band(set.amounts[i]).to_string(),
        if !(4..22).contains(&hour) {
            "night (22:00-03:59)".to_string()
        } else {
            "day (04:00-21:59)".to_string()
        },
    ];
    if let Some(s) = set.scenarios[i] {
        out.push(format!("scenario {}", s.as_str()));
    }
    out
}

/// Counts missed frauds and false alarms of `model` on `set` at `threshold`.
pub fn analyse_errors(model: &Model, set: &LabeledSet, threshold: f64) -> Result<ErrorAnalysis> {
    let scores = model.predict_probas(&set.dataset)?;
    let labels = set.dataset.labels();
    let mut analysis = ErrorAnalysis::default();
    for i in 0..set.len() {
        let flagged = scores[i] >= threshold;
        let (table, error) = if labels[i] == 1 {
            (&mut analysis.missed_frauds, !flagged)
        } else {
            (&mut analysis.false_alarms, flagged)
        };
        for slice in slices(set, i) {
            let entry = table.entry(slice).or_insert((0, 0));
            entry.0 += u64::from(error);
            entry.1 += 1;
        }
    }
    Ok(analysis)
}
