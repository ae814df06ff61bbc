//! `compute_features`: a transaction file (CSV or ingested Parquet) in, a
//! feature file out, through the [`Replayer`]. Reading, replaying and
//! writing Parquet overlap on separate threads joined by bounded channels.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Instant;

use serde::Serialize;
use vigie_ingest::{
    Accepted, IngestError, QuarantineWriter, ReadOptions, read_file, read_transactions,
};
use vigie_types::{CardToken, Tokenizer};

use crate::catalogue::{FEATURE_COUNT, feature_schema};
use crate::error::{FeatureError, Result};
use crate::replay::{FeatureRow, ReplayOptions, ReplaySummary, Replayer};
use crate::state::CardState;
use crate::store::MemoryStateStore;
use crate::table::FeatureWriter;

/// Where the transactions come from.
#[derive(Debug)]
pub enum Source<'a> {
    /// A CSV file, read and validated exactly as `vigie ingest` does; refused
    /// records go to `quarantine`.
    Csv {
        /// The file.
        path: &'a Path,
        /// Turns card numbers into tokens.
        tokenizer: &'a Tokenizer,
        /// Layout and reader settings.
        options: &'a ReadOptions,
        /// Where refused records go.
        quarantine: &'a Path,
    },
    /// A Parquet file written by `vigie ingest`.
    Parquet {
        /// The file.
        path: &'a Path,
    },
}

impl Source<'_> {
    fn path(&self) -> &Path {
        match self {
            Self::Csv { path, .. } | Self::Parquet { path } => path,
        }
    }
}

/// Where `compute_features` writes.
#[derive(Debug, Clone)]
pub struct FeatureOutputs {
    /// The feature Parquet file.
    pub parquet: PathBuf,
    /// Optionally, a snapshot of every card's final state, to warm a scorer.
    pub state_snapshot: Option<PathBuf>,
}

/// What `compute_features` did.
#[derive(Debug, Clone, Serialize)]
pub struct FeaturesReport {
    /// The input file.
    pub input: PathBuf,
    /// The feature file written.
    pub output: PathBuf,
    /// Records read from the input (CSV: before validation).
    pub rows_read: u64,
    /// Records refused by validation (CSV only; see the quarantine file).
    pub rejected: u64,
    /// Refusals per reason code.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// The quarantine file, for CSV input.
    pub quarantine: Option<PathBuf>,
    /// Rows written (one per accepted transaction). Not serialised: the
    /// flattened replay counts already carry `rows`, and a JSON object must
    /// not name a key twice.
    #[serde(skip_serializing)]
    pub rows: u64,
    /// Rows labelled fraud.
    pub frauds: u64,
    /// The replay's counts.
    #[serde(flatten)]
    pub replay: ReplaySummary,
    /// Features per row.
    pub feature_count: usize,
    /// The feature schema hash written into the file.
    pub feature_schema_hash: String,
    /// The state snapshot written, if any.
    pub state_snapshot: Option<PathBuf>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

fn partial(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

/// Reads `source`, replays it (continuing from `initial` card states, e.g.
/// a snapshot of the previous period) and writes the features to `outputs`.
/// `progress` receives bytes read (CSV) or rows read (Parquet).
pub fn compute_features(
    source: &Source<'_>,
    outputs: &FeatureOutputs,
    options: &ReplayOptions,
    initial: Option<MemoryStateStore>,
    metadata: &[(&str, String)],
    progress: &(dyn Fn(u64) + Sync),
) -> Result<FeaturesReport> {
    let started = Instant::now();
    let tmp = partial(&outputs.parquet);
    let mut writer = FeatureWriter::create(&tmp, metadata)?;
    let (tx, rx) = sync_channel::<Vec<FeatureRow>>(4);
    // Written row vectors go back to the replay, to be filled again.
    let (recycle_tx, recycle_rx) = sync_channel::<Vec<FeatureRow>>(4);
    let replayer = match initial {
        Some(store) => Replayer::with_states(options.clone(), store.into_states()?),
        None => Replayer::new(options.clone()),
    };
    let outcome = std::thread::scope(|scope| {
        let writing = scope.spawn(move || -> Result<u64> {
            for rows in rx {
                writer.write(&rows)?;
                // Full: the replay has spares enough; the vector is dropped.
                let _ = recycle_tx.try_send(rows);
            }
            writer.finish()
        });
        // The replay has its own thread, so the reader keeps collecting
        // (ordering, duplicate ids, quarantine) while the card shards run.
        let (batch_tx, batch_rx) = sync_channel::<Vec<Accepted>>(2);
        let tmp = &tmp;
        // Returning drops both channel ends, drained or not: the reader
        // stops and the writer's input closes.
        let replaying =
            scope.spawn(move || replay_batches(replayer, batch_rx, tx, &recycle_rx, tmp));
        let read = read_source(
            source,
            &mut |batch| batch_tx.send(batch).map_err(|_| stopped(tmp, "replay")),
            progress,
        );
        drop(batch_tx);
        let replayed = replaying
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let written = writing
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        // A writer failure explains a failed replay, a replay failure a
        // failed read: report the first cause.
        written.and_then(|rows| replayed.and_then(|r| read.map(|read| (rows, read, r))))
    });
    let (rows, read, replayed) = match outcome {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    std::fs::rename(&tmp, &outputs.parquet).map_err(|source| FeatureError::Io {
        path: outputs.parquet.clone(),
        source,
    })?;
    if let Some(path) = &outputs.state_snapshot {
        MemoryStateStore::from_states(replayed.states).save_snapshot(path)?;
    }
    Ok(FeaturesReport {
        input: source.path().to_path_buf(),
        output: outputs.parquet.clone(),
        rows_read: read.rows_read,
        rejected: read.rejected,
        rejected_by_reason: read.rejected_by_reason,
        quarantine: read.quarantine,
        rows,
        frauds: replayed.frauds,
        replay: replayed.summary,
        feature_count: FEATURE_COUNT,
        feature_schema_hash: feature_schema().hash.clone(),
        state_snapshot: outputs.state_snapshot.clone(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The replay thread: replays every batch the reader sends and hands the
/// feature rows to the writer; returns the replay's summary and final card
/// states, and the frauds among the rows.
fn replay_batches(
    mut replayer: Replayer,
    batches: Receiver<Vec<Accepted>>,
    writer: SyncSender<Vec<FeatureRow>>,
    written: &Receiver<Vec<FeatureRow>>,
    path: &Path,
) -> Result<Replayed> {
    let mut frauds = 0u64;
    let mut send = |rows: Vec<FeatureRow>| {
        frauds += rows
            .iter()
            .filter(|r| r.txn.label.is_some_and(|l| l.is_fraud()))
            .count() as u64;
        writer.send(rows).map_err(|_| stopped(path, "writer"))
    };
    for batch in &batches {
        for rows in written.try_iter() {
            replayer.recycle(rows);
        }
        // The transactions move once, into the replay's reorder buffer.
        replayer.push(batch.into_iter().map(|a| a.txn), &mut send)?;
    }
    let (summary, states) = replayer.finish(&mut send)?;
    Ok(Replayed {
        summary,
        states,
        frauds,
    })
}

/// What the replay thread returns.
struct Replayed {
    summary: ReplaySummary,
    states: Vec<(CardToken, CardState)>,
    /// Fraud-labelled rows among those written.
    frauds: u64,
}

/// The error a stage sees when the next one has stopped (its own error is
/// the one reported).
fn stopped(path: &Path, what: &str) -> FeatureError {
    FeatureError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(format!("the feature {what} stopped")),
    }
}

/// What reading the source found.
#[derive(Default)]
struct ReadCounts {
    rows_read: u64,
    rejected: u64,
    rejected_by_reason: BTreeMap<String, u64>,
    quarantine: Option<PathBuf>,
}

/// The ingest reader's sinks return ingest errors; a replay failure inside
/// one is parked here and reported instead of the stop signal.
fn stop_reading(parked: &mut Option<FeatureError>, e: FeatureError) -> IngestError {
    *parked = Some(e);
    IngestError::Write {
        path: PathBuf::new(),
        source: std::io::Error::other("feature replay stopped"),
    }
}

fn read_source(
    source: &Source<'_>,
    replay: &mut dyn FnMut(Vec<Accepted>) -> Result<()>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ReadCounts> {
    let mut parked = None;
    let mut push = |batch: Vec<Accepted>, parked: &mut Option<FeatureError>| {
        replay(batch).map_err(|e| stop_reading(parked, e))
    };
    let result = match source {
        Source::Csv {
            path,
            tokenizer,
            options,
            quarantine,
        } => {
            let tmp = partial(quarantine);
            let mut q = QuarantineWriter::create(&tmp)?;
            let summary = read_file(path, tokenizer, options, progress, &mut |batch| {
                q.write(&batch.rejected)?;
                push(batch.accepted, &mut parked)
            });
            let finished = summary.and_then(|s| q.finish().map(|()| s));
            match finished {
                Ok(s) => {
                    std::fs::rename(&tmp, quarantine).map_err(|source| FeatureError::Io {
                        path: quarantine.to_path_buf(),
                        source,
                    })?;
                    Ok(ReadCounts {
                        rows_read: s.rows_read,
                        rejected: s.rejected,
                        rejected_by_reason: s.rejected_by_reason,
                        quarantine: Some(quarantine.to_path_buf()),
                    })
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    Err(e)
                }
            }
        }
        Source::Parquet { path } => {
            let mut rows = 0u64;
            read_transactions(path, &mut |batch| {
                rows += batch.len() as u64;
                progress(rows);
                push(batch, &mut parked)
            })
            .map(|n| ReadCounts {
                rows_read: n,
                ..ReadCounts::default()
            })
        }
    };
    match (parked, result) {
        (Some(e), _) => Err(e),
        (None, r) => r.map_err(FeatureError::from),
    }
}
