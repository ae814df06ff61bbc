//! What the registry commands (`runs`, `models`, `mlflow`) share: where the
//! registry is, who is acting, and which registry errors mean "unusable input".

use anyhow::Result;
use clap::Args;
use vigie_registry::{Actor, Registry, RegistryConfig, RegistryError, S3Settings};

use crate::UnusableInput;
use crate::cli::Cli;
use crate::data_dir::DataDir;

/// Where the registry lives.
#[derive(Debug, Args)]
pub struct RegistryArgs {
    /// PostgreSQL URL of the registry database (default: SQLite in
    /// <data-dir>/registry).
    #[arg(
        long,
        global = true,
        env = "VIGIE_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Where artifacts are stored: s3://bucket/prefix (endpoint and credentials
    /// from VIGIE_S3_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID,
    /// AWS_SECRET_ACCESS_KEY), file:///dir or a path (default:
    /// <data-dir>/registry/artifacts).
    #[arg(long, global = true, env = "VIGIE_ARTIFACTS_URL", value_name = "URL")]
    pub artifacts_url: Option<String>,
}

/// Opens the registry named by the flags and environment.
pub fn open(cli: &Cli, args: &RegistryArgs) -> Result<Registry> {
    let data_dir = DataDir::resolve(cli.data_dir.as_deref())?.sub("registry")?;
    let s3 = match &args.artifacts_url {
        Some(url) if url.starts_with("s3://") => Some(S3Settings::from_env().map_err(usable)?),
        _ => None,
    };
    let config = RegistryConfig {
        data_dir,
        database_url: args.database_url.clone().filter(|u| !u.is_empty()),
        artifacts_url: args.artifacts_url.clone().filter(|u| !u.is_empty()),
        s3,
    };
    Registry::open(&config).map_err(usable)
}

/// The actor of a change: `--actor` (`user:<name>`, `key:<id>`, or a bare
/// name meaning `user:<name>`), else `user:$USER`.
pub fn actor(flag: Option<&str>) -> Result<Actor> {
    let text = match flag {
        Some(text) => text.to_owned(),
        None => ["USER", "LOGNAME"]
            .iter()
            .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
            .ok_or_else(|| UnusableInput("who is acting? pass --actor (USER is not set)".into()))?,
    };
    let actor = if text.starts_with("user:") || text.starts_with("key:") {
        Actor::parse(&text)
    } else {
        Actor::user(&text)
    };
    actor.map_err(usable)
}

/// Wraps a registry error: bad names, unknown ids and impossible requests are
/// the user's input (exit code 2); the rest are failures (exit code 1).
pub fn usable(err: RegistryError) -> anyhow::Error {
    match err {
        RegistryError::Invalid { .. }
        | RegistryError::Config { .. }
        | RegistryError::RunNotFound { .. }
        | RegistryError::RunClosed { .. }
        | RegistryError::ModelNotFound { .. }
        | RegistryError::VersionNotFound { .. }
        | RegistryError::AliasNotFound { .. }
        | RegistryError::NothingToRollBack { .. } => UnusableInput(err.to_string()).into(),
        other => other.into(),
    }
}
