//! How busy each day is: day-of-week and season weights.
//!
//! A customer's expected number of transactions on a day is their profile
//! rate times [`Calendar::factor`]: the day's weight divided by the mean weight of a
//! canonical year, so the rate is the average over a whole year whatever
//! period is generated.

use vigie_types::Date;

/// Weights Monday ..= Sunday, as in the public generator's profiles.
const WEEKDAY_WEIGHTS: [f64; 7] = [80.0, 90.0, 100.0, 100.0, 150.0, 175.0, 175.0];

/// Season weight of a calendar day: holidays (11-30 ..= 12-31) 200,
/// post-holidays (01-01 ..= 02-28) 75, summer (05-24 ..= 09-01) 125, else 100.
fn season_weight(month: u32, day: u32) -> f64 {
    match (month, day) {
        (11, 30) | (12, _) => 200.0,
        (1, _) | (2, 1..=28) => 75.0,
        (5, 24..) | (6..=8, _) | (9, 1) => 125.0,
        _ => 100.0,
    }
}

/// The raw weight of a date.
fn day_weight(date: Date) -> f64 {
    let (_, month, day) = date.ymd();
    WEEKDAY_WEIGHTS[date.weekday() as usize] * season_weight(month, day)
}

/// The mean weight of a canonical (non-leap) year.
fn mean_weight() -> f64 {
    let weekday = WEEKDAY_WEIGHTS.iter().sum::<f64>() / 7.0;
    // 2019 is any non-leap year: only month and day matter here.
    let start = Date::from_days_since_epoch(17_897);
    let season = (0..365)
        .map(|i| {
            let (_, m, d) = start.add_days(i).ymd();
            season_weight(m, d)
        })
        .sum::<f64>()
        / 365.0;
    weekday * season
}

/// Day factors for a period, precomputed once per run.
#[derive(Debug, Clone)]
pub(crate) struct Calendar {
    /// The first day.
    pub from: Date,
    /// `factors[i]` is the activity factor of `from + i` (mean 1 over a year).
    pub factors: Vec<f64>,
}

impl Calendar {
    /// Computes the factors of `from ..= to` (which must be ordered).
    pub fn new(from: Date, to: Date) -> Self {
        let mean = mean_weight();
        let days = (to.days_since_epoch() - from.days_since_epoch() + 1).max(0);
        let factors = (0..days)
            .map(|i| day_weight(from.add_days(i)) / mean)
            .collect();
        Self { from, factors }
    }

    /// Number of days in the period.
    pub fn days(&self) -> u32 {
        self.factors.len() as u32
    }

    /// The date of day index `day`.
    pub fn date(&self, day: u32) -> Date {
        self.from.add_days(day as i32)
    }

    /// Activity factor of day index `day`.
    pub fn factor(&self, day: u32) -> f64 {
        self.factors[day as usize]
    }

    /// Sum of the factors: expected transactions of a rate-1 customer.
    pub fn total_factor(&self) -> f64 {
        self.factors.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_averages_to_one_and_saturday_beats_monday() {
        let from = Date::parse(b"2019-01-01").unwrap();
        let cal = Calendar::new(from, Date::parse(b"2019-12-31").unwrap());
        assert_eq!(cal.days(), 365);
        assert!((cal.total_factor() / 365.0 - 1.0).abs() < 0.01);
        // 2019-03-04 is a Monday, 2019-03-09 a Saturday.
        let mon = Date::parse(b"2019-03-04").unwrap();
        let sat = Date::parse(b"2019-03-09").unwrap();
        assert!((day_weight(sat) / day_weight(mon) - 175.0 / 80.0).abs() < 1e-9);
        assert_eq!(season_weight(12, 24), 200.0);
        assert_eq!(season_weight(2, 29), 100.0);
        assert_eq!(season_weight(7, 4), 125.0);
    }
}
