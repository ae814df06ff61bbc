//! `vigie demo`: the README's main job, on the embedded default (a data
//! directory, SQLite, local files; no services): generate two years of
//! transactions with every fraud scenario, ingest them (validation,
//! quarantine, tokens), split them in time, build features, train and
//! compare the four model families, register them and promote the best,
//! then serve the champion over HTTP and replay the later months through
//! the API.

use std::path::PathBuf;

use anyhow::Result;

use super::demo_serve::ServeAndReplay;
use super::demo_split::split_at;
use super::registry::RegistryArgs;
use super::thousands;
use super::train::TrainArgs;
use crate::cli::{Cli, DemoArgs, GenerateArgs, IngestArgs};
use crate::data_dir::DataDir;

/// Where the demo's files go.
struct DemoFiles {
    all: PathBuf,
    train: PathBuf,
    test: PathBuf,
}

fn step(title: &str) {
    #[allow(clippy::print_stdout)]
    {
        println!("\n== {title}");
    }
}

/// Runs `vigie demo`.
pub fn run(cli: &Cli, args: &DemoArgs) -> Result<()> {
    let dir = DataDir::resolve(cli.data_dir.as_deref())?.sub("demo")?;
    let files = DemoFiles {
        all: dir.join("transactions.csv"),
        train: dir.join("train.csv"),
        test: dir.join("test.csv"),
    };
    generate_and_ingest(cli, args, &files)?;
    step(&format!(
        "splitting in time: before {} to train, from {} to replay",
        args.cut, args.cut
    ));
    let counts = split_at(&files.all, &args.cut, &files.train, &files.test)?;
    #[allow(clippy::print_stdout)]
    {
        println!(
            "train: {} transactions; replay: {} transactions",
            thousands(counts.before),
            thousands(counts.after)
        );
    }
    step("features, then the four model families (time-based validation, test once)");
    super::train::run(
        cli,
        &TrainArgs {
            train: files.train.clone(),
            test: files.test.clone(),
            models: vec![
                "logreg".into(),
                "forest".into(),
                "svm".into(),
                "gbdt".into(),
            ],
            features: "behaviour".into(),
            valid_fraction: 0.2,
            search: args.search.clone(),
            seed: args.seed,
            model_name: "card-fraud".into(),
            promote: true,
            actor: Some("user:demo".into()),
            registry: RegistryArgs {
                database_url: None,
                artifacts_url: None,
            },
            keep_id_conflicts: false,
            json: false,
        },
    )?;
    step("serving the champion over HTTP and replaying the later months through it");
    super::demo_serve::run(
        cli,
        &ServeAndReplay {
            addr: args.addr,
            file: &files.test,
            rate: args.rate,
            seconds: args.replay_seconds,
            keep_serving: args.keep_serving,
        },
    )
}

fn generate_and_ingest(cli: &Cli, args: &DemoArgs, files: &DemoFiles) -> Result<()> {
    step(&format!(
        "generating {} card holders, 2019-01-01 .. 2020-12-31, every fraud scenario",
        args.customers
    ));
    super::generate::run(
        cli,
        &GenerateArgs {
            customers: args.customers,
            rows: None,
            from: "2019-01-01".into(),
            to: "2020-12-31".into(),
            seed: args.seed,
            scenarios: vec!["all".into()],
            scenario_column: true,
            out: files.all.clone(),
            json: false,
        },
    )?;
    step(&format!("ingesting {}", files.all.display()));
    super::ingest::run(
        cli,
        &IngestArgs {
            file: files.all.clone(),
            mapping: None,
            no_header: false,
            out: None,
            threads: None,
            keep_id_conflicts: false,
            json: false,
        },
    )
}
