//! Card precision top-k: how many of the k cards an investigation team can
//! check each day turn out to be compromised.

use super::ranking::{check_inputs, invalid};
use crate::error::Result;

/// Card Precision top-k, after the Fraud Detection Handbook (Le Borgne et
/// al., "Reproducible Machine Learning for Credit Card Fraud Detection",
/// section 4.2.4).
///
/// Definition, for each day present in `days`:
/// 1. each card seen that day gets the maximum score of its transactions of
///    that day, and is compromised that day if any of them is a fraud;
/// 2. the `k` highest-scoring cards are alerted (ties broken by the smaller
///    card id, so the result does not depend on row order);
/// 3. the day's precision is the fraction of alerted cards that are
///    compromised.
///
/// The result is the mean of the daily precisions over the days present.
///
/// Differences from the Handbook's reference code, on purpose: a day with
/// fewer than `k` cards divides by the number of cards it has (the Handbook
/// divides by `k`, which penalises quiet days for alerts that could not be
/// raised); and a card found compromised on one day is not removed from the
/// following days (each day is scored on its own).
///
/// `card_ids` are any stable per-card identifiers (token hashes or indices,
/// never card numbers); `days` any day index (e.g. days since an epoch).
///
/// Errors: slices of different lengths, a label other than 0/1, a NaN score,
/// `k == 0`, or no rows.
pub fn card_precision_at_k(
    scores: &[f64],
    labels: &[u8],
    card_ids: &[u64],
    days: &[i32],
    k: usize,
) -> Result<f64> {
    check_inputs(scores, labels)?;
    if card_ids.len() != labels.len() || days.len() != labels.len() {
        return invalid(format!(
            "{} card ids and {} days for {} labels",
            card_ids.len(),
            days.len(),
            labels.len()
        ));
    }
    if k == 0 {
        return invalid("k must be at least 1".to_owned());
    }
    if labels.is_empty() {
        return invalid("card precision needs at least one row".to_owned());
    }
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_unstable_by_key(|&i| (days[i], card_ids[i]));

    let mut daily_precisions = Vec::new();
    let mut day_cards: Vec<DayCard> = Vec::new();
    let mut current_day = days[order[0]];
    for &i in &order {
        if days[i] != current_day {
            daily_precisions.push(day_precision(&mut day_cards, k));
            day_cards.clear();
            current_day = days[i];
        }
        match day_cards.last_mut() {
            Some(card) if card.id == card_ids[i] => {
                card.score = card.score.max(scores[i]);
                card.compromised |= labels[i] == 1;
            }
            _ => day_cards.push(DayCard {
                id: card_ids[i],
                score: scores[i],
                compromised: labels[i] == 1,
            }),
        }
    }
    daily_precisions.push(day_precision(&mut day_cards, k));
    Ok(daily_precisions.iter().sum::<f64>() / daily_precisions.len() as f64)
}

/// One card on one day.
struct DayCard {
    id: u64,
    score: f64,
    compromised: bool,
}

/// Precision of the `k` highest-scoring cards of one day (all of them when
/// there are fewer). `cards` is non-empty.
fn day_precision(cards: &mut [DayCard], k: usize) -> f64 {
    cards.sort_unstable_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    let alerted = &cards[..k.min(cards.len())];
    let compromised = alerted.iter().filter(|c| c.compromised).count();
    compromised as f64 / alerted.len() as f64
}
