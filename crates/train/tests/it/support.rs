//! Generated train and test feature files (the test period continues the
//! training period's card histories), made once per test process.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use vigie_features::{FeatureOutputs, MemoryStateStore, ReplayOptions, Source, compute_features};
use vigie_ingest::ReadOptions;
use vigie_synth::GenerateConfig;
use vigie_types::{Date, FraudScenario, TokenKey, Tokenizer};

/// Paths of the feature files, in a directory kept for the process.
pub struct Files {
    _dir: tempfile::TempDir,
    /// Training features.
    pub train: PathBuf,
    /// Test features.
    pub test: PathBuf,
    /// A second test file (another seed, same period).
    pub other_test: PathBuf,
}

fn generate(path: &Path, from: Date, to: Date, seed: u64) {
    let config = GenerateConfig {
        customers: 80,
        from,
        to,
        seed,
        scenarios: FraudScenario::ALL.to_vec(),
        scenario_column: true,
        max_rows: None,
    };
    let file = std::fs::File::create(path).unwrap();
    vigie_synth::generate(&config, std::io::BufWriter::new(file), &|_| {}).unwrap();
}

fn features(
    dir: &Path,
    csv: &str,
    out: &str,
    state_in: Option<&str>,
    state_out: Option<&str>,
) -> PathBuf {
    let tokenizer = Tokenizer::new(&TokenKey::new(&[b't'; 32], 1).unwrap());
    let read = ReadOptions::default();
    let parquet = dir.join(out);
    compute_features(
        &Source::Csv {
            path: &dir.join(csv),
            tokenizer: &tokenizer,
            options: &read,
            quarantine: &dir.join(format!("{out}.quarantine.csv")),
        },
        &FeatureOutputs {
            parquet: parquet.clone(),
            state_snapshot: state_out.map(|s| dir.join(s)),
        },
        &ReplayOptions::default(),
        state_in.map(|s| MemoryStateStore::load_snapshot(&dir.join(s)).unwrap()),
        &[],
        &|_| {},
    )
    .unwrap();
    parquet
}

/// The shared files.
pub fn files() -> &'static Files {
    static FILES: OnceLock<Files> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = |y, m, day| Date::from_ymd(y, m, day).unwrap();
        generate(
            &dir.path().join("train.csv"),
            d(2019, 1, 1),
            d(2019, 9, 30),
            5,
        );
        generate(
            &dir.path().join("test.csv"),
            d(2019, 10, 1),
            d(2019, 12, 31),
            5,
        );
        generate(
            &dir.path().join("other.csv"),
            d(2019, 10, 1),
            d(2019, 12, 31),
            6,
        );
        let train = features(
            dir.path(),
            "train.csv",
            "train.parquet",
            None,
            Some("train.state"),
        );
        let test = features(
            dir.path(),
            "test.csv",
            "test.parquet",
            Some("train.state"),
            None,
        );
        let other_test = features(dir.path(), "other.csv", "other.parquet", None, None);
        Files {
            _dir: dir,
            train,
            test,
            other_test,
        }
    })
}
