//! Decoding and encoding transaction messages (JSON, schema 1): the worker
//! decodes every message it fetches.
//!
//! `cargo bench -p vigie-stream --bench messages`

#![allow(clippy::unwrap_used, reason = "a benchmark fails loudly")]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vigie_stream::nats::{decode_tx, encode_tx};
use vigie_testkit::build_transaction;
use vigie_types::Category;

fn messages(c: &mut Criterion) {
    let txn = build_transaction(7, 1_600_000_000, 4_250, Category::ALL[3], 2, 42, false).txn;
    let payload = encode_tx(&txn);
    let mut group = c.benchmark_group("message");
    group.throughput(Throughput::Elements(1));
    group.bench_function("decode_tx", |b| {
        b.iter(|| decode_tx(black_box(&payload)).unwrap())
    });
    group.bench_function("encode_tx", |b| b.iter(|| encode_tx(black_box(&txn))));
    group.finish();
}

criterion_group!(benches, messages);
criterion_main!(benches);
