//! Splits a transactions CSV at a point in time: the demo trains on the
//! months before the cut and replays the months after it, as a bank would
//! train on the past and score the present.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::Path;

use anyhow::{Context, Result, bail};

/// Rows on each side of the cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitCounts {
    /// Rows before the cut.
    pub before: u64,
    /// Rows at or after the cut.
    pub after: u64,
}

/// Copies the rows of `input` whose `trans_date_trans_time` is before `cut`
/// (`YYYY-MM-DD HH:MM:SS` or a prefix of it, compared as text, which orders
/// this format correctly) to `before`, the others to `after`; both keep the
/// header. Rows are copied byte for byte (quoting included).
pub fn split_at(input: &Path, cut: &str, before: &Path, after: &Path) -> Result<SplitCounts> {
    let file = File::open(input).with_context(|| format!("opening {}", input.display()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(BufReader::with_capacity(1 << 20, file));
    let header = reader.byte_headers()?.clone();
    let Some(time_col) = header.iter().position(|h| h == b"trans_date_trans_time") else {
        bail!("{}: no trans_date_trans_time column", input.display());
    };
    let mut early = writer(before)?;
    let mut late = writer(after)?;
    early.write_byte_record(&header)?;
    late.write_byte_record(&header)?;
    let mut counts = SplitCounts {
        before: 0,
        after: 0,
    };
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record)? {
        let time = record.get(time_col).unwrap_or_default();
        if time < cut.as_bytes() {
            early.write_byte_record(&record)?;
            counts.before += 1;
        } else {
            late.write_byte_record(&record)?;
            counts.after += 1;
        }
    }
    early.flush()?;
    late.flush()?;
    Ok(counts)
}

fn writer(path: &Path) -> Result<csv::Writer<BufWriter<File>>> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    Ok(csv::WriterBuilder::new().from_writer(BufWriter::with_capacity(1 << 20, file)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_go_to_their_side_of_the_cut_with_the_header_and_quotes_kept() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("all.csv");
        std::fs::write(
            &input,
            "merchant,trans_date_trans_time,amt\n\
             \"a, b\",2020-06-30 23:59:59,1.00\n\
             c,2020-07-01 00:00:00,2.00\n\
             d,2019-01-01 00:00:00,3.00\n",
        )
        .unwrap();
        let (b, a) = (dir.path().join("b.csv"), dir.path().join("a.csv"));
        let counts = split_at(&input, "2020-07-01", &b, &a).unwrap();
        assert_eq!(
            counts,
            SplitCounts {
                before: 2,
                after: 1
            }
        );
        assert_eq!(
            std::fs::read_to_string(&b).unwrap(),
            "merchant,trans_date_trans_time,amt\n\"a, b\",2020-06-30 23:59:59,1.00\nd,2019-01-01 00:00:00,3.00\n"
        );
        assert_eq!(
            std::fs::read_to_string(&a).unwrap(),
            "merchant,trans_date_trans_time,amt\nc,2020-07-01 00:00:00,2.00\n"
        );
    }

    #[test]
    fn a_file_without_the_time_column_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("all.csv");
        std::fs::write(&input, "a,b\n1,2\n").unwrap();
        let err = split_at(&input, "2020", &dir.path().join("x"), &dir.path().join("y"));
        assert!(
            err.unwrap_err()
                .to_string()
                .contains("trans_date_trans_time")
        );
    }
}
