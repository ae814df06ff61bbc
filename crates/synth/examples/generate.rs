//! Generates a data set to a file and reports the speed.
//!
//! ```text
//! cargo run --release -p vigie-synth --example generate -- OUT.csv ROWS [FROM TO SEED [SCENARIOS]]
//! ```
//!
//! `ROWS` sets the number of customers through
//! [`GenerateConfig::customers_for_rows`]; prefix it with `c` (`c1000`) to
//! give the number of customers directly. `SCENARIOS` is a comma-separated
//! list (`classic_episode,card_testing`) or `all`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fs::File;
use std::io::BufWriter;
use std::sync::atomic::{AtomicU64, Ordering};

use vigie_synth::{GenerateConfig, generate};
use vigie_types::{Date, FraudScenario};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, size, rest @ ..] = args.as_slice() else {
        eprintln!("usage: generate OUT.csv ROWS|cCUSTOMERS [FROM TO SEED [SCENARIOS]]");
        std::process::exit(2);
    };
    let mut config = GenerateConfig::default();
    if let [from, to, seed, more @ ..] = rest {
        config.from = Date::parse(from.as_bytes())?;
        config.to = Date::parse(to.as_bytes())?;
        config.seed = seed.parse()?;
        if let [scenarios, ..] = more {
            config.scenarios = if scenarios == "all" {
                FraudScenario::ALL.to_vec()
            } else {
                scenarios
                    .split(',')
                    .map(|s| FraudScenario::parse(s.as_bytes()))
                    .collect::<Result<_, _>>()?
            };
            config.scenario_column = true;
        }
    }
    config.customers = match size.strip_prefix('c') {
        Some(n) => n.parse()?,
        None => GenerateConfig::customers_for_rows(size.parse()?, config.from, config.to),
    };
    let file = BufWriter::with_capacity(1 << 20, File::create(out)?);
    let last = AtomicU64::new(0);
    let progress = |rows: u64| {
        if rows / 5_000_000 > last.load(Ordering::Relaxed) / 5_000_000 {
            eprintln!("  {rows} rows");
        }
        last.store(rows, Ordering::Relaxed);
    };
    let summary = generate(&config, file, &progress)?;
    println!(
        "{} rows ({} fraud) for {} customers in {:.2} s: {:.0} rows/s",
        summary.rows,
        summary.frauds,
        summary.customers,
        summary.seconds,
        summary.rows as f64 / summary.seconds
    );
    println!("by scenario: {:?}", summary.by_scenario);
    Ok(())
}
