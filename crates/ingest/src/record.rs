//! Parsing and validating one record into a [`LabeledTransaction`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use csv::ByteRecord;
use vigie_types::{
    Amount, CardNumber, CardToken, Category, Date, FraudScenario, Gender, GeoPoint, Label,
    LabeledTransaction, Timestamp, TokenCache, Tokenizer, TransNum, Transaction, ValueError,
    ValueErrorKind,
};

use crate::field::Field;
use crate::layout::Layout;
use crate::mapping::{AmountFormat, Mapping, TimePattern};
use crate::split::SplitFields;

/// A record's fields, however the record was split: a `csv` crate record
/// (the server's requests, a record unwrapped from quotes) or the parsing
/// threads' zero-copy [`SplitFields`].
pub(crate) trait Fields {
    /// The number of fields.
    fn field_count(&self) -> usize;
    /// Field `i`, unquoted.
    fn field(&self, i: usize) -> Option<&[u8]>;
}

impl Fields for ByteRecord {
    fn field_count(&self) -> usize {
        self.len()
    }

    fn field(&self, i: usize) -> Option<&[u8]> {
        self.get(i)
    }
}

impl Fields for SplitFields<'_> {
    fn field_count(&self) -> usize {
        self.len()
    }

    fn field(&self, i: usize) -> Option<&[u8]> {
        self.get(i)
    }
}

/// Event times accepted: from 1990-01-01 (card data older than that is a
/// parsing mistake) to 2100-01-01.
const EARLIEST_EVENT: i64 = 631_152_000;
const LATEST_EVENT: i64 = 4_102_444_800;
/// Oldest plausible cardholder, in years.
const MAX_AGE_YEARS: i32 = 120;

/// Why a record was refused: a stable code and a message for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Stable snake_case reason code (`amount_precision`, `field_count`...).
    pub reason: String,
    /// The column concerned, when there is one.
    pub column: Option<&'static str>,
    /// Explanation (never contains a card number).
    pub message: String,
}

impl Problem {
    fn field(field: Field, err: ValueError) -> Self {
        Self {
            reason: format!("{}_{}", field.code(), err.kind.as_str()),
            column: Some(field.column()),
            message: format!("{}: {}", field.column(), err.message),
        }
    }

    /// A problem with the record as a whole.
    pub fn record(reason: &str, message: String) -> Self {
        Self {
            reason: reason.to_string(),
            column: None,
            message,
        }
    }
}

/// Repairs applied to an accepted record (each is documented in docs/ingest.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Repairs {
    /// The amount was float noise around a cents value (`82.80000000000001`).
    pub amount_float_noise: bool,
    /// The whole record was wrapped in quotes and has been unwrapped.
    pub unwrapped_line: bool,
    /// The record lacked trailing fields, all of them in unknown columns.
    pub short_record: bool,
}

/// Turns records of one file into transactions. Cheap to clone per thread.
#[derive(Debug, Clone)]
pub struct RecordParser {
    layout: Layout,
    event_time: TimePattern,
    birth_date: TimePattern,
    amount: AmountFormat,
    value_maps: Vec<Option<HashMap<Vec<u8>, Vec<u8>>>>,
    delimiter: u8,
    tokenizer: Tokenizer,
    merchants: MerchantNames,
}

/// Interned merchant names. Each parser clone (one per thread) has its own
/// table, so rows share one allocation per merchant instead of one each.
/// Hashed with a randomly seeded foldhash (names come from the input, so the
/// hash must not be predictable; SipHash cost more than the lookup).
#[derive(Debug, Default)]
struct MerchantNames(Mutex<HashMap<Box<[u8]>, Arc<str>, foldhash::fast::RandomState>>);

impl Clone for MerchantNames {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl MerchantNames {
    /// Bounds the table: a file with more distinct names than this simply
    /// stops sharing the extra ones.
    const MAX: usize = 100_000;

    fn intern(&self, name: &str) -> Arc<str> {
        let Ok(mut table) = self.0.lock() else {
            return Arc::from(name);
        };
        if let Some(shared) = table.get(name.as_bytes()) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(name);
        if table.len() < Self::MAX {
            table.insert(name.as_bytes().into(), Arc::clone(&shared));
        }
        shared
    }
}

impl RecordParser {
    /// Prepares a parser for records laid out as `layout`.
    pub fn new(layout: Layout, mapping: &Mapping, tokenizer: Tokenizer) -> Self {
        let pattern = |p: &Option<String>| {
            p.as_deref()
                .and_then(|p| TimePattern::compile(p).ok())
                .unwrap_or(TimePattern::Iso)
        };
        Self {
            event_time: pattern(&mapping.format.event_time),
            birth_date: pattern(&mapping.format.birth_date),
            amount: mapping.format.amount,
            value_maps: Field::ALL.iter().map(|f| mapping.value_map(*f)).collect(),
            delimiter: mapping.format.delimiter as u8,
            layout,
            tokenizer,
            merchants: MerchantNames::default(),
        }
    }

    /// The field separator.
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// The layout this parser reads.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    fn raw<'r, R: Fields>(&'r self, record: &'r R, field: Field) -> Option<&'r [u8]> {
        let value = record.field(self.layout.position(field)?)?;
        match &self.value_maps[field as usize] {
            Some(map) => Some(map.get(value).map_or(value, Vec::as_slice)),
            None => Some(value),
        }
    }

    fn get<'r, R: Fields>(&'r self, record: &'r R, field: Field) -> &'r [u8] {
        self.raw(record, field).unwrap_or_default()
    }

    /// Parses and validates one record.
    pub fn parse(&self, record: &ByteRecord) -> Result<(LabeledTransaction, Repairs), Problem> {
        self.parse_tokenizing(record, &mut |card| self.tokenizer.tokenize(card))
    }

    /// A token cache in front of this parser's tokenizer, for
    /// [`Self::parse_cached`] (one per parsing thread).
    pub fn token_cache(&self) -> TokenCache {
        TokenCache::new(self.tokenizer.clone())
    }

    /// [`Self::parse`], tokenising through `tokens` (from
    /// [`Self::token_cache`]): a file's cards repeat, an HMAC per row is
    /// mostly wasted.
    pub(crate) fn parse_cached<R: Fields>(
        &self,
        record: &R,
        tokens: &mut TokenCache,
    ) -> Result<(LabeledTransaction, Repairs), Problem> {
        self.parse_tokenizing(record, &mut |card| tokens.tokenize(card))
    }

    fn parse_tokenizing<R: Fields>(
        &self,
        record: &R,
        tokenize: &mut dyn FnMut(&CardNumber) -> CardToken,
    ) -> Result<(LabeledTransaction, Repairs), Problem> {
        let mut repairs = Repairs::default();
        if record.field_count() == self.layout.field_count {
            return self
                .parse_fields(record, &mut repairs, tokenize)
                .map(|t| (t, repairs));
        }
        if (self.layout.min_field_count..self.layout.field_count).contains(&record.field_count()) {
            repairs.short_record = true;
            return self
                .parse_fields(record, &mut repairs, tokenize)
                .map(|t| (t, repairs));
        }
        if let Some(inner) = self.unwrap_quoted_line(record) {
            repairs.unwrapped_line = true;
            return self
                .parse_fields(&inner, &mut repairs, tokenize)
                .map(|t| (t, repairs));
        }
        Err(Problem::record(
            "field_count",
            format!(
                "expected {} fields, found {}",
                self.layout.field_count,
                record.field_count()
            ),
        ))
    }

    /// A record that a spreadsheet wrapped whole in quotes reads as one field
    /// holding a complete, correctly escaped CSV line. Unwrapping it is safe:
    /// the inner line must have exactly the expected number of fields and
    /// still passes every check.
    fn unwrap_quoted_line<R: Fields>(&self, record: &R) -> Option<ByteRecord> {
        if record.field_count() != 1 || self.layout.field_count < 2 {
            return None;
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter)
            .from_reader(record.field(0)?);
        let mut inner = ByteRecord::new();
        let one_record = reader.read_byte_record(&mut inner).ok()?
            && !reader.read_byte_record(&mut ByteRecord::new()).ok()?;
        (one_record && inner.len() == self.layout.field_count).then_some(inner)
    }

    fn parse_fields<R: Fields>(
        &self,
        r: &R,
        repairs: &mut Repairs,
        tokenize: &mut dyn FnMut(&CardNumber) -> CardToken,
    ) -> Result<LabeledTransaction, Problem> {
        let fail = |field: Field| move |e: ValueError| Problem::field(field, e);

        // The card number first: when it is damaged the row is lost for good,
        // whereas other fields can often be fixed with a mapping.
        let card =
            CardNumber::parse(self.get(r, Field::CardNumber)).map_err(fail(Field::CardNumber))?;
        let trans_num =
            TransNum::parse(self.get(r, Field::TransNum)).map_err(fail(Field::TransNum))?;
        let event_time = self
            .event_time
            .parse_timestamp(self.get(r, Field::EventTime))
            .map_err(fail(Field::EventTime))?;
        if !(EARLIEST_EVENT..LATEST_EVENT).contains(&event_time.seconds()) {
            return Err(Problem::field(
                Field::EventTime,
                ValueError::new(
                    ValueErrorKind::OutOfRange,
                    format!("{event_time} is outside 1990-01-01 .. 2100-01-01"),
                ),
            ));
        }
        let merchant = self.merchant(r)?;
        let category =
            Category::parse(self.get(r, Field::Category)).map_err(fail(Field::Category))?;
        let amount = self.amount(r, repairs)?;
        let gender = Gender::parse(self.get(r, Field::Gender)).map_err(fail(Field::Gender))?;
        let birth_date = self
            .birth_date
            .parse_date(self.get(r, Field::BirthDate))
            .map_err(fail(Field::BirthDate))?;
        check_birth_date(birth_date, event_time.date()).map_err(fail(Field::BirthDate))?;
        let city_pop = parse_count(self.get(r, Field::CityPop)).map_err(fail(Field::CityPop))?;
        let home = point(
            self.get(r, Field::HomeLat),
            self.get(r, Field::HomeLong),
            Field::HomeLat,
            Field::HomeLong,
        )?;
        let merchant_location = point(
            self.get(r, Field::MerchLat),
            self.get(r, Field::MerchLong),
            Field::MerchLat,
            Field::MerchLong,
        )?;
        if let Some(raw) = self.raw(r, Field::UnixTime) {
            parse_unix_time(raw).map_err(fail(Field::UnixTime))?;
        }
        let label = self
            .raw(r, Field::Label)
            .map(Label::parse)
            .transpose()
            .map_err(fail(Field::Label))?;
        let scenario = match self.raw(r, Field::Scenario) {
            None | Some(b"") => None,
            Some(raw) => Some(FraudScenario::parse(raw).map_err(fail(Field::Scenario))?),
        };
        if scenario.is_some() && label == Some(Label::Legit) {
            return Err(Problem::field(
                Field::Scenario,
                ValueError::new(
                    ValueErrorKind::Unknown,
                    "a fraud scenario is given for a row labelled legitimate",
                ),
            ));
        }
        let txn = Transaction {
            trans_num,
            event_time,
            card: tokenize(&card),
            card_last4: card.last4(),
            merchant,
            category,
            amount,
            gender,
            birth_date,
            city_pop,
            home,
            merchant_location,
        };
        Ok(LabeledTransaction {
            txn,
            label,
            scenario,
        })
    }

    fn merchant<R: Fields>(&self, r: &R) -> Result<Arc<str>, Problem> {
        let raw = self.get(r, Field::Merchant);
        let fail =
            |kind, message: &str| Problem::field(Field::Merchant, ValueError::new(kind, message));
        let text = std::str::from_utf8(raw)
            .map_err(|_| fail(ValueErrorKind::Format, "merchant is not valid UTF-8"))?;
        let text = text.trim();
        if text.is_empty() {
            return Err(fail(ValueErrorKind::Missing, "empty merchant"));
        }
        if text.len() > 200 {
            return Err(fail(
                ValueErrorKind::Length,
                "merchant name is longer than 200 bytes",
            ));
        }
        Ok(self.merchants.intern(text))
    }

    fn amount<R: Fields>(&self, r: &R, repairs: &mut Repairs) -> Result<Amount, Problem> {
        let raw = self.get(r, Field::Amount);
        let parsed = match self.amount {
            AmountFormat::Cents => parse_count(raw).and_then(|c| Amount::from_cents(i64::from(c))),
            AmountFormat::Decimal => match Amount::parse(raw) {
                Err(e) if e.kind == ValueErrorKind::Precision => {
                    let fixed = Amount::parse_float_noise(raw);
                    repairs.amount_float_noise = fixed.is_ok();
                    fixed
                }
                other => other,
            },
        };
        parsed.map_err(|e| Problem::field(Field::Amount, e))
    }
}

fn check_birth_date(birth: Date, on: Date) -> Result<(), ValueError> {
    if birth > on {
        return Err(ValueError::new(
            ValueErrorKind::OutOfRange,
            format!("date of birth {birth} is after the transaction"),
        ));
    }
    if birth.years_until(on) > MAX_AGE_YEARS {
        return Err(ValueError::new(
            ValueErrorKind::OutOfRange,
            format!("date of birth {birth} gives an age above {MAX_AGE_YEARS}"),
        ));
    }
    Ok(())
}

fn parse_count(raw: &[u8]) -> Result<u32, ValueError> {
    if raw.is_empty() {
        return Err(ValueError::new(ValueErrorKind::Missing, "empty value"));
    }
    if raw.len() > 9 || !raw.iter().all(u8::is_ascii_digit) {
        return Err(ValueError::new(
            ValueErrorKind::Format,
            format!(
                "expected a whole number, found '{}'",
                String::from_utf8_lossy(&raw[..raw.len().min(20)])
            ),
        ));
    }
    let value = raw
        .iter()
        .fold(0u32, |acc, &b| acc * 10 + u32::from(b - b'0'));
    if value == 0 {
        return Err(ValueError::new(
            ValueErrorKind::OutOfRange,
            "must be positive",
        ));
    }
    Ok(value)
}

fn parse_unix_time(raw: &[u8]) -> Result<Timestamp, ValueError> {
    let body = raw.strip_prefix(b"-").unwrap_or(raw);
    if body.is_empty() || body.len() > 12 || !body.iter().all(u8::is_ascii_digit) {
        return Err(ValueError::new(
            ValueErrorKind::Format,
            "expected whole seconds since 1970",
        ));
    }
    let magnitude = body
        .iter()
        .fold(0i64, |acc, &b| acc * 10 + i64::from(b - b'0'));
    Ok(Timestamp::from_seconds(if body.len() == raw.len() {
        magnitude
    } else {
        -magnitude
    }))
}

/// Parses a coordinate pair, blaming the right column for each problem.
fn point(lat: &[u8], lon: &[u8], lat_field: Field, lon_field: Field) -> Result<GeoPoint, Problem> {
    let la = GeoPoint::parse_coordinate(lat).map_err(|e| Problem::field(lat_field, e))?;
    let lo = GeoPoint::parse_coordinate(lon).map_err(|e| Problem::field(lon_field, e))?;
    // `GeoPoint::new` checks both; check the latitude first so an
    // out-of-range latitude is reported against its own column.
    GeoPoint::new(la, 0.0).map_err(|e| Problem::field(lat_field, e))?;
    GeoPoint::new(la, lo).map_err(|e| Problem::field(lon_field, e))
}

/// A raw record as text for the quarantine file: line break removed, every
/// card number replaced by its token (or a marker when it is not a valid
/// card number).
pub(crate) fn redact_record(raw: &[u8], tokens: &mut TokenCache) -> String {
    let text = String::from_utf8_lossy(raw);
    let text = text.trim_end_matches(['\r', '\n']);
    vigie_types::redact_card_numbers(text, |digits| match CardNumber::parse(digits) {
        Ok(card) => tokens.tokenize(&card).to_string(),
        Err(_) => "[digits removed]".to_string(),
    })
    .into_owned()
}
