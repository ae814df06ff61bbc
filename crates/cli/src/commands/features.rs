//! `vigie features`.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};
use vigie_features::{
    FeatureError, FeatureOutputs, FeaturesReport, MemoryStateStore, ReplayOptions, Source,
    compute_features,
};
use vigie_ingest::ReadOptions;
use vigie_types::Tokenizer;

use super::ingest::{classify, load_mapping, stem};
use super::{print_json, thousands};
use crate::UnusableInput;
use crate::cli::{Cli, FeaturesArgs};
use crate::data_dir::DataDir;
use crate::{keys, progress};

/// Whether `path` is a Parquet file (by its magic bytes).
pub fn is_parquet(path: &Path) -> Result<bool> {
    let mut magic = [0u8; 4];
    let mut file = std::fs::File::open(path)
        .map_err(|e| UnusableInput(format!("cannot open {}: {e}", path.display())))?;
    Ok(file.read(&mut magic)? == 4 && &magic == b"PAR1")
}

/// Runs `vigie features`.
pub fn run(cli: &Cli, args: &FeaturesArgs) -> Result<()> {
    let data_dir = DataDir::resolve(cli.data_dir.as_deref())?;
    let name = stem(&args.input);
    let outputs = FeatureOutputs {
        parquet: match &args.out {
            Some(out) => out.clone(),
            None => data_dir.sub("features")?.join(format!("{name}.parquet")),
        },
        state_snapshot: args.state_out.clone(),
    };
    if let Some(parent) = outputs
        .parquet
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let mut replay = ReplayOptions {
        max_lateness_secs: args.max_lateness.max(0),
        ..ReplayOptions::default()
    };
    let mut read = ReadOptions {
        keep_id_conflicts: args.keep_id_conflicts,
        ..ReadOptions::default()
    };
    if let Some(threads) = args.threads {
        replay.threads = threads.max(1);
        read.threads = threads.max(1);
    }
    let parquet = is_parquet(&args.input)?;
    let (tokenizer, quarantine, size);
    let source = if parquet {
        size = 0;
        Source::Parquet { path: &args.input }
    } else {
        if let Some(mapping) = &args.mapping {
            read.mapping = load_mapping(mapping)?;
        }
        tokenizer = Tokenizer::new(&keys::load_or_create(&data_dir)?);
        quarantine = data_dir
            .sub("quarantine")?
            .join(format!("{name}.features.csv"));
        size = std::fs::metadata(&args.input).map_or(0, |m| m.len());
        Source::Csv {
            path: &args.input,
            tokenizer: &tokenizer,
            options: &read,
            quarantine: &quarantine,
        }
    };
    let bar = if parquet {
        progress::spinner("rows")
    } else {
        progress::bar(size, "bytes")
    };
    let metadata = [(
        "vigie.source",
        args.input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    )];
    let initial = match &args.state_in {
        Some(path) => Some(MemoryStateStore::load_snapshot(path)?),
        None => None,
    };
    let result = compute_features(&source, &outputs, &replay, initial, &metadata, &|done| {
        bar.set_position(done)
    });
    bar.finish_and_clear();
    let report = result.map_err(|e| match e {
        FeatureError::Ingest(e) => classify(e),
        e @ FeatureError::OutOfOrder { .. } => UnusableInput(e.to_string()).into(),
        e => e.into(),
    })?;
    tracing::info!(
        input = %args.input.display(),
        rows = report.rows,
        cards = report.replay.cards,
        seconds = report.seconds,
        "features computed"
    );
    if args.json {
        print_json(&report)
    } else {
        print_human(&report);
        Ok(())
    }
}

#[allow(clippy::print_stdout)]
fn print_human(r: &FeaturesReport) {
    println!(
        "{}: {} transactions, {} cards, {} features each in {:.2} s ({:.0} rows/s)",
        r.input.display(),
        thousands(r.rows),
        thousands(r.replay.cards),
        r.feature_count,
        r.seconds,
        r.rows as f64 / r.seconds.max(1e-9)
    );
    if r.rows > 0 && r.frauds > 0 {
        println!(
            "  frauds:          {} ({:.2}%)",
            thousands(r.frauds),
            100.0 * r.frauds as f64 / r.rows as f64
        );
    }
    if let (Some(first), Some(last)) = (r.replay.first_event, r.replay.last_event) {
        println!("  period:          {first} .. {last}");
    }
    if r.replay.reordered > 0 {
        println!(
            "  reordered:       {} (put back in time order)",
            thousands(r.replay.reordered)
        );
    }
    if let Some(q) = &r.quarantine {
        println!(
            "  rejected:        {} (see {})",
            thousands(r.rejected),
            q.display()
        );
    }
    println!("  output:          {}", r.output.display());
    println!("  feature schema:  {}", &r.feature_schema_hash[..12]);
    if let Some(s) = &r.state_snapshot {
        println!("  card states:     {}", s.display());
    }
}
