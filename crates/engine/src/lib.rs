//! Vigie's scoring core (layer L3, synchronous): the one path every
//! transaction takes, whether it comes over HTTP or from a stream:
//! features -> champion model (and shadow challenger) -> rules -> decision
//! -> explanation.

mod decision;
mod error;
pub mod rules;

pub use decision::{
    Decision, DecisionRecord, ModelRef, Reason, RuleHit, Scored, ShadowScore, StageTimings,
    Thresholds,
};
pub use error::{EngineError, Result};
