//! The demo's second half: serve the champion over HTTP (embedded default:
//! SQLite decision log, in-memory card states warmed from the training
//! months) and replay the later months through the API with a live progress
//! line, then print where to look.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use vigie_decisions::Role;
use vigie_loadgen::{ReplayOptions, Workload, replay_workload};

use super::keys::DecisionLogArgs;
use super::registry::RegistryArgs;
use super::replay::{describe, print_summary, progress_line};
use super::serve::{Prepared, ServeArgs, prepare, shutdown_signal};
use crate::cli::Cli;

/// How the demo serves and replays.
pub struct ServeAndReplay<'a> {
    /// Listening address.
    pub addr: SocketAddr,
    /// The transactions to replay (the later months).
    pub file: &'a Path,
    /// Requests per second; `None`: the whole file in `seconds`.
    pub rate: Option<f64>,
    /// How long the replay should last when no rate is given.
    pub seconds: f64,
    /// Keep serving after the replay, until Ctrl-C.
    pub keep_serving: bool,
}

fn say(line: &str) {
    #[allow(clippy::print_stdout)]
    {
        println!("{line}");
    }
}

/// Starts the server, replays, prints the report and the URLs, stops.
pub fn run(cli: &Cli, plan: &ServeAndReplay<'_>) -> Result<()> {
    let Prepared {
        config,
        services,
        writer,
    } = prepare(cli, &serve_args(plan.addr))?;
    let (_, secret) = services
        .keys
        .create("demo", Role::Admin)
        .context("creating the demo's API key")?;
    let key = secret.expose().to_owned();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let server = runtime.block_on(vigie_server::spawn(config, services))?;
    let base = format!("http://{}", server.local_addr);
    say(&format!(
        "serving the champion on {base} (admin key for this demo: {key})"
    ));

    let workload = Workload::load(plan.file, None)?;
    let rate = plan
        .rate
        .unwrap_or_else(|| (workload.len() as f64 / plan.seconds.max(1.0)).ceil());
    say(&format!(
        "replaying {} transactions through POST /v1/score at {rate:.0}/s (open loop)",
        super::thousands(workload.len() as u64)
    ));
    let mut options = ReplayOptions::new(&base, plan.file, rate);
    options.api_key = Some(key.clone());
    options.warmup = Duration::from_secs(1);
    let line = progress_line();
    let report = replay_workload(&options, workload, |p| line.set_message(describe(p)));
    line.finish_and_clear();
    let report = report?;
    print_summary(&report);

    say("\nwhere to look:");
    say(&format!(
        "  API docs:   {base}/docs  (OpenAPI: {base}/api-docs/openapi.json)"
    ));
    say(&format!("  metrics:    {base}/metrics"));
    say(&format!(
        "  models:     curl -H 'Authorization: Bearer {key}' {base}/v1/models"
    ));
    say(&format!(
        "  a decision: curl -H 'Authorization: Bearer {key}' {base}/v1/decisions/<trans_num>"
    ));
    if plan.keep_serving {
        say("serving until Ctrl-C");
        runtime.block_on(shutdown_signal());
    }
    runtime.block_on(server.shutdown())?;
    let stats = writer.shutdown()?;
    say(&format!(
        "decision log: {} decisions written",
        super::thousands(stats.written)
    ));
    Ok(())
}

fn serve_args(addr: SocketAddr) -> ServeArgs {
    ServeArgs {
        addr,
        model: "card-fraud".into(),
        state: None,
        rules: None,
        no_auth: false,
        max_body: 1024 * 1024,
        max_batch: 500,
        request_timeout_ms: 5000,
        poll_ms: 1000,
        threads: None,
        registry: RegistryArgs {
            database_url: None,
            artifacts_url: None,
        },
        log: DecisionLogArgs {
            decisions_database_url: None,
        },
    }
}
