//! The requests of a replay, read from a Kaggle-layout CSV file and encoded
//! before the clock starts so encoding never delays a send.
//!
//! Each row becomes the JSON body of one `POST /v1/score`: the raw fields a
//! card issuer's front end would send, named as in the Kaggle header, the
//! label (`is_fraud`) and the pandas index column left out. Text fields,
//! `cc_num` and `zip` are JSON strings (a card number can exceed 2^53 and a
//! zip is an identifier); `amt`, `lat`, `long`, `city_pop`, `unix_time`,
//! `merch_lat` and `merch_long` are JSON numbers written exactly as in the
//! file. Rows are sent in event-time order: when `unix_time` ever decreases
//! in the file, the rows are sorted by (`unix_time`, `trans_num`), ties
//! otherwise keep their file order.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use bytes::Bytes;

use crate::error::{ReplayError, Result};

/// How a column is written in the request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Number,
}

/// The request fields, in the order they are written.
const FIELDS: [(&str, Kind); 21] = [
    ("trans_date_trans_time", Kind::Text),
    ("cc_num", Kind::Text),
    ("merchant", Kind::Text),
    ("category", Kind::Text),
    ("amt", Kind::Number),
    ("first", Kind::Text),
    ("last", Kind::Text),
    ("gender", Kind::Text),
    ("street", Kind::Text),
    ("city", Kind::Text),
    ("state", Kind::Text),
    ("zip", Kind::Text),
    ("lat", Kind::Number),
    ("long", Kind::Number),
    ("city_pop", Kind::Number),
    ("job", Kind::Text),
    ("dob", Kind::Text),
    ("trans_num", Kind::Text),
    ("unix_time", Kind::Number),
    ("merch_lat", Kind::Number),
    ("merch_long", Kind::Number),
];

const TRANS_NUM: usize = 17;
const UNIX_TIME: usize = 18;

/// One pre-encoded request.
#[derive(Debug, Clone)]
pub struct Request {
    /// The JSON body.
    pub body: Bytes,
    /// The row's `is_fraud`, when the file has that column.
    pub is_fraud: Option<bool>,
}

/// The requests of one replay, in sending order.
#[derive(Debug, Clone, Default)]
pub struct Workload {
    requests: Vec<Request>,
    labelled: bool,
    resorted: bool,
}

/// A row kept while loading, with its sort key.
struct Row {
    unix_time: i64,
    trans_num: String,
    request: Request,
}

impl Workload {
    /// Reads up to `limit` rows (in event-time order) of a Kaggle-layout
    /// CSV file. A file already in time order is read only as far as needed.
    pub fn load(path: &Path, limit: Option<u64>) -> Result<Self> {
        let file = File::open(path).map_err(|reason| ReplayError::Io {
            path: path.to_path_buf(),
            reason,
        })?;
        Self::read(BufReader::with_capacity(1 << 20, file), path, limit)
    }

    /// As [`Workload::load`], from any reader (`path` names it in errors).
    pub fn read(reader: impl std::io::Read, path: &Path, limit: Option<u64>) -> Result<Self> {
        let csv_error = |reason| ReplayError::Csv {
            path: path.to_path_buf(),
            reason,
        };
        let mut csv = csv::ReaderBuilder::new().from_reader(reader);
        let columns = Columns::from_header(csv.byte_headers().map_err(csv_error)?, path)?;
        let limit = limit.unwrap_or(u64::MAX);
        let mut rows: Vec<Row> = Vec::new();
        let mut in_order = true;
        let mut previous_time = i64::MIN;
        let mut record = csv::ByteRecord::new();
        let mut body = Vec::with_capacity(512);
        while csv.read_byte_record(&mut record).map_err(csv_error)? {
            let line = record.position().map_or(0, |p| p.line());
            let unix_time = columns.unix_time(&record, line, path)?;
            in_order &= previous_time <= unix_time;
            previous_time = unix_time;
            // In a file ordered so far, a row later than the `limit` rows
            // kept cannot be sent; one tied with the last kept may be (the
            // trans_num breaks ties), and any row may once the order breaks.
            let beyond_limit = rows.len() as u64 >= limit;
            if beyond_limit && in_order && rows.last().is_some_and(|r| r.unix_time < unix_time) {
                continue;
            }
            rows.push(columns.encode(&record, unix_time, line, path, &mut body)?);
        }
        if !in_order {
            rows.sort_by(|a, b| (a.unix_time, &a.trans_num).cmp(&(b.unix_time, &b.trans_num)));
        }
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(Self {
            requests: rows.into_iter().map(|row| row.request).collect(),
            labelled: columns.is_fraud.is_some(),
            resorted: !in_order,
        })
    }

    /// Builds a workload from bodies already encoded (tests, other sources).
    pub fn from_requests(requests: Vec<Request>) -> Self {
        let labelled = requests.iter().any(|r| r.is_fraud.is_some());
        Self {
            requests,
            labelled,
            resorted: false,
        }
    }

    /// The requests, in sending order.
    pub fn requests(&self) -> &[Request] {
        &self.requests
    }

    /// Number of requests.
    pub fn len(&self) -> usize {
        self.requests.len()
    }

    /// No request at all.
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    /// The file has an `is_fraud` column.
    pub fn is_labelled(&self) -> bool {
        self.labelled
    }

    /// The file was not in `unix_time` order and was sorted.
    pub fn was_resorted(&self) -> bool {
        self.resorted
    }

    /// Keeps the first `n` requests.
    pub fn truncate(&mut self, n: usize) {
        self.requests.truncate(n);
    }
}

/// Where each request field and the label sit in a record.
struct Columns {
    fields: [usize; FIELDS.len()],
    is_fraud: Option<usize>,
}

impl Columns {
    fn from_header(header: &csv::ByteRecord, path: &Path) -> Result<Self> {
        let names: Vec<&[u8]> = header
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let name = if i == 0 {
                    name.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(name)
                } else {
                    name
                };
                name.trim_ascii()
            })
            .collect();
        let find = |wanted: &str| names.iter().position(|n| *n == wanted.as_bytes());
        let mut fields = [0; FIELDS.len()];
        for (slot, (name, _)) in fields.iter_mut().zip(FIELDS) {
            *slot = find(name).ok_or(ReplayError::MissingColumn {
                path: path.to_path_buf(),
                column: name,
            })?;
        }
        Ok(Self {
            fields,
            is_fraud: find("is_fraud"),
        })
    }

    fn unix_time(&self, record: &csv::ByteRecord, line: u64, path: &Path) -> Result<i64> {
        let text = record.get(self.fields[UNIX_TIME]).unwrap_or_default();
        std::str::from_utf8(text.trim_ascii())
            .ok()
            .and_then(|t| t.parse::<i64>().ok())
            .ok_or_else(|| ReplayError::NotANumber {
                path: path.to_path_buf(),
                line,
                column: "unix_time",
            })
    }

    fn encode(
        &self,
        record: &csv::ByteRecord,
        unix_time: i64,
        line: u64,
        path: &Path,
        body: &mut Vec<u8>,
    ) -> Result<Row> {
        let field = |index: usize| record.get(index).unwrap_or_default();
        let not_a_number = |column| ReplayError::NotANumber {
            path: path.to_path_buf(),
            line,
            column,
        };
        body.clear();
        body.push(b'{');
        for (i, ((name, kind), &index)) in FIELDS.iter().zip(&self.fields).enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.push(b'"');
            body.extend_from_slice(name.as_bytes());
            body.extend_from_slice(b"\":");
            let value = field(index);
            match kind {
                Kind::Text => write_json_string(body, value),
                Kind::Number => {
                    let text = value.trim_ascii();
                    if !is_json_number(text) {
                        return Err(not_a_number(name));
                    }
                    body.extend_from_slice(text);
                }
            }
        }
        body.push(b'}');
        let is_fraud = match self.is_fraud.map(field).map(<[u8]>::trim_ascii) {
            None | Some(b"") => None,
            Some(b"0") => Some(false),
            Some(b"1") => Some(true),
            Some(_) => return Err(not_a_number("is_fraud")),
        };
        Ok(Row {
            unix_time,
            trans_num: String::from_utf8_lossy(field(self.fields[TRANS_NUM])).into_owned(),
            request: Request {
                body: Bytes::copy_from_slice(body),
                is_fraud,
            },
        })
    }
}

/// Appends `value` as a JSON string (invalid UTF-8 is replaced).
fn write_json_string(out: &mut Vec<u8>, value: &[u8]) {
    let text = String::from_utf8_lossy(value);
    // Writing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text.as_ref());
}

/// The JSON number grammar: `-? int frac? exp?` with no leading zeros.
fn is_json_number(text: &[u8]) -> bool {
    let mut rest = text.strip_prefix(b"-").unwrap_or(text);
    let int_len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if int_len == 0 || (int_len > 1 && rest[0] == b'0') {
        return false;
    }
    rest = &rest[int_len..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let digits = frac.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        rest = &frac[digits..];
    }
    if let Some(exp) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        let exp = exp
            .strip_prefix(b"+")
            .or_else(|| exp.strip_prefix(b"-"))
            .unwrap_or(exp);
        let digits = exp.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        rest = &exp[digits..];
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests;
