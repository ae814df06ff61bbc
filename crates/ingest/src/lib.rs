//! Vigie's ingestion edge (layer L1): everything that comes from outside is
//! read, checked and turned into [`vigie_types::LabeledTransaction`]s here.
//!
//! Invariants:
//! - every record read is either accepted or quarantined with a reason code,
//!   so `accepted + rejected == rows_read`; nothing is dropped silently;
//! - card numbers are tokenised as soon as a record is parsed and are never
//!   written anywhere in clear: not to Parquet, not to the quarantine file
//!   (card numbers there are replaced by their tokens), not to error messages;
//! - memory stays constant in the file size, apart from the duplicate index
//!   (a 24-byte hash-table entry per distinct `trans_num`; 1.06 GB peak RSS
//!   measured for 21 M rows, see docs/ingest.md);
//! - a file that cannot be used at all (JSON, a Git LFS pointer, missing
//!   columns, no header...) is an [`IngestError`] naming the problem, before
//!   anything is written.
//!
//! The reader is driven by the header, so column order does not matter; a
//! [`Mapping`] reads other layouts. See docs/ingest.md for every reason code
//! and every repair.

mod chunk;
mod collect;
mod error;
mod field;
mod id_index;
mod ingest;
pub mod kaggle;
mod layout;
mod mapping;
mod parquet_io;
mod quarantine;
mod reader;
mod record;
mod sniff;
pub mod split;

pub use error::{IngestError, Result};
pub use field::Field;
pub use ingest::{IngestOutputs, IngestReport, ingest_file};
pub use layout::Layout;
pub use mapping::{AmountFormat, FormatSpec, Mapping, TimePattern};
pub use parquet_io::{SCHEMA_VERSION, TransactionWriter, read_transactions};
pub use quarantine::QuarantineWriter;
pub use reader::{Accepted, Batch, ReadOptions, ReadSummary, Rejection, read_file};
pub use record::{Problem, RecordParser, Repairs};
