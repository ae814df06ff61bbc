//! A transaction as clients send it (JSON with the Kaggle field names), and
//! its conversion through the ingestion edge's own parser.
//!
//! The JSON fields are laid out as a CSV record in a fixed header order and
//! handed to [`vigie_ingest::RecordParser`], so a request is checked exactly
//! like a row of `vigie ingest` (same checks, same reason codes) and the card
//! number is tokenised there. The clear card number lives only in
//! [`CardNumberText`], which has a redacted `Debug` and is wiped on drop.

use std::fmt;
use std::path::Path;

use csv::ByteRecord;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use vigie_ingest::{Field, Layout, Mapping, Problem, RecordParser};
use vigie_types::{Tokenizer, Transaction};
use zeroize::Zeroize;

use crate::error::ServerError;

/// One field value: JSON clients send numbers or strings; both are kept as
/// the text the CSV parser reads.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldText(pub String);

impl<'de> Deserialize<'de> for FieldText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(FieldTextVisitor)
            .map(FieldText)
    }
}

struct FieldTextVisitor;

impl Visitor<'_> for FieldTextVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        // Rust prints the shortest text that reads back as the same f64,
        // so `4.97` stays `4.97`.
        Ok(v.to_string())
    }
}

/// The card number as sent: never displayed, wiped on drop.
#[derive(Deserialize)]
pub struct CardNumberText(FieldText);

impl fmt::Debug for CardNumberText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CardNumberText(<redacted>)")
    }
}

impl Drop for CardNumberText {
    fn drop(&mut self) {
        self.0.0.zeroize();
    }
}

/// A transaction to score, with the Kaggle column names. Unknown fields are
/// refused; the personal columns of the Kaggle files (`first`, `last`,
/// `street`, `city`, `state`, `zip`, `job`) and the label columns are
/// accepted so a Kaggle row can be sent as it is, and discarded unread,
/// exactly as `vigie ingest` drops them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransactionInput {
    /// Event time, `YYYY-MM-DD HH:MM:SS`.
    pub trans_date_trans_time: FieldText,
    /// Card number (tokenised at once, never stored or logged).
    pub cc_num: CardNumberText,
    /// Merchant name.
    pub merchant: FieldText,
    /// Merchant category (`grocery_pos`, ...).
    pub category: FieldText,
    /// Amount, e.g. `107.23`.
    pub amt: FieldText,
    /// `F` or `M`.
    pub gender: FieldText,
    /// Cardholder home latitude.
    pub lat: FieldText,
    /// Cardholder home longitude.
    pub long: FieldText,
    /// Population of the cardholder's city.
    pub city_pop: FieldText,
    /// Date of birth, `YYYY-MM-DD`.
    pub dob: FieldText,
    /// Transaction id (32 hex digits).
    pub trans_num: FieldText,
    /// Unix time (checked when present, not used).
    #[serde(default)]
    pub unix_time: Option<FieldText>,
    /// Merchant latitude.
    pub merch_lat: FieldText,
    /// Merchant longitude.
    pub merch_long: FieldText,
    /// Ignored (labels are sent to `/v1/feedback`).
    #[serde(default)]
    pub is_fraud: Option<IgnoredAny>,
    /// Ignored.
    #[serde(default)]
    pub fraud_scenario: Option<IgnoredAny>,
    /// Ignored (personal data is not kept).
    #[serde(default)]
    pub first: Option<IgnoredAny>,
    /// Ignored.
    #[serde(default)]
    pub last: Option<IgnoredAny>,
    /// Ignored.
    #[serde(default)]
    pub street: Option<IgnoredAny>,
    /// Ignored.
    #[serde(default)]
    pub city: Option<IgnoredAny>,
    /// Ignored.
    #[serde(default)]
    pub state: Option<IgnoredAny>,
    /// Ignored.
    #[serde(default)]
    pub zip: Option<IgnoredAny>,
    /// Ignored.
    #[serde(default)]
    pub job: Option<IgnoredAny>,
}

/// The fields laid out for the parser, in this order (`unix_time` last,
/// present only in the second layout).
const COLUMNS: [Field; 14] = [
    Field::EventTime,
    Field::CardNumber,
    Field::Merchant,
    Field::Category,
    Field::Amount,
    Field::Gender,
    Field::HomeLat,
    Field::HomeLong,
    Field::CityPop,
    Field::BirthDate,
    Field::TransNum,
    Field::MerchLat,
    Field::MerchLong,
    Field::UnixTime,
];

/// Turns [`TransactionInput`]s into checked [`Transaction`]s with the
/// ingestion edge's parser. Shared by all requests.
#[derive(Debug, Clone)]
pub struct TransactionParser {
    without_unix_time: RecordParser,
    with_unix_time: RecordParser,
}

impl TransactionParser {
    /// A parser tokenising card numbers with `tokenizer`.
    pub fn new(tokenizer: Tokenizer) -> Result<Self, ServerError> {
        let layout = |count: usize| {
            let names: Vec<String> = COLUMNS[..count]
                .iter()
                .map(|f| f.column().to_string())
                .collect();
            Layout::resolve(&names, &Mapping::default(), Path::new("<request>"))
                .map(|layout| RecordParser::new(layout, &Mapping::default(), tokenizer.clone()))
                .map_err(|e| ServerError::Startup(format!("request layout: {e}")))
        };
        Ok(Self {
            without_unix_time: layout(COLUMNS.len() - 1)?,
            with_unix_time: layout(COLUMNS.len())?,
        })
    }

    /// Checks and converts one transaction; a refusal carries the ingestion
    /// reason code.
    pub fn parse(&self, input: &TransactionInput) -> Result<Transaction, Problem> {
        let mut record = ByteRecord::with_capacity(256, COLUMNS.len());
        for text in [
            &input.trans_date_trans_time,
            &input.cc_num.0,
            &input.merchant,
            &input.category,
            &input.amt,
            &input.gender,
            &input.lat,
            &input.long,
            &input.city_pop,
            &input.dob,
            &input.trans_num,
            &input.merch_lat,
            &input.merch_long,
        ] {
            record.push_field(text.0.as_bytes());
        }
        let parser = match &input.unix_time {
            Some(unix_time) => {
                record.push_field(unix_time.0.as_bytes());
                &self.with_unix_time
            }
            None => &self.without_unix_time,
        };
        parser
            .parse(&record)
            .map(|(labelled, _repairs)| labelled.txn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_types::TokenKey;

    fn parser() -> TransactionParser {
        let key = TokenKey::new(&[7; 32], 1).unwrap();
        TransactionParser::new(Tokenizer::new(&key)).unwrap()
    }

    fn input(extra: &str) -> TransactionInput {
        let text = format!(
            r#"{{"trans_date_trans_time":"2020-06-21 12:14:25","cc_num":2291163933867244,
            "merchant":"fraud_Kirlin and Sons","category":"personal_care","amt":2.86,
            "gender":"M","lat":33.9659,"long":-80.9355,"city_pop":333497,
            "dob":"1968-03-19","trans_num":"2da90c7d74bd46a0caf3777415b3ebd3",
            "merch_lat":33.986391,"merch_long":-81.200714{extra}}}"#
        );
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn a_kaggle_row_parses_and_the_card_is_tokenised() {
        let txn = parser()
            .parse(&input(
                r#","unix_time":1371816865,"first":"Jeff","is_fraud":0"#,
            ))
            .unwrap();
        assert_eq!(txn.amount.cents(), 286);
        assert_eq!(
            txn.trans_num.to_string(),
            "2da90c7d74bd46a0caf3777415b3ebd3"
        );
        assert!(!format!("{txn:?}").contains("2291163933867244"));
    }

    #[test]
    fn refusals_carry_the_ingestion_reason_code() {
        let mut bad = input("");
        bad.amt = FieldText("2.865".into());
        let problem = parser().parse(&bad).unwrap_err();
        assert_eq!(problem.reason, "amount_precision");
        let mut bad = input("");
        bad.cc_num = CardNumberText(FieldText("1234".into()));
        assert!(
            parser()
                .parse(&bad)
                .unwrap_err()
                .reason
                .starts_with("card_number_")
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let text = r#"{"trans_date_trans_time":"2020-06-21 12:14:25","nope":1}"#;
        let err = serde_json::from_str::<TransactionInput>(text).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }

    #[test]
    fn the_card_number_is_not_in_debug_output() {
        assert!(!format!("{:?}", input("")).contains("2291163933867244"));
    }
}
