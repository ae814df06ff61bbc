//! The command line, declared with clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Vigie: real-time card-fraud detection.
#[derive(Debug, Parser)]
#[command(name = "vigie", version, about, propagate_version = true)]
pub struct Cli {
    /// Where Vigie keeps everything (ingested data, quarantine, keys, models).
    /// Defaults to $VIGIE_HOME, else ./vigie-data.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// More logs (-v debug, -vv trace). VIGIE_LOG=<targets> overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Vigie's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate a transaction file, write accepted records to Parquet and
    /// refused ones to a quarantine file.
    Ingest(IngestArgs),
    /// Generate synthetic transactions in the Kaggle layout.
    Generate(GenerateArgs),
    /// Compute every transaction's features (per-card history replayed in
    /// event-time order) into a Parquet feature file.
    Features(FeaturesArgs),
    /// The end-to-end demo: generate a data set, ingest it, print the summary.
    Demo(DemoArgs),
    /// Train and compare model families on a time split; report, register.
    Train(crate::commands::train::TrainArgs),
    /// Training runs: parameters, metrics, curves, artifacts.
    Runs(crate::commands::runs::RunsArgs),
    /// The model registry: versions, aliases, promotion, rollback, audit log.
    Models(crate::commands::models::ModelsArgs),
    /// Interoperability with an MLflow tracking server.
    Mlflow(crate::commands::mlflow::MlflowArgs),
    /// The streaming mode on NATS JetStream: publish transactions, run scorer workers.
    Stream(crate::commands::stream::StreamArgs),
    /// The HTTP scoring service on the registry's champion model.
    Serve(crate::commands::serve::ServeArgs),
    /// API keys for `vigie serve`: create, list, revoke.
    Keys(crate::commands::keys::KeysArgs),
    /// Load-test a scoring endpoint: replay a transaction file at a fixed
    /// rate (open loop) and report throughput, latency and decisions.
    Replay(crate::commands::replay::ReplayArgs),
}

/// `vigie demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of card holders in the generated data.
    #[arg(long, default_value_t = 300)]
    pub customers: u32,
    /// Random seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Train on the transactions before this date, replay the ones after.
    #[arg(long, default_value = "2020-07-01")]
    pub cut: String,
    /// Hyper-parameter search for the four families: quick, grid or smoke.
    #[arg(long, default_value = "quick")]
    pub search: String,
    /// Address the demo's server listens on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: std::net::SocketAddr,
    /// Replay rate, requests per second (default: the whole replay period
    /// in --replay-seconds).
    #[arg(long)]
    pub rate: Option<f64>,
    /// How long the replay lasts when --rate is not given.
    #[arg(long, default_value_t = 60.0)]
    pub replay_seconds: f64,
    /// Keep the server up after the replay, until Ctrl-C.
    #[arg(long)]
    pub keep_serving: bool,
}

/// `vigie ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The CSV file to ingest.
    pub file: PathBuf,
    /// A TOML column mapping for files not in the Kaggle layout.
    #[arg(long, value_name = "MAP.toml")]
    pub mapping: Option<PathBuf>,
    /// The file has no header line; its columns are in the Kaggle order.
    #[arg(long, conflicts_with = "mapping")]
    pub no_header: bool,
    /// Parquet output (default: <data-dir>/ingest/<name>.parquet).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Parsing threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Keep records whose trans_num was already used by a different
    /// transaction (an id collision in the source) instead of quarantining them.
    #[arg(long)]
    pub keep_id_conflicts: bool,
    /// Print the report as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `vigie features`.
#[derive(Debug, Args)]
pub struct FeaturesArgs {
    /// Transactions: a CSV file (validated like `vigie ingest`, refused rows
    /// quarantined) or a Parquet file written by `vigie ingest`.
    pub input: PathBuf,
    /// Feature Parquet output (default: <data-dir>/features/<name>.parquet).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also save every card's final state, to warm a scorer or to continue
    /// with a later period.
    #[arg(long, value_name = "FILE")]
    pub state_out: Option<PathBuf>,
    /// Continue from card states saved by an earlier run (--state-out), so a
    /// later period's features carry the cards' history.
    #[arg(long, value_name = "FILE")]
    pub state_in: Option<PathBuf>,
    /// A TOML column mapping for CSV files not in the Kaggle layout.
    #[arg(long, value_name = "MAP.toml")]
    pub mapping: Option<PathBuf>,
    /// Threads for parsing and for the per-card replay (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// How far out of time order the input may be, in seconds.
    #[arg(long, default_value_t = 86_400, value_name = "SECS")]
    pub max_lateness: i64,
    /// Keep CSV records whose trans_num an earlier, different record used.
    #[arg(long)]
    pub keep_id_conflicts: bool,
    /// Print the report as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `vigie generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of card holders (one card each).
    #[arg(long, default_value_t = 1000, conflicts_with = "rows")]
    pub customers: u32,
    /// Aim for about this many rows: picks the number of customers for the
    /// period and stops at exactly this many.
    #[arg(long)]
    pub rows: Option<u64>,
    /// First day (YYYY-MM-DD).
    #[arg(long, default_value = "2019-01-01")]
    pub from: String,
    /// Last day, inclusive (YYYY-MM-DD).
    #[arg(long, default_value = "2020-12-31")]
    pub to: String,
    /// Random seed: the same seed gives the same file.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Fraud patterns to inject, comma-separated: classic_episode,
    /// card_testing, account_takeover, compromised_merchant, or `all`.
    #[arg(long, value_delimiter = ',', default_value = "classic_episode")]
    pub scenarios: Vec<String>,
    /// Add the `fraud_scenario` column (on by default when a scenario other
    /// than classic_episode is selected).
    #[arg(long)]
    pub scenario_column: bool,
    /// Output CSV file.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Print the summary as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}
