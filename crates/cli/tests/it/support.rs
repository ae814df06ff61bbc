//! Running the binary in a temporary data directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary data directory and a way to run `vigie` in it.
pub struct Vigie {
    pub dir: tempfile::TempDir,
}

impl Vigie {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs `vigie --data-dir <tmp>/data ARGS` with a clean key environment.
    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigie"));
        cmd.arg("--data-dir").arg(self.data_dir()).args(args);
        for var in [
            "VIGIE_TOKEN_KEY",
            "VIGIE_TOKEN_KEY_FILE",
            "VIGIE_TOKEN_KEY_VERSION",
            "VIGIE_HOME",
            "VIGIE_LOG",
            "VIGIE_DATABASE_URL",
            "VIGIE_ARTIFACTS_URL",
            "VIGIE_NATS_URL",
            "VIGIE_NATS_CA",
            "VIGIE_NATS_CERT",
            "VIGIE_NATS_KEY",
            "MLFLOW_TRACKING_URI",
        ] {
            cmd.env_remove(var);
        }
        cmd.envs(env.iter().copied());
        cmd.output().unwrap()
    }

    /// Generates a small data set and returns its path.
    pub fn generate(&self, customers: u32) -> PathBuf {
        let out = self.dir.path().join("gen.csv");
        let n = customers.to_string();
        let o = self.run(
            &[
                "generate",
                "--customers",
                &n,
                "--from",
                "2020-01-01",
                "--to",
                "2020-03-31",
                "--scenarios",
                "all",
                "--out",
                out.to_str().unwrap(),
            ],
            &[],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        out
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// All files under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path)
            } else {
                out.push(path)
            }
        }
    }
    out
}

/// The `cc_num` column of a Kaggle-layout file.
pub fn card_numbers(path: &Path) -> Vec<String> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let col = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "cc_num")
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap()[col].to_string())
        .collect()
}

/// Every substring of 11 to 19 digits in `bytes`.
pub fn digit_windows(bytes: &[u8]) -> std::collections::HashSet<Vec<u8>> {
    let mut out = std::collections::HashSet::new();
    for run in bytes
        .split(|b| !b.is_ascii_digit())
        .filter(|run| run.len() >= 11)
    {
        for len in 11..=19.min(run.len()) {
            out.extend(run.windows(len).map(<[u8]>::to_vec));
        }
    }
    out
}
