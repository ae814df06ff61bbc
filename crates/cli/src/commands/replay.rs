//! `vigie replay`: an open-loop load test of a scoring endpoint with a
//! Kaggle-layout transaction file (see docs/replay.md). A live progress line
//! on stderr (on a terminal), then a summary table, or the report as one
//! JSON object with `--json`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use vigie_loadgen::{
    LatencySummary, Progress, ReplayError, ReplayOptions, ReplayReport, Workload, replay_workload,
};

use super::{print_json, thousands};
use crate::UnusableInput;
use crate::cli::Cli;

/// `vigie replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The scoring endpoint: http://host[:port][/path] (path default /v1/score).
    #[arg(long, default_value = "http://127.0.0.1:8080", value_name = "URL")]
    pub url: String,
    /// Transactions in the Kaggle CSV layout, sent in event-time order.
    #[arg(long, value_name = "FILE")]
    pub file: PathBuf,
    /// Requests per second (open loop: request i is due at i / rate).
    #[arg(long, value_name = "N")]
    pub rate: f64,
    /// Send at most this many rows.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Stop scheduling after this many seconds.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    /// Keep-alive HTTP/1.1 connections.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub connections: usize,
    /// API key, sent as `Authorization: Bearer <KEY>`.
    #[arg(
        long,
        env = "VIGIE_API_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub api_key: Option<String>,
    /// Seconds after its intended send time at which an unanswered request
    /// counts as a timeout (one still waiting for a connection is not sent).
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub timeout: f64,
    /// Seconds at the start whose requests are left out of the percentiles.
    #[arg(long, default_value_t = 0.0, value_name = "SECS")]
    pub warmup: f64,
    /// Requests due but unanswered, at most; past it requests are counted as
    /// `in_flight_cap` errors and not sent.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub max_in_flight: u64,
    /// Print the report as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs `vigie replay`.
pub fn run(_cli: &Cli, args: &ReplayArgs) -> Result<()> {
    let options = options(args)?;
    let bound = options.row_bound().map_err(classify)?;
    let workload = Workload::load(&options.file, bound).map_err(classify)?;
    tracing::info!(
        rows = workload.len(),
        labelled = workload.is_labelled(),
        resorted = workload.was_resorted(),
        "requests encoded"
    );
    let line = progress_line();
    let result = replay_workload(&options, workload, |p| line.set_message(describe(p)));
    line.finish_and_clear();
    let report = result.map_err(classify)?;
    tracing::info!(
        sent = report.sent,
        answered = report.answered,
        errors = report.error_total,
        p99_us = report.latency_us.p99,
        "replay done"
    );
    if args.json {
        print_json(&report)
    } else {
        print_summary(&report);
        Ok(())
    }
}

fn seconds(value: f64, what: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        UnusableInput(format!("{what} must be a non-negative number of seconds")).into()
    })
}

fn options(args: &ReplayArgs) -> Result<ReplayOptions> {
    let mut options = ReplayOptions::new(&args.url, &args.file, args.rate);
    options.limit = args.limit;
    options.duration = args
        .duration
        .map(|d| seconds(d, "--duration"))
        .transpose()?;
    options.connections = args.connections;
    options.api_key = args.api_key.clone();
    options.timeout = seconds(args.timeout, "--timeout")?;
    options.warmup = seconds(args.warmup, "--warmup")?;
    options.max_in_flight = args.max_in_flight;
    Ok(options)
}

/// Problems with the input or the options exit with code 2; the rest with 1.
fn classify(err: ReplayError) -> anyhow::Error {
    match err {
        ReplayError::Io { ref reason, .. } if reason.kind() == std::io::ErrorKind::NotFound => {
            UnusableInput(err.to_string()).into()
        }
        ReplayError::InvalidOption(_)
        | ReplayError::InvalidUrl(_)
        | ReplayError::Csv { .. }
        | ReplayError::MissingColumn { .. }
        | ReplayError::NotANumber { .. }
        | ReplayError::EmptyWorkload(_) => UnusableInput(err.to_string()).into(),
        other => other.into(),
    }
}

/// A one-line live status on stderr, drawn only on a terminal.
pub(super) fn progress_line() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let line = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}") {
        line.set_style(style);
    }
    line.enable_steady_tick(Duration::from_millis(100));
    line
}

/// The progress line's text.
pub fn describe(p: &Progress) -> String {
    let mut text = format!(
        "{}/{} sent, {} in flight, {} waiting, {:.0}/s, p50 {} p99 {}, {} errors | allow {} review {} block {}",
        thousands(p.sent),
        thousands(p.planned),
        thousands(p.in_flight),
        thousands(p.waiting),
        p.throughput,
        micros(p.p50_us),
        micros(p.p99_us),
        thousands(p.errors),
        thousands(p.decisions.allow),
        thousands(p.decisions.review),
        thousands(p.decisions.block),
    );
    if let Some(c) = &p.confusion {
        text.push_str(&format!(" | frauds caught {}/{}", c.caught, c.frauds));
    }
    text
}

/// A duration in µs, shown in the most readable unit.
fn micros(us: u64) -> String {
    if us >= 10_000 {
        format!("{:.1} ms", us as f64 / 1000.0)
    } else if us >= 1000 {
        format!("{:.2} ms", us as f64 / 1000.0)
    } else {
        format!("{us} µs")
    }
}

#[allow(clippy::print_stdout)]
pub(super) fn print_summary(r: &ReplayReport) {
    println!("replay of {} against {}", r.file, r.url);
    println!(
        "  rate:        {:.0}/s requested, {:.0}/s achieved over {:.2} s ({} connections)",
        r.requested_rate, r.achieved_rate, r.duration_s, r.connections
    );
    println!(
        "  requests:    {} planned, {} sent, {} answered, {} scored",
        thousands(r.planned),
        thousands(r.sent),
        thousands(r.answered),
        thousands(r.scored)
    );
    let statuses: Vec<String> = r
        .statuses
        .iter()
        .map(|(status, n)| format!("{status}: {}", thousands(*n)))
        .collect();
    println!("  statuses:    {}", statuses.join(", "));
    for (kind, n) in &r.errors {
        println!("  errors:      {kind}: {}", thousands(*n));
    }
    println!();
    println!(
        "  {:<26} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "latency", "p50", "p90", "p99", "p99.9", "max"
    );
    let row = |name: &str, l: &LatencySummary| {
        println!(
            "  {:<26} {:>10} {:>10} {:>10} {:>10} {:>10}",
            name,
            micros(l.p50),
            micros(l.p90),
            micros(l.p99),
            micros(l.p999),
            micros(l.max)
        );
    };
    row("from intended send time", &r.latency_us);
    row("service time (closed loop)", &r.service_time_us);
    row("send lag", &r.send_lag_us);
    if let Some(server) = &r.server_latency_us {
        row("server-reported", server);
    }
    if r.warmup_excluded > 0 {
        println!(
            "  ({} answers in the warm-up left out)",
            thousands(r.warmup_excluded)
        );
    }
    println!();
    let d = &r.decisions;
    println!(
        "  decisions:   allow {}, review {}, block {}",
        thousands(d.allow),
        thousands(d.review),
        thousands(d.block)
    );
    if let Some(c) = &r.confusion {
        let share = |n: u64, of: u64| {
            if of == 0 {
                0.0
            } else {
                100.0 * n as f64 / of as f64
            }
        };
        println!(
            "  frauds:      {} scored, {} caught ({:.1}%), {} blocked ({:.1}%)",
            thousands(c.frauds),
            thousands(c.caught),
            share(c.caught, c.frauds),
            thousands(c.blocked),
            share(c.blocked, c.frauds)
        );
        println!(
            "  legitimate:  {} scored, {} flagged ({:.2}%), {} blocked",
            thousands(c.legitimate),
            thousands(c.false_positives),
            share(c.false_positives, c.legitimate),
            thousands(c.false_blocks)
        );
    }
}
