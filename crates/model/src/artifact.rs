//! The model artifact: a versioned, self-describing file holding a trained
//! model and everything needed to serve, audit and monitor it: the feature
//! schema it was trained on, the features it reads, its decision
//! thresholds, what it was trained on, its metrics, and reference
//! distributions of its inputs and score.
//!
//! Layout: a first line `vigie-model-artifact 1`, a second line
//! `sha256 <64 hex>` (the hash of everything after it), then a JSON body
//! `{"meta": {...}, "model": {...}}`. Decoding verifies the hash before
//! parsing, checks the format and the model, and (when asked) the feature
//! schema, so a corrupted or mismatched artifact is refused with a clear
//! error and never served.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vigie_types::FeatureSchema;

use crate::error::{ModelError, Result};
use crate::model::{Model, ModelKind};
use crate::reference::Reference;

const MAGIC: &str = "vigie-model-artifact 1\n";
/// The metadata format identifier.
pub const ARTIFACT_FORMAT: &str = "vigie.model-artifact.v1";

/// Probability thresholds chosen on the validation period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionThresholds {
    /// From here a transaction is reviewed (best F2 on validation: recall
    /// weighs more when a person looks before anything is declined).
    pub review: f64,
    /// From here it is blocked (best F1 on validation).
    pub block: f64,
}

/// What a model was trained on and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingInfo {
    /// SHA-256 of the training feature file.
    pub data_fingerprint: String,
    /// Rows used to fit.
    pub train_rows: u64,
    /// Rows of the validation period (the end of the training data).
    pub valid_rows: u64,
    /// Frauds among the fitting rows.
    pub train_frauds: u64,
    /// First and last event time of the training data (`YYYY-MM-DD HH:MM:SS`).
    pub period: (String, String),
    /// Where the validation period starts.
    pub valid_from: String,
    /// The family's hyper-parameters, as chosen on validation.
    pub params: serde_json::Value,
    /// Random seed.
    pub seed: u64,
    /// Seconds spent fitting.
    pub train_seconds: f64,
    /// Vigie version that trained it.
    pub vigie_version: String,
}

/// Everything about the model except the model itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactMeta {
    /// [`ARTIFACT_FORMAT`].
    pub format: String,
    /// The model family.
    pub kind: ModelKind,
    /// The feature schema of the data it was trained on.
    pub feature_schema: FeatureSchema,
    /// The features it reads, in its input order (a subset of the schema).
    pub features: Vec<String>,
    /// Decision thresholds.
    pub thresholds: DecisionThresholds,
    /// Training provenance.
    pub training: TrainingInfo,
    /// Validation and test metrics.
    pub metrics: BTreeMap<String, f64>,
    /// Reference distributions of its inputs and score (validation period).
    pub reference: Reference,
}

/// A model with its metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelArtifact {
    /// Metadata.
    pub meta: ArtifactMeta,
    /// The model.
    pub model: Model,
    /// Positions of [`ArtifactMeta::features`] in the feature schema.
    indices: Vec<usize>,
}

#[derive(Serialize)]
struct BodyOut<'a> {
    meta: &'a ArtifactMeta,
    model: &'a serde_json::value::RawValue,
}

#[derive(Deserialize)]
struct BodyIn {
    meta: ArtifactMeta,
    model: Box<serde_json::value::RawValue>,
}

fn decode_err(reason: impl Into<String>) -> ModelError {
    ModelError::Decode {
        reason: reason.into(),
    }
}

impl ModelArtifact {
    /// Builds an artifact, checking that the model reads exactly `meta.features`
    /// and that each is in the schema.
    pub fn new(meta: ArtifactMeta, model: Model) -> Result<Self> {
        if model.kind() != meta.kind {
            return Err(decode_err(format!(
                "metadata says {}, the model is {}",
                meta.kind,
                model.kind()
            )));
        }
        if model.feature_names() != meta.features.as_slice() {
            return Err(decode_err(
                "the model's features differ from the metadata's",
            ));
        }
        if meta.reference.features.len() != meta.features.len() {
            return Err(decode_err(
                "one reference distribution per feature is needed",
            ));
        }
        let indices = meta
            .features
            .iter()
            .map(|name| {
                meta.feature_schema
                    .names
                    .iter()
                    .position(|n| n == name)
                    .ok_or_else(|| decode_err(format!("feature {name} is not in the schema")))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            meta,
            model,
            indices,
        })
    }

    /// Positions, in a full feature vector of the schema, of the model's
    /// inputs (to build a model row from a feature vector).
    pub fn feature_indices(&self) -> &[usize] {
        &self.indices
    }

    /// Copies the model's inputs out of a full feature vector.
    pub fn select(&self, full: &[f32], row: &mut Vec<f32>) {
        row.clear();
        row.extend(self.indices.iter().map(|&i| full[i]));
    }

    /// The artifact as bytes.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let model = self.model.to_json()?;
        let text = String::from_utf8(model).map_err(|e| decode_err(e.to_string()))?;
        let raw = serde_json::value::RawValue::from_string(text)
            .map_err(|e| decode_err(e.to_string()))?;
        let body = serde_json::to_vec(&BodyOut {
            meta: &self.meta,
            model: &raw,
        })
        .map_err(|e| decode_err(e.to_string()))?;
        let mut out = Vec::with_capacity(body.len() + 96);
        out.extend_from_slice(MAGIC.as_bytes());
        out.extend_from_slice(
            format!("sha256 {}\n", hex::encode(Sha256::digest(&body))).as_bytes(),
        );
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Reads an artifact, verifying its hash, format and model; with
    /// `expected`, refuses one trained on another feature schema.
    pub fn decode(bytes: &[u8], expected: Option<&FeatureSchema>) -> Result<Self> {
        let rest = bytes
            .strip_prefix(MAGIC.as_bytes())
            .ok_or_else(|| decode_err("not a Vigie model artifact"))?;
        let line_end = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| decode_err("truncated header"))?;
        let declared = rest[..line_end]
            .strip_prefix(b"sha256 ")
            .ok_or_else(|| decode_err("missing sha256 line"))?;
        let body = &rest[line_end + 1..];
        if hex::encode(Sha256::digest(body)).as_bytes() != declared {
            return Err(decode_err(
                "checksum mismatch: the artifact is corrupted or was modified",
            ));
        }
        let parsed: BodyIn =
            serde_json::from_slice(body).map_err(|e| decode_err(format!("metadata: {e}")))?;
        if parsed.meta.format != ARTIFACT_FORMAT {
            return Err(decode_err(format!(
                "format {:?}, expected {ARTIFACT_FORMAT:?}",
                parsed.meta.format
            )));
        }
        if let Some(schema) = expected
            && parsed.meta.feature_schema.hash != schema.hash
        {
            return Err(ModelError::SchemaMismatch {
                expected: schema.short_hash().to_string(),
                found: parsed.meta.feature_schema.short_hash().to_string(),
            });
        }
        let model = Model::from_json(parsed.meta.kind, parsed.model.get().as_bytes())?;
        Self::new(parsed.meta, model)
    }

    /// Hex SHA-256 of the encoded artifact (its content address).
    pub fn sha256_of(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }
}
