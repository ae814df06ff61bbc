//! Times single-row prediction and explanation of a saved model artifact
//! on rows of a feature file.
//!
//! cargo run --release -p vigie-train --example explain_timing -- MODEL.vmodel FEATURES.parquet

mod common;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (artifact, rows) = common::model_and_rows(&args[1], &args[2], 5_000)?;
    let (mut predict, mut explain) = (Vec::new(), Vec::new());
    for row in &rows {
        let t = std::time::Instant::now();
        std::hint::black_box(artifact.model.predict_proba(row));
        predict.push(t.elapsed().as_secs_f64() * 1e6);
        let t = std::time::Instant::now();
        std::hint::black_box(artifact.model.explain(row));
        explain.push(t.elapsed().as_secs_f64() * 1e6);
    }
    for (name, mut v) in [("predict", predict), ("explain", explain)] {
        v.sort_by(f64::total_cmp);
        let q = |p: f64| v[((v.len() as f64 * p) as usize).min(v.len() - 1)];
        #[allow(clippy::print_stdout)]
        {
            println!(
                "{name}: p50 {:.1} us, p99 {:.1} us over {} rows",
                q(0.5),
                q(0.99),
                v.len()
            );
        }
    }
    Ok(())
}
