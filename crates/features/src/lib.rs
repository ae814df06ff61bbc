//! Vigie's feature engine (layer L1, above `vigie-ingest`): one piece of code
//! computes a transaction's features, whether it is replayed from a file for
//! training or scored live.
//!
//! The invariant that shapes everything: [`extract`] (features from a card's
//! state and a transaction, pure) and [`CardState::update`] (add the
//! transaction to the card's history) are the only feature code. The batch
//! path ([`Replayer`], [`compute_features`]) and the online path
//! ([`observe`] over a [`StateStore`]) both call them, so training and
//! serving cannot disagree; a property test proves the two paths give
//! bit-identical vectors.
//!
//! Point-in-time correctness: a transaction's features depend only on the
//! same card's transactions replayed before it (earlier event time, or the
//! same second and a smaller `trans_num`), never on labels: `extract` takes
//! a [`vigie_types::Transaction`], which has no label.
//!
//! Every vector carries the [`feature_schema`] hash (in feature files, and
//! in every model trained on them), so a model cannot be served with another
//! feature layout. The catalogue is documented in docs/features.md.

mod batch;
mod catalogue;
pub mod codec;
mod error;
mod extract;
mod online;
mod reasons;
mod replay;
mod state;
mod store;
mod table;
mod vector;

pub use batch::{FeatureOutputs, FeaturesReport, Source, compute_features};
pub use catalogue::{FEATURE_COUNT, FEATURE_VERSION, Feature, Group, Kind, feature_schema};
pub use error::{FeatureError, Result};
pub use extract::{WINDOWS, extract};
pub use online::{Observed, observe, peek};
pub use reasons::describe;
pub use replay::{FeatureRow, ReplayOptions, ReplaySummary, Replayer};
pub use state::{
    CardState, Event, MAX_EVENTS, RETENTION_SECS, Welford, event_id, is_night_hour, merchant_hash,
};
pub use store::{MemoryStateStore, StateStore};
pub use table::{FeatureTable, FeatureWriter, TABLE_FORMAT, is_feature_file};
pub use vector::FeatureVector;
