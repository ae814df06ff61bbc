//! `observe` through the Redis state store (both atomicity flavours) beside
//! the in-memory store, and pipelined warm-up. Needs `VIGIE_TEST_REDIS_URL`
//! (prints `skipped:` otherwise). Percentiles: `cargo run --release -p
//! vigie-stream --example redis_latency`.

#![allow(
    clippy::unwrap_used,
    clippy::print_stderr,
    reason = "a benchmark fails loudly and says when it is skipped"
)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vigie_features::{CardState, MemoryStateStore, StateStore, observe};
use vigie_stream::{Atomicity, RedisConfig, RedisStateStore};
use vigie_testkit::{build_transaction, test_card};
use vigie_types::Category;

fn next_transaction(i: u64) -> vigie_types::Transaction {
    build_transaction(
        (i % 1000) as u32,
        1_600_000_000 + i as i64 * 7,
        500 + (i % 10_000) as i64,
        Category::ALL[(i % 14) as usize],
        (i % 9) as usize,
        u128::from(i) + 1,
        false,
    )
    .txn
}

fn config(url: &str, atomicity: Atomicity) -> RedisConfig {
    let mut config = RedisConfig::new(url);
    config.key_prefix = format!("vigie-bench-{}", std::process::id());
    config.atomicity = atomicity;
    config
}

fn bench_observe(c: &mut Criterion) {
    let mut group = c.benchmark_group("observe");
    group.throughput(Throughput::Elements(1));
    let memory = MemoryStateStore::default();
    let mut i = 0u64;
    group.bench_function("memory", |b| {
        b.iter(|| {
            i += 1;
            observe(&memory, &next_transaction(i)).unwrap()
        })
    });
    let Ok(url) = std::env::var("VIGIE_TEST_REDIS_URL") else {
        eprintln!("skipped: the Redis benchmarks need VIGIE_TEST_REDIS_URL");
        return;
    };
    for (name, mode) in [
        ("redis_watch", Atomicity::Watch),
        ("redis_lua_cas", Atomicity::LuaCompareAndSet),
    ] {
        let store = RedisStateStore::connect(&config(&url, mode)).unwrap();
        store.purge_all().unwrap();
        store.initialise().unwrap();
        let mut i = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                i += 1;
                observe(&store, &next_transaction(i)).unwrap()
            })
        });
        store.purge_all().unwrap();
    }
    group.finish();
}

fn bench_warm(c: &mut Criterion) {
    let Ok(url) = std::env::var("VIGIE_TEST_REDIS_URL") else {
        return;
    };
    let memory = MemoryStateStore::default();
    for i in 0..20_000 {
        observe(&memory, &next_transaction(i)).unwrap();
    }
    let states: Vec<(vigie_types::CardToken, CardState)> = (0..1000)
        .map(|c| (test_card(c), memory.get(&test_card(c)).unwrap().unwrap()))
        .collect();
    let store = RedisStateStore::connect(&config(&url, Atomicity::Watch)).unwrap();
    let mut group = c.benchmark_group("warm_from");
    group.throughput(Throughput::Elements(states.len() as u64));
    group.sample_size(20);
    group.bench_function("1000_cards_20_events_each", |b| {
        b.iter(|| store.warm_from(states.iter().cloned()).unwrap())
    });
    group.finish();
    store.purge_all().unwrap();
}

criterion_group!(benches, bench_observe, bench_warm);
criterion_main!(benches);
