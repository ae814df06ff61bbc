//! Decision log costs on the embedded SQLite backend (WAL, synchronous=FULL):
//! a batch of 256 decisions in one transaction, the request-path cost of
//! `BatchWriter::submit`, and reads by `trans_num`; and, with no database,
//! encoding a group for PostgreSQL (`encode/...`). With PostgreSQL when
//! `VIGIE_BENCH_DATABASE_URL` is set (in a fresh schema, dropped at the end).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs
)]

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vigie_decisions::{
    BatchWriter, BatchWriterOptions, DecisionLog, DecisionLogConfig, DecisionSource,
    LoggedDecision, StreamPosition,
};
use vigie_engine::rules::RuleAction;
use vigie_engine::{DecisionRecord, ModelRef, Reason, RuleHit, ShadowScore, Thresholds};
use vigie_types::{CardToken, Timestamp, TransNum};

/// A distinct, random-looking id for each `n`, as real `trans_num`s are:
/// the unique index's inserts land on random leaves, as in production (the
/// high half is splitmix64 of `n`, a bijection, so ids never collide).
fn scattered(n: u64) -> u128 {
    let mix = |mut z: u64| {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    u128::from(mix(n)) << 64 | u128::from(std::process::id())
}

/// A decision like the engine's: 3 reasons, a rule, a challenger, 40 features.
fn decision(n: u64) -> LoggedDecision {
    let thresholds = Thresholds {
        review: 0.3,
        block: 0.8,
    };
    let score = (n % 1000) as f64 / 1000.0;
    let card = CardToken::parse(format!("ct1_{:064x}", n % 5000).as_bytes()).unwrap();
    let reason = |i: usize| Reason {
        code: format!("feature_{i}"),
        feature: format!("feature_{i}"),
        value: i as f64 * 1.5,
        contribution: 0.25,
        text: "The amount is far above this card's usual spending.".into(),
    };
    LoggedDecision::new(
        DecisionRecord {
            trans_num: TransNum::from_u128(scattered(n)),
            card,
            event_time: Timestamp::from_seconds(1_600_000_000 + n as i64),
            amount_cents: 4_250,
            score,
            decision: thresholds.decide(score),
            model: ModelRef {
                name: "fraud-gbdt".into(),
                version: 3,
            },
            feature_schema_hash: "fs1:0123abcd".into(),
            thresholds,
            reasons: (0..3).map(reason).collect(),
            rules_fired: vec![RuleHit {
                code: "R_NIGHT_BIG".into(),
                action: RuleAction::Review,
                description: "big amount at night".into(),
            }],
            challenger: Some(ShadowScore {
                model: ModelRef {
                    name: "fraud-logreg".into(),
                    version: 1,
                },
                score: score / 2.0,
                decision: thresholds.decide(score / 2.0),
            }),
            features: (0..40).map(|i| i as f32 / 7.0).collect(),
            degraded: false,
            latency_us: 180,
            stages: Default::default(),
        },
        DecisionSource::Http,
    )
}

/// The log, its label, and the PostgreSQL schema to drop.
fn open(dir: &std::path::Path) -> (DecisionLog, &'static str, Option<(String, String)>) {
    let Some(base) = std::env::var("VIGIE_BENCH_DATABASE_URL").ok() else {
        let config = DecisionLogConfig {
            data_dir: dir.to_path_buf(),
            database_url: None,
        };
        return (DecisionLog::open(&config).unwrap(), "sqlite", None);
    };
    let schema = format!("bench_decisions_{}", std::process::id());
    let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    let config = DecisionLogConfig {
        data_dir: dir.to_path_buf(),
        database_url: Some(format!("{base}{sep}options=-csearch_path%3D{schema}")),
    };
    let log = DecisionLog::open(&config).unwrap();
    (log, "postgres", Some((base, schema)))
}

/// What the worker's committer does to a group before sending it: every
/// row into one wire-format array per column (no database involved).
fn encode(c: &mut Criterion) {
    let decisions: Vec<LoggedDecision> = (0..4096)
        .map(|n| LoggedDecision::encoded(decision(n).record, DecisionSource::Stream))
        .collect();
    let mut group = c.benchmark_group("encode");
    group.throughput(Throughput::Elements(4096));
    group.bench_function("group_4096_stream_decisions", |b| {
        b.iter(|| vigie_decisions::encode_group_for_bench(&decisions).unwrap())
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (log, backend, schema) = open(dir.path());
    let mut next = 0u64;
    let mut fresh = |n: usize| -> Vec<LoggedDecision> {
        (0..n)
            .map(|_| {
                next += 1;
                decision(next)
            })
            .collect()
    };

    let mut group = c.benchmark_group(backend);
    group.sample_size(20);
    group.throughput(Throughput::Elements(256));
    group.bench_function("write_batch_256", |b| {
        b.iter_batched(
            || fresh(256),
            |batch| log.write_batch(&batch, None).unwrap(),
            criterion::BatchSize::LargeInput,
        )
    });
    // The stream worker's group commit: 16 partitions' batches of 256
    // decisions, with their positions, in one statement.
    group.throughput(Throughput::Elements(16 * 256));
    let mut sequence = 0u64;
    group.bench_function("write_group_16x256", |b| {
        b.iter_batched(
            || {
                sequence += 256;
                let positions: Vec<StreamPosition> = (0..16)
                    .map(|partition| StreamPosition {
                        consumer: "bench".into(),
                        partition,
                        sequence,
                    })
                    .collect();
                ((0..16).map(|_| fresh(256)).collect::<Vec<_>>(), positions)
            },
            |(batches, positions)| {
                let group: Vec<(&[LoggedDecision], Option<&StreamPosition>)> = batches
                    .iter()
                    .zip(&positions)
                    .map(|(b, p)| (b.as_slice(), Some(p)))
                    .collect();
                log.write_batches(&group).unwrap()
            },
            criterion::BatchSize::LargeInput,
        )
    });
    let known = fresh(1000);
    log.write_batch(&known, None).unwrap();
    group.throughput(Throughput::Elements(256));
    group.bench_function("write_batch_256_all_duplicates", |b| {
        b.iter(|| log.write_batch(&known[..256], None).unwrap())
    });
    group.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    group.bench_function("get", |b| {
        b.iter(|| {
            i = (i + 1) % known.len();
            log.get(&known[i].record.trans_num).unwrap().unwrap()
        })
    });

    // The request path: submit only (the writer runs beside it).
    let writer = BatchWriter::start(
        log.clone(),
        BatchWriterOptions {
            queue_capacity: 100_000,
            ..BatchWriterOptions::default()
        },
    )
    .unwrap();
    group.bench_function("batch_writer_submit", |b| {
        b.iter_custom(|iters| {
            let decisions = fresh(iters as usize);
            let started = Instant::now();
            for d in decisions {
                writer.submit(d).unwrap();
            }
            let spent = started.elapsed();
            writer.flush().unwrap();
            spent
        })
    });
    group.finish();

    // Sustained throughput through the writer, reported once.
    let decisions = fresh(20_000);
    let started = Instant::now();
    for d in decisions {
        while writer.submit(d.clone()).is_err() {
            std::thread::sleep(Duration::from_micros(100));
        }
    }
    writer.flush().unwrap();
    let spent = started.elapsed();
    let stats = writer.shutdown().unwrap();
    println!(
        "{backend}: 20000 decisions through the BatchWriter in {:.2} s = {:.0}/s ({} batches, last batch {} us)",
        spent.as_secs_f64(),
        20_000.0 / spent.as_secs_f64(),
        stats.batches,
        stats.last_flush_latency_us
    );

    if let Some((base, schema)) = schema {
        let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap();
        let _ = admin.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
    }
}

criterion_group!(benches, encode, bench);
criterion_main!(benches);
