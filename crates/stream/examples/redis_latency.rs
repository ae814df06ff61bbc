//! Latency percentiles and throughput of `observe` through the Redis state
//! store, in both atomicity flavours, beside the in-memory store; and the
//! pipelined warm-up rate. Prints a Markdown table.
//!
//! VIGIE_TEST_REDIS_URL=redis://127.0.0.1:6379 \
//!   cargo run --release -p vigie-stream --example redis_latency -- [OPS] [THREADS]

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a measuring tool: fails loudly, prints its table"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use vigie_features::{MemoryStateStore, StateStore, observe};
use vigie_stream::{Atomicity, RedisConfig, RedisStateStore};
use vigie_testkit::{build_transaction, test_card};
use vigie_types::{Category, Transaction};

const CARDS: u64 = 10_000;

/// Rounds of history loaded before measuring: one transaction per card
/// every 10 hours (about the Kaggle data's 2.5 a day), so 60 rounds are 25
/// days, all inside the 30-day ring: states of about 2 KiB, like real ones.
const HISTORY_ROUNDS: u64 = 60;

/// The `i`-th transaction of a stream over `CARDS` cards (or of one card).
fn transaction(i: u64, one_card: bool) -> Transaction {
    let (card, round) = if one_card {
        (0, i)
    } else {
        (i % CARDS, i / CARDS)
    };
    build_transaction(
        card as u32,
        1_600_000_000 + round as i64 * 36_000 + (card % 3_600) as i64,
        500 + (i * 7_919 % 50_000) as i64,
        Category::ALL[(i % 14) as usize],
        (i % 40) as usize,
        u128::from(i) + 1,
        false,
    )
    .txn
}

struct Run {
    latencies: Vec<Duration>,
    wall: Duration,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at].as_secs_f64() * 1e6
}

fn row(name: &str, run: &mut Run, extra: &str) {
    run.latencies.sort_unstable();
    let l = &run.latencies;
    println!(
        "| {name} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {extra} |",
        percentile(l, 0.5),
        percentile(l, 0.9),
        percentile(l, 0.99),
        percentile(l, 0.999),
        l.len() as f64 / run.wall.as_secs_f64(),
    );
}

/// Index of the first measured transaction (after the loaded history).
const FIRST: u64 = CARDS * HISTORY_ROUNDS;

/// `threads` threads, each observing `ops` transactions after the history.
fn drive(store: Arc<dyn StateStore>, threads: u64, ops: u64, one_card: bool) -> Run {
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let mut latencies = Vec::with_capacity(ops as usize);
                for k in 0..ops {
                    // Interleave threads over the same index space, so with
                    // several threads different cards are in flight.
                    let txn = transaction(FIRST + k * threads + t, one_card);
                    let began = Instant::now();
                    observe(store.as_ref(), &txn).unwrap();
                    latencies.push(began.elapsed());
                }
                latencies
            })
        })
        .collect();
    let latencies = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    Run {
        latencies,
        wall: started.elapsed(),
    }
}

fn redis(url: &str, mode: Atomicity) -> RedisStateStore {
    let mut config = RedisConfig::new(url);
    config.key_prefix = format!("vigie-latency-{}", std::process::id());
    config.atomicity = mode;
    let store = RedisStateStore::connect(&config).unwrap();
    store.purge_all().unwrap();
    store.initialise().unwrap();
    store
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let ops = args.first().copied().unwrap_or(50_000);
    let threads = args.get(1).copied().unwrap_or(4);
    let Ok(url) = std::env::var("VIGIE_TEST_REDIS_URL") else {
        eprintln!("skipped: set VIGIE_TEST_REDIS_URL");
        return;
    };
    // The loaded history: HISTORY_ROUNDS transactions per card.
    let memory = MemoryStateStore::default();
    for i in 0..FIRST {
        observe(&memory, &transaction(i, false)).unwrap();
    }
    let history: Vec<_> = (0..CARDS as u32)
        .filter_map(|c| {
            memory
                .get(&test_card(c))
                .unwrap()
                .map(|s| (test_card(c), s))
        })
        .collect();
    let bytes: usize = history
        .iter()
        .map(|(_, s)| vigie_features::codec::encode(s).len())
        .sum();
    let load = |store: &RedisStateStore| {
        store.purge_all().unwrap();
        let started = Instant::now();
        let report = store.warm_from(history.iter().cloned()).unwrap();
        (report.cards, started.elapsed())
    };

    println!(
        "observe(): {ops} transactions per configuration over {CARDS} cards with {HISTORY_ROUNDS} \
         events of history each ({:.0} bytes per state on average); latencies in µs\n",
        bytes as f64 / history.len() as f64
    );
    println!("| store | p50 | p90 | p99 | p99.9 | ops/s | notes |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    let memory: Arc<dyn StateStore> = Arc::new(memory);
    row("memory, 1 thread", &mut drive(memory, 1, ops, false), "");
    let mut warm = None;
    for (name, mode) in [
        ("WATCH/MULTI/EXEC", Atomicity::Watch),
        ("Lua compare-and-set", Atomicity::LuaCompareAndSet),
    ] {
        let store = Arc::new(redis(&url, mode));
        let dyn_store: Arc<dyn StateStore> = store.clone();
        warm = Some(load(&store));
        row(
            &format!("redis {name}, 1 thread"),
            &mut drive(dyn_store.clone(), 1, ops, false),
            "",
        );
        load(&store);
        row(
            &format!("redis {name}, {threads} threads"),
            &mut drive(dyn_store.clone(), threads, ops / threads, false),
            &format!("{} races lost", store.races_lost()),
        );
        store.purge_all().unwrap();
        store.initialise().unwrap();
        let before = store.races_lost();
        let contended = (ops / threads / 10).max(100);
        row(
            &format!("redis {name}, {threads} threads, ONE card"),
            &mut drive(dyn_store, threads, contended, true),
            &format!("{} races lost", store.races_lost() - before),
        );
        store.purge_all().unwrap();
    }
    if let Some((cards, took)) = warm {
        println!(
            "\nwarm_from: {cards} cards in {:.3} s: {:.0} cards/s ({:.1} MB/s), pipelines of 512 SETs",
            took.as_secs_f64(),
            cards as f64 / took.as_secs_f64(),
            bytes as f64 / took.as_secs_f64() / 1e6
        );
    }
}
