//! The transaction as Vigie keeps it once it has passed the ingestion edge.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::amount::Amount;
use crate::card::{CardToken, Last4};
use crate::category::Category;
use crate::error::{ValueError, ValueErrorKind, excerpt};
use crate::geo::GeoPoint;
use crate::label::{FraudScenario, Label};
use crate::time::{Date, Timestamp};
use crate::trans_num::TransNum;

/// The cardholder's gender as recorded by the issuer (`M` / `F` in the data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Gender {
    /// `F`.
    #[serde(rename = "F")]
    Female,
    /// `M`.
    #[serde(rename = "M")]
    Male,
}

impl Gender {
    /// Parses `M` or `F`.
    pub fn parse(raw: &[u8]) -> Result<Self, ValueError> {
        match raw {
            b"F" => Ok(Self::Female),
            b"M" => Ok(Self::Male),
            b"" => Err(ValueError::new(ValueErrorKind::Missing, "empty gender")),
            _ => Err(ValueError::new(
                ValueErrorKind::Unknown,
                format!("expected gender M or F, found '{}'", excerpt(raw)),
            )),
        }
    }

    /// `M` or `F`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Female => "F",
            Self::Male => "M",
        }
    }
}

/// A card transaction after the ingestion edge: the card number has become a
/// token, and the personal fields that no feature needs (names, street, city,
/// zip, job) are gone (GDPR Art. 5 data minimisation).
///
/// Every field is a checked type, so a `Transaction` that exists is valid.
/// There is no label here on purpose: see [`LabeledTransaction`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    /// Unique identifier.
    pub trans_num: TransNum,
    /// When it happened (cardholder's wall clock).
    pub event_time: Timestamp,
    /// The card, as a keyed token.
    pub card: CardToken,
    /// The card's last four digits, for display.
    #[serde(serialize_with = "last4_ser", deserialize_with = "last4_de")]
    pub card_last4: Last4,
    /// Merchant name, shared: a file has far fewer merchants than rows.
    #[serde(deserialize_with = "merchant_de")]
    pub merchant: Arc<str>,
    /// Merchant category.
    pub category: Category,
    /// Amount charged.
    pub amount: Amount,
    /// Cardholder's gender.
    pub gender: Gender,
    /// Cardholder's date of birth.
    pub birth_date: Date,
    /// Population of the cardholder's city.
    pub city_pop: u32,
    /// Cardholder's home location.
    pub home: GeoPoint,
    /// Merchant's location.
    pub merchant_location: GeoPoint,
}

/// A transaction with what is known about its outcome, as read from a file.
/// Feature code takes a [`Transaction`] and so cannot see the label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabeledTransaction {
    /// The transaction.
    #[serde(flatten)]
    pub txn: Transaction,
    /// The confirmed outcome, when the file has one.
    pub label: Option<Label>,
    /// The attack pattern behind a fraud, when the file says so.
    pub scenario: Option<FraudScenario>,
}

fn last4_ser<S: Serializer>(last4: &Last4, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(last4)
}

/// Straight into the shared string (one allocation, not a `String` first).
fn merchant_de<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<str>, D::Error> {
    crate::serde_text::from_text(d, "a merchant name", |bytes| {
        std::str::from_utf8(bytes).map(Arc::from)
    })
}

fn last4_de<'de, D: Deserializer<'de>>(d: D) -> Result<Last4, D::Error> {
    crate::serde_text::from_text(d, "the card's last four digits", Last4::parse)
}
