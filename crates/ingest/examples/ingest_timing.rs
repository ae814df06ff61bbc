//! Times one ingestion: `cargo run --release -p vigie-ingest --example ingest_timing -- FILE OUT_DIR [THREADS]`.
#![allow(clippy::print_stdout, clippy::unwrap_used, missing_docs)]
use std::path::PathBuf;
use vigie_ingest::{IngestOutputs, ReadOptions, ingest_file};
use vigie_types::{TokenKey, Tokenizer};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = PathBuf::from(&args[2]);
    let mut options = ReadOptions::default();
    if let Some(t) = args.get(3) {
        options.threads = t.parse().unwrap();
    }
    let tok = Tokenizer::new(&TokenKey::generate(1).unwrap());
    let outputs = IngestOutputs {
        parquet: out.join("t.parquet"),
        quarantine: out.join("q.csv"),
    };
    if std::env::var_os("NOSINK").is_some() {
        let t = std::time::Instant::now();
        let s = vigie_ingest::read_file(args[1].as_ref(), &tok, &options, &|_| {}, &mut |_| Ok(()))
            .unwrap();
        println!(
            "read only: {} rows in {:.3} s",
            s.rows_read,
            t.elapsed().as_secs_f64()
        );
        return;
    }
    let report = ingest_file(args[1].as_ref(), &outputs, &tok, &options, &[], &|_| {}).unwrap();
    println!(
        "{} rows, {} accepted, {:.3} s",
        report.summary.rows_read, report.summary.accepted, report.seconds
    );
}
