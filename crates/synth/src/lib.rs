//! Vigie's synthetic transaction generator (layer L1, beside ingestion).
//!
//! It writes card transactions in the Kaggle `fraudTrain.csv` layout (through
//! [`vigie_ingest::kaggle::write_row`], so the reader accepts every row), with
//! an optional `fraud_scenario` column, behaving like the public Sparkov data
//! users bring: customers with a profile by gender x age band x urban/rural,
//! purchases weighted by day of week and season, and labelled fraud. Besides
//! the public generator's classic fraud episode it can inject card testing,
//! account takeover and compromised-merchant attacks. See
//! `docs/data-generator.md` for the model and its calibration.
//!
//! Invariants:
//! - the output depends only on the configuration and the seed, never on the
//!   number of threads: every customer and every customer-day draws from its
//!   own ChaCha8 stream, and same-second rows are ordered by customer, then
//!   by draw order;
//! - rows are in time order and the index column counts 0, 1, 2, ...;
//!   `unix_time` equals the event time, as in the generator's own files;
//! - every value is built through its `vigie_types` checked constructor:
//!   Luhn-valid card numbers of 11 to 19 digits, unique 128-bit `trans_num`,
//!   positive amounts in cents, coordinates in range, ages under 100;
//! - memory is bounded by a few days of transactions, whatever the size.

mod calendar;
mod config;
mod customers;
mod day;
mod error;
mod merchants;
mod names;
mod pipeline;
mod places;
mod profile_data;
mod profiles;
mod rng;
mod scenarios;

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

use serde::Serialize;

pub use config::{GenerateConfig, MAX_CUSTOMERS, MAX_DAYS};
pub use error::{Result, SynthError};
pub use scenarios::{
    ACCOUNT_TAKEOVER_SHARE, CARD_TESTING_SHARE, CARDS_PER_COMPROMISED_MERCHANT,
    CLASSIC_EPISODE_HORIZON_DAYS, CLASSIC_EPISODE_SHARE, COMPROMISED_MERCHANT_SHARE,
    TAKEOVER_MIN_KM,
};

use crate::calendar::Calendar;
use crate::day::World;
use crate::merchants::Merchants;
use crate::profiles::Profiles;
use crate::rng::Seeds;

/// What a run produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenerateSummary {
    /// Rows written (header excluded).
    pub rows: u64,
    /// Rows labelled fraud.
    pub frauds: u64,
    /// Customers generated.
    pub customers: u32,
    /// Fraud rows per scenario name, for every selected scenario.
    pub by_scenario: BTreeMap<String, u64>,
    /// Wall-clock duration of the run.
    pub seconds: f64,
}

/// Generates the configured data set into `out` (header first), calling
/// `progress` with the number of rows written so far after each chunk of a
/// few thousand rows.
#[tracing::instrument(skip_all, fields(customers = config.customers, seed = config.seed))]
pub fn generate<W: Write + Send>(
    config: &GenerateConfig,
    out: W,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<GenerateSummary> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    generate_with_workers(config, out, progress, workers)
}

/// [`generate`] with a given number of worker threads.
fn generate_with_workers<W: Write + Send>(
    config: &GenerateConfig,
    out: W,
    progress: &(dyn Fn(u64) + Sync),
    workers: usize,
) -> Result<GenerateSummary> {
    let started = Instant::now();
    config.validate()?;
    let world = build_world(config)?;
    let written = pipeline::run(
        &world,
        config.scenario_column,
        config.max_rows,
        out,
        progress,
        workers,
    )?;
    let by_scenario = written
        .frauds
        .iter()
        .enumerate()
        .map(|(slot, &n)| (pipeline::scenario_of(slot), n))
        .filter(|(s, n)| config.scenarios.contains(s) || *n > 0)
        .map(|(s, n)| (s.as_str().to_string(), n))
        .collect();
    let summary = GenerateSummary {
        rows: written.rows,
        frauds: written.frauds.iter().sum(),
        customers: config.customers,
        by_scenario,
        seconds: started.elapsed().as_secs_f64(),
    };
    tracing::info!(
        rows = summary.rows,
        frauds = summary.frauds,
        seconds = summary.seconds,
        "generated"
    );
    Ok(summary)
}

/// Draws the customers and their fraud plans.
fn build_world(config: &GenerateConfig) -> Result<World> {
    let seeds = Seeds::new(config.seed);
    let profiles = Profiles::new()?;
    let calendar = Calendar::new(config.from, config.to);
    let customers =
        customers::generate(config.customers, config.from, config.to, &seeds, &profiles)?;
    let (plans, events) = scenarios::plan(&config.scenarios, &customers, &calendar, &seeds);
    Ok(World {
        customers,
        plans,
        events,
        profiles,
        merchants: Merchants::new(),
        calendar,
        seeds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_types::{Date, FraudScenario};

    #[test]
    fn output_does_not_depend_on_the_number_of_threads() {
        let from = Date::parse(b"2019-11-25").unwrap();
        let config = GenerateConfig {
            customers: 120,
            from,
            to: from.add_days(12),
            seed: 99,
            scenarios: FraudScenario::ALL.to_vec(),
            scenario_column: true,
            max_rows: None,
        };
        let run = |workers| {
            let mut out = Vec::new();
            let summary = generate_with_workers(&config, &mut out, &|_| {}, workers).unwrap();
            (out, summary.rows)
        };
        let (one, rows) = run(1);
        assert!(rows > 1000);
        for workers in [2, 3, 5] {
            assert!(run(workers).0 == one, "{workers} workers differ from one");
        }
    }
}
