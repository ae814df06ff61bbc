//! `vigie`: the one binary. It parses the command line, sets up logging and
//! the data directory, and hands each command to the library that does the
//! work. This is the only crate that uses `anyhow`.
//!
//! Exit codes: 0 success; 2 the input or the command line is not usable
//! (one clear line on stderr says why); 1 any other failure.

mod cli;
mod commands;
mod data_dir;
mod keys;
mod logging;
mod progress;
mod serving;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// A failure that means "the input is not usable": exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UnusableInput(pub String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.log_format, cli.verbose);
    let result = match &cli.command {
        Command::Ingest(args) => commands::ingest::run(&cli, args),
        Command::Generate(args) => commands::generate::run(&cli, args),
        Command::Features(args) => commands::features::run(&cli, args),
        Command::Demo(args) => commands::demo::run(&cli, args),
        Command::Train(args) => commands::train::run(&cli, args),
        Command::Runs(args) => commands::runs::run(&cli, args),
        Command::Models(args) => commands::models::run(&cli, args),
        Command::Mlflow(args) => commands::mlflow::run(&cli, args),
        Command::Stream(args) => commands::stream::run(&cli, args),
        Command::Serve(args) => commands::serve::run(&cli, args),
        Command::Keys(args) => commands::keys::run(&cli, args),
        Command::Replay(args) => commands::replay::run(&cli, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let code = if err.downcast_ref::<UnusableInput>().is_some() {
                2
            } else {
                1
            };
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: {err:#}");
            }
            ExitCode::from(code)
        }
    }
}
