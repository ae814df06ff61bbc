//! The error returned by every checked constructor in this crate.

use std::fmt;

/// Why a value was refused. Each kind becomes part of a stable reason code
/// (`<field>_<kind>`, e.g. `amount_precision`) in ingestion reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueErrorKind {
    /// The value is empty.
    Missing,
    /// The text does not have the expected shape.
    Format,
    /// The value parses but lies outside the accepted range.
    OutOfRange,
    /// A decimal has more digits after the point than allowed.
    Precision,
    /// The value has the wrong number of characters or digits.
    Length,
    /// A check digit does not match (Luhn for card numbers).
    Checksum,
    /// The value is not one of a closed set (categories, genders).
    Unknown,
    /// A number was rewritten in scientific notation (e.g. by a spreadsheet)
    /// and has lost digits that cannot be recovered.
    Scientific,
}

impl ValueErrorKind {
    /// The stable snake_case suffix used in reason codes.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Format => "format",
            Self::OutOfRange => "out_of_range",
            Self::Precision => "precision",
            Self::Length => "length",
            Self::Checksum => "checksum",
            Self::Unknown => "unknown",
            Self::Scientific => "scientific_notation",
        }
    }
}

impl fmt::Display for ValueErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused value: a machine-readable kind and a human message.
///
/// The message never contains a card number (constructors of card data build
/// their messages from lengths and positions only).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValueError {
    /// What went wrong, as a closed set.
    pub kind: ValueErrorKind,
    /// What went wrong, for a person.
    pub message: String,
}

impl ValueError {
    /// Builds an error of `kind` with a human message.
    pub fn new(kind: ValueErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// Shortens a value for an error message (at most 40 characters, lossy UTF-8).
pub(crate) fn excerpt(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        out.push('…');
    }
    out
}
