//! Registry latencies on the embedded SQLite backend (WAL, synchronous=FULL):
//! an alias move (one audited transaction), a registration (store + fsync +
//! read back + verify + audited insert) and reads. With PostgreSQL when
//! `VIGIE_BENCH_DATABASE_URL` is set (a fresh schema is not created: point it
//! at an empty database or schema).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use vigie_registry::{
    Actor, AliasName, ModelName, NewVersion, Registry, RegistryConfig, RunFilter,
};

fn open(dir: &std::path::Path) -> (Registry, &'static str) {
    let database_url = std::env::var("VIGIE_BENCH_DATABASE_URL").ok();
    let label = if database_url.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    let registry = Registry::open(&RegistryConfig {
        data_dir: dir.to_path_buf(),
        database_url,
        ..RegistryConfig::default()
    })
    .unwrap();
    (registry, label)
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (reg, backend) = open(dir.path());
    let actor = Actor::user("bench").unwrap();
    let model = ModelName::parse(&format!("bench-{}", std::process::id())).unwrap();
    let champion = AliasName::parse("champion").unwrap();
    let payload = vec![7u8; 64 * 1024];
    let mut counter = 0u64;
    let mut register = |reg: &Registry| {
        counter += 1;
        let mut bytes = payload.clone();
        bytes[..8].copy_from_slice(&counter.to_le_bytes());
        let artifact = reg.store_artifact(&bytes).unwrap();
        reg.register_version(
            &NewVersion {
                model: model.clone(),
                run_id: None,
                artifact,
                feature_schema_hash: "fs1".into(),
                description: String::new(),
            },
            &actor,
        )
        .unwrap()
        .version
    };
    register(&reg);
    register(&reg);

    let mut group = c.benchmark_group(backend);
    group.sample_size(30);
    group.bench_function("register_version_64KiB", |b| b.iter(|| register(&reg)));
    let mut flip = 1;
    group.bench_function("set_alias", |b| {
        b.iter(|| {
            flip = 3 - flip;
            reg.set_alias(&model, &champion, flip, &actor).unwrap()
        })
    });
    group.bench_function("alias_lookup", |b| {
        b.iter(|| reg.alias(&model, &champion).unwrap())
    });
    group.bench_function("runs_list_empty", |b| {
        b.iter(|| reg.runs(&RunFilter::default()).unwrap())
    });
    group.finish();
    let chain = reg.verify_audit_chain().unwrap();
    let mut group = c.benchmark_group(backend);
    group.sample_size(10);
    group.bench_function(
        format!("verify_audit_chain_{}_entries", chain.entries),
        |b| b.iter(|| reg.verify_audit_chain().unwrap()),
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
