//! Prediction speed as a scorer sees it: one row at a time (p50 / p99 of
//! single calls) and whole batches (rows per second).

use std::time::Instant;

use serde::Serialize;
use vigie_model::{Dataset, Model};

use crate::error::Result;

/// Measured prediction speed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    /// Median single-row prediction, microseconds.
    pub predict_us_p50: f64,
    /// 99th percentile single-row prediction, microseconds.
    pub predict_us_p99: f64,
    /// Batch prediction throughput, rows per second.
    pub batch_rows_per_second: f64,
}

/// Times `rows` single-row predictions (spread over `data`) and one batch
/// prediction of all of `data`.
pub fn measure(model: &Model, data: &Dataset, rows: usize) -> Result<Latency> {
    let n = data.n_rows();
    let mut row = Vec::with_capacity(data.n_features());
    let mut times = Vec::with_capacity(rows);
    let step = (n / rows.max(1)).max(1);
    let mut sink = 0.0;
    for i in (0..n).step_by(step).take(rows) {
        data.row_into(i, &mut row);
        let start = Instant::now();
        sink += model.predict_proba(std::hint::black_box(&row));
        times.push(start.elapsed().as_secs_f64() * 1e6);
    }
    std::hint::black_box(sink);
    times.sort_by(f64::total_cmp);
    let pct = |q: f64| {
        times
            .get(((times.len() as f64 * q) as usize).min(times.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    let start = Instant::now();
    let scores = model.predict_probas(data)?;
    let seconds = start.elapsed().as_secs_f64();
    std::hint::black_box(scores);
    Ok(Latency {
        predict_us_p50: pct(0.50),
        predict_us_p99: pct(0.99),
        batch_rows_per_second: n as f64 / seconds.max(1e-9),
    })
}
