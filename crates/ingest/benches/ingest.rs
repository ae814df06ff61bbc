//! Criterion benchmarks of the ingestion path: one record through the parser,
//! and whole files through the parallel reader (no output) and through
//! `ingest_file` (Parquet + quarantine).
//!
//! `cargo bench -p vigie-ingest --bench ingest`
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vigie_ingest::{
    IngestOutputs, Layout, Mapping, ReadOptions, RecordParser, ingest_file, read_file,
};
use vigie_types::{TokenKey, Tokenizer};

#[path = "../tests/it/rows.rs"]
mod rows;

const ROWS: usize = 50_000;

fn tokenizer() -> Tokenizer {
    Tokenizer::new(&TokenKey::new(b"bench-key-0123456789-0123456789-0123456789", 1).unwrap())
}

fn bench(c: &mut Criterion) {
    let file = rows::random_file(ROWS);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.csv");
    std::fs::write(&path, &file).unwrap();
    let tok = tokenizer();

    let mut group = c.benchmark_group("ingest");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ROWS as u64));

    let names: Vec<String> = vigie_ingest::kaggle::KAGGLE_COLUMNS
        .iter()
        .map(|s| s.to_string())
        .collect();
    let layout = Layout::resolve(&names, &Mapping::default(), &path).unwrap();
    let parser = RecordParser::new(layout, &Mapping::default(), tok.clone());
    let records: Vec<csv::ByteRecord> = csv::Reader::from_reader(file.as_slice())
        .byte_records()
        .map(Result::unwrap)
        .collect();
    group.bench_function("parse_record", |b| {
        b.iter(|| {
            for r in &records {
                black_box(parser.parse(r).is_ok());
            }
        })
    });

    for threads in [1, 2] {
        let options = ReadOptions {
            threads,
            chunk_bytes: 1 << 20,
            ..ReadOptions::default()
        };
        group.bench_function(format!("read_file/{threads}_threads"), |b| {
            b.iter(|| {
                read_file(&path, &tok, &options, &|_| {}, &mut |batch| {
                    black_box(batch);
                    Ok(())
                })
                .unwrap()
            })
        });
    }
    let outputs = IngestOutputs {
        parquet: dir.path().join("out.parquet"),
        quarantine: dir.path().join("q.csv"),
    };
    group.bench_function("ingest_file/2_threads", |b| {
        b.iter(|| {
            ingest_file(&path, &outputs, &tok, &ReadOptions::default(), &[], &|_| {}).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
