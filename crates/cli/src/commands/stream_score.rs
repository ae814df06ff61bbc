//! `vigie stream score`: a scorer worker (crate `vigie-worker`). This file
//! turns the command line into a [`WorkerConfig`], an engine (the model from
//! a file or the registry, the rules) and a decision log, then runs the
//! worker on a two-thread tokio runtime until SIGTERM or SIGINT.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use vigie_decisions::{DecisionLog, DecisionLogConfig};
use vigie_engine::{Engine, EngineOptions, ModelRef, ServingModel};
use vigie_registry::ModelName;
use vigie_stream::nats::{ConsumerSettings, StreamSettings, Topology};
use vigie_stream::{RedisConfig, RedisStateStore};
use vigie_worker::{Metrics, Worker, WorkerConfig, shutdown_on_signals};

use super::print_json;
use super::registry::{RegistryArgs, open as open_registry};
use super::stream::{NatsArgs, tls_files, usable};
use crate::UnusableInput;
use crate::cli::Cli;
use crate::data_dir::DataDir;
use crate::serving::{load_alias, load_rules};

/// `vigie stream score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// The NATS server and its TLS settings.
    #[command(flatten)]
    pub nats: NatsArgs,
    /// The Redis server holding card states and partition leases:
    /// redis://host:port, or rediss://host:port for TLS; a user and
    /// password may be in the URL.
    #[arg(
        long,
        env = "VIGIE_REDIS_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub redis: String,
    /// PEM file of the CA certificates that sign the Redis server's
    /// certificate (a private CA; the system's CAs otherwise). Needs a
    /// rediss:// URL.
    #[arg(long, env = "VIGIE_REDIS_CA", value_name = "FILE")]
    pub redis_ca: Option<PathBuf>,
    /// PEM file of this client's certificate, for a Redis server that
    /// verifies its clients (tls-auth-clients); with --redis-key.
    #[arg(
        long,
        env = "VIGIE_REDIS_CERT",
        value_name = "FILE",
        requires = "redis_key"
    )]
    pub redis_cert: Option<PathBuf>,
    /// PEM file of the private key of --redis-cert.
    #[arg(
        long,
        env = "VIGIE_REDIS_KEY",
        value_name = "FILE",
        requires = "redis_cert"
    )]
    pub redis_key: Option<PathBuf>,
    /// First segment of every Redis key.
    #[arg(long, default_value = "vigie", value_name = "PREFIX")]
    pub redis_prefix: String,
    /// The registry and decision log database (PostgreSQL URL; default:
    /// SQLite files in the data directory).
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// A model artifact file (`*.vmodel`) instead of the registry.
    #[arg(long, value_name = "FILE", conflicts_with = "alias")]
    pub model_file: Option<PathBuf>,
    /// The registered model to serve (with --alias), or the name logged
    /// with --model-file.
    #[arg(long, default_value = "card-fraud")]
    pub model: String,
    /// The registry alias naming the version to serve.
    #[arg(long, default_value = "champion")]
    pub alias: String,
    /// The version number logged with --model-file.
    #[arg(long, default_value_t = 1)]
    pub model_version: u32,
    /// A rules file (TOML); the built-in rules when absent.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// First subject token (as given to `stream publish`).
    #[arg(long, default_value = "vigie", value_name = "PREFIX")]
    pub subject_prefix: String,
    /// Number of partitions (as given to `stream publish`).
    #[arg(long, default_value_t = 16)]
    pub partitions: u16,
    /// The consumer group: durable consumer names and the lease group.
    #[arg(long, default_value = "vigie-scorer")]
    pub group: String,
    /// Most messages per batch.
    #[arg(long, default_value_t = 256)]
    pub batch_size: usize,
    /// Lease duration: a dead worker's partitions move after at most this.
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    pub lease_ttl_ms: u64,
    /// How long an idle fetch waits for a first message.
    #[arg(long, default_value_t = 500, value_name = "MS")]
    pub fetch_wait_ms: u64,
    /// After a batch smaller than --batch-size, wait this long before
    /// fetching again, so that more messages come in one batch: less CPU
    /// per transaction at moderate load, this much more latency (0: fetch
    /// again at once).
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub linger_ms: u64,
    /// Redelivery delay of a message a worker took and did not acknowledge.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub ack_wait: u64,
    /// Most partitions this worker takes (default: its fair share).
    #[arg(long)]
    pub max_partitions: Option<usize>,
    /// Replicas of the streams, when the worker creates them.
    #[arg(long, default_value_t = 1)]
    pub replicas: usize,
    /// Decision-log handles on PostgreSQL (partitions share them out; each
    /// has a writer and a reader connection and one group-commit thread that
    /// writes every waiting partition batch in one transaction). One on
    /// SQLite.
    #[arg(long, default_value_t = 1)]
    pub db_connections: usize,
    /// Serve Prometheus metrics on http://ADDR/metrics.
    #[arg(long, value_name = "ADDR")]
    pub metrics_addr: Option<String>,
    /// Print a JSON report on stdout when the worker stops.
    #[arg(long)]
    pub json: bool,
}

/// Runs `vigie stream score`.
pub fn run(cli: &Cli, args: &ScoreArgs) -> Result<()> {
    let topology = Topology::new(&args.subject_prefix, args.partitions).map_err(usable)?;
    let mut redis = RedisConfig::new(&args.redis);
    redis.key_prefix.clone_from(&args.redis_prefix);
    redis.tls = tls_files(&args.redis_ca, &args.redis_cert, &args.redis_key);
    redis.validate().map_err(usable)?;
    let mut config = WorkerConfig::new(&args.nats.url, redis.clone(), topology);
    config.nats_tls = args.nats.tls();
    config.consumer = ConsumerSettings {
        durable_prefix: args.group.clone(),
        ack_wait: Duration::from_secs(args.ack_wait.max(1)),
        ..ConsumerSettings::default()
    };
    config.streams = StreamSettings {
        replicas: args.replicas.max(1),
        ..StreamSettings::default()
    };
    config.batch_size = args.batch_size;
    config.lease_ttl = Duration::from_millis(args.lease_ttl_ms);
    config.fetch_wait = Duration::from_millis(args.fetch_wait_ms);
    config.linger = Duration::from_millis(args.linger_ms);
    config.max_partitions = args.max_partitions;
    config.metrics_addr.clone_from(&args.metrics_addr);
    config
        .validate()
        .map_err(|e| UnusableInput(e.to_string()))?;

    let data_dir = DataDir::resolve(cli.data_dir.as_deref())?;
    let champion = load_model(cli, args)?;
    let rules = load_rules(args.rules.as_deref())?;
    let store = Arc::new(RedisStateStore::connect(&redis).context("connecting to Redis")?);
    let engine = Arc::new(Engine::new(
        Arc::clone(&store) as Arc<dyn vigie_features::StateStore>,
        champion,
        None,
        rules,
        EngineOptions::default(),
    ));
    let log_config = DecisionLogConfig {
        data_dir: data_dir.sub("decisions")?,
        database_url: args.registry.database_url.clone().filter(|u| !u.is_empty()),
    };
    // SQLite has one writer at a time: more handles would only wait.
    let handles = if log_config.database_url.is_some() {
        args.db_connections.max(1)
    } else {
        1
    };
    let logs = (0..handles)
        .map(|_| DecisionLog::open(&log_config))
        .collect::<Result<Vec<_>, _>>()
        .context("opening the decision log")?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime.block_on(async {
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        shutdown_on_signals(stop)?;
        let metrics = Arc::new(Metrics::new());
        let worker =
            Worker::connect(config, engine, store, logs, metrics, shutdown.clone()).await?;
        if let Some(addr) = worker.metrics_addr() {
            tracing::info!(%addr, "metrics on http://{addr}/metrics");
        }
        worker.run(shutdown).await
    })?;
    tracing::info!(
        rebuilds = report.rebuilds,
        seconds = report.seconds,
        "worker stopped"
    );
    if args.json {
        print_json(&report)?;
    }
    Ok(())
}

/// The champion: an artifact file, or the registry version `--alias` names.
fn load_model(cli: &Cli, args: &ScoreArgs) -> Result<ServingModel> {
    if let Some(path) = &args.model_file {
        let bytes =
            std::fs::read(path).map_err(|e| UnusableInput(format!("{}: {e}", path.display())))?;
        let reference = ModelRef {
            name: args.model.clone(),
            version: args.model_version,
        };
        return ServingModel::from_bytes(reference, &bytes)
            .map_err(|e| UnusableInput(format!("{}: {e}", path.display())).into());
    }
    let registry = open_registry(cli, &args.registry)?;
    let name = ModelName::parse(&args.model).map_err(|e| UnusableInput(e.to_string()))?;
    load_alias(&registry, &name, &args.alias)?
        .map(|(_, serving)| serving)
        .ok_or_else(|| {
            UnusableInput(format!(
                "model {} has no alias '{}': pass --model-file, or promote a version",
                args.model, args.alias
            ))
            .into()
        })
}
