//! One module per command.

pub mod demo;
mod demo_serve;
mod demo_split;
pub mod features;
pub mod generate;
pub mod ingest;
pub mod keys;
pub mod mlflow;
pub mod models;
pub mod registry;
pub mod replay;
pub mod runs;
pub mod serve;
pub mod stream;
pub mod stream_decisions;
pub mod stream_score;
pub mod train;

/// Formats a count with thousands separators (1,233,811).
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Prints one JSON object on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    #[allow(clippy::print_stdout)]
    {
        println!("{}", serde_json::to_string(value)?);
    }
    Ok(())
}
