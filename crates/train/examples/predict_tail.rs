//! Where the single-row prediction tail comes from: times the same rows in
//! several passes and says whether the slow calls are the same rows (the
//! model's work) or different ones (the machine's interruptions).
//!
//! cargo run --release -p vigie-train --example predict_tail -- MODEL.vmodel FEATURES.parquet

use std::time::Instant;

mod common;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (artifact, rows) = common::model_and_rows(&args[1], &args[2], 20_000)?;
    let passes: Vec<Vec<f64>> = (0..5)
        .map(|_| {
            rows.iter()
                .map(|row| {
                    let t = Instant::now();
                    std::hint::black_box(artifact.model.predict_proba(std::hint::black_box(row)));
                    t.elapsed().as_secs_f64() * 1e6
                })
                .collect()
        })
        .collect();
    let slowest = |times: &[f64]| {
        let mut order: Vec<usize> = (0..times.len()).collect();
        order.sort_by(|&a, &b| times[b].total_cmp(&times[a]));
        order.truncate(times.len() / 100);
        order
    };
    let first_slow: std::collections::HashSet<usize> = slowest(&passes[1]).into_iter().collect();
    #[allow(clippy::print_stdout)]
    for (p, times) in passes.iter().enumerate() {
        let mut sorted = times.clone();
        sorted.sort_by(f64::total_cmp);
        let q = |x: f64| sorted[((sorted.len() as f64 * x) as usize).min(sorted.len() - 1)];
        let shared = slowest(times)
            .iter()
            .filter(|i| first_slow.contains(i))
            .count();
        println!(
            "pass {p}: p50 {:.2} us p90 {:.2} p99 {:.2} p99.9 {:.2} max {:.1}; slowest 1% shared with pass 1: {shared}/{}",
            q(0.5),
            q(0.9),
            q(0.99),
            q(0.999),
            sorted[sorted.len() - 1],
            times.len() / 100
        );
    }
    Ok(())
}
