//! Fraud scenarios: who is hit, when, and the labelled rows each one adds.
//!
//! Victims and dates are drawn once, before any day is generated (a
//! [`Plan`] per victim); the rows themselves are drawn by the day generator
//! from the customer's stream for that day, like genuine purchases.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use vigie_types::{Category, FraudScenario, GeoPoint, haversine_km};

use crate::calendar::Calendar;
use crate::customers::Customer;
use crate::day::DayBuilder;
use crate::merchants::Merchants;
use crate::places::{pick_any_state, pick_state};
use crate::profiles::MAX_AMOUNT_CENTS;
use crate::rng::{Purpose, Seeds, round_to};

/// Share of customers with a classic episode over a two-year period (the
/// public data's horizon); shorter periods get proportionally fewer, so the
/// fraud rate does not depend on the period's length.
pub const CLASSIC_EPISODE_SHARE: f64 = 0.99;
/// Period over which [`CLASSIC_EPISODE_SHARE`] of customers are hit, in days.
pub const CLASSIC_EPISODE_HORIZON_DAYS: f64 = 730.0;
/// Share of customers whose card is tested (whatever the period's length).
pub const CARD_TESTING_SHARE: f64 = 0.01;
/// Share of customers whose account is taken over.
pub const ACCOUNT_TAKEOVER_SHARE: f64 = 0.01;
/// Share of customers charged by a compromised merchant.
pub const COMPROMISED_MERCHANT_SHARE: f64 = 0.02;
/// Cards hit per compromised merchant (one event per this many victims).
pub const CARDS_PER_COMPROMISED_MERCHANT: usize = 40;
/// Smallest distance between home and an account takeover's place.
pub const TAKEOVER_MIN_KM: f64 = 600.0;

const HOUR: u32 = 3600;

/// What happens to one victim.
#[derive(Debug, Clone)]
pub(crate) enum Plan {
    /// A burst of stolen-card purchases on one or two days; the genuine
    /// purchases of those days are removed.
    Classic { first_day: u32, counts: [u8; 2] },
    /// Tiny charges across many merchants within minutes, then maybe a few
    /// large ones.
    CardTesting {
        day: u32,
        start: u32,
        tests: u8,
        hits: u8,
    },
    /// Purchases from a far-away place for a few days.
    Takeover {
        first_day: u32,
        days: u8,
        far: (f64, f64),
    },
    /// Charges from a compromised merchant on the listed days.
    Compromised { event: usize, days: Vec<u32> },
}

/// A compromised merchant and its window.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    merchant: u16,
    category: Category,
    location: (f64, f64),
    first_day: u32,
    days: u32,
    prices: [i64; 3],
}

fn victims(share: f64, customers: usize) -> usize {
    ((share * customers as f64).round() as usize).clamp(1, customers)
}

/// Picks `k` distinct customers (partial Fisher-Yates).
fn pick_victims(rng: &mut ChaCha8Rng, customers: usize, k: usize) -> Vec<usize> {
    let mut all: Vec<usize> = (0..customers).collect();
    for i in 0..k {
        let j = rng.random_range(i..customers);
        all.swap(i, j);
    }
    all.truncate(k);
    all.sort_unstable();
    all
}

/// Draws the plans of every customer, and the compromised-merchant events.
pub(crate) fn plan(
    scenarios: &[FraudScenario],
    customers: &[Customer],
    calendar: &Calendar,
    seeds: &Seeds,
) -> (Vec<Vec<Plan>>, Vec<Event>) {
    let n = customers.len();
    let days = calendar.days();
    let mut plans: Vec<Vec<Plan>> = vec![Vec::new(); n];
    let mut events = Vec::new();
    if n == 0 || days == 0 {
        return (plans, events);
    }
    for scenario in FraudScenario::ALL {
        if !scenarios.contains(&scenario) {
            continue;
        }
        let share = match scenario {
            FraudScenario::ClassicEpisode => {
                CLASSIC_EPISODE_SHARE * (f64::from(days) / CLASSIC_EPISODE_HORIZON_DAYS).min(1.0)
            }
            FraudScenario::CardTesting => CARD_TESTING_SHARE,
            FraudScenario::AccountTakeover => ACCOUNT_TAKEOVER_SHARE,
            FraudScenario::CompromisedMerchant => COMPROMISED_MERCHANT_SHARE,
        };
        let k = victims(share, n);
        let mut rng = seeds.stream(Purpose::Plans, scenario as u64);
        let chosen = pick_victims(&mut rng, n, k);
        if scenario == FraudScenario::CompromisedMerchant {
            let count = k.div_ceil(CARDS_PER_COMPROMISED_MERCHANT);
            events = (0..count).map(|i| make_event(seeds, i, days)).collect();
        }
        for c in chosen {
            let mut rng = seeds.stream(Purpose::PlanDetails, (c as u64) << 8 | scenario as u64);
            let plan = match scenario {
                FraudScenario::ClassicEpisode => classic(&mut rng, calendar),
                FraudScenario::CardTesting => Plan::CardTesting {
                    day: rng.random_range(0..days),
                    start: rng.random_range(0..18 * HOUR),
                    tests: rng.random_range(8..=30),
                    hits: if rng.random_bool(0.5) {
                        rng.random_range(1..=3)
                    } else {
                        0
                    },
                },
                FraudScenario::AccountTakeover => Plan::Takeover {
                    first_day: rng.random_range(0..days),
                    days: rng.random_range(2..=5),
                    far: far_place(&mut rng, customers[c].home),
                },
                FraudScenario::CompromisedMerchant => {
                    let event = rng.random_range(0..events.len());
                    let e: &Event = &events[event];
                    let charges = rng.random_range(1..=3);
                    let days = (0..charges)
                        .map(|_| e.first_day + rng.random_range(0..e.days))
                        .collect();
                    Plan::Compromised { event, days }
                }
            };
            plans[c].push(plan);
        }
    }
    (plans, events)
}

fn classic(rng: &mut ChaCha8Rng, calendar: &Calendar) -> Plan {
    let days = calendar.days();
    let first_day = rng.random_range(0..days);
    // Most episodes have 7 to 12 rows, a few anything from 2 to 16 (the
    // shape of the reference data).
    let total = if rng.random_bool(0.85) {
        rng.random_range(7..=12u8)
    } else {
        rng.random_range(2..=16u8)
    };
    let mut counts = [0u8; 2];
    if first_day + 1 >= days {
        counts[0] = total;
    } else {
        let (a, b) = (calendar.factor(first_day), calendar.factor(first_day + 1));
        for _ in 0..total {
            let second = rng.random::<f64>() * (a + b) >= a;
            counts[usize::from(second)] += 1;
        }
    }
    Plan::Classic { first_day, counts }
}

fn far_place(rng: &mut ChaCha8Rng, home: GeoPoint) -> (f64, f64) {
    let mut best = (home.lat(), home.lon(), 0.0);
    for _ in 0..200 {
        let (lat, lon) = pick_any_state(rng).point(rng);
        let km = GeoPoint::new(lat, lon).map_or(0.0, |p| haversine_km(home, p));
        if km > best.2 {
            best = (lat, lon, km);
        }
        if km > TAKEOVER_MIN_KM {
            break;
        }
    }
    (best.0, best.1)
}

fn make_event(seeds: &Seeds, i: usize, days: u32) -> Event {
    const CATEGORIES: [Category; 7] = [
        Category::MiscNet,
        Category::ShoppingNet,
        Category::FoodDining,
        Category::GasTransport,
        Category::GroceryPos,
        Category::ShoppingPos,
        Category::Travel,
    ];
    let mut rng = seeds.stream(Purpose::Events, i as u64);
    let category = CATEGORIES[rng.random_range(0..CATEGORIES.len())];
    let (lat, lon) = pick_state(&mut rng).point(&mut rng);
    let first_day = rng.random_range(0..days);
    let span = rng.random_range(3..=10).min(days - first_day);
    let mut price = || rng.random_range(15..400i64) * 100 + 99;
    let prices = [price(), price(), price()];
    Event {
        merchant: Merchants::pick(category, &mut rng),
        category,
        location: (round_to(lat, 6), round_to(lon, 6)),
        first_day,
        days: span,
        prices,
    }
}

impl Plan {
    /// Whether the customer's genuine purchases of `day` are removed.
    pub fn replaces_genuine(&self, day: u32) -> bool {
        match *self {
            Self::Classic { first_day, counts } => {
                (day == first_day && counts[0] > 0) || (day == first_day + 1 && counts[1] > 0)
            }
            _ => false,
        }
    }

    /// Adds this plan's rows for `day`, if any.
    pub fn emit(&self, day: u32, b: &mut DayBuilder<'_>, events: &[Event]) {
        match self {
            Self::Classic { first_day, counts } => {
                let n = match day.checked_sub(*first_day) {
                    Some(0) => counts[0],
                    Some(1) => counts[1],
                    _ => 0,
                };
                for _ in 0..n {
                    classic_row(b);
                }
            }
            Self::CardTesting {
                day: d,
                start,
                tests,
                hits,
            } if *d == day => {
                card_testing_rows(b, *start, *tests, *hits);
            }
            Self::Takeover {
                first_day,
                days,
                far,
            } => {
                if (*first_day..*first_day + u32::from(*days)).contains(&day) {
                    takeover_rows(b, *far);
                }
            }
            Self::Compromised { event, days } => {
                let e = &events[*event];
                for _ in days.iter().filter(|&&d| d == day) {
                    let sec = b.rng.random_range(0..24 * HOUR);
                    let cents = e.prices[b.rng.random_range(0..3)];
                    let scenario = Some(FraudScenario::CompromisedMerchant);
                    b.push(sec, e.category, e.merchant, cents, e.location, scenario);
                }
            }
            Self::CardTesting { .. } => {}
        }
    }
}

fn classic_row(b: &mut DayBuilder<'_>) {
    let fraud = b.fraud_profile();
    let category = fraud.category(b.rng);
    let cents = fraud.amount_cents(category, b.rng);
    let morning = b.profile().morning(b.rng);
    let sec = if b.rng.random_bool(0.8) {
        if morning {
            b.rng.random_range(0..4 * HOUR)
        } else {
            b.rng.random_range(22 * HOUR..24 * HOUR)
        }
    } else if morning {
        b.rng.random_range(0..12 * HOUR)
    } else {
        b.rng.random_range(12 * HOUR..24 * HOUR)
    };
    let merchant = Merchants::pick(category, b.rng);
    let at = b.near_home();
    b.push(
        sec,
        category,
        merchant,
        cents,
        at,
        Some(FraudScenario::ClassicEpisode),
    );
}

fn card_testing_rows(b: &mut DayBuilder<'_>, start: u32, tests: u8, hits: u8) {
    const ONLINE: [Category; 3] = [
        Category::MiscNet,
        Category::ShoppingNet,
        Category::GroceryNet,
    ];
    let scenario = Some(FraudScenario::CardTesting);
    let mut sec = start;
    let mut used: Vec<u16> = Vec::with_capacity(usize::from(tests));
    for _ in 0..tests {
        sec += b.rng.random_range(5..=90);
        let category = if b.rng.random_bool(0.8) {
            ONLINE[b.rng.random_range(0..ONLINE.len())]
        } else {
            Category::ALL[b.rng.random_range(0..Category::ALL.len())]
        };
        let mut merchant = Merchants::pick(category, b.rng);
        for _ in 0..20 {
            if !used.contains(&merchant) {
                break;
            }
            merchant = Merchants::pick(category, b.rng);
        }
        used.push(merchant);
        let cents = b.rng.random_range(100..=300);
        let at = b.near_home();
        b.push(sec, category, merchant, cents, at, scenario);
    }
    if hits > 0 {
        sec += b.rng.random_range(10 * 60..=3 * HOUR);
    }
    for _ in 0..hits {
        let category = [
            Category::ShoppingNet,
            Category::MiscNet,
            Category::ShoppingPos,
        ][b.rng.random_range(0..3)];
        let merchant = Merchants::pick(category, b.rng);
        let cents = b.rng.random_range(20_000..=150_000);
        let at = b.near_home();
        b.push(sec, category, merchant, cents, at, scenario);
        sec += b.rng.random_range(60..=30 * 60);
    }
}

fn takeover_rows(b: &mut DayBuilder<'_>, far: (f64, f64)) {
    // entertainment, food_dining, home, misc_net, shopping_net, shopping_pos, travel
    const CATEGORIES: [(Category, f64); 7] = [
        (Category::Entertainment, 10.0),
        (Category::FoodDining, 5.0),
        (Category::Home, 10.0),
        (Category::MiscNet, 15.0),
        (Category::ShoppingNet, 25.0),
        (Category::ShoppingPos, 20.0),
        (Category::Travel, 15.0),
    ];
    let n = b.rng.random_range(2..=6);
    for _ in 0..n {
        let mut u = b.rng.random::<f64>() * 100.0;
        let category = CATEGORIES
            .iter()
            .find(|(_, w)| {
                let hit = u < *w;
                u -= w;
                hit
            })
            .map_or(Category::ShoppingNet, |c| c.0);
        let mean = (3.0 * b.profile().mean_amount(category)).max(150.0);
        let cents = ((mean * b.rng.random_range(0.5..1.5) * 100.0).round() as i64)
            .clamp(100, MAX_AMOUNT_CENTS);
        let sec = b.rng.random_range(7 * HOUR..24 * HOUR);
        let merchant = Merchants::pick(category, b.rng);
        let lat = round_to(far.0 + b.rng.random_range(-0.5..0.5), 6);
        let lon = round_to(far.1 + b.rng.random_range(-0.5..0.5), 6);
        b.push(
            sec,
            category,
            merchant,
            cents,
            (lat, lon),
            Some(FraudScenario::AccountTakeover),
        );
    }
}
