//! The Kaggle `fraudTrain.csv` / `fraudTest.csv` layout: its columns, and a
//! fast writer for rows in that layout (used by the generator and by tests).
//!
//! The reader side lives in [`crate::reader`]; it is driven by the header, so
//! column order does not matter there. The writer always writes the canonical
//! order below, exactly as the public files do (a leading unnamed pandas index
//! column, shortest float text, quotes only where a field needs them).

use std::io::{self, Write};

use vigie_types::{
    Amount, CardNumber, Category, Date, FraudScenario, Gender, GeoPoint, Label, Timestamp, TransNum,
};

/// The columns of the Kaggle layout, in file order. The first name is empty:
/// it is the index column pandas wrote.
pub const KAGGLE_COLUMNS: [&str; 23] = [
    "",
    "trans_date_trans_time",
    "cc_num",
    "merchant",
    "category",
    "amt",
    "first",
    "last",
    "gender",
    "street",
    "city",
    "state",
    "zip",
    "lat",
    "long",
    "city_pop",
    "job",
    "dob",
    "trans_num",
    "unix_time",
    "merch_lat",
    "merch_long",
    "is_fraud",
];

/// The optional column in which Vigie's generator names the fraud scenario.
pub const SCENARIO_COLUMN: &str = "fraud_scenario";

/// One row of the Kaggle layout, borrowing its text fields.
#[derive(Debug, Clone, Copy)]
pub struct KaggleRow<'a> {
    /// The pandas index value.
    pub index: u64,
    /// `trans_date_trans_time`.
    pub event_time: Timestamp,
    /// `cc_num`, in clear: this row is on the outer side of the edge.
    pub card_number: &'a CardNumber,
    /// `merchant`.
    pub merchant: &'a str,
    /// `category`.
    pub category: Category,
    /// `amt`.
    pub amount: Amount,
    /// `first`.
    pub first: &'a str,
    /// `last`.
    pub last: &'a str,
    /// `gender`.
    pub gender: Gender,
    /// `street`.
    pub street: &'a str,
    /// `city`.
    pub city: &'a str,
    /// `state`.
    pub state: &'a str,
    /// `zip`, as the number the files hold (leading zeros lost).
    pub zip: u32,
    /// `lat` / `long`.
    pub home: GeoPoint,
    /// `city_pop`.
    pub city_pop: u32,
    /// `job`.
    pub job: &'a str,
    /// `dob`.
    pub birth_date: Date,
    /// `trans_num`.
    pub trans_num: TransNum,
    /// `unix_time`.
    pub unix_time: i64,
    /// `merch_lat` / `merch_long`.
    pub merchant_location: GeoPoint,
    /// `is_fraud`.
    pub label: Label,
    /// `fraud_scenario`, written only by a writer that has the column.
    pub scenario: Option<FraudScenario>,
}

/// Appends `field` to `out`, quoted (with inner quotes doubled) if it holds a
/// comma, a quote or a line break, as RFC 4180 and pandas do.
pub fn push_field(out: &mut Vec<u8>, field: &str) {
    let needs_quotes = field
        .bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
    if !needs_quotes {
        out.extend_from_slice(field.as_bytes());
        return;
    }
    out.push(b'"');
    for b in field.bytes() {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

fn push_int(out: &mut Vec<u8>, value: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// Appends the shortest text that reads back as the same `f64` (`36.011293`,
/// `-81.1781`, `34.0`).
pub fn push_f64(out: &mut Vec<u8>, value: f64) {
    out.extend_from_slice(ryu::Buffer::new().format(value).as_bytes());
}

/// Appends the header line (with the scenario column when asked).
pub fn write_header(out: &mut Vec<u8>, with_scenario: bool) {
    out.extend_from_slice(KAGGLE_COLUMNS.join(",").as_bytes());
    if with_scenario {
        out.push(b',');
        out.extend_from_slice(SCENARIO_COLUMN.as_bytes());
    }
    out.push(b'\n');
}

/// Appends one row, newline included, in the canonical column order.
pub fn write_row(out: &mut Vec<u8>, row: &KaggleRow<'_>, with_scenario: bool) {
    push_int(out, row.index);
    out.push(b',');
    row.event_time.write_to(out);
    out.push(b',');
    out.extend_from_slice(row.card_number.expose_digits());
    out.push(b',');
    push_field(out, row.merchant);
    out.push(b',');
    out.extend_from_slice(row.category.as_str().as_bytes());
    out.push(b',');
    row.amount.write_shortest(out);
    out.push(b',');
    push_field(out, row.first);
    out.push(b',');
    push_field(out, row.last);
    out.push(b',');
    out.extend_from_slice(row.gender.as_str().as_bytes());
    out.push(b',');
    push_field(out, row.street);
    out.push(b',');
    push_field(out, row.city);
    out.push(b',');
    push_field(out, row.state);
    out.push(b',');
    push_int(out, row.zip);
    out.push(b',');
    push_f64(out, row.home.lat());
    out.push(b',');
    push_f64(out, row.home.lon());
    out.push(b',');
    push_int(out, row.city_pop);
    out.push(b',');
    push_field(out, row.job);
    out.push(b',');
    row.birth_date.write_to(out);
    out.push(b',');
    row.trans_num.write_to(out);
    out.push(b',');
    push_int(out, row.unix_time);
    out.push(b',');
    push_f64(out, row.merchant_location.lat());
    out.push(b',');
    push_f64(out, row.merchant_location.lon());
    out.push(b',');
    out.push(b'0' + row.label.as_u8());
    if with_scenario {
        out.push(b',');
        if let Some(scenario) = row.scenario {
            out.extend_from_slice(scenario.as_str().as_bytes());
        }
    }
    out.push(b'\n');
}

/// Writes rows in the Kaggle layout to any `Write`, buffering internally.
#[derive(Debug)]
pub struct KaggleWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
    with_scenario: bool,
}

impl<W: Write> KaggleWriter<W> {
    const FLUSH_AT: usize = 1 << 20;

    /// Starts a file: writes the header.
    pub fn new(out: W, with_scenario: bool) -> Self {
        let mut buf = Vec::with_capacity(Self::FLUSH_AT + 4096);
        write_header(&mut buf, with_scenario);
        Self {
            out,
            buf,
            with_scenario,
        }
    }

    /// Appends one row.
    pub fn write(&mut self, row: &KaggleRow<'_>) -> io::Result<()> {
        write_row(&mut self.buf, row, self.with_scenario);
        if self.buf.len() >= Self::FLUSH_AT {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Appends bytes already formatted with [`write_row`] (for writers that
    /// format rows on several threads).
    pub fn write_formatted(&mut self, rows: &[u8]) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.out.write_all(rows)
    }

    /// Flushes everything and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(&self.buf)?;
        self.out.flush()?;
        Ok(self.out)
    }
}
