//! `vigie models list|show|promote|rollback|audit`: the model registry.

use anyhow::Result;
use clap::{Args, Subcommand};
use vigie_registry::{
    AliasChange, AliasName, AuditEntry, AuditFilter, ModelDetail, ModelName, ModelSummary,
};

use super::print_json;
use super::registry::{RegistryArgs, actor, open, usable};
use crate::cli::Cli;

/// `vigie models`.
#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ModelsCommand,
    /// Where the registry is.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Print JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The `models` sub-commands.
#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// List registered models with their aliases.
    List,
    /// Show a model's versions and aliases.
    Show {
        /// The model.
        name: String,
    },
    /// Point an alias at a version (atomic, audited).
    Promote {
        /// The model.
        name: String,
        /// The version to promote.
        #[arg(value_name = "VERSION")]
        number: u64,
        /// The alias to move (`champion`, `challenger`, ...).
        #[arg(long)]
        alias: String,
        /// Who is acting: `user:<name>`, `key:<id>` or a user name (default: $USER).
        #[arg(long)]
        actor: Option<String>,
    },
    /// Move an alias back to its previous holder (atomic, audited).
    Rollback {
        /// The model.
        name: String,
        /// The alias to move back.
        #[arg(long)]
        alias: String,
        /// Who is acting: `user:<name>`, `key:<id>` or a user name (default: $USER).
        #[arg(long)]
        actor: Option<String>,
    },
    /// Print the audit log (oldest first); --verify checks its hash chain.
    Audit {
        /// Only this model.
        #[arg(long)]
        model: Option<String>,
        /// Only the newest this many entries.
        #[arg(long)]
        limit: Option<usize>,
        /// Verify the whole hash chain; fails (exit 1) if any entry was altered.
        #[arg(long)]
        verify: bool,
    },
}

/// Runs `vigie models`.
pub fn run(cli: &Cli, args: &ModelsArgs) -> Result<()> {
    let registry = open(cli, &args.registry)?;
    let json = args.json;
    match &args.command {
        ModelsCommand::List => {
            let models = registry.models().map_err(usable)?;
            if json {
                return print_json(&models);
            }
            print_list(&models);
        }
        ModelsCommand::Show { name } => {
            let model = registry
                .model(&ModelName::parse(name).map_err(usable)?)
                .map_err(usable)?;
            if json {
                return print_json(&model);
            }
            print_detail(&model);
        }
        ModelsCommand::Promote {
            name,
            number,
            alias,
            actor: who,
        } => {
            let who = actor(who.as_deref())?;
            let (name, alias) = names(name, alias)?;
            let change = registry
                .set_alias(&name, &alias, *number, &who)
                .map_err(usable)?;
            report_change(&change, "promoted", json)?;
        }
        ModelsCommand::Rollback {
            name,
            alias,
            actor: who,
        } => {
            let who = actor(who.as_deref())?;
            let (name, alias) = names(name, alias)?;
            let change = registry
                .rollback_alias(&name, &alias, &who)
                .map_err(usable)?;
            report_change(&change, "rolled back", json)?;
        }
        ModelsCommand::Audit {
            model,
            limit,
            verify,
        } => {
            let chain = if *verify {
                Some(registry.verify_audit_chain()?)
            } else {
                None
            };
            let filter = AuditFilter {
                model: model.clone(),
                limit: *limit,
            };
            let entries = registry.audit_log(&filter).map_err(usable)?;
            if json {
                return print_json(&serde_json::json!({ "entries": entries, "verified": chain }));
            }
            print_audit(&entries);
            if let Some(chain) = chain {
                #[allow(clippy::print_stdout)]
                {
                    println!(
                        "audit chain verified: {} entries, head {}",
                        chain.entries, chain.head
                    );
                }
            }
        }
    }
    Ok(())
}

fn names(name: &str, alias: &str) -> Result<(ModelName, AliasName)> {
    Ok((
        ModelName::parse(name).map_err(usable)?,
        AliasName::parse(alias).map_err(usable)?,
    ))
}

fn version_text(v: Option<u64>) -> String {
    v.map_or_else(|| "none".to_owned(), |v| v.to_string())
}

fn report_change(change: &AliasChange, verb: &str, json: bool) -> Result<()> {
    if json {
        return print_json(change);
    }
    #[allow(clippy::print_stdout)]
    if change.changed {
        println!(
            "{}@{} {verb}: {} -> {}",
            change.model,
            change.alias,
            version_text(change.before),
            change.after
        );
    } else {
        println!(
            "{}@{} already names version {}",
            change.model, change.alias, change.after
        );
    }
    Ok(())
}

#[allow(clippy::print_stdout)]
fn print_list(models: &[ModelSummary]) {
    if models.is_empty() {
        println!("no models");
        return;
    }
    println!(
        "{:<24}  {:>8}  {:>6}  ALIASES",
        "NAME", "VERSIONS", "LATEST"
    );
    for m in models {
        let aliases: Vec<String> = m.aliases.iter().map(|(a, v)| format!("{a}={v}")).collect();
        println!(
            "{:<24}  {:>8}  {:>6}  {}",
            m.name,
            m.versions,
            version_text(m.latest_version),
            aliases.join(" ")
        );
    }
}

#[allow(clippy::print_stdout)]
fn print_detail(model: &ModelDetail) {
    println!(
        "model {} (created {} by {})",
        model.name, model.created_at, model.created_by
    );
    for a in &model.aliases {
        println!(
            "alias {:<12} -> {} (moved {} by {})",
            a.alias, a.version, a.updated_at, a.updated_by
        );
    }
    println!(
        "{:>7}  {:<24}  {:<16}  {:<32}  ARTIFACT",
        "VERSION", "CREATED", "BY", "RUN"
    );
    for v in &model.versions {
        println!(
            "{:>7}  {:<24}  {:<16}  {:<32}  sha256:{} ({} bytes)",
            v.version,
            v.created_at.to_string(),
            v.created_by,
            v.run_id.as_ref().map_or("-", |r| r.as_str()),
            v.artifact.sha256,
            v.artifact.size
        );
    }
}

#[allow(clippy::print_stdout)]
fn print_audit(entries: &[AuditEntry]) {
    for e in entries {
        println!(
            "#{:<5} {}  {:<20}  {:<18}  {:<28}  {} -> {}",
            e.seq,
            e.at,
            e.actor,
            e.action.as_str(),
            e.target(),
            version_text(e.before),
            version_text(e.after)
        );
    }
}
