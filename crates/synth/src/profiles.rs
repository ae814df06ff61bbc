//! Spending profiles: who buys what, how much, how often and when.
//!
//! A customer's profile is fixed by gender x age band (<25, 25-50, 50+) x
//! urban/rural (city population above/below 2,500), as in the public
//! generator. Each profile sets a range of transactions per day, the share of
//! purchases made in the morning, category weights and a gamma amount
//! distribution (mean, standard deviation) per category. The numbers were
//! calibrated against the reference data (see docs/data-generator.md).
//!
//! Fraud profiles (one per age band) replace a profile during a classic fraud
//! episode: their own category weights and much more extreme amounts.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma};
use vigie_types::{Category, Gender};

use crate::error::{Result, SynthError};
use crate::profile_data::{FRAUD_WEIGHTS, SPECS, Spec, fraud_amounts};

/// Age band of a cardholder at the start of the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Band {
    /// Under 25.
    Young = 0,
    /// 25 to 49.
    Adult = 1,
    /// 50 and over.
    Senior = 2,
}

impl Band {
    /// The band of an age in whole years.
    pub fn of_age(years: i32) -> Self {
        match years {
            ..25 => Self::Young,
            25..50 => Self::Adult,
            _ => Self::Senior,
        }
    }
}

/// Index of the profile of a gender x band x rural combination.
pub(crate) fn profile_index(gender: Gender, band: Band, rural: bool) -> usize {
    let g = match gender {
        Gender::Female => 0,
        Gender::Male => 1,
    };
    band as usize * 4 + g * 2 + usize::from(rural)
}

/// A profile ready to sample from.
#[derive(Debug, Clone)]
pub(crate) struct Profile {
    /// Range of the customer's whole number of transactions per day.
    pub rate: (u32, u32),
    /// Probability that a purchase is made in the morning (00:00-11:59).
    pub am_share: f64,
    cumulative: [f64; 14],
    means: [f64; 14],
    gammas: Vec<Gamma<f64>>,
}

impl Profile {
    fn build(what: &str, spec: &Spec) -> Result<Self> {
        let total: f64 = spec.weights.iter().sum();
        let mut cumulative = [0.0; 14];
        let mut acc = 0.0;
        for (slot, w) in cumulative.iter_mut().zip(&spec.weights) {
            acc += w / total;
            *slot = acc;
        }
        cumulative[13] = 1.0;
        let gammas = (0..14)
            .map(|i| {
                let (mean, sd) = (spec.means[i], spec.sds[i]);
                Gamma::new(mean * mean / (sd * sd), sd * sd / mean).map_err(|e| {
                    SynthError::Distribution {
                        what: format!("{what} {}", Category::ALL[i]),
                        message: e.to_string(),
                    }
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            rate: spec.rate,
            am_share: spec.am_share,
            cumulative,
            means: spec.means,
            gammas,
        })
    }

    /// Draws a category.
    pub fn category(&self, rng: &mut ChaCha8Rng) -> Category {
        let u: f64 = rng.random();
        let i = self.cumulative.iter().position(|&c| u < c).unwrap_or(13);
        Category::ALL[i]
    }

    /// Draws an amount in cents for `category`; draws below 1.00 are redrawn
    /// uniformly in 1.00 .. 10.00, as the public generator does.
    pub fn amount_cents(&self, category: Category, rng: &mut ChaCha8Rng) -> i64 {
        let mut x = self.gammas[category.index()].sample(rng);
        if !x.is_finite() || x < 1.0 {
            x = rng.random_range(1.0..10.0);
        }
        ((x * 100.0).round() as i64).clamp(100, MAX_AMOUNT_CENTS)
    }

    /// Mean amount of `category`, in currency units.
    pub fn mean_amount(&self, category: Category) -> f64 {
        self.means[category.index()]
    }

    /// Whether a purchase happens in the morning.
    pub fn morning(&self, rng: &mut ChaCha8Rng) -> bool {
        rng.random::<f64>() < self.am_share
    }
}

/// Largest amount ever generated: 30,000.00, like the reference data.
pub(crate) const MAX_AMOUNT_CENTS: i64 = 3_000_000;

/// Every profile, built once per run.
#[derive(Debug, Clone)]
pub(crate) struct Profiles {
    /// Normal behaviour, in [`profile_index`] order.
    pub legit: Vec<Profile>,
    /// Classic-episode behaviour, by [`Band`].
    pub fraud: Vec<Profile>,
}

impl Profiles {
    /// Builds the samplers from the embedded tables.
    pub fn new() -> Result<Self> {
        let legit = SPECS
            .iter()
            .enumerate()
            .map(|(i, spec)| Profile::build(&format!("profile {i}"), spec))
            .collect::<Result<Vec<_>>>()?;
        let fraud = (0..3)
            .map(|band| {
                let (means, sds) = fraud_amounts(band);
                let spec = Spec {
                    rate: (0, 0),
                    am_share: 0.5,
                    weights: FRAUD_WEIGHTS[band],
                    means,
                    sds,
                };
                Profile::build(&format!("fraud profile {band}"), &spec)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { legit, fraud })
    }
}

/// Age at the start of the period: (lowest, highest, share %) per bracket,
/// following the cardholders of the real Kaggle rows.
pub(crate) const AGE_BRACKETS: [(i32, i32, f64); 7] = [
    (14, 18, 1.3),
    (18, 25, 7.4),
    (25, 35, 21.1),
    (35, 50, 28.4),
    (50, 65, 24.6),
    (65, 80, 11.5),
    (80, 93, 5.7),
];

/// `ln(city_pop)` is normal with this mean and standard deviation (real
/// Kaggle rows: about half the cardholders live in places under 2,500).
pub(crate) const CITY_POP_LOG_MEAN: f64 = 7.9;
/// See [`CITY_POP_LOG_MEAN`].
pub(crate) const CITY_POP_LOG_SD: f64 = 2.4;
/// Smallest and largest city populations generated.
pub(crate) const CITY_POP_RANGE: (f64, f64) = (23.0, 2_906_700.0);

/// Standard normal CDF (Abramowitz & Stegun 7.1.26, error below 1.5e-7).
fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// Expected average transactions per day of a random customer (profile mix
/// weighted by the demographic tables above).
pub(crate) fn expected_rate() -> f64 {
    let rural = normal_cdf((2500f64.ln() - CITY_POP_LOG_MEAN) / CITY_POP_LOG_SD);
    let total: f64 = AGE_BRACKETS.iter().map(|b| b.2).sum();
    let mut rate = 0.0;
    for &(lo, _, share) in &AGE_BRACKETS {
        let band = Band::of_age(lo);
        for gender in [Gender::Female, Gender::Male] {
            for (is_rural, p) in [(false, 1.0 - rural), (true, rural)] {
                let spec = &SPECS[profile_index(gender, band, is_rural)];
                rate += share / total * 0.5 * p * f64::from(spec.rate.0 + spec.rate.1) / 2.0;
            }
        }
    }
    rate
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn tables_build_and_sample_sensibly() {
        let profiles = Profiles::new().unwrap();
        assert_eq!(profiles.legit.len(), 12);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let p = &profiles.legit[profile_index(Gender::Female, Band::Adult, false)];
        let n = 20_000;
        let mean = (0..n)
            .map(|_| p.amount_cents(Category::GroceryPos, &mut rng) as f64 / 100.0)
            .sum::<f64>()
            / f64::from(n);
        assert!((mean - 200.0).abs() < 3.0, "{mean}");
        let fraud = &profiles.fraud[Band::Adult as usize];
        let cents = fraud.amount_cents(Category::ShoppingNet, &mut rng);
        assert!(cents > 50_000, "{cents}");
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.96) - 0.975).abs() < 1e-3);
        let rate = expected_rate();
        assert!((2.0..3.5).contains(&rate), "{rate}");
    }
}
