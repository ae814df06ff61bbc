//! A model ready to serve: its artifact, its registry name and version,
//! and its decision thresholds.

use std::sync::Arc;

use vigie_features::feature_schema;
use vigie_model::ModelArtifact;

use crate::decision::{ModelRef, Thresholds};
use crate::error::{EngineError, Result};

/// A loaded model and what the engine needs to use it.
#[derive(Debug, Clone)]
pub struct ServingModel {
    /// Its registry identity.
    pub reference: ModelRef,
    /// The artifact (model, features it reads, thresholds, reference data).
    pub artifact: Arc<ModelArtifact>,
    /// Review and block thresholds.
    pub thresholds: Thresholds,
}

impl ServingModel {
    /// Decodes an artifact, refusing one trained on another feature schema
    /// (the artifact's checksum and model are verified on the way).
    pub fn from_bytes(reference: ModelRef, bytes: &[u8]) -> Result<Self> {
        let artifact = ModelArtifact::decode(bytes, Some(feature_schema()))?;
        Self::new(reference, artifact)
    }

    /// Wraps an artifact; its thresholds are the ones chosen on validation.
    pub fn new(reference: ModelRef, artifact: ModelArtifact) -> Result<Self> {
        if artifact.meta.feature_schema.hash != feature_schema().hash {
            return Err(EngineError::Model(
                vigie_model::ModelError::SchemaMismatch {
                    expected: feature_schema().short_hash().to_string(),
                    found: artifact.meta.feature_schema.short_hash().to_string(),
                },
            ));
        }
        let t = artifact.meta.thresholds;
        Ok(Self {
            reference,
            thresholds: Thresholds {
                review: t.review,
                block: t.block,
            },
            artifact: Arc::new(artifact),
        })
    }
}
