//! Cardholders: identity, address, card number and spending profile.

use std::collections::HashSet;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use vigie_types::{CardNumber, Date, Gender, GeoPoint};

use crate::error::{Result, SynthError, invalid};
use crate::names::{FIRST_FEMALE, FIRST_MALE, JOBS, LAST, STREET_NAMES, STREET_SUFFIXES};
use crate::places::{city_name, pick_state};
use crate::profiles::{
    AGE_BRACKETS, Band, CITY_POP_LOG_MEAN, CITY_POP_LOG_SD, CITY_POP_RANGE, Profiles, profile_index,
};
use crate::rng::{Purpose, Seeds, round_to};

/// One cardholder, with everything written on each of their rows.
#[derive(Debug)]
pub(crate) struct Customer {
    pub card: CardNumber,
    pub first: &'static str,
    pub last: &'static str,
    pub gender: Gender,
    pub street: String,
    pub city: String,
    pub state: &'static str,
    pub zip: u32,
    pub home: GeoPoint,
    pub city_pop: u32,
    pub job: &'static str,
    pub birth_date: Date,
    /// Age band at the start of the period.
    pub band: Band,
    /// Index into [`Profiles::legit`].
    pub profile: usize,
    /// Average transactions per day over a year: a whole number drawn
    /// uniformly in the profile's range, as the public generator does.
    pub rate: f64,
}

/// Card networks as (share %, length, prefixes). Lengths and prefixes follow
/// the mix of the reference files: half 16-digit, then 15, 14, 19, 13, 12, 11.
const NETWORKS: &[(f64, usize, &[&str])] = &[
    (16.0, 16, &["4"]),                                     // Visa
    (8.0, 16, &["51", "52", "53", "54", "55"]),             // Mastercard
    (4.0, 16, &["2221", "2300", "2500", "2720"]),           // Mastercard 2-series
    (6.0, 16, &["6011", "65", "644"]),                      // Discover
    (16.0, 16, &["3528", "3530", "3540", "3560", "3589"]),  // JCB
    (9.0, 15, &["34", "37"]),                               // American Express
    (7.0, 15, &["2131", "1800"]),                           // JCB 15-digit
    (10.0, 14, &["30", "36", "38"]),                        // Diners Club
    (9.0, 19, &["4"]),                                      // Visa 19-digit
    (7.0, 13, &["4"]),                                      // Visa 13-digit
    (7.0, 12, &["50", "56", "57", "58", "60", "63", "67"]), // Maestro-like
    (1.0, 11, &["50", "60", "67"]),                         // short Maestro-like
];

/// Draws a Luhn-valid card number not in `taken`.
fn card_number(rng: &mut ChaCha8Rng, taken: &mut HashSet<(usize, u64)>) -> Result<CardNumber> {
    let total: f64 = NETWORKS.iter().map(|n| n.0).sum();
    loop {
        let mut u = rng.random::<f64>() * total;
        let &(_, len, prefixes) = NETWORKS
            .iter()
            .find(|n| {
                let hit = u < n.0;
                u -= n.0;
                hit
            })
            .unwrap_or(&NETWORKS[0]);
        let mut body: Vec<u8> = prefixes[rng.random_range(0..prefixes.len())]
            .bytes()
            .collect();
        while body.len() < len - 1 {
            body.push(b'0' + rng.random_range(0..10u8));
        }
        let card = CardNumber::with_check_digit(&body).map_err(invalid("card number"))?;
        let value = card.expose_digits().iter().fold(0u64, |acc, &d| {
            acc.wrapping_mul(10).wrapping_add(u64::from(d - b'0'))
        });
        if taken.insert((len, value)) {
            return Ok(card);
        }
    }
}

/// Age in years at the start of the period, capped so that nobody reaches
/// 100 before the period ends.
fn age(rng: &mut ChaCha8Rng, max_age: i32) -> (i32, i32) {
    let total: f64 = AGE_BRACKETS.iter().map(|b| b.2).sum();
    let mut u = rng.random::<f64>() * total;
    let (lo, hi, _) = AGE_BRACKETS
        .iter()
        .copied()
        .find(|b| {
            let hit = u < b.2;
            u -= b.2;
            hit
        })
        .unwrap_or(AGE_BRACKETS[3]);
    let years = rng.random_range(lo..hi).min(max_age);
    (years, rng.random_range(0..365))
}

fn street(rng: &mut ChaCha8Rng) -> String {
    let width = rng.random_range(3..=5usize);
    let number = rng.random_range(0..10u32.pow(width as u32));
    let name = STREET_NAMES[rng.random_range(0..STREET_NAMES.len())];
    let suffix = STREET_SUFFIXES[rng.random_range(0..STREET_SUFFIXES.len())];
    let mut out = format!("{number:0width$} {name} {suffix}");
    match rng.random_range(0..10) {
        0..=2 => out.push_str(&format!(" Suite {:03}", rng.random_range(0..1000))),
        3 => out.push_str(&format!(" Apt. {:03}", rng.random_range(0..1000))),
        _ => {}
    }
    out
}

/// Draws every customer. Sequential (card numbers must be unique), but each
/// customer uses its own stream, so customer `i` depends only on the seed and
/// on card numbers drawn before it.
pub(crate) fn generate(
    count: u32,
    from: Date,
    to: Date,
    seeds: &Seeds,
    profiles: &Profiles,
) -> Result<Vec<Customer>> {
    let period_years = (to.days_since_epoch() - from.days_since_epoch()) / 365 + 1;
    let max_age = (99 - period_years).min(92);
    let pop =
        Normal::new(CITY_POP_LOG_MEAN, CITY_POP_LOG_SD).map_err(|e| SynthError::Distribution {
            what: "city population".into(),
            message: e.to_string(),
        })?;
    let mut taken = HashSet::with_capacity(count as usize);
    let mut customers = Vec::with_capacity(count as usize);
    for i in 0..count {
        let mut rng = seeds.stream(Purpose::Customers, u64::from(i));
        let gender = if rng.random_bool(0.5) {
            Gender::Female
        } else {
            Gender::Male
        };
        let first = match gender {
            Gender::Female => FIRST_FEMALE[rng.random_range(0..FIRST_FEMALE.len())],
            Gender::Male => FIRST_MALE[rng.random_range(0..FIRST_MALE.len())],
        };
        let last = LAST[rng.random_range(0..LAST.len())];
        let (years, extra_days) = age(&mut rng, max_age);
        let birth_date = from.add_days(-(years as f64 * 365.25) as i32 - extra_days - 1);
        let band = Band::of_age(birth_date.years_until(from));
        let state = pick_state(&mut rng);
        let (lat, lon) = state.point(&mut rng);
        let home = GeoPoint::new(round_to(lat, 4), round_to(lon, 4)).map_err(invalid("home"))?;
        let city_pop = pop
            .sample(&mut rng)
            .exp()
            .clamp(CITY_POP_RANGE.0, CITY_POP_RANGE.1) as u32;
        let profile = profile_index(gender, band, city_pop < 2500);
        let (lo, hi) = profiles.legit[profile].rate;
        customers.push(Customer {
            card: card_number(&mut rng, &mut taken)?,
            first,
            last,
            gender,
            street: street(&mut rng),
            city: city_name(&mut rng, &LAST),
            state: state.abbr,
            zip: state.zip(&mut rng),
            home,
            city_pop,
            job: JOBS[rng.random_range(0..JOBS.len())],
            birth_date,
            band,
            profile,
            rate: f64::from(rng.random_range(lo..=hi)),
        });
    }
    Ok(customers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_are_plausible() {
        let from = Date::parse(b"2019-01-01").unwrap();
        let to = Date::parse(b"2020-12-31").unwrap();
        let profiles = Profiles::new().unwrap();
        let people = generate(2000, from, to, &Seeds::new(1), &profiles).unwrap();
        let rural = people.iter().filter(|c| c.city_pop < 2500).count();
        assert!((700..1300).contains(&rural), "{rural}");
        for c in &people {
            let digits = c.card.expose_digits();
            assert!((11..=19).contains(&digits.len()));
            assert!(CardNumber::parse(digits).is_ok());
            assert!(c.birth_date.years_until(to) < 100);
            assert!(c.birth_date.years_until(from) >= 14);
            assert!((24.0..50.0).contains(&c.home.lat()), "{}", c.home.lat());
            assert!((-125.0..-66.0).contains(&c.home.lon()), "{}", c.home.lon());
        }
        let sixteen = people
            .iter()
            .filter(|c| c.card.expose_digits().len() == 16)
            .count();
        assert!((850..1150).contains(&sixteen), "{sixteen}");
    }
}
