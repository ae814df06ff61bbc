//! `vigie demo`: the README's main job. At this stage: generate a data set
//! with every fraud scenario, ingest it, and print the summary.

use anyhow::Result;

use crate::cli::{Cli, DemoArgs, GenerateArgs, IngestArgs};
use crate::data_dir::DataDir;

/// Runs `vigie demo`.
pub fn run(cli: &Cli, args: &DemoArgs) -> Result<()> {
    let data_dir = DataDir::resolve(cli.data_dir.as_deref())?;
    let csv = data_dir.sub("demo")?.join("transactions.csv");
    #[allow(clippy::print_stdout)]
    {
        println!(
            "== generating {} card holders, 2019-01-01 .. 2020-12-31, every fraud scenario",
            args.customers
        );
    }
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
            out: csv.clone(),
            json: false,
        },
    )?;
    #[allow(clippy::print_stdout)]
    {
        println!("\n== ingesting {}", csv.display());
    }
    super::ingest::run(
        cli,
        &IngestArgs {
            file: csv,
            mapping: None,
            no_header: false,
            out: None,
            threads: None,
            keep_id_conflicts: false,
            json: false,
        },
    )
}
