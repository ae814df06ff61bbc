//! `vigie keys create|list|revoke`: API keys for `vigie serve`, stored
//! (salted hashes only) beside the decision log. A key's secret is printed
//! once, at creation.

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use vigie_decisions::{ApiKeyInfo, DecisionError, DecisionLog, DecisionLogConfig, KeyStore, Role};

use super::print_json;
use crate::UnusableInput;
use crate::cli::Cli;
use crate::data_dir::DataDir;

/// Where the decision log (and the API keys) live.
#[derive(Debug, Args)]
pub struct DecisionLogArgs {
    /// PostgreSQL URL of the decision log and API keys (default: SQLite in
    /// <data-dir>/decisions).
    #[arg(
        long,
        global = true,
        env = "VIGIE_DECISIONS_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub decisions_database_url: Option<String>,
}

/// Opens the decision log named by the flags and environment.
pub fn open_log(cli: &Cli, args: &DecisionLogArgs) -> Result<DecisionLog> {
    let data_dir = DataDir::resolve(cli.data_dir.as_deref())?.sub("decisions")?;
    let config = DecisionLogConfig {
        data_dir,
        database_url: args
            .decisions_database_url
            .clone()
            .filter(|u| !u.is_empty()),
    };
    DecisionLog::open(&config).map_err(usable)
}

/// Bad values and unknown keys are the user's input (exit code 2).
pub fn usable(err: DecisionError) -> anyhow::Error {
    match err {
        DecisionError::Invalid { .. }
        | DecisionError::Config { .. }
        | DecisionError::KeyNotFound { .. } => UnusableInput(err.to_string()).into(),
        other => other.into(),
    }
}

/// `vigie keys`.
#[derive(Debug, Args)]
pub struct KeysArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: KeysCommand,
    /// Where the keys are.
    #[command(flatten)]
    pub log: DecisionLogArgs,
    /// Print JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
}

/// A key's role, on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Score routes only.
    Scorer,
    /// Also decisions, feedback and the models list.
    Analyst,
    /// Also moves model aliases.
    Admin,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Scorer => Role::Scorer,
            RoleArg::Analyst => Role::Analyst,
            RoleArg::Admin => Role::Admin,
        }
    }
}

/// The `keys` sub-commands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; its secret is printed once.
    Create {
        /// A name for people (`checkout-service`, `alice`).
        #[arg(long)]
        name: String,
        /// What the key may do.
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// List keys (revoked ones included); secrets are never shown.
    List,
    /// Revoke a key (servers stop accepting it within their cache TTL).
    Revoke {
        /// The key's id.
        id: String,
    },
}

#[derive(Serialize)]
struct Created<'a> {
    #[serde(flatten)]
    info: &'a ApiKeyInfo,
    secret: &'a str,
}

/// Runs `vigie keys`.
pub fn run(cli: &Cli, args: &KeysArgs) -> Result<()> {
    let log = open_log(cli, &args.log)?;
    let keys = KeyStore::new(&log, std::time::Duration::ZERO);
    match &args.command {
        KeysCommand::Create { name, role } => {
            let (info, secret) = keys.create(name, Role::from(*role)).map_err(usable)?;
            if args.json {
                return print_json(&Created {
                    info: &info,
                    secret: secret.expose(),
                });
            }
            #[allow(clippy::print_stdout)]
            {
                println!("created key {} ({}) for {}:", info.id, info.role, info.name);
                println!("  {}", secret.expose());
                println!("store it now: it is not shown again");
            }
        }
        KeysCommand::List => {
            let list = keys.list().map_err(usable)?;
            if args.json {
                return print_json(&list);
            }
            #[allow(clippy::print_stdout)]
            for key in &list {
                let state = if key.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!("{}  {:<8} {:<8} {}", key.id, key.role, state, key.name);
            }
        }
        KeysCommand::Revoke { id } => {
            let was_active = keys.revoke(id).map_err(usable)?;
            if args.json {
                return print_json(&serde_json::json!({"id": id, "revoked": was_active}));
            }
            #[allow(clippy::print_stdout)]
            {
                if was_active {
                    println!("revoked key {id}");
                } else {
                    println!("key {id} was already revoked");
                }
            }
        }
    }
    Ok(())
}
