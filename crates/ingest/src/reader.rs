//! The streaming, parallel reader: file -> validated transactions, in order.
//!
//! One thread reads the file in large blocks and cuts them on record
//! boundaries; worker threads parse and validate chunks; the calling thread
//! puts chunk results back in file order, removes duplicate `trans_num`s and
//! hands batches to the caller's sink. Channels are bounded, so memory stays
//! constant in the file size (a few chunks in flight, plus the duplicate
//! index).

use std::collections::BTreeMap;
use std::fs::File;
use std::hash::{BuildHasher, Hash, Hasher};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use csv::ByteRecord;
use vigie_types::{LabeledTransaction, Timestamp, TokenCache, Tokenizer};

use crate::chunk::record_boundary;
use crate::collect::Collector;
use crate::error::{IngestError, Result};
use crate::layout::{Layout, looks_like_data, safe_excerpt};
use crate::mapping::Mapping;
use crate::record::{Problem, RecordParser, Repairs, redact_record};
use crate::sniff::not_csv;
use crate::split::{RecordSpan, Splitter};

/// How to read a file.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Column mapping (the Kaggle layout by default).
    pub mapping: Mapping,
    /// Parsing threads (at least 1).
    pub threads: usize,
    /// Size of the blocks handed to parsing threads.
    pub chunk_bytes: usize,
    /// Keep records whose `trans_num` was already used by a *different*
    /// transaction (an id collision in the source), instead of quarantining
    /// them as `trans_num_conflict`. Exact duplicates are always quarantined.
    pub keep_id_conflicts: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            mapping: Mapping::default(),
            threads: std::thread::available_parallelism().map_or(2, usize::from),
            chunk_bytes: 4 << 20,
            keep_id_conflicts: false,
        }
    }
}

/// A record that was refused, ready for the quarantine file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Physical line number in the input (1-based; a record spanning several
    /// lines is numbered by its first).
    pub line: u64,
    /// Why.
    pub problem: Problem,
    /// The original record with every card number replaced by its token.
    pub record: String,
}

/// An accepted record and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    /// Physical line number in the input.
    pub line: u64,
    /// The transaction.
    pub txn: LabeledTransaction,
}

/// What the reader hands to its sink, in file order.
#[derive(Debug, Default)]
pub struct Batch {
    /// Accepted records, in file order.
    pub accepted: Vec<Accepted>,
    /// Refused records, in file order.
    pub rejected: Vec<Rejection>,
}

/// Counts over a whole file.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ReadSummary {
    /// Records read (header excluded, blank lines excluded).
    pub rows_read: u64,
    /// Records accepted.
    pub accepted: u64,
    /// Records refused.
    pub rejected: u64,
    /// Refusals per reason code.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Records refused because the same record (same `trans_num`, card,
    /// time, amount and merchant) was seen earlier in the file.
    pub duplicates: u64,
    /// Records whose `trans_num` an earlier, different record already used
    /// (quarantined unless `keep_id_conflicts`).
    pub id_conflicts: u64,
    /// Accepted records that needed a documented repair, per repair.
    pub repaired: BTreeMap<String, u64>,
    /// Accepted records whose event time is earlier than the previous one's.
    pub out_of_order: u64,
    /// Whether the file has an `is_fraud` column.
    pub labelled: bool,
    /// Accepted records labelled fraud.
    pub frauds: u64,
    /// Earliest accepted event time.
    pub first_event: Option<Timestamp>,
    /// Latest accepted event time.
    pub last_event: Option<Timestamp>,
    /// Unknown columns, ignored.
    pub ignored_columns: Vec<String>,
    /// Known personal columns, not kept (data minimisation).
    pub dropped_columns: Vec<String>,
}

struct Chunk {
    seq: u64,
    data: Vec<u8>,
}

/// What a parsing thread hands back for one chunk: records already parsed,
/// checked, tokenised and (when refused) redacted, so that the collector only
/// has to put chunks in order and check ids across the whole file.
pub(crate) struct ChunkResult {
    pub(crate) seq: u64,
    pub(crate) data: Vec<u8>,
    pub(crate) newlines: u64,
    /// Accepted so far, with line numbers relative to the chunk (1-based).
    pub(crate) accepted: Vec<Accepted>,
    /// One per accepted record, in the same order.
    pub(crate) checks: Vec<RowCheck>,
    /// Refused, with line numbers relative to the chunk.
    pub(crate) rejected: Vec<Rejection>,
}

/// What the collector needs to know about an accepted record.
pub(crate) struct RowCheck {
    pub(crate) fingerprint: u64,
    pub(crate) repairs: Repairs,
    pub(crate) start: u32,
    pub(crate) end: u32,
}

/// Reads `path`, calling `sink` with batches in file order, and returns the
/// file's counts. `progress` receives the number of bytes read so far.
pub fn read_file(
    path: &Path,
    tokenizer: &Tokenizer,
    options: &ReadOptions,
    progress: &(dyn Fn(u64) + Sync),
    sink: &mut dyn FnMut(Batch) -> Result<()>,
) -> Result<ReadSummary> {
    let read_err = |source| IngestError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(read_err)?;
    let mut head = vec![0u8; options.chunk_bytes.max(1 << 16)];
    let filled = read_full(&mut file, &mut head).map_err(read_err)?;
    head.truncate(filled);
    if let Some(problem) = not_csv(&head) {
        return Err(IngestError::NotCsv {
            path: path.to_path_buf(),
            problem,
        });
    }
    let bom = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let (layout, body_start, header_lines) = read_header(path, &head[bom..], &options.mapping)?;
    let parser = RecordParser::new(layout, &options.mapping, tokenizer.clone());
    let carry = head[bom + body_start..].to_vec();

    let mut summary = ReadSummary {
        labelled: parser.layout().labelled(),
        ignored_columns: parser.layout().ignored_columns.clone(),
        dropped_columns: parser.layout().dropped_columns.clone(),
        ..ReadSummary::default()
    };
    let threads = options.threads.max(1);
    let (chunk_tx, chunk_rx) = sync_channel::<Chunk>(threads * 2);
    let (result_tx, result_rx) = sync_channel::<ChunkResult>(threads * 2);
    let chunk_rx = Arc::new(Mutex::new(chunk_rx));
    let expected_rows = std::fs::metadata(path).map_or(0, |m| m.len() / 200) as usize;
    // Chunk buffers the collector is done with go back to the reader, which
    // reads into them again instead of page-faulting fresh ones in.
    let (spare_tx, spare_rx) = sync_channel::<Vec<u8>>(threads * 2 + 2);
    let mut collector = Collector::new(
        tokenizer.clone(),
        header_lines as u64 + 1,
        expected_rows,
        options.keep_id_conflicts,
    )
    .returning_buffers(spare_tx);

    std::thread::scope(|scope| -> Result<()> {
        let reader = scope.spawn(move || {
            cut_chunks(
                file,
                carry,
                &spare_rx,
                bom + body_start,
                options.chunk_bytes,
                chunk_tx,
                progress,
            )
        });
        for _ in 0..threads {
            let (rx, tx, parser) = (Arc::clone(&chunk_rx), result_tx.clone(), parser.clone());
            scope.spawn(move || parse_chunks(&rx, &tx, &parser));
        }
        drop(result_tx);
        let collected = collector.run(&result_rx, &mut summary, sink);
        // Unblock the reader and the workers if the sink failed early.
        drop(result_rx);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("reader thread panicked")));
        collected?;
        read.map_err(|source| IngestError::Read {
            path: path.to_path_buf(),
            source,
        })
    })?;
    Ok(summary)
}

fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Parses the header (or, without one, peeks at the first record) and
/// returns the layout, the byte offset where records start and the number of
/// physical lines the header took.
fn read_header(path: &Path, head: &[u8], mapping: &Mapping) -> Result<(Layout, usize, usize)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(mapping.format.delimiter as u8)
        .from_reader(head);
    let mut first = ByteRecord::new();
    let found = reader.read_byte_record(&mut first).unwrap_or(false);
    if !found {
        return Err(IngestError::NotCsv {
            path: path.to_path_buf(),
            problem: "the file has no records".into(),
        });
    }
    let names: Vec<String> = first
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    if !mapping.format.header {
        let columns = mapping.headerless_columns(names.len());
        return Ok((Layout::resolve(&columns, mapping, path)?, 0, 0));
    }
    let mut end = reader.position().byte() as usize;
    while end < head.len() && matches!(head[end], b'\r' | b'\n') {
        end += 1;
    }
    let lines = head[..end].iter().filter(|&&b| b == b'\n').count();
    match Layout::resolve(&names, mapping, path) {
        Ok(layout) => Ok((layout, end, lines)),
        Err(IngestError::MissingColumns { .. }) if looks_like_data(&names) => {
            Err(IngestError::NoHeader {
                path: PathBuf::from(path),
                excerpt: safe_excerpt(&String::from_utf8_lossy(&head[..end.min(200)])),
            })
        }
        Err(e) => Err(e),
    }
}

fn cut_chunks(
    mut file: File,
    mut carry: Vec<u8>,
    spare: &Receiver<Vec<u8>>,
    mut bytes_done: usize,
    chunk_bytes: usize,
    tx: SyncSender<Chunk>,
    progress: &(dyn Fn(u64) + Sync),
) -> std::io::Result<()> {
    let mut seq = 0;
    let mut eof = false;
    while !eof || !carry.is_empty() {
        let mut block = match spare.try_recv() {
            Ok(mut buffer) => {
                buffer.clear();
                buffer.extend_from_slice(&carry);
                carry.clear();
                buffer
            }
            Err(_) => std::mem::take(&mut carry),
        };
        if !eof {
            // Read straight into spare capacity: no zero-filling first.
            block.reserve_exact(chunk_bytes);
            let n = (&mut file)
                .take(chunk_bytes as u64)
                .read_to_end(&mut block)?;
            eof = n < chunk_bytes;
        }
        let cut = if eof {
            block.len()
        } else {
            // An unbalanced quote could otherwise make a chunk grow forever:
            // past 16 blocks, cut at the last line break whatever the quotes.
            record_boundary(&block)
                .or_else(|| {
                    (block.len() > 16 * chunk_bytes)
                        .then(|| memchr::memrchr(b'\n', &block).map_or(block.len(), |p| p + 1))
                })
                .unwrap_or(0)
        };
        if cut == 0 {
            carry = block;
            continue;
        }
        carry = block.split_off(cut);
        bytes_done += block.len();
        if tx.send(Chunk { seq, data: block }).is_err() {
            return Ok(());
        }
        progress(bytes_done as u64);
        seq += 1;
    }
    Ok(())
}

fn parse_chunks(rx: &Mutex<Receiver<Chunk>>, tx: &SyncSender<ChunkResult>, parser: &RecordParser) {
    let mut tokens = parser.token_cache();
    loop {
        let chunk = match rx.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => return,
        };
        let Ok(chunk) = chunk else { return };
        let result = parse_chunk(chunk, parser, &mut tokens);
        if tx.send(result).is_err() {
            return;
        }
    }
}

fn parse_chunk(chunk: Chunk, parser: &RecordParser, tokens: &mut TokenCache) -> ChunkResult {
    let capacity = chunk.data.len() / 200;
    let mut accepted = Vec::with_capacity(capacity);
    let mut checks = Vec::with_capacity(capacity);
    let mut rejected = Vec::new();
    let data = chunk.data.as_slice();
    let mut splitter = Splitter::new(parser.delimiter());
    while let Some(RecordSpan { start, end, line }) = splitter.next_record(data) {
        match parser.parse_cached(&splitter.fields(data), tokens) {
            Ok((txn, repairs)) => {
                checks.push(RowCheck {
                    fingerprint: content_fingerprint(&txn),
                    repairs,
                    start: start as u32,
                    end: end as u32,
                });
                accepted.push(Accepted { line, txn });
            }
            Err(problem) => {
                let record = redact_record(&data[start..end], tokens);
                rejected.push(Rejection {
                    line,
                    problem,
                    record,
                });
            }
        }
    }
    ChunkResult {
        seq: chunk.seq,
        newlines: splitter.newlines(),
        data: chunk.data,
        accepted,
        checks,
        rejected,
    }
}

/// What makes two records "the same transaction" beyond their id: card,
/// time, amount, merchant and category (coordinates are left out: float
/// round trips change their last digits). Fingerprints are only compared
/// within one file, so a fixed-seed fast hash is enough.
fn content_fingerprint(txn: &LabeledTransaction) -> u64 {
    const SEED: u64 = 0x5649_4749_4500_0001;
    let t = &txn.txn;
    let mut hasher = foldhash::fast::FixedState::with_seed(SEED).build_hasher();
    t.card.hash(&mut hasher);
    t.event_time.hash(&mut hasher);
    t.amount.hash(&mut hasher);
    t.merchant.hash(&mut hasher);
    t.category.hash(&mut hasher);
    hasher.finish()
}
