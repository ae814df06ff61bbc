//! `vigie stream publish`: a transaction file to NATS JetStream, one message
//! per transaction on `<prefix>.tx.<partition>`, de-duplicated by
//! `trans_num`; `vigie stream score` (in [`super::stream_score`]): the scorer
//! worker; `vigie stream decisions` (in [`super::stream_decisions`]): the
//! published decisions, one per line. The commands are synchronous; each
//! runs its async part on a single-threaded tokio runtime of its own (the
//! publisher's loop and its connection share one thread: no cross-thread
//! wake-up per message).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use serde::Serialize;
use vigie_ingest::ReadOptions;
use vigie_stream::StreamError;
use vigie_stream::TlsFiles;
use vigie_stream::nats::{
    FileSource, PublishOptions, PublishReport, StreamSettings, StreamsReport, SyncPolicy, Topology,
    connect_with, ensure_streams, jetstream_context, publish_file, sync_policy,
};
use vigie_types::Tokenizer;

use super::features::is_parquet;
use super::ingest::{classify, load_mapping};
use super::{print_json, thousands};
use crate::UnusableInput;
use crate::cli::Cli;
use crate::data_dir::DataDir;
use crate::{keys, progress};

/// `vigie stream`.
#[derive(Debug, Args)]
pub struct StreamArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: StreamCommand,
}

/// The `stream` sub-commands.
#[derive(Debug, Subcommand)]
pub enum StreamCommand {
    /// Publish a transaction file (CSV or ingested Parquet) to NATS
    /// JetStream, creating the streams if missing. Publishing the same file
    /// again stores nothing new (duplicates are reported).
    Publish(PublishArgs),
    /// Run a scorer worker: consume the partitions it leases, score with the
    /// engine, log decisions in the database, publish them, acknowledge.
    /// Several workers share the partitions; stop with SIGTERM.
    Score(Box<super::stream_score::ScoreArgs>),
    /// Print the decisions the workers published (JSON Lines on stdout,
    /// each transaction once), from the decisions stream's start.
    Decisions(super::stream_decisions::DecisionsArgs),
}

/// Where NATS is and how to reach it over TLS (shared by the `stream`
/// commands).
#[derive(Debug, Args)]
pub struct NatsArgs {
    /// The NATS server: nats://host:port (TLS when the server requires it),
    /// or tls://host:port to require it; a user and password may be in the
    /// URL.
    #[arg(
        id = "nats",
        long = "nats",
        env = "VIGIE_NATS_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub url: String,
    /// PEM file of the CA certificates that sign the NATS servers'
    /// certificates (a private CA; the system's CAs otherwise). Requires TLS.
    #[arg(long, env = "VIGIE_NATS_CA", value_name = "FILE")]
    pub nats_ca: Option<PathBuf>,
    /// PEM file of this client's certificate, for servers that verify their
    /// clients (mutual TLS); with --nats-key.
    #[arg(
        long,
        env = "VIGIE_NATS_CERT",
        value_name = "FILE",
        requires = "nats_key"
    )]
    pub nats_cert: Option<PathBuf>,
    /// PEM file of the private key of --nats-cert.
    #[arg(
        long,
        env = "VIGIE_NATS_KEY",
        value_name = "FILE",
        requires = "nats_cert"
    )]
    pub nats_key: Option<PathBuf>,
}

impl NatsArgs {
    /// The TLS settings these flags give.
    pub fn tls(&self) -> TlsFiles {
        tls_files(&self.nats_ca, &self.nats_cert, &self.nats_key)
    }
}

/// TLS files from a CA flag and a certificate and key pair of flags.
pub fn tls_files(ca: &Option<PathBuf>, cert: &Option<PathBuf>, key: &Option<PathBuf>) -> TlsFiles {
    TlsFiles {
        ca_file: ca.clone(),
        client_cert: cert.clone().zip(key.clone()),
    }
}

/// `vigie stream publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The transactions: a CSV file (Kaggle layout, or --mapping) or a
    /// Parquet file written by `vigie ingest`.
    pub file: PathBuf,
    /// The NATS server and its TLS settings.
    #[command(flatten)]
    pub nats: NatsArgs,
    /// Messages per second (open loop); as fast as acknowledgements allow
    /// when absent.
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,
    /// First subject token: messages go to <PREFIX>.tx.<partition>.
    #[arg(long, default_value = "vigie", value_name = "PREFIX")]
    pub subject_prefix: String,
    /// Number of partitions (fixed for the life of the stream).
    #[arg(long, default_value_t = 16)]
    pub partitions: u16,
    /// Replicas of streams created now (3 in production).
    #[arg(long, default_value_t = 1)]
    pub replicas: usize,
    /// How long the stream remembers message ids to drop duplicates.
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    pub duplicate_window: u64,
    /// Most publishes awaiting their acknowledgement.
    #[arg(long, default_value_t = 4096)]
    pub window: usize,
    /// A TOML column mapping for CSV files not in the Kaggle layout.
    #[arg(long, value_name = "MAP.toml")]
    pub mapping: Option<PathBuf>,
    /// Print a JSON report on stdout.
    #[arg(long)]
    pub json: bool,
}

/// What `vigie stream publish --json` prints.
#[derive(Debug, Serialize)]
struct Output {
    #[serde(flatten)]
    report: PublishReport,
    streams: StreamsReport,
    durability: SyncPolicy,
}

/// Runs `vigie stream`.
pub fn run(cli: &Cli, args: &StreamArgs) -> Result<()> {
    match &args.command {
        StreamCommand::Publish(publish) => run_publish(cli, publish),
        StreamCommand::Score(score) => super::stream_score::run(cli, score),
        StreamCommand::Decisions(decisions) => super::stream_decisions::run(decisions),
    }
}

pub(super) fn usable(e: StreamError) -> anyhow::Error {
    match e {
        StreamError::Ingest(e) => classify(e),
        e @ StreamError::Config { .. } => UnusableInput(e.to_string()).into(),
        e => e.into(),
    }
}

fn run_publish(cli: &Cli, args: &PublishArgs) -> Result<()> {
    let topology = Topology::new(&args.subject_prefix, args.partitions).map_err(usable)?;
    let source = if is_parquet(&args.file)? {
        FileSource::Parquet {
            path: args.file.clone(),
        }
    } else {
        let data_dir = DataDir::resolve(cli.data_dir.as_deref())?;
        let mut options = ReadOptions::default();
        if let Some(mapping) = &args.mapping {
            options.mapping = load_mapping(mapping)?;
        }
        FileSource::Csv {
            path: args.file.clone(),
            tokenizer: Box::new(Tokenizer::new(&keys::load_or_create(&data_dir)?)),
            options: Box::new(options),
        }
    };
    let settings = StreamSettings {
        replicas: args.replicas.max(1),
        duplicate_window: Duration::from_secs(args.duplicate_window.max(1)),
        ..StreamSettings::default()
    };
    let options = PublishOptions {
        window: args.window.max(1),
        rate: args.rate,
        ..PublishOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let bar = progress::spinner("messages");
    let output = runtime.block_on(async {
        let client = connect_with(&args.nats.url, "vigie-publish", &args.nats.tls()).await?;
        // For the stream set-up: the publisher publishes on the plain
        // connection and reads its acknowledgements itself.
        let js = jetstream_context(client.clone(), 1);
        let streams = ensure_streams(&js, &topology, &settings).await?;
        let durability = sync_policy(&client).await;
        for warning in streams.warnings.iter().chain(durability.warning().as_ref()) {
            tracing::warn!("{warning}");
        }
        let report = publish_file(client.clone(), &topology, source, options, &|sent| {
            bar.set_position(sent);
        })
        .await?;
        client.flush().await.map_err(|e| StreamError::Nats {
            operation: "flushing".into(),
            source: e.into(),
        })?;
        Ok::<_, StreamError>(Output {
            report,
            streams,
            durability,
        })
    });
    bar.finish_and_clear();
    let output = output.map_err(usable)?;
    tracing::info!(
        input = %args.file.display(),
        published = output.report.counts.published,
        duplicates = output.report.counts.duplicates,
        seconds = output.report.seconds,
        "published"
    );
    if args.json {
        print_json(&output)
    } else {
        print_human(&output, &topology);
        Ok(())
    }
}

#[allow(clippy::print_stdout)]
fn print_human(o: &Output, topology: &Topology) {
    let r = &o.report;
    println!(
        "{}: {} published, {} duplicates (already stored), {} refused by validation, \
         in {:.2} s ({:.0} msg/s{})",
        r.input.display(),
        thousands(r.counts.published),
        thousands(r.counts.duplicates),
        thousands(r.rejected),
        r.seconds,
        r.messages_per_sec,
        r.target_rate
            .map(|rate| format!(", target {rate:.0}"))
            .unwrap_or_default(),
    );
    println!(
        "subjects {}.tx.0..{} ({} partitions, streams {}_0..{}); streams created now: {}",
        topology.prefix,
        topology.partitions.saturating_sub(1),
        topology.partitions,
        topology.tx_stream_stem,
        topology.partitions.saturating_sub(1),
        o.streams.created.len()
    );
}
