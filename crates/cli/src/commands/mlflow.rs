//! `vigie mlflow export`: push runs, models, versions and aliases to an
//! MLflow tracking server (idempotent).

use anyhow::Result;
use clap::{Args, Subcommand};

use super::print_json;
use super::registry::{RegistryArgs, open, usable};
use crate::cli::Cli;

/// `vigie mlflow`.
#[derive(Debug, Args)]
pub struct MlflowArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: MlflowCommand,
    /// Where the registry is.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Print JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The `mlflow` sub-commands.
#[derive(Debug, Subcommand)]
pub enum MlflowCommand {
    /// Export everything to an MLflow tracking server; running it again
    /// creates nothing new.
    Export {
        /// The tracking server (http://host:port).
        #[arg(long, env = "MLFLOW_TRACKING_URI", value_name = "URL")]
        tracking_uri: String,
    },
}

/// Runs `vigie mlflow`.
pub fn run(cli: &Cli, args: &MlflowArgs) -> Result<()> {
    let registry = open(cli, &args.registry)?;
    match &args.command {
        MlflowCommand::Export { tracking_uri } => {
            let report = vigie_registry::mlflow::export(&registry, tracking_uri).map_err(usable)?;
            if args.json {
                return print_json(&report);
            }
            #[allow(clippy::print_stdout)]
            {
                println!(
                    "exported to {tracking_uri}: {} runs created, {} completed, {} unchanged; \
                     {} models created; {} versions created, {} unchanged; {} aliases set, {} unchanged",
                    report.runs_created,
                    report.runs_completed,
                    report.runs_unchanged,
                    report.models_created,
                    report.versions_created,
                    report.versions_unchanged,
                    report.aliases_set,
                    report.aliases_unchanged
                );
            }
        }
    }
    Ok(())
}
