//! Model-based test: every feature equals a naive recomputation from the
//! card's full history (all its earlier transactions, kept in a plain list).

use std::collections::HashSet;

use proptest::prelude::*;
use vigie_features::{FEATURE_COUNT, Feature as F, RETENTION_SECS, WINDOWS, is_night_hour};
use vigie_testkit::transaction_sequence;
use vigie_types::{GeoPoint, LabeledTransaction, Transaction, haversine_km};

use crate::support::online;

fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = if xs.len() < 2 {
        0.0
    } else {
        xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    };
    (mean, var.sqrt())
}

/// The catalogue's definitions, computed the slow, obvious way.
fn naive(history: &[&Transaction], txn: &Transaction) -> [f64; FEATURE_COUNT] {
    let mut v = [0.0; FEATURE_COUNT];
    let t = txn.event_time.seconds();
    let amount = txn.amount.as_f64();
    let hour = txn.event_time.hour();
    let weekday = txn.event_time.date().weekday();
    v[F::Amount.index()] = amount;
    v[F::LogAmount.index()] = (1.0 + amount).ln();
    v[F::CategoryCode.index()] = txn.category.index() as f64;
    v[F::Hour.index()] = f64::from(hour);
    v[F::DayOfWeek.index()] = f64::from(weekday);
    v[F::IsNight.index()] = f64::from(u8::from(!(4..22).contains(&hour)));
    v[F::IsWeekend.index()] = f64::from(u8::from(weekday >= 5));
    v[F::HomeMerchantKm.index()] = haversine_km(txn.home, txn.merchant_location);
    v[F::AgeYears.index()] = f64::from(txn.birth_date.years_until(txn.event_time.date()));
    v[F::GenderMale.index()] = f64::from(u8::from(txn.gender == vigie_types::Gender::Male));
    v[F::LogCityPop.index()] = (1.0 + f64::from(txn.city_pop)).ln();

    let in_window = |h: &&&Transaction, w: i64| t - h.event_time.seconds() < w;
    let counts = [
        F::TxnCount10m,
        F::TxnCount1h,
        F::TxnCount24h,
        F::TxnCount7d,
        F::TxnCount30d,
    ];
    let sums = [
        F::AmountSum10m,
        F::AmountSum1h,
        F::AmountSum24h,
        F::AmountSum7d,
        F::AmountSum30d,
    ];
    for (i, &w) in WINDOWS.iter().enumerate() {
        let inside: Vec<_> = history.iter().filter(|h| in_window(h, w)).collect();
        v[counts[i].index()] = inside.len() as f64;
        let cents: i64 = inside.iter().map(|h| h.amount.cents()).sum();
        v[sums[i].index()] = cents as f64 / 100.0;
    }
    let day: Vec<_> = history.iter().filter(|h| in_window(h, 86_400)).collect();
    let merchants: HashSet<&str> = day.iter().map(|h| &*h.merchant).collect();
    let categories: HashSet<_> = day.iter().map(|h| h.category).collect();
    v[F::DistinctMerchants24h.index()] = merchants.len() as f64;
    v[F::DistinctCategories24h.index()] = categories.len() as f64;
    v[F::NightCount24h.index()] = day
        .iter()
        .filter(|h| is_night_hour(h.event_time.hour()))
        .count() as f64;

    let month: Vec<_> = history
        .iter()
        .filter(|h| in_window(h, RETENTION_SECS))
        .collect();
    let max = month.iter().map(|h| h.amount.as_f64()).fold(0.0, f64::max);
    v[F::AmountToMax30d.index()] = if max > 0.0 { amount / max } else { 1.0 };
    match month.last() {
        Some(prev) => {
            let since = t - prev.event_time.seconds();
            // The state keeps merchant places at f32 precision.
            let at = |x: f64| f64::from(x as f32);
            let p = GeoPoint::new(
                at(prev.merchant_location.lat()),
                at(prev.merchant_location.lon()),
            )
            .unwrap();
            let km = haversine_km(p, txn.merchant_location);
            v[F::SecondsSincePrev.index()] = since as f64;
            v[F::PrevMerchantKm.index()] = km;
            v[F::SpeedFromPrevKmh.index()] = km / (since.max(60) as f64 / 3_600.0);
        }
        None => v[F::SecondsSincePrev.index()] = RETENTION_SECS as f64,
    }

    let amounts: Vec<f64> = history.iter().map(|h| h.amount.as_f64()).collect();
    let in_cat: Vec<f64> = history
        .iter()
        .filter(|h| h.category == txn.category)
        .map(|h| h.amount.as_f64())
        .collect();
    let ratio = |xs: &[f64]| {
        if xs.is_empty() {
            1.0
        } else {
            amount / mean_sd(xs).0
        }
    };
    let z = |xs: &[f64]| {
        if xs.len() < 2 {
            0.0
        } else {
            let (m, sd) = mean_sd(xs);
            (amount - m) / sd.max(1.0)
        }
    };
    v[F::AmountToCardMean.index()] = ratio(&amounts);
    v[F::AmountCardZscore.index()] = z(&amounts);
    v[F::AmountToCategoryMean.index()] = ratio(&in_cat);
    v[F::AmountCategoryZscore.index()] = z(&in_cat);
    v[F::CategoryFirstUse.index()] = f64::from(u8::from(in_cat.is_empty()));
    let seen_days = history
        .iter()
        .map(|h| h.event_time.seconds())
        .min()
        .map_or(0.0, |first| (t - first) as f64 / 86_400.0);
    v[F::CardSeenDays.index()] = seen_days;
    let daily = history.len() as f64 / seen_days.max(1.0);
    v[F::Count24hToDailyMean.index()] = (day.len() as f64 + 1.0) / (daily + 1.0);
    v[F::CardNightShare.index()] = if history.is_empty() {
        0.0
    } else {
        history
            .iter()
            .filter(|h| is_night_hour(h.event_time.hour()))
            .count() as f64
            / history.len() as f64
    };
    v
}

fn close(got: f32, want: f64) -> bool {
    let tolerance = 1e-5 * want.abs().max(1.0);
    (f64::from(got) - want).abs() <= tolerance
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_feature_equals_its_naive_definition(sequence in transaction_sequence(5, 200)) {
        let got = online(&sequence);
        for (i, t) in sequence.iter().enumerate() {
            let history: Vec<&Transaction> = sequence[..i]
                .iter()
                .filter(|h: &&LabeledTransaction| h.txn.card == t.txn.card)
                .map(|h| &h.txn)
                .collect();
            let want = naive(&history, &t.txn);
            for f in F::ALL {
                prop_assert!(
                    close(got[i].get(f), want[f.index()]),
                    "row {} feature {}: got {} want {}", i, f.name(), got[i].get(f), want[f.index()]
                );
            }
        }
    }
}
