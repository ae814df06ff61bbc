//! Criterion benchmarks of the ingestion path: one record through the parser,
//! and whole files through the parallel reader (no output) and through
//! `ingest_file` (Parquet + quarantine); and the record splitter against the
//! `csv` crate's reader it replaced in the parsing threads.
//!
//! `cargo bench -p vigie-ingest --bench ingest`
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vigie_ingest::split::Splitter;
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

/// Records into fields, nothing else: the `csv` crate's byte records (which
/// copy every field into the record) against the zero-copy splitter; on the
/// random rows, and on the first 64 MiB of `VIGIE_BENCH_CSV` when it names a
/// file (e.g. sparkov7_train, decompressed).
fn split(c: &mut Criterion) {
    split_file(c, "split/random_rows", rows::random_file(ROWS));
    if let Some(path) = std::env::var_os("VIGIE_BENCH_CSV") {
        let mut file = std::fs::read(path).expect("VIGIE_BENCH_CSV names a readable file");
        file.truncate(64 << 20);
        if let Some(end) = file.iter().rposition(|&b| b == b'\n') {
            file.truncate(end + 1);
        }
        split_file(c, "split/bench_csv", file);
    }
}

fn split_file(c: &mut Criterion, name: &str, file: Vec<u8>) {
    let mut group = c.benchmark_group(name);
    group.sample_size(20);
    group.throughput(Throughput::Bytes(file.len() as u64));
    group.bench_function("csv_crate_byte_records", |b| {
        b.iter(|| {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(file.as_slice());
            let mut record = csv::ByteRecord::new();
            let mut bytes = 0;
            while reader.read_byte_record(&mut record).unwrap() {
                bytes += record.iter().map(<[u8]>::len).sum::<usize>();
            }
            black_box(bytes)
        })
    });
    group.bench_function("vigie_splitter", |b| {
        b.iter(|| {
            let mut splitter = Splitter::new(b',');
            let mut bytes = 0;
            while splitter.next_record(&file).is_some() {
                let fields = splitter.fields(&file);
                bytes += (0..fields.len())
                    .filter_map(|i| fields.get(i))
                    .map(<[u8]>::len)
                    .sum::<usize>();
            }
            black_box(bytes)
        })
    });
    group.finish();
}

criterion_group!(benches, bench, split);
criterion_main!(benches);
