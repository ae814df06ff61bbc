//! The transaction message: JSON, one object per message, schema version 1.
//!
//! ```json
//! {"schema":1,"trans_num":"0b2f...","event_time":"2020-06-21 12:14:25",
//!  "card":"ct1_9f86...","card_last4":"1234","merchant":"fraud_Kirlin and Sons",
//!  "category":"personal_care","amount":286,"gender":"M","birth_date":"1968-03-19",
//!  "city_pop":333497,"home":{"lat":33.9659,"lon":-80.9355},
//!  "merchant_location":{"lat":33.986391,"lon":-81.200714}}
//! ```
//!
//! The fields are exactly those of [`vigie_types::Transaction`] (amount in
//! cents): the card travels as its keyed token, never as a number. A
//! consumer refuses any other `schema`. Decoding failures are
//! [`BadMessage`]s with a stable reason code, for the dead-letter stream.

use serde::{Deserialize, Serialize};
use vigie_types::{Transaction, redact_card_numbers};

/// The message schema this build writes and reads.
pub const TX_SCHEMA_VERSION: u32 = 1;

/// Largest message accepted (a valid one is well under 1 KiB).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

#[derive(Deserialize)]
struct Incoming {
    schema: u32,
    #[serde(flatten)]
    txn: Transaction,
}

/// How every message [`encode_tx`] writes starts.
const SCHEMA_1_PREFIX: &[u8] = br#"{"schema":1,"#;

#[derive(Deserialize)]
struct Head {
    schema: Option<serde_json::Value>,
}

/// Encodes a transaction as a schema-1 message: [`SCHEMA_1_PREFIX`], then
/// the transaction's own fields (its JSON object without the opening
/// brace; written directly, without `flatten`'s intermediate tree).
pub fn encode_tx(txn: &Transaction) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(SCHEMA_1_PREFIX);
    // Serialising plain data into a Vec cannot fail.
    if serde_json::to_writer(&mut out, txn).is_err() {
        return Vec::new();
    }
    // The object's own `{`, right after the prefix.
    out.remove(SCHEMA_1_PREFIX.len());
    out
}

/// Why a message could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BadMessageKind {
    /// Larger than [`MAX_MESSAGE_BYTES`].
    TooLarge,
    /// Not a JSON object.
    NotJson,
    /// No `schema` field, or one this build does not read.
    UnsupportedSchema,
    /// Schema 1, but a field is missing or invalid.
    InvalidTransaction,
}

impl BadMessageKind {
    /// The stable code written in the dead-letter header.
    pub const fn code(self) -> &'static str {
        match self {
            Self::TooLarge => "too_large",
            Self::NotJson => "not_json",
            Self::UnsupportedSchema => "unsupported_schema",
            Self::InvalidTransaction => "invalid_transaction",
        }
    }
}

/// A message that cannot be processed, and why. The detail never contains
/// a card number (digit runs that could be one are masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadMessage {
    /// The reason code.
    pub kind: BadMessageKind,
    /// A human explanation.
    pub detail: String,
}

impl std::fmt::Display for BadMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.code(), self.detail)
    }
}

fn bad(kind: BadMessageKind, detail: &str) -> BadMessage {
    BadMessage {
        kind,
        detail: redact_card_numbers(detail, |_| "[digits]".into()).into_owned(),
    }
}

/// Decodes a transaction message, checking every field.
pub fn decode_tx(payload: &[u8]) -> Result<Transaction, BadMessage> {
    if payload.len() > MAX_MESSAGE_BYTES {
        return Err(bad(
            BadMessageKind::TooLarge,
            &format!("{} bytes, at most {MAX_MESSAGE_BYTES}", payload.len()),
        ));
    }
    if payload.trim_ascii_start().first() != Some(&b'{') {
        return Err(bad(BadMessageKind::NotJson, "not a JSON object"));
    }
    if let Some(txn) = decode_schema_1_prefixed(payload) {
        return Ok(txn);
    }
    // Any other layout (fields in another order, spaces), and every error.
    match serde_json::from_slice::<Incoming>(payload) {
        Ok(m) if m.schema == TX_SCHEMA_VERSION => Ok(m.txn),
        Ok(m) => Err(unsupported(&m.schema.to_string())),
        Err(e) => Err(match serde_json::from_slice::<Head>(payload) {
            Err(_) => bad(BadMessageKind::NotJson, &e.to_string()),
            Ok(Head { schema: None }) => bad(
                BadMessageKind::UnsupportedSchema,
                "no schema field (expected \"schema\": 1)",
            ),
            Ok(Head {
                schema: Some(serde_json::Value::Number(n)),
            }) if n.as_u64() == Some(u64::from(TX_SCHEMA_VERSION)) => {
                bad(BadMessageKind::InvalidTransaction, &e.to_string())
            }
            Ok(Head { schema: Some(v) }) => unsupported(&v.to_string()),
        }),
    }
}

/// The usual case, every message [`encode_tx`] writes: the prefix says
/// schema 1, and what follows is the transaction's own fields, parsed as a
/// [`Transaction`] directly. `Incoming`'s `flatten` buffers every field in
/// an intermediate tree first, and took 1.8 times as long (`cargo bench -p
/// vigie-stream --bench messages`). `None` when the prefix is not there
/// or the rest does not parse: the general path then decides (and explains).
fn decode_schema_1_prefixed(payload: &[u8]) -> Option<Transaction> {
    let fields = payload.strip_prefix(SCHEMA_1_PREFIX)?;
    let mut object = Vec::with_capacity(fields.len() + 1);
    object.push(b'{');
    object.extend_from_slice(fields);
    serde_json::from_slice(&object).ok()
}

fn unsupported(found: &str) -> BadMessage {
    let found: String = found.chars().take(40).collect();
    bad(
        BadMessageKind::UnsupportedSchema,
        &format!("schema {found}, this build reads schema {TX_SCHEMA_VERSION}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_testkit::build_transaction;
    use vigie_types::Category;

    fn sample() -> Transaction {
        build_transaction(
            3,
            1_600_000_000,
            12_345,
            Category::GroceryPos,
            2,
            0xabc,
            false,
        )
        .txn
    }

    #[test]
    fn round_trips_with_the_schema_field_first() {
        let txn = sample();
        let bytes = encode_tx(&txn);
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(text.starts_with("{\"schema\":1,\"trans_num\":"), "{text}");
        assert!(
            text.contains(&format!("\"card\":\"{}\"", txn.card)),
            "{text}"
        );
        assert_eq!(decode_tx(&bytes).unwrap(), txn);
    }

    #[test]
    fn any_field_order_and_spacing_decodes_the_same() {
        let txn = sample();
        let text = String::from_utf8(encode_tx(&txn)).unwrap();
        let fields = text.strip_prefix("{\"schema\":1,").unwrap();
        let reordered = format!("{{{}, \"schema\": 1}}", &fields[..fields.len() - 1]);
        assert!(decode_schema_1_prefixed(reordered.as_bytes()).is_none());
        assert_eq!(decode_tx(reordered.as_bytes()).unwrap(), txn);
        let spaced = text.replacen("{\"schema\":1,", "{ \"schema\" : 1 ,", 1);
        assert_eq!(decode_tx(spaced.as_bytes()).unwrap(), txn);
    }

    #[test]
    fn bad_messages_get_their_reason_code() {
        let good = String::from_utf8(encode_tx(&sample())).unwrap();
        let cases = [
            ("not json at all".to_string(), BadMessageKind::NotJson),
            ("[1,2]".to_string(), BadMessageKind::NotJson),
            ("{\"schema\":1,".to_string(), BadMessageKind::NotJson),
            ("{}".to_string(), BadMessageKind::UnsupportedSchema),
            (
                good.replace("\"schema\":1", "\"schema\":2"),
                BadMessageKind::UnsupportedSchema,
            ),
            (
                good.replace("\"schema\":1,", ""),
                BadMessageKind::UnsupportedSchema,
            ),
            (
                good.replace("\"amount\":12345", "\"amount\":-5"),
                BadMessageKind::InvalidTransaction,
            ),
            (
                good.replace("\"category\":\"grocery_pos\"", "\"category\":\"x\""),
                BadMessageKind::InvalidTransaction,
            ),
            (" ".repeat(MAX_MESSAGE_BYTES + 1), BadMessageKind::TooLarge),
        ];
        for (payload, kind) in cases {
            let err = decode_tx(payload.as_bytes()).unwrap_err();
            assert_eq!(err.kind, kind, "{payload:.80} -> {err}");
        }
    }

    #[test]
    fn a_card_number_in_a_bad_message_never_reaches_the_detail() {
        let good = String::from_utf8(encode_tx(&sample())).unwrap();
        let with_pan = good.replace(
            &format!("\"card\":\"{}\"", sample().card),
            "\"card\":4599735407877245080",
        );
        let err = decode_tx(with_pan.as_bytes()).unwrap_err();
        assert_eq!(err.kind, BadMessageKind::InvalidTransaction);
        assert!(!err.detail.contains("4599735407877245080"), "{err}");
    }
}
