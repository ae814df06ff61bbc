//! Vigie's domain types, shared by every other crate (layer L0).
//!
//! The rule of this crate is *parse, don't validate*: every type here can only
//! be built through a checked constructor, so a value that exists is valid.
//! An [`Amount`] is a positive whole number of cents, a [`Timestamp`] is a
//! second-resolution event time, a [`GeoPoint`] has coordinates in range, a
//! [`TransNum`] is a 128-bit identifier.
//!
//! Card numbers are the one secret the system handles. A [`CardNumber`] exists
//! only at the ingestion edge: it cannot be printed (its `Debug` shows the last
//! four digits at most), it is wiped from memory on drop, and the only thing
//! that can be done with it is to turn it into a [`CardToken`] with a keyed
//! [`Tokenizer`] (HMAC-SHA256). Everything past the edge carries the token.
//!
//! A [`Transaction`] deliberately has no label: the label travels beside it in
//! a [`LabeledTransaction`], so code that computes features from a transaction
//! cannot read the answer it is trying to predict.

mod amount;
mod card;
mod category;
mod error;
mod geo;
mod label;
mod schema;
mod serde_text;
mod time;
mod token_hash;
mod trans_num;
mod transaction;

pub use amount::Amount;
pub use card::{
    CardNumber, CardToken, Last4, TokenCache, TokenKey, Tokenizer, redact_card_numbers,
};
pub use category::Category;
pub use error::{ValueError, ValueErrorKind};
pub use geo::{GeoPoint, haversine_km};
pub use label::{FraudScenario, Label};
pub use schema::FeatureSchema;
pub use time::{Date, Timestamp};
pub use token_hash::{BuildCardTokenHasher, CardMap, CardTokenHasher};
pub use trans_num::TransNum;
pub use transaction::{Gender, LabeledTransaction, Transaction};
