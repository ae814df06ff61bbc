//! What to generate.

use serde::{Deserialize, Serialize};
use vigie_types::{Date, FraudScenario};

use crate::calendar::Calendar;
use crate::error::{Result, SynthError};
use crate::profiles::expected_rate;

/// Most customers accepted: a busiest day of a million customers already
/// holds about 7 million transactions in memory per worker thread.
pub const MAX_CUSTOMERS: u32 = 1_000_000;
/// Longest period accepted, in days (about 30 years).
pub const MAX_DAYS: i32 = 10_958;
/// Earliest first day accepted.
const MIN_YEAR: i32 = 1900;
/// Latest last day accepted.
const MAX_YEAR: i32 = 2200;

/// What to generate: how many customers, over which days, with which seed
/// and which fraud scenarios.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenerateConfig {
    /// Number of cardholders (one card each).
    pub customers: u32,
    /// First day, inclusive.
    pub from: Date,
    /// Last day, inclusive.
    pub to: Date,
    /// Seed: the same configuration and seed always give the same bytes.
    pub seed: u64,
    /// Which fraud patterns to inject (default: the classic episode only).
    /// An empty list gives genuine transactions only.
    pub scenarios: Vec<FraudScenario>,
    /// Write the `fraud_scenario` column (empty for genuine rows).
    pub scenario_column: bool,
    /// Stop after exactly this many rows (the output stays in time order).
    pub max_rows: Option<u64>,
}

impl Default for GenerateConfig {
    /// 1,000 customers over 2019-01-01 ..= 2020-12-31, seed 0, classic
    /// episodes only: the shape of the public Kaggle data.
    fn default() -> Self {
        Self {
            customers: 1000,
            from: Date::from_days_since_epoch(17_897),
            to: Date::from_days_since_epoch(18_627),
            seed: 0,
            scenarios: vec![FraudScenario::ClassicEpisode],
            scenario_column: false,
            max_rows: None,
        }
    }
}

impl GenerateConfig {
    /// Checks the configuration, reporting every problem at once.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        if self.customers == 0 {
            problems.push("customers must be at least 1".to_string());
        }
        if self.customers > MAX_CUSTOMERS {
            problems.push(format!(
                "customers must be at most {MAX_CUSTOMERS}, found {}",
                self.customers
            ));
        }
        if self.from > self.to {
            problems.push(format!(
                "the first day ({}) is after the last day ({})",
                self.from, self.to
            ));
        } else if self.to.days_since_epoch() - self.from.days_since_epoch() >= MAX_DAYS {
            problems.push(format!(
                "the period {} ..= {} is longer than {MAX_DAYS} days",
                self.from, self.to
            ));
        }
        if self.from.ymd().0 < MIN_YEAR {
            problems.push(format!(
                "the first day ({}) is before {MIN_YEAR}",
                self.from
            ));
        }
        if self.to.ymd().0 > MAX_YEAR {
            problems.push(format!("the last day ({}) is after {MAX_YEAR}", self.to));
        }
        for (i, s) in self.scenarios.iter().enumerate() {
            if self.scenarios[..i].contains(s) {
                problems.push(format!("scenario {s} is listed more than once"));
            }
        }
        if self.max_rows == Some(0) {
            problems.push("max_rows must be at least 1 when given".to_string());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(SynthError::InvalidConfig { problems })
        }
    }

    /// Customers needed so that the period holds about `rows` transactions
    /// (at least 1). Uses the expected transactions per day of the profile
    /// mix and the day-of-week and season weights of the period.
    pub fn customers_for_rows(rows: u64, from: Date, to: Date) -> u32 {
        if from > to {
            return 1;
        }
        let per_customer = expected_rate() * Calendar::new(from, to).total_factor();
        let needed = (rows as f64 / per_customer.max(1e-9)).ceil();
        needed.clamp(1.0, f64::from(MAX_CUSTOMERS)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        Date::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn every_problem_is_reported() {
        let config = GenerateConfig {
            customers: 0,
            from: date("2020-01-02"),
            to: date("2020-01-01"),
            scenarios: vec![FraudScenario::CardTesting, FraudScenario::CardTesting],
            max_rows: Some(0),
            ..GenerateConfig::default()
        };
        let Err(SynthError::InvalidConfig { problems }) = config.validate() else {
            panic!("expected an invalid configuration");
        };
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(GenerateConfig::default().validate().is_ok());
        assert_eq!(GenerateConfig::default().from, date("2019-01-01"));
        assert_eq!(GenerateConfig::default().to, date("2020-12-31"));
    }

    #[test]
    fn customers_for_rows_scales() {
        let (from, to) = (date("2019-01-01"), date("2020-12-31"));
        let n = GenerateConfig::customers_for_rows(21_000_000, from, to);
        assert!((9_000..14_000).contains(&n), "{n}");
        assert_eq!(GenerateConfig::customers_for_rows(0, from, to), 1);
    }
}
