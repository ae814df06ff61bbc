//! `vigie train`: features (if the inputs are transactions), then the model
//! comparison, the report, and the registry record.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use vigie_features::{
    FeatureOutputs, MemoryStateStore, ReplayOptions, Source, compute_features, is_feature_file,
};
use vigie_ingest::ReadOptions;
use vigie_model::ModelKind;
use vigie_registry::{Actor, ModelName};
use vigie_train::{
    FeatureSet, Registered, ReportFiles, Search, TrainConfig, TrainReport, comparison_table,
    promote, record, train, write_report,
};
use vigie_types::Tokenizer;

use super::ingest::stem;
use super::print_json;
use super::registry::{RegistryArgs, actor, open, usable};
use crate::UnusableInput;
use crate::cli::Cli;
use crate::data_dir::DataDir;
use crate::keys;

/// `vigie train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Training data: a feature file (`vigie features`), an ingested Parquet
    /// file or a CSV file.
    #[arg(long, value_name = "FILE")]
    pub train: PathBuf,
    /// Test data, later in time than the training data (same kinds of file).
    #[arg(long, value_name = "FILE")]
    pub test: PathBuf,
    /// Model families, comma-separated: logreg, forest, svm, gbdt.
    #[arg(long, value_delimiter = ',', default_value = "logreg,forest,svm,gbdt")]
    pub models: Vec<String>,
    /// Features the models read: behaviour (default: the card's behaviour,
    /// not who the cardholder is), all, or a comma-separated list.
    #[arg(long, default_value = "behaviour")]
    pub features: String,
    /// Share of the training rows, the most recent, used for validation.
    #[arg(long, default_value_t = 0.2)]
    pub valid_fraction: f64,
    /// Hyper-parameter search: quick (one setting per family), grid, or smoke
    /// (tiny models, for tests).
    #[arg(long, default_value = "grid")]
    pub search: String,
    /// Random seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Registered model name the versions are added to.
    #[arg(long, default_value = "card-fraud")]
    pub model_name: String,
    /// Make the best model (on validation) the champion and the runner-up
    /// the challenger.
    #[arg(long)]
    pub promote: bool,
    /// Who is training (default: $USER).
    #[arg(long)]
    pub actor: Option<String>,
    /// Where the registry is.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Keep CSV records whose trans_num an earlier, different record used.
    #[arg(long)]
    pub keep_id_conflicts: bool,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// What `vigie train --json` prints.
#[derive(serde::Serialize)]
struct Output<'a> {
    #[serde(flatten)]
    report: &'a TrainReport,
    report_files: &'a ReportFiles,
    registered: &'a [Registered],
    promoted: bool,
}

/// Features for one input: itself if it is a feature file, else computed
/// into the data directory (continuing from `state_in`, saving `state_out`).
fn features_of(
    input: &Path,
    data_dir: &DataDir,
    state_in: Option<&Path>,
    state_out: Option<PathBuf>,
    keep_id_conflicts: bool,
    say: &dyn Fn(&str),
) -> Result<PathBuf> {
    if is_feature_file(input) {
        return Ok(input.to_path_buf());
    }
    let name = stem(input);
    let out = data_dir.sub("features")?.join(format!("{name}.parquet"));
    let read = ReadOptions {
        keep_id_conflicts,
        ..ReadOptions::default()
    };
    let tokenizer;
    let quarantine = data_dir
        .sub("quarantine")?
        .join(format!("{name}.features.csv"));
    let mut magic = [0u8; 4];
    let parquet = std::fs::File::open(input)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut magic))
        .map_err(|e| UnusableInput(format!("cannot read {}: {e}", input.display())))?
        == 4
        && &magic == b"PAR1";
    let source = if parquet {
        Source::Parquet { path: input }
    } else {
        tokenizer = Tokenizer::new(&keys::load_or_create(data_dir)?);
        Source::Csv {
            path: input,
            tokenizer: &tokenizer,
            options: &read,
            quarantine: &quarantine,
        }
    };
    let initial = state_in.map(MemoryStateStore::load_snapshot).transpose()?;
    let report = compute_features(
        &source,
        &FeatureOutputs {
            parquet: out.clone(),
            state_snapshot: state_out,
        },
        &ReplayOptions::default(),
        initial,
        &[],
        &|_| {},
    )
    .map_err(|e| UnusableInput(e.to_string()))?;
    say(&format!(
        "features: {} -> {} ({} rows, {} cards, {:.1} s)",
        input.display(),
        out.display(),
        report.rows,
        report.replay.cards,
        report.seconds
    ));
    Ok(out)
}

/// Runs `vigie train`.
pub fn run(cli: &Cli, args: &TrainArgs) -> Result<()> {
    let data_dir = DataDir::resolve(cli.data_dir.as_deref())?;
    let quiet = args.json;
    let say = |line: &str| {
        if !quiet {
            #[allow(clippy::print_stdout)]
            {
                println!("{line}");
            }
        }
        tracing::debug!("{line}");
    };
    let kinds = args
        .models
        .iter()
        .map(|m| {
            ModelKind::parse(m.trim()).ok_or_else(|| {
                UnusableInput(format!(
                    "unknown model family '{m}': use logreg, forest, svm, gbdt"
                ))
            })
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let search = match args.search.as_str() {
        "quick" => Search::Quick,
        "grid" => Search::Grid,
        "smoke" => Search::Smoke,
        other => {
            return Err(
                UnusableInput(format!("--search {other}: use quick, grid or smoke")).into(),
            );
        }
    };
    let features = FeatureSet::parse(&args.features).map_err(|e| UnusableInput(e.to_string()))?;
    let name = ModelName::parse(&args.model_name).map_err(usable)?;
    let who: Actor =
        actor(args.actor.as_deref()).or_else(|_| Actor::user("vigie").map_err(usable))?;
    let registry = open(cli, &args.registry)?;

    let snapshot = data_dir
        .sub("features")?
        .join(format!("{}.state", stem(&args.train)));
    let train_features = features_of(
        &args.train,
        &data_dir,
        None,
        Some(snapshot.clone()),
        args.keep_id_conflicts,
        &say,
    )?;
    let continued = (!is_feature_file(&args.train)).then_some(snapshot.as_path());
    let test_features = features_of(
        &args.test,
        &data_dir,
        continued,
        None,
        args.keep_id_conflicts,
        &say,
    )?;
    let run_dir = data_dir.sub("runs")?.join(format!(
        "{}-seed{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        args.seed
    ));
    let config = TrainConfig {
        train: train_features,
        test: test_features,
        kinds,
        features,
        valid_fraction: args.valid_fraction,
        search,
        seed: args.seed,
    };
    let report = train(&config, &run_dir, &say).map_err(|e| match e {
        vigie_train::TrainError::Config { problem } => UnusableInput(problem).into(),
        other => anyhow::Error::from(other),
    })?;
    let files = write_report(&report, &run_dir)?;
    let registered = record(
        &registry,
        &report,
        &files,
        &name,
        &who,
        option_env!("VIGIE_GIT_COMMIT").map(String::from),
    )
    .context("recording the run in the registry")?;
    if args.promote {
        promote(&registry, &registered, &name, &who).map_err(|e| anyhow::anyhow!(e))?;
    }
    if args.json {
        return print_json(&Output {
            report: &report,
            report_files: &files,
            registered: &registered,
            promoted: args.promote,
        });
    }
    say(&format!("\n{}", comparison_table(&report)));
    say(&format!(
        "best on validation: {}; report: {}",
        report.best,
        files.html.display()
    ));
    for r in &registered {
        say(&format!(
            "registered {} version {} ({}, run {})",
            r.name, r.version, r.model, r.run_id
        ));
    }
    if args.promote
        && let Some(best) = registered.first()
    {
        say(&format!(
            "champion: {} version {} ({})",
            best.name, best.version, best.model
        ));
        if let Some(second) = registered.get(1) {
            say(&format!(
                "challenger: {} version {} ({})",
                second.name, second.version, second.model
            ));
        }
    }
    Ok(())
}
