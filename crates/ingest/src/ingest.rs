//! `ingest_file`: one input file -> a Parquet file of accepted transactions
//! and a quarantine file of refused records, with a report.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use vigie_types::Tokenizer;

use crate::error::{IngestError, Result};
use crate::parquet_io::TransactionWriter;
use crate::quarantine::QuarantineWriter;
use crate::reader::{Batch, ReadOptions, ReadSummary, read_file};

/// Where `ingest_file` writes.
#[derive(Debug, Clone)]
pub struct IngestOutputs {
    /// The Parquet file of accepted transactions.
    pub parquet: PathBuf,
    /// The quarantine CSV file of refused records.
    pub quarantine: PathBuf,
}

/// What `ingest_file` did.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    /// The input file.
    pub input: PathBuf,
    /// The counts.
    #[serde(flatten)]
    pub summary: ReadSummary,
    /// The Parquet file written.
    pub output: PathBuf,
    /// The quarantine file written.
    pub quarantine: PathBuf,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Things a person should look at, even though the file was read.
    pub warnings: Vec<String>,
}

/// A sibling path used while writing, renamed into place at the end so a
/// reader never sees a half-written output.
fn partial(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

/// Ingests `input` into `outputs`.
pub fn ingest_file(
    input: &Path,
    outputs: &IngestOutputs,
    tokenizer: &Tokenizer,
    options: &ReadOptions,
    metadata: &[(&str, String)],
    progress: &(dyn Fn(u64) + Sync),
) -> Result<IngestReport> {
    let started = Instant::now();
    let (parquet_tmp, quarantine_tmp) = (partial(&outputs.parquet), partial(&outputs.quarantine));
    let mut parquet = TransactionWriter::create(&parquet_tmp, metadata)?;
    let mut quarantine = QuarantineWriter::create(&quarantine_tmp)?;
    // Encoding Parquet is the heaviest sequential step: it gets its own
    // thread, fed through a bounded channel, so it overlaps with reading.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(4);
    let (read, written) = std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<()> {
            for batch in rx {
                parquet.write(&batch.accepted)?;
                quarantine.write(&batch.rejected)?;
            }
            parquet.finish()?;
            quarantine.finish()
        });
        let read = read_file(input, tokenizer, options, progress, &mut |batch| {
            // A closed channel means the writer failed: stop reading; the
            // writer's own error is the one reported.
            tx.send(batch).map_err(|_| IngestError::Write {
                path: parquet_tmp.clone(),
                source: std::io::Error::other("the output writer stopped"),
            })
        });
        drop(tx);
        let written = writer.join().unwrap_or_else(|_| {
            Err(IngestError::Write {
                path: parquet_tmp.clone(),
                source: std::io::Error::other("writer thread panicked"),
            })
        });
        (read, written)
    });
    let summary = match written.and(read) {
        Ok(summary) => summary,
        Err(e) => {
            // Best effort: leave no partial outputs behind.
            let _ = std::fs::remove_file(&parquet_tmp);
            let _ = std::fs::remove_file(&quarantine_tmp);
            return Err(e);
        }
    };
    for (from, to) in [
        (&parquet_tmp, &outputs.parquet),
        (&quarantine_tmp, &outputs.quarantine),
    ] {
        std::fs::rename(from, to).map_err(|source| IngestError::Write {
            path: to.clone(),
            source,
        })?;
    }
    let warnings = warnings(&summary);
    for warning in &warnings {
        tracing::warn!(input = %input.display(), "{warning}");
    }
    Ok(IngestReport {
        input: input.to_path_buf(),
        warnings,
        summary,
        output: outputs.parquet.clone(),
        quarantine: outputs.quarantine.clone(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Data-quality observations on a file that was read.
fn warnings(s: &ReadSummary) -> Vec<String> {
    let mut out = Vec::new();
    if s.rows_read > 0 && s.accepted == 0 {
        let top = s
            .rejected_by_reason
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(r, _)| r.as_str())
            .unwrap_or("");
        out.push(format!(
            "no record was accepted (most common reason: {top}); see the quarantine file"
        ));
    }
    if s.labelled && s.accepted >= 100 {
        let rate = s.frauds as f64 / s.accepted as f64;
        if rate > 0.05 {
            out.push(format!(
                "fraud rate {:.1}% is far above the 0.1-2% of real card data: a resampled or balanced copy, or tampered labels?",
                rate * 100.0
            ));
        }
    }
    if s.id_conflicts > 0 {
        out.push(format!(
            "{} records reuse a trans_num already used by a different transaction: the source's id generator collides{}",
            s.id_conflicts,
            if s.rejected_by_reason.contains_key("trans_num_conflict") { " (quarantined; --keep-id-conflicts keeps them)" } else { " (kept)" }
        ));
    }
    if s.out_of_order > 0 {
        out.push(format!("{} records are earlier than the record before them: the file is not in time order (features replay it sorted)", s.out_of_order));
    }
    if !s.ignored_columns.is_empty() {
        out.push(format!(
            "ignored unknown column(s): {}",
            s.ignored_columns.join(", ")
        ));
    }
    if !s.labelled {
        out.push("no is_fraud column: the data is unlabelled".into());
    }
    out
}
