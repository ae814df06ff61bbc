//! `vigie serve`: the HTTP scoring service on the registry's champion (and
//! challenger, in shadow), with card states warmed from a snapshot, every
//! decision logged, and the models following the registry's aliases.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use vigie_decisions::{BatchWriter, BatchWriterOptions, KeyStore};
use vigie_engine::{Engine, EngineOptions};
use vigie_features::StateStore;
use vigie_registry::ModelName;
use vigie_server::{AuthMode, Limits, ServerConfig, Services};
use vigie_types::Tokenizer;

use super::keys::{DecisionLogArgs, open_log};
use super::registry::{RegistryArgs, open, usable};
use crate::UnusableInput;
use crate::cli::Cli;
use crate::data_dir::DataDir;
use crate::keys;
use crate::serving::{load_alias, load_rules, warm_state};

/// How long a verified API key is trusted before it is checked again
/// (a revocation takes effect within this time).
const KEY_CACHE_TTL: Duration = Duration::from_secs(10);

/// `vigie serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// The registered model whose `champion` (and `challenger`) aliases are
    /// served.
    #[arg(long, default_value = "card-fraud")]
    pub model: String,
    /// Card-state snapshot to warm the card histories from (default: the
    /// newest <data-dir>/features/*.state that `vigie train` left).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Rules file (TOML; default: the built-in rules).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Accept requests without an API key, as admin. Local demos only.
    #[arg(long)]
    pub no_auth: bool,
    /// Largest request body, bytes.
    #[arg(long, default_value_t = 1024 * 1024, value_name = "BYTES")]
    pub max_body: usize,
    /// Most transactions in one batch request.
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub max_batch: usize,
    /// Requests taking longer are answered 503 `timeout`.
    #[arg(long, default_value_t = 5000, value_name = "MS")]
    pub request_timeout_ms: u64,
    /// How often the registry is polled for alias moves.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub poll_ms: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Where the registry is.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Where the decision log is.
    #[command(flatten)]
    pub log: DecisionLogArgs,
}

/// A server ready to start: what `vigie serve` (and the demo) hand to
/// `vigie_server::spawn` / `serve`, and the decision-log writer to shut
/// down once the server has stopped.
#[derive(Debug)]
pub struct Prepared {
    /// Settings.
    pub config: ServerConfig,
    /// Engine, registry, decision log, keys, tokenizer.
    pub services: Services,
    /// The writer (also in `services`): call `shutdown()` after the server stops.
    pub writer: BatchWriter,
}

/// Runs `vigie serve` until Ctrl-C or SIGTERM.
pub fn run(cli: &Cli, args: &ServeArgs) -> Result<()> {
    let Prepared {
        config,
        services,
        writer,
    } = prepare(cli, args)?;
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.threads {
        runtime.worker_threads(threads.max(1));
    }
    let runtime = runtime
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(vigie_server::serve(config, services, shutdown_signal()))?;
    let stats = writer.shutdown()?;
    tracing::info!(
        written = stats.written,
        duplicates = stats.duplicates,
        failures = stats.failures,
        "decision log closed"
    );
    Ok(())
}

/// Loads everything `vigie serve` needs: models from the registry, rules,
/// warm card states, the token key, the decision log and its writer, keys.
pub fn prepare(cli: &Cli, args: &ServeArgs) -> Result<Prepared> {
    let data_dir = DataDir::resolve(cli.data_dir.as_deref())?;
    let registry = open(cli, &args.registry)?;
    let model = ModelName::parse(&args.model).map_err(usable)?;
    let (version, champion) = load_alias(&registry, &model, "champion")?.ok_or_else(|| {
        UnusableInput(format!(
            "model {model} has no champion: train with --promote, or `vigie models promote {model} N --alias champion`"
        ))
    })?;
    let challenger = load_alias(&registry, &model, "challenger")?;
    tracing::info!(
        model = %model,
        champion = version.version,
        challenger = challenger.as_ref().map(|(v, _)| v.version),
        "models loaded"
    );
    let rules = load_rules(args.rules.as_deref())?;
    let snapshot = match &args.state {
        Some(path) => Some(path.clone()),
        None => newest_snapshot(&data_dir.sub("features")?)?,
    };
    let store = warm_state(snapshot.as_deref())?;
    match &snapshot {
        Some(path) => tracing::info!(
            snapshot = %path.display(),
            cards = store.card_count()?,
            "card states warmed from snapshot"
        ),
        None => tracing::info!("no card-state snapshot found: card histories start empty"),
    }
    let tokenizer = Tokenizer::new(&keys::load_or_create(&data_dir)?);
    let log = open_log(cli, &args.log)?;
    let writer = BatchWriter::start(log.clone(), BatchWriterOptions::default())?;
    let key_store = KeyStore::new(&log, KEY_CACHE_TTL);
    let auth = if args.no_auth {
        AuthMode::Disabled
    } else {
        if !key_store.list()?.iter().any(|k| k.revoked_at.is_none()) {
            tracing::warn!(
                "no active API key: every request will be refused; create one with \
                 `vigie keys create --name NAME --role scorer`"
            );
        }
        AuthMode::Keys
    };
    let engine = Engine::new(
        Arc::new(store),
        champion,
        challenger.map(|(_, serving)| serving),
        rules,
        EngineOptions::default(),
    );
    let services = Services {
        engine: Arc::new(engine),
        registry: Arc::new(registry),
        log,
        writer: writer.clone(),
        keys: key_store,
        tokenizer,
    };
    let config = ServerConfig {
        addr: args.addr,
        model: args.model.clone(),
        auth,
        limits: Limits {
            body_bytes: args.max_body,
            batch_size: args.max_batch.max(1),
            request_timeout: Duration::from_millis(args.request_timeout_ms.max(1)),
            ..Limits::default()
        },
        poll_interval: Duration::from_millis(args.poll_ms.max(10)),
    };
    Ok(Prepared {
        config,
        services,
        writer,
    })
}

/// The newest `*.state` file in `dir`, if any.
fn newest_snapshot(dir: &Path) -> Result<Option<PathBuf>> {
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "state") {
            let modified = entry.metadata()?.modified()?;
            if newest.as_ref().is_none_or(|(t, _)| modified > *t) {
                newest = Some((modified, path));
            }
        }
    }
    Ok(newest.map(|(_, path)| path))
}

/// Completes on Ctrl-C or SIGTERM.
pub(super) async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received"),
        () = terminate => tracing::info!("SIGTERM received"),
    }
}
