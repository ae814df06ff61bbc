//! `vigie runs list|show`: the training runs recorded in the registry.

use anyhow::Result;
use clap::{Args, Subcommand};
use vigie_registry::{RunDetail, RunFilter, RunId, RunSummary};

use super::print_json;
use super::registry::{RegistryArgs, open, usable};
use crate::cli::Cli;

/// `vigie runs`.
#[derive(Debug, Args)]
pub struct RunsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: RunsCommand,
    /// Where the registry is.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Print JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The `runs` sub-commands.
#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// List runs, newest first.
    List {
        /// Only this experiment.
        #[arg(long)]
        experiment: Option<String>,
        /// At most this many.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Show one run: parameters, metrics, curves, tags, artifacts.
    Show {
        /// The run's id (32 hex digits).
        id: String,
    },
}

/// Runs `vigie runs`.
pub fn run(cli: &Cli, args: &RunsArgs) -> Result<()> {
    let registry = open(cli, &args.registry)?;
    match &args.command {
        RunsCommand::List { experiment, limit } => {
            let filter = RunFilter {
                experiment: experiment.clone(),
                limit: *limit,
            };
            let runs = registry.runs(&filter).map_err(usable)?;
            if args.json {
                return print_json(&runs);
            }
            print_list(&runs);
        }
        RunsCommand::Show { id } => {
            let id = RunId::parse(id).map_err(usable)?;
            let run = registry.run(&id).map_err(usable)?;
            if args.json {
                return print_json(&run);
            }
            print_detail(&run);
        }
    }
    Ok(())
}

fn metrics_line(run: &RunSummary) -> String {
    run.metrics
        .iter()
        .map(|(k, v)| format!("{k}={v:.4}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[allow(clippy::print_stdout)]
fn print_list(runs: &[RunSummary]) {
    if runs.is_empty() {
        println!("no runs");
        return;
    }
    println!(
        "{:<32}  {:<20}  {:<20}  {:<8}  {:<24}  {:>9}  METRICS",
        "ID", "EXPERIMENT", "NAME", "STATUS", "STARTED", "SECONDS"
    );
    for run in runs {
        let seconds = run
            .duration_ms
            .map_or_else(|| "-".to_owned(), |ms| format!("{:.1}", ms as f64 / 1000.0));
        println!(
            "{:<32}  {:<20}  {:<20}  {:<8}  {:<24}  {:>9}  {}",
            run.id,
            run.experiment,
            run.name,
            run.status,
            run.started_at,
            seconds,
            metrics_line(run)
        );
    }
}

#[allow(clippy::print_stdout)]
fn print_detail(run: &RunDetail) {
    let s = &run.summary;
    println!("run         {}", s.id);
    println!("experiment  {}", s.experiment);
    println!("name        {}", s.name);
    println!("status      {}", s.status);
    println!("started     {}", s.started_at);
    if let Some(end) = s.finished_at {
        println!("finished    {end}");
    }
    println!("data        {}", run.data_fingerprint);
    println!("code        {}", run.code_version.as_deref().unwrap_or("-"));
    for (k, v) in &run.params {
        println!("param       {k} = {v}");
    }
    for (k, v) in &s.metrics {
        println!("metric      {k} = {v}");
    }
    for (name, points) in &run.curves {
        let last = points.last().map_or(String::new(), |p| {
            format!(", last {} at step {}", p.value, p.step)
        });
        println!("curve       {name}: {} points{last}", points.len());
    }
    for (k, v) in &run.tags {
        println!("tag         {k} = {v}");
    }
    for a in &run.artifacts {
        println!(
            "artifact    {} sha256:{} ({} bytes)",
            a.name, a.artifact.sha256, a.artifact.size
        );
    }
}
