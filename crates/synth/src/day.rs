//! One day of transactions for every customer, in time order.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use vigie_types::{Category, FraudScenario};

use crate::calendar::Calendar;
use crate::customers::Customer;
use crate::merchants::Merchants;
use crate::profiles::{Profile, Profiles};
use crate::rng::{Seeds, poisson, round_to};
use crate::scenarios::{Event, Plan};

const HALF_DAY: u32 = 12 * 3600;

/// Bits of the sort key: second of day (17) | customer (32) | sequence (15).
const CUSTOMER_SHIFT: u32 = 15;
const SECOND_SHIFT: u32 = 47;
const MAX_SEQ: u32 = (1 << CUSTOMER_SHIFT) - 1;

/// A generated transaction, before formatting. Everything about the card
/// holder is looked up from the customer when the row is written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Txn {
    /// Sort key: second of day, then customer, then draw order. Unique, so
    /// the order of same-second rows is fixed.
    key: u64,
    /// The 128-bit transaction identifier.
    pub trans_num: u128,
    /// Amount in cents.
    pub cents: i64,
    /// Merchant position, already rounded to 6 decimals.
    pub lat: f64,
    /// See `lat`.
    pub lon: f64,
    /// Global merchant index.
    pub merchant: u16,
    /// Category.
    pub category: Category,
    /// The fraud scenario, `None` for a genuine purchase.
    pub scenario: Option<FraudScenario>,
}

impl Txn {
    /// Seconds since midnight.
    pub fn second(&self) -> u32 {
        (self.key >> SECOND_SHIFT) as u32
    }

    /// Index of the customer.
    pub fn customer(&self) -> usize {
        ((self.key >> CUSTOMER_SHIFT) & u64::from(u32::MAX)) as usize
    }
}

/// Everything fixed for a run: customers, their plans, the tables.
#[derive(Debug)]
pub(crate) struct World {
    pub customers: Vec<Customer>,
    pub plans: Vec<Vec<Plan>>,
    pub events: Vec<Event>,
    pub profiles: Profiles,
    pub merchants: Merchants,
    pub calendar: Calendar,
    pub seeds: Seeds,
}

/// Appends one customer's rows for one day.
pub(crate) struct DayBuilder<'a> {
    /// The customer's stream for this day.
    pub rng: &'a mut ChaCha8Rng,
    customer_index: u32,
    customer: &'a Customer,
    profiles: &'a Profiles,
    seq: u32,
    out: &'a mut Vec<Txn>,
}

impl<'a> DayBuilder<'a> {
    /// The customer's normal profile.
    pub fn profile(&self) -> &'a Profile {
        &self.profiles.legit[self.customer.profile]
    }

    /// The fraud profile of the customer's age band.
    pub fn fraud_profile(&self) -> &'a Profile {
        &self.profiles.fraud[self.customer.band as usize]
    }

    /// A merchant position within about one degree of home.
    pub fn near_home(&mut self) -> (f64, f64) {
        let home = self.customer.home;
        let lat = round_to(home.lat() + self.rng.random_range(-1.0..1.0), 6);
        let lon = round_to(home.lon() + self.rng.random_range(-1.0..1.0), 6);
        (lat.clamp(-90.0, 90.0), lon.clamp(-180.0, 180.0))
    }

    /// Adds a row at `second` of the day.
    pub fn push(
        &mut self,
        second: u32,
        category: Category,
        merchant: u16,
        cents: i64,
        (lat, lon): (f64, f64),
        scenario: Option<FraudScenario>,
    ) {
        debug_assert!(second < 86_400 && self.seq <= MAX_SEQ);
        let key = u64::from(second.min(86_399)) << SECOND_SHIFT
            | u64::from(self.customer_index) << CUSTOMER_SHIFT
            | u64::from(self.seq.min(MAX_SEQ));
        self.seq += 1;
        self.out.push(Txn {
            key,
            trans_num: self.rng.random(),
            cents,
            lat,
            lon,
            merchant,
            category,
            scenario,
        });
    }

    /// A genuine purchase. Category, amount and half-day come from separate
    /// draws, and the amount from the drawn category's distribution.
    fn genuine(&mut self) {
        let profile = self.profile();
        let category = profile.category(self.rng);
        let cents = profile.amount_cents(category, self.rng);
        let half = if profile.morning(self.rng) {
            0
        } else {
            HALF_DAY
        };
        let second = half + self.rng.random_range(0..HALF_DAY);
        let merchant = Merchants::pick(category, self.rng);
        let at = self.near_home();
        self.push(second, category, merchant, cents, at, None);
    }
}

/// Every transaction of day index `day`, sorted by time (ties by customer,
/// then draw order).
pub(crate) fn generate_day(world: &World, day: u32) -> Vec<Txn> {
    let factor = world.calendar.factor(day);
    let expected = world.customers.len() as f64 * 3.0 * factor;
    let mut out = Vec::with_capacity(expected as usize + 64);
    for (i, customer) in world.customers.iter().enumerate() {
        let index = i as u32;
        let mut rng = world.seeds.day(index, day);
        let plans = &world.plans[i];
        let mut b = DayBuilder {
            rng: &mut rng,
            customer_index: index,
            customer,
            profiles: &world.profiles,
            seq: 0,
            out: &mut out,
        };
        if !plans.iter().any(|p| p.replaces_genuine(day)) {
            let n = poisson(b.rng, customer.rate * factor);
            for _ in 0..n {
                b.genuine();
            }
        }
        for plan in plans {
            plan.emit(day, &mut b, &world.events);
        }
    }
    out.sort_unstable_by_key(|t| t.key);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sort_key_orders_by_second_then_customer_then_draw() {
        let key = |second: u64, customer: u64, seq: u64| {
            second << SECOND_SHIFT | customer << CUSTOMER_SHIFT | seq
        };
        let txn = Txn {
            key: key(86_399, u64::from(u32::MAX), 5),
            trans_num: 0,
            cents: 100,
            lat: 0.0,
            lon: 0.0,
            merchant: 0,
            category: Category::Home,
            scenario: None,
        };
        assert_eq!(txn.second(), 86_399);
        assert_eq!(txn.customer(), u32::MAX as usize);
        assert!(key(10, 9, 9) < key(11, 0, 0));
        assert!(key(10, 1, 9) < key(10, 2, 0));
        assert!(key(10, 1, 0) < key(10, 1, 1));
    }
}
