//! Vigie's scoring core (layer L3, synchronous): the one path every
//! transaction takes, whether it comes over HTTP or from a stream:
//! features -> champion model (and shadow challenger) -> rules -> decision
//! -> explanation.

mod decision;
mod engine;
mod error;
pub mod rules;
mod serving;

pub use decision::{
    Decision, DecisionRecord, ModelRef, Reason, RuleHit, Scored, ShadowScore, StageTimings,
    Thresholds,
};
pub use engine::{Engine, EngineOptions, ExplainPolicy, StoreFailure};
pub use error::{EngineError, Result};
pub use serving::ServingModel;
