//! The quarantine file: every refused record, with where it was and why.
//!
//! CSV with the columns `line,reason,column,message,record`. `record` is the
//! original line with every card number replaced by its token, so nothing is
//! lost (the row can be traced and corrected at its source) and nothing
//! secret is kept.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::error::{IngestError, Result};
use crate::reader::Rejection;

/// Writes rejections to a quarantine CSV file.
pub struct QuarantineWriter {
    writer: csv::Writer<BufWriter<File>>,
    path: PathBuf,
}

impl QuarantineWriter {
    /// Creates `path` (truncating it) and writes the header.
    pub fn create(path: &Path) -> Result<Self> {
        let file = File::create(path).map_err(|source| IngestError::Write {
            path: path.to_path_buf(),
            source,
        })?;
        let mut this = Self {
            writer: csv::Writer::from_writer(BufWriter::new(file)),
            path: path.to_path_buf(),
        };
        this.write_record(&["line", "reason", "column", "message", "record"])?;
        Ok(this)
    }

    fn write_record(&mut self, fields: &[&str]) -> Result<()> {
        self.writer.write_record(fields).map_err(|e| self.error(e))
    }

    fn error(&self, e: csv::Error) -> IngestError {
        IngestError::Write {
            path: self.path.clone(),
            source: std::io::Error::other(e.to_string()),
        }
    }

    /// Appends rejections.
    pub fn write(&mut self, rejections: &[Rejection]) -> Result<()> {
        for r in rejections {
            let line = r.line.to_string();
            self.write_record(&[
                &line,
                &r.problem.reason,
                r.problem.column.unwrap_or(""),
                &r.problem.message,
                &r.record,
            ])?;
        }
        Ok(())
    }

    /// Flushes the file to disk.
    pub fn finish(mut self) -> Result<()> {
        self.writer.flush().map_err(|source| IngestError::Write {
            path: self.path.clone(),
            source,
        })
    }
}
