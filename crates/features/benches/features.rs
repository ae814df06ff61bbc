//! Online feature latency: extract + update for one transaction, with card
//! histories like the Kaggle data's (about 2.5 transactions a day per card,
//! 30 days of events in the ring), through a plain map and through the
//! locked in-memory store; and the state codec.
//!
//! cargo bench -p vigie-features --bench features

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use vigie_features::{CardState, MemoryStateStore, codec, observe};
use vigie_testkit::build_transaction;
use vigie_types::{Category, LabeledTransaction};

const CARDS: u32 = 1_000;

/// A time-ordered stream: every 35 s a transaction of a pseudo-random card.
fn stream(n: usize, start: i64) -> Vec<LabeledTransaction> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            build_transaction(
                (x % u64::from(CARDS)) as u32,
                start + i as i64 * 35,
                (x >> 20) as i64 % 20_000 + 100,
                Category::ALL[(x >> 40) as usize % 14],
                (x >> 50) as usize % 100,
                (u128::from(x) << 64) | i as u128,
                false,
            )
        })
        .collect()
}

fn online(c: &mut Criterion) {
    // 60 days of history per card (2.5 a day), then the measured stream.
    let warm = stream(150_000, 1_577_836_800);
    let next_start = warm.last().map_or(0, |t| t.txn.event_time.seconds()) + 35;
    let measured = stream(200_000, next_start);

    let mut warmed: HashMap<_, CardState> = HashMap::new();
    for t in &warm {
        warmed.entry(t.txn.card).or_default().update(&t.txn);
    }
    // Each pass over the measured stream starts from the warmed states (the
    // copy is not timed), so no transaction is ever replayed as a duplicate.
    c.bench_function("extract+update (map)", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let mut states = warmed.clone();
                let n = (iters - done).min(measured.len() as u64) as usize;
                let start = Instant::now();
                for lt in &measured[..n] {
                    black_box(states.entry(lt.txn.card).or_default().observe(&lt.txn));
                }
                total += start.elapsed();
                done += n as u64;
            }
            total
        })
    });
    c.bench_function("observe (memory store)", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let store = MemoryStateStore::from_states(warmed.clone());
                let n = (iters - done).min(measured.len() as u64) as usize;
                let start = Instant::now();
                for lt in &measured[..n] {
                    black_box(observe(&store, &lt.txn).ok());
                }
                total += start.elapsed();
                done += n as u64;
            }
            total
        })
    });

    let typical = warmed
        .values()
        .max_by_key(|s| s.recent.len())
        .cloned()
        .unwrap_or_default();
    let bytes = codec::encode(&typical);
    c.bench_function(
        &format!("codec encode ({} events)", typical.recent.len()),
        |b| b.iter(|| black_box(codec::encode(black_box(&typical)))),
    );
    c.bench_function(&format!("codec decode ({} bytes)", bytes.len()), |b| {
        b.iter(|| black_box(codec::decode(black_box(&bytes)).ok()))
    });
}

criterion_group!(benches, online);
criterion_main!(benches);
