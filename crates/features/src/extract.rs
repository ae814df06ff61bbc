//! `extract`: the one function that turns a card's state and a transaction
//! into features. Batch replay, HTTP scoring and stream scoring all call it,
//! so training and serving cannot disagree.

use vigie_types::{Transaction, haversine_km};

use crate::catalogue::Feature as F;
use crate::state::{CardState, RETENTION_SECS, is_night_hour};
use crate::vector::FeatureVector;

/// Window lengths in seconds, shortest first: 10 minutes, 1 hour, 24 hours,
/// 7 days, 30 days.
pub const WINDOWS: [i64; 5] = [600, 3_600, 86_400, 7 * 86_400, RETENTION_SECS];
const DAY: usize = 2;

const COUNTS: [F; 5] = [
    F::TxnCount10m,
    F::TxnCount1h,
    F::TxnCount24h,
    F::TxnCount7d,
    F::TxnCount30d,
];
const SUMS: [F; 5] = [
    F::AmountSum10m,
    F::AmountSum1h,
    F::AmountSum24h,
    F::AmountSum7d,
    F::AmountSum30d,
];

/// Aggregates over the card's recent events, in one backward pass.
struct Windows {
    counts: [u32; 5],
    sums_cents: [u64; 5],
    max_cents_30d: u32,
    night_24h: u32,
    categories_24h: u16,
    distinct_merchants_24h: u32,
    /// (seconds since, merchant latitude, longitude) of the latest event at
    /// or before the transaction.
    prev: Option<(i64, f32, f32)>,
}

/// Scans the events at or before `t` and younger than 30 days. An event is
/// in a window of length `w` when `t - w < time <= t`; events later than `t`
/// (only possible when transactions arrive out of order) are not history.
///
/// The events are sorted by time, so going backwards the windows close one
/// after the other: the pass runs in phases, each doing only what its ages
/// still need. The last 24 hours (a handful of events) get the full work;
/// older events only add to the 7- and 30-day counts, sums and maximum.
/// Sums are integer cents, so the result does not depend on the order.
fn scan(state: &CardState, t: i64) -> Windows {
    let mut w = Windows {
        counts: [0; 5],
        sums_cents: [0; 5],
        max_cents_30d: 0,
        night_24h: 0,
        categories_24h: 0,
        distinct_merchants_24h: 0,
        prev: None,
    };
    let mut events = state
        .recent
        .iter()
        .rev()
        .skip_while(|e| e.time > t)
        .peekable();
    w.prev = events
        .peek()
        .filter(|e| t - e.time < RETENTION_SECS)
        .map(|e| (t - e.time, e.lat, e.lon));
    // Merchants of the last 24 hours: on the stack for the usual handful,
    // on the heap for a burst (card testing can make hundreds).
    let mut merchants = [0u32; 64];
    let mut n_merchants = 0;
    let mut burst: Vec<u32> = Vec::new();
    while let Some(e) = events.next_if(|e| t - e.time < WINDOWS[DAY]) {
        let age = t - e.time;
        for (i, &window) in WINDOWS.iter().enumerate().take(DAY) {
            if age < window {
                w.counts[i] += 1;
                w.sums_cents[i] += u64::from(e.amount_cents);
            }
        }
        w.counts[DAY] += 1;
        w.sums_cents[DAY] += u64::from(e.amount_cents);
        w.max_cents_30d = w.max_cents_30d.max(e.amount_cents);
        w.night_24h += u32::from(e.night);
        w.categories_24h |= 1 << e.category;
        if n_merchants < merchants.len() {
            merchants[n_merchants] = e.merchant;
            n_merchants += 1;
        } else {
            if burst.is_empty() {
                burst.extend_from_slice(&merchants);
            }
            burst.push(e.merchant);
        }
    }
    // The longer windows contain the shorter ones.
    for (i, &window) in WINDOWS.iter().enumerate().skip(DAY + 1) {
        w.counts[i] = w.counts[i - 1];
        w.sums_cents[i] = w.sums_cents[i - 1];
        while let Some(e) = events.next_if(|e| t - e.time < window) {
            w.counts[i] += 1;
            w.sums_cents[i] += u64::from(e.amount_cents);
            w.max_cents_30d = w.max_cents_30d.max(e.amount_cents);
        }
    }
    let merchants = if burst.is_empty() {
        &mut merchants[..n_merchants]
    } else {
        &mut burst[..]
    };
    merchants.sort_unstable();
    w.distinct_merchants_24h =
        (merchants.len() - merchants.windows(2).filter(|p| p[0] == p[1]).count()) as u32;
    w
}

fn ratio_or_one(value: f64, base: f64) -> f64 {
    if base > 0.0 { value / base } else { 1.0 }
}

/// The features of `txn` given everything the card did before it (`state`).
/// Pure: reads the state, changes nothing. Call [`CardState::update`] after.
pub fn extract(state: &CardState, txn: &Transaction) -> FeatureVector {
    let t = txn.event_time.seconds();
    let amount = txn.amount.as_f64();
    let hour = txn.event_time.hour();
    let date = txn.event_time.date();
    let weekday = date.weekday();
    let w = scan(state, t);
    let mut v = [0.0f64; crate::FEATURE_COUNT];
    let mut set = |f: F, value: f64| v[f.index()] = value;

    set(F::Amount, amount);
    set(F::LogAmount, amount.ln_1p());
    set(F::CategoryCode, txn.category.index() as f64);
    set(F::Hour, f64::from(hour));
    set(F::DayOfWeek, f64::from(weekday));
    set(F::IsNight, f64::from(u8::from(is_night_hour(hour))));
    set(F::IsWeekend, f64::from(u8::from(weekday >= 5)));
    set(
        F::HomeMerchantKm,
        haversine_km(txn.home, txn.merchant_location),
    );
    set(F::AgeYears, f64::from(txn.birth_date.years_until(date)));
    set(
        F::GenderMale,
        f64::from(u8::from(txn.gender == vigie_types::Gender::Male)),
    );
    set(F::LogCityPop, f64::from(txn.city_pop).ln_1p());

    for i in 0..WINDOWS.len() {
        set(COUNTS[i], f64::from(w.counts[i]));
        set(SUMS[i], w.sums_cents[i] as f64 / 100.0);
    }
    let (since, prev_km) = match w.prev {
        Some((age, lat, lon)) => {
            let km = vigie_types::GeoPoint::new(f64::from(lat), f64::from(lon))
                .map_or(0.0, |p| haversine_km(p, txn.merchant_location));
            (age, km)
        }
        None => (RETENTION_SECS, 0.0),
    };
    set(F::SecondsSincePrev, since as f64);
    set(F::PrevMerchantKm, prev_km);
    set(
        F::SpeedFromPrevKmh,
        prev_km / ((since.max(60)) as f64 / 3_600.0),
    );

    let card = &state.amounts;
    set(F::AmountToCardMean, ratio_or_one(amount, card.mean));
    set(
        F::AmountCardZscore,
        if card.n >= 2 {
            (amount - card.mean) / card.std_dev().max(1.0)
        } else {
            0.0
        },
    );
    let cat = &state.by_category[txn.category.index()];
    set(F::AmountToCategoryMean, ratio_or_one(amount, cat.mean));
    set(
        F::AmountCategoryZscore,
        if cat.n >= 2 {
            (amount - cat.mean) / cat.std_dev().max(1.0)
        } else {
            0.0
        },
    );
    set(
        F::AmountToMax30d,
        ratio_or_one(amount, f64::from(w.max_cents_30d) / 100.0),
    );
    set(F::DistinctMerchants24h, f64::from(w.distinct_merchants_24h));
    set(
        F::DistinctCategories24h,
        f64::from(w.categories_24h.count_ones()),
    );
    set(F::NightCount24h, f64::from(w.night_24h));
    set(
        F::CategoryFirstUse,
        f64::from(u8::from(!state.used_category(txn.category))),
    );
    let seen_days = if state.is_new() {
        0.0
    } else {
        (t - state.first_seen).max(0) as f64 / 86_400.0
    };
    set(F::CardSeenDays, seen_days);
    let daily_mean = f64::from(card.n) / seen_days.max(1.0);
    set(
        F::Count24hToDailyMean,
        (f64::from(w.counts[DAY]) + 1.0) / (daily_mean + 1.0),
    );
    set(
        F::CardNightShare,
        if card.n > 0 {
            f64::from(state.night_total) / f64::from(card.n)
        } else {
            0.0
        },
    );
    FeatureVector(v.map(|x| x as f32))
}
