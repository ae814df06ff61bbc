//! `vigie ingest`.

use std::path::Path;

use anyhow::{Context, Result};
use vigie_ingest::{IngestError, IngestOutputs, IngestReport, Mapping, ReadOptions, ingest_file};
use vigie_types::Tokenizer;

use super::{print_json, thousands};
use crate::UnusableInput;
use crate::cli::{Cli, IngestArgs};
use crate::data_dir::DataDir;
use crate::{keys, progress};

/// The file name without its extension: `fraudTrain.csv` -> `fraudTrain`.
pub fn stem(path: &Path) -> String {
    path.file_stem()
        .map_or_else(|| "input".into(), |s| s.to_string_lossy().into_owned())
}

/// Reads a TOML column mapping; a bad one is unusable input (exit 2).
pub fn load_mapping(path: &Path) -> Result<Mapping> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read mapping {}", path.display()))?;
    Ok(Mapping::from_toml(&text).map_err(|e| UnusableInput(e.to_string()))?)
}

/// Runs `vigie ingest`.
pub fn run(cli: &Cli, args: &IngestArgs) -> Result<()> {
    let data_dir = DataDir::resolve(cli.data_dir.as_deref())?;
    let mut options = ReadOptions::default();
    if let Some(threads) = args.threads {
        options.threads = threads.max(1);
    }
    options.keep_id_conflicts = args.keep_id_conflicts;
    options.mapping = match (&args.mapping, args.no_header) {
        (Some(path), _) => load_mapping(path)?,
        (None, true) => Mapping::kaggle_without_header(),
        (None, false) => Mapping::default(),
    };
    let key = keys::load_or_create(&data_dir)?;
    let tokenizer = Tokenizer::new(&key);
    let name = stem(&args.file);
    let outputs = IngestOutputs {
        parquet: match &args.out {
            Some(out) => out.clone(),
            None => data_dir.sub("ingest")?.join(format!("{name}.parquet")),
        },
        quarantine: data_dir.sub("quarantine")?.join(format!("{name}.csv")),
    };
    if let Some(parent) = outputs
        .parquet
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)?;
    }
    let size = std::fs::metadata(&args.file).map(|m| m.len()).unwrap_or(0);
    let bar = progress::bar(size, "bytes");
    let metadata = [
        (
            "vigie.source",
            args.file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        ),
        ("vigie.card_token_key_version", key.version().to_string()),
    ];
    let result = ingest_file(
        &args.file,
        &outputs,
        &tokenizer,
        &options,
        &metadata,
        &|done| bar.set_position(done),
    );
    bar.finish_and_clear();
    let report = result.map_err(classify)?;
    tracing::info!(
        input = %args.file.display(),
        rows_read = report.summary.rows_read,
        accepted = report.summary.accepted,
        rejected = report.summary.rejected,
        seconds = report.seconds,
        "ingested"
    );
    if args.json {
        print_json(&report)
    } else {
        print_human(&report)
    }
}

/// Problems with the input itself exit with code 2; the rest with 1.
pub fn classify(err: IngestError) -> anyhow::Error {
    match err {
        IngestError::NotCsv { .. }
        | IngestError::MissingColumns { .. }
        | IngestError::NoHeader { .. }
        | IngestError::Mapping(_) => UnusableInput(err.to_string()).into(),
        IngestError::Read { ref source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            UnusableInput(err.to_string()).into()
        }
        other => other.into(),
    }
}

#[allow(clippy::print_stdout)]
fn print_human(r: &IngestReport) -> Result<()> {
    let s = &r.summary;
    println!(
        "{}: {} rows read, {} accepted, {} rejected ({} duplicates) in {:.2} s",
        r.input.display(),
        thousands(s.rows_read),
        thousands(s.accepted),
        thousands(s.rejected),
        thousands(s.duplicates),
        r.seconds
    );
    if s.labelled && s.accepted > 0 {
        println!(
            "  frauds:      {} ({:.2}%)",
            thousands(s.frauds),
            100.0 * s.frauds as f64 / s.accepted as f64
        );
    }
    if let (Some(first), Some(last)) = (s.first_event, s.last_event) {
        println!("  period:      {first} .. {last}");
    }
    println!("  output:      {}", r.output.display());
    println!("  quarantine:  {}", r.quarantine.display());
    for (reason, n) in &s.rejected_by_reason {
        println!("  rejected:    {reason}: {}", thousands(*n));
    }
    for (repair, n) in &s.repaired {
        println!("  repaired:    {repair}: {}", thousands(*n));
    }
    for warning in &r.warnings {
        println!("  warning:     {warning}");
    }
    Ok(())
}
