//! Column mappings: how to read a file whose layout is not exactly Kaggle's.
//!
//! A mapping is a TOML file (`vigie ingest --mapping MAP.toml`). Every key is
//! optional; what is not said keeps the Kaggle default. Field names are the
//! Kaggle column names (`trans_date_trans_time`, `cc_num`, `amt`, ...).
//!
//! ```toml
//! [columns]                 # Kaggle field = column name in your file
//! trans_date_trans_time = "txn_time"
//! cc_num = "pan"
//! amt = "amount"
//!
//! [format]
//! delimiter = ";"
//! header = true             # false: give `column_order`
//! trans_date_trans_time = "%d/%m/%Y %H:%M:%S"   # or "unix_seconds"
//! dob = "%d/%m/%Y"
//! amt = "cents"             # "decimal" (default) or "cents"
//!
//! [values.category]         # your value = Kaggle value
//! "Groceries" = "grocery_pos"
//! [values.gender]
//! "Female" = "F"
//! ```

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use vigie_types::{Date, Timestamp, ValueError, ValueErrorKind};

use crate::error::{IngestError, Result};
use crate::field::Field;
use crate::kaggle::KAGGLE_COLUMNS;

/// A mapping file, as written by the user.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Kaggle field name -> column name in the file.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// File format and value formats.
    #[serde(default)]
    pub format: FormatSpec,
    /// Kaggle field name -> (value in the file -> Kaggle value).
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
}

/// The `[format]` section of a mapping.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatSpec {
    /// Field separator (one ASCII character).
    #[serde(default = "default_delimiter")]
    pub delimiter: char,
    /// Whether the first line names the columns.
    #[serde(default = "default_true")]
    pub header: bool,
    /// Column names in file order, for files without a header. Defaults to
    /// the Kaggle order (with or without the index column, whichever matches
    /// the first record's field count).
    #[serde(default)]
    pub column_order: Option<Vec<String>>,
    /// Pattern of the event time (`%Y %m %d %H %M %S` and literals) or
    /// `unix_seconds`.
    #[serde(default, rename = "trans_date_trans_time")]
    pub event_time: Option<String>,
    /// Pattern of the date of birth.
    #[serde(default, rename = "dob")]
    pub birth_date: Option<String>,
    /// How amounts are written.
    #[serde(default, rename = "amt")]
    pub amount: AmountFormat,
}

impl Default for FormatSpec {
    fn default() -> Self {
        Self {
            delimiter: ',',
            header: true,
            column_order: None,
            event_time: None,
            birth_date: None,
            amount: AmountFormat::Decimal,
        }
    }
}

fn default_delimiter() -> char {
    ','
}

fn default_true() -> bool {
    true
}

/// How the amount column is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmountFormat {
    /// `107.23` (at most two decimals).
    #[default]
    Decimal,
    /// `10723`, a whole number of cents.
    Cents,
}

impl Mapping {
    /// Reads and checks a mapping file's text.
    pub fn from_toml(text: &str) -> Result<Self> {
        let mapping: Mapping =
            toml::from_str(text).map_err(|e| IngestError::Mapping(e.to_string()))?;
        mapping.validate()?;
        Ok(mapping)
    }

    /// Mapping for a headerless file in the Kaggle column order.
    pub fn kaggle_without_header() -> Self {
        Self {
            format: FormatSpec {
                header: false,
                ..FormatSpec::default()
            },
            ..Self::default()
        }
    }

    /// Checks everything and reports every problem at once.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        for key in self.columns.keys().chain(self.values.keys()) {
            if Field::from_column(key).is_none() {
                problems.push(format!("unknown field '{key}' (fields are the Kaggle column names, e.g. trans_date_trans_time, cc_num, amt)"));
            }
        }
        if !self.format.delimiter.is_ascii() || matches!(self.format.delimiter, '"' | '\n' | '\r') {
            problems.push(format!(
                "delimiter {:?} must be one ASCII character other than a quote or a line break",
                self.format.delimiter
            ));
        }
        for (name, pattern) in [
            ("trans_date_trans_time", &self.format.event_time),
            ("dob", &self.format.birth_date),
        ] {
            if let Some(Err(e)) = pattern.as_deref().map(TimePattern::compile) {
                problems.push(format!("format.{name}: {e}"));
            }
        }
        if self.format.header && self.format.column_order.is_some() {
            problems.push(
                "format.column_order is only for files without a header (header = false)".into(),
            );
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(IngestError::Mapping(problems.join("; ")))
        }
    }

    /// The column name in the file for `field`.
    pub fn column_for(&self, field: Field) -> &str {
        self.columns
            .get(field.column())
            .map_or(field.column(), String::as_str)
    }

    /// Column names for a headerless file whose first record has
    /// `field_count` fields.
    pub fn headerless_columns(&self, field_count: usize) -> Vec<String> {
        match &self.format.column_order {
            Some(order) => order.clone(),
            None if field_count == KAGGLE_COLUMNS.len() - 1 => {
                KAGGLE_COLUMNS[1..].iter().map(|s| s.to_string()).collect()
            }
            None => KAGGLE_COLUMNS.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The value translation table for `field`, keyed by raw bytes.
    pub(crate) fn value_map(&self, field: Field) -> Option<HashMap<Vec<u8>, Vec<u8>>> {
        self.values.get(field.column()).map(|m| {
            m.iter()
                .map(|(from, to)| (from.as_bytes().to_vec(), to.as_bytes().to_vec()))
                .collect()
        })
    }
}

/// A compiled date/time pattern: a strict subset of strftime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimePattern {
    /// `YYYY-MM-DD HH:MM:SS` (or just `YYYY-MM-DD` for dates): the fast default.
    Iso,
    /// Seconds since 1970-01-01 (event times only).
    UnixSeconds,
    /// Anything else.
    Custom(Vec<Token>),
}

/// One element of a custom pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// `%Y`: four digits.
    Year,
    /// `%m`: one or two digits.
    Month,
    /// `%d`: one or two digits.
    Day,
    /// `%H`: one or two digits.
    Hour,
    /// `%M`: one or two digits.
    Minute,
    /// `%S`: one or two digits.
    Second,
    /// A literal byte.
    Literal(u8),
}

impl TimePattern {
    /// Compiles a pattern; refuses two-digit years and unknown directives.
    pub fn compile(pattern: &str) -> std::result::Result<Self, String> {
        if pattern == "unix_seconds" {
            return Ok(Self::UnixSeconds);
        }
        let mut tokens = Vec::new();
        let mut bytes = pattern.bytes();
        while let Some(b) = bytes.next() {
            if b != b'%' {
                tokens.push(Token::Literal(b));
                continue;
            }
            tokens.push(match bytes.next() {
                Some(b'Y') => Token::Year,
                Some(b'm') => Token::Month,
                Some(b'd') => Token::Day,
                Some(b'H') => Token::Hour,
                Some(b'M') => Token::Minute,
                Some(b'S') => Token::Second,
                Some(b'%') => Token::Literal(b'%'),
                Some(b'y') => {
                    return Err("%y (two-digit year) is ambiguous: 68 could be 1968 or 2068".into());
                }
                other => {
                    return Err(format!(
                        "unsupported directive %{}",
                        other.map(char::from).unwrap_or(' ')
                    ));
                }
            });
        }
        for needed in [Token::Year, Token::Month, Token::Day] {
            if !tokens.contains(&needed) {
                return Err(format!("pattern '{pattern}' needs %Y, %m and %d"));
            }
        }
        Ok(Self::Custom(tokens))
    }

    /// Parses an event time.
    pub fn parse_timestamp(&self, raw: &[u8]) -> std::result::Result<Timestamp, ValueError> {
        match self {
            Self::Iso => Timestamp::parse(raw),
            Self::UnixSeconds => std::str::from_utf8(raw)
                .ok()
                .and_then(|t| t.parse::<i64>().ok())
                .map(Timestamp::from_seconds)
                .ok_or_else(|| {
                    ValueError::new(ValueErrorKind::Format, "expected whole seconds since 1970")
                }),
            Self::Custom(tokens) => {
                let parts = parse_custom(tokens, raw)?;
                Timestamp::from_date_hms(
                    Date::from_ymd(parts[0] as i32, parts[1], parts[2])?,
                    parts[3],
                    parts[4],
                    parts[5],
                )
            }
        }
    }

    /// Parses a date.
    pub fn parse_date(&self, raw: &[u8]) -> std::result::Result<Date, ValueError> {
        match self {
            Self::Iso => Date::parse(raw),
            Self::UnixSeconds => Ok(self.parse_timestamp(raw)?.date()),
            Self::Custom(tokens) => {
                let parts = parse_custom(tokens, raw)?;
                Date::from_ymd(parts[0] as i32, parts[1], parts[2])
            }
        }
    }
}

/// Returns [year, month, day, hour, minute, second] (missing time parts are 0).
fn parse_custom(tokens: &[Token], raw: &[u8]) -> std::result::Result<[u32; 6], ValueError> {
    let bad = || {
        ValueError::new(
            ValueErrorKind::Format,
            format!(
                "'{}' does not match the mapping's pattern",
                String::from_utf8_lossy(&raw[..raw.len().min(40)])
            ),
        )
    };
    if raw.is_empty() {
        return Err(ValueError::new(ValueErrorKind::Missing, "empty date"));
    }
    let mut parts = [0u32; 6];
    let mut pos = 0;
    for token in tokens {
        let (slot, min, max) = match token {
            Token::Literal(b) => {
                if raw.get(pos) != Some(b) {
                    return Err(bad());
                }
                pos += 1;
                continue;
            }
            Token::Year => (0, 4, 4),
            Token::Month => (1, 1, 2),
            Token::Day => (2, 1, 2),
            Token::Hour => (3, 1, 2),
            Token::Minute => (4, 1, 2),
            Token::Second => (5, 1, 2),
        };
        let digits = raw[pos..]
            .iter()
            .take(max)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits < min {
            return Err(bad());
        }
        parts[slot] = raw[pos..pos + digits]
            .iter()
            .fold(0, |acc, &b| acc * 10 + u32::from(b - b'0'));
        pos += digits;
    }
    if pos != raw.len() {
        return Err(bad());
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_patterns_parse_day_first_dates() {
        let p = TimePattern::compile("%d/%m/%Y %H:%M").unwrap();
        let t = p.parse_timestamp(b"8/3/2020 6:18").unwrap();
        assert_eq!(t.to_string(), "2020-03-08 06:18:00");
        assert!(p.parse_timestamp(b"8/3/20 6:18").is_err());
        assert!(TimePattern::compile("%m/%d/%y").is_err());
        assert_eq!(
            TimePattern::compile("unix_seconds")
                .unwrap()
                .parse_timestamp(b"1325376018")
                .unwrap()
                .to_string(),
            "2012-01-01 00:00:18"
        );
    }

    #[test]
    fn mapping_reports_every_problem() {
        let err =
            Mapping::from_toml("[columns]\nfoo = \"x\"\nbar = \"y\"\n[format]\ndob = \"%y\"\n")
                .unwrap_err()
                .to_string();
        assert!(
            err.contains("'bar'") && err.contains("'foo'") && err.contains("ambiguous"),
            "{err}"
        );
        assert!(
            Mapping::from_toml("[colums]\n").is_err(),
            "unknown sections are refused"
        );
    }
}
