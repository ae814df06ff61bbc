//! Resolving a file's header into the positions of the fields Vigie reads.

use std::path::Path;

use vigie_types::{Date, Timestamp, redact_card_numbers};

use crate::error::{IngestError, Result};
use crate::field::{DROPPED_COLUMNS, Field};
use crate::mapping::Mapping;

/// Where each field sits in a file's records, and what else the file has.
#[derive(Debug, Clone)]
pub struct Layout {
    positions: [Option<usize>; Field::ALL.len()],
    /// Number of fields every record must have.
    pub field_count: usize,
    /// Records may be shorter than `field_count` down to this many fields:
    /// the columns after it are all unknown ones (pandas drops trailing empty
    /// fields it never filled).
    pub min_field_count: usize,
    /// Columns Vigie does not know, ignored (and reported).
    pub ignored_columns: Vec<String>,
    /// Known personal columns that are read past and not kept.
    pub dropped_columns: Vec<String>,
}

fn normalise(name: &str) -> String {
    name.trim_start_matches('\u{feff}')
        .trim()
        .to_ascii_lowercase()
}

impl Layout {
    /// Resolves `names` (the header, or the mapping's column order) for `mapping`.
    pub fn resolve(names: &[String], mapping: &Mapping, path: &Path) -> Result<Self> {
        let normalised: Vec<String> = names.iter().map(|n| normalise(n)).collect();
        let mut positions = [None; Field::ALL.len()];
        let mut missing = Vec::new();
        for field in Field::ALL {
            let wanted = normalise(mapping.column_for(field));
            positions[field as usize] = normalised.iter().position(|n| *n == wanted);
            if positions[field as usize].is_none() && field.required() {
                missing.push(mapping.column_for(field).to_string());
            }
        }
        if !missing.is_empty() {
            return Err(IngestError::MissingColumns {
                path: path.to_path_buf(),
                missing: missing.join(", "),
                found: names
                    .iter()
                    .map(|n| format!("'{}'", normalise(n)))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let mut ignored_columns = Vec::new();
        let mut dropped_columns = Vec::new();
        for (i, name) in normalised.iter().enumerate() {
            if positions.contains(&Some(i)) {
                continue;
            }
            if DROPPED_COLUMNS.contains(&name.as_str()) {
                dropped_columns.push(name.clone());
            } else {
                ignored_columns.push(name.clone());
            }
        }
        let min_field_count = positions.iter().flatten().max().map_or(0, |p| p + 1);
        Ok(Self {
            positions,
            field_count: names.len(),
            min_field_count,
            ignored_columns,
            dropped_columns,
        })
    }

    /// The position of `field` in a record, if the file has it.
    pub fn position(&self, field: Field) -> Option<usize> {
        self.positions[field as usize]
    }

    /// Whether the file carries labels.
    pub fn labelled(&self) -> bool {
        self.position(Field::Label).is_some()
    }
}

/// Whether a header line is really a data row: some field parses as a date,
/// a date-time, or is a long number, and no field is a known column name.
pub fn looks_like_data(names: &[String]) -> bool {
    let known = |n: &String| {
        let n = normalise(n);
        Field::from_column(&n).is_some() || (DROPPED_COLUMNS.contains(&n.as_str()) && !n.is_empty())
    };
    let datum = |n: &String| {
        let b = n.trim().as_bytes();
        Timestamp::parse(b).is_ok()
            || Date::parse(b).is_ok()
            || (b.len() >= 6 && b.iter().all(u8::is_ascii_digit))
    };
    !names.iter().any(known) && names.iter().any(datum)
}

/// The start of a line, safe to print: at most 80 characters, card numbers removed.
pub fn safe_excerpt(line: &str) -> String {
    let short: String = line.chars().take(80).collect();
    redact_card_numbers(&short, |_| "[card number]".into()).into_owned()
}
