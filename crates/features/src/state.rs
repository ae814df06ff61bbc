//! Per-card state: what Vigie remembers about a card to compute the features
//! of its next transaction.
//!
//! Memory is bounded whatever the length of the history: running statistics
//! (overall and per category) are a fixed 14 + 1 Welford accumulators, and
//! the recent events are kept for [`RETENTION_SECS`] (30 days) up to
//! [`MAX_EVENTS`] (512) events of 40 bytes: at most about 21 KiB per card,
//! about 3 KiB for a card with 2.5 transactions a day. Windowed aggregates are
//! exact as long as a card makes fewer than 512 transactions in 30 days;
//! beyond that they count the 512 most recent.

use std::collections::VecDeque;

use vigie_types::{Category, TransNum, Transaction};

/// How long an event stays in the recent-events ring (the longest window).
pub const RETENTION_SECS: i64 = 30 * 86_400;

/// The most events a card's ring holds.
pub const MAX_EVENTS: usize = 512;

/// Running count, mean and sum of squared deviations (Welford's algorithm):
/// numerically stable, constant memory.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Welford {
    /// Values seen.
    pub n: u32,
    /// Their mean.
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
}

impl Welford {
    /// Adds a value.
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / f64::from(self.n);
        self.m2 += delta * (x - self.mean);
    }

    /// Sample standard deviation (0 with fewer than two values).
    pub fn std_dev(&self) -> f64 {
        if self.n < 2 {
            0.0
        } else {
            (self.m2 / f64::from(self.n - 1)).sqrt()
        }
    }
}

/// One past transaction of the card, as the windows need it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    /// Event time, seconds.
    pub time: i64,
    /// The low 64 bits of its `trans_num` (to apply each transaction once).
    pub id: u64,
    /// Merchant latitude.
    pub lat: f32,
    /// Merchant longitude.
    pub lon: f32,
    /// Amount in cents (saturated at `u32::MAX`).
    pub amount_cents: u32,
    /// A stable 32-bit hash of the merchant name.
    pub merchant: u32,
    /// Category index.
    pub category: u8,
    /// Made at night.
    pub night: bool,
}

/// What Vigie knows about one card. `CardState::default()` is a card never
/// seen. Serialisable with [`crate::codec`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CardState {
    /// Earliest event time seen (meaningful when `amounts.n > 0`).
    pub first_seen: i64,
    /// Latest event time seen.
    pub latest: i64,
    /// Amounts (currency units) over the whole history.
    pub amounts: Welford,
    /// Amounts per category, indexed by [`Category::index`].
    pub by_category: [Welford; Category::ALL.len()],
    /// Transactions made at night over the whole history.
    pub night_total: u32,
    /// Recent events, sorted by time (ties in the order they were applied).
    pub recent: VecDeque<Event>,
}

/// Whether an hour counts as night (22:00-03:59).
pub const fn is_night_hour(hour: u32) -> bool {
    hour >= 22 || hour < 4
}

/// A stable 32-bit hash of a merchant name (FNV-1a), identical across
/// processes and versions, so serialised states stay valid.
pub fn merchant_hash(name: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in name.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// The id kept per event: the low 64 bits of the `trans_num`.
pub const fn event_id(trans_num: TransNum) -> u64 {
    trans_num.as_u128() as u64
}

impl CardState {
    /// Whether the card has any history.
    pub fn is_new(&self) -> bool {
        self.amounts.n == 0
    }

    /// Whether the transaction is already in the recent events (it was
    /// applied; applying it again would count it twice).
    pub fn contains(&self, trans_num: TransNum) -> bool {
        let id = event_id(trans_num);
        self.recent.iter().any(|e| e.id == id)
    }

    /// Adds `txn` to the card's history. Returns `false`, changing nothing,
    /// when this `trans_num` was already applied (see [`Self::contains`]):
    /// updates are idempotent per transaction within the retention period.
    pub fn update(&mut self, txn: &Transaction) -> bool {
        if self.contains(txn.trans_num) {
            return false;
        }
        self.insert(txn);
        true
    }

    /// The online step: `txn`'s features from the history before it, then
    /// `txn` added to the history; `None`, changing nothing, when this
    /// `trans_num` was already applied.
    pub fn observe(&mut self, txn: &Transaction) -> Option<crate::FeatureVector> {
        if self.contains(txn.trans_num) {
            return None;
        }
        let features = crate::extract(self, txn);
        self.insert(txn);
        Some(features)
    }

    /// Adds `txn` without checking for a duplicate.
    fn insert(&mut self, txn: &Transaction) {
        let time = txn.event_time.seconds();
        let amount = txn.amount.as_f64();
        let night = is_night_hour(txn.event_time.hour());
        if self.is_new() {
            self.first_seen = time;
            self.latest = time;
        } else {
            self.first_seen = self.first_seen.min(time);
            self.latest = self.latest.max(time);
        }
        self.amounts.push(amount);
        self.by_category[txn.category.index()].push(amount);
        self.night_total += u32::from(night);

        let event = Event {
            time,
            id: event_id(txn.trans_num),
            lat: txn.merchant_location.lat() as f32,
            lon: txn.merchant_location.lon() as f32,
            amount_cents: u32::try_from(txn.amount.cents()).unwrap_or(u32::MAX),
            merchant: merchant_hash(&txn.merchant),
            category: txn.category.index() as u8,
            night,
        };
        // Sorted insert: after every event at or before `time` (a late event
        // lands in its place; in-order input appends).
        let at = self.recent.partition_point(|e| e.time <= time);
        self.recent.insert(at, event);
        let horizon = self.latest - RETENTION_SECS;
        while self.recent.front().is_some_and(|e| e.time <= horizon) {
            self.recent.pop_front();
        }
        while self.recent.len() > MAX_EVENTS {
            self.recent.pop_front();
        }
    }

    /// Whether the card ever used `category` before.
    pub fn used_category(&self, category: Category) -> bool {
        self.by_category[category.index()].n > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welford_matches_two_pass() {
        let xs = [3.0, 7.5, 1.25, 100.0, 42.0];
        let mut w = Welford::default();
        xs.iter().for_each(|&x| w.push(x));
        let mean = xs.iter().sum::<f64>() / 5.0;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 4.0;
        assert!((w.mean - mean).abs() < 1e-12);
        assert!((w.std_dev() - var.sqrt()).abs() < 1e-9);
        assert_eq!(Welford::default().std_dev(), 0.0);
    }

    #[test]
    fn merchant_hash_is_fnv1a() {
        // FNV-1a 32 of "" and "a" (published test values).
        assert_eq!(merchant_hash(""), 0x811c_9dc5);
        assert_eq!(merchant_hash("a"), 0xe40c_292c);
    }

    #[test]
    fn night_hours() {
        let night: Vec<u32> = (0..24).filter(|&h| is_night_hour(h)).collect();
        assert_eq!(night, vec![0, 1, 2, 3, 22, 23]);
    }
}
