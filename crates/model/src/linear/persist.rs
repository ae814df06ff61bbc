//! JSON save and load shared by the linear models. Floats are written in
//! shortest round-trip form and read back exactly (`serde_json`'s
//! `float_roundtrip`), so a loaded model predicts bit-identically. Loading
//! never panics: malformed JSON, a wrong format tag and inconsistent shapes
//! are all `ModelError::Decode`.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ModelError, Result};

/// Serialises a model.
pub(crate) fn to_json<T: Serialize>(model: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(model).map_err(|e| decode_error(format!("cannot encode: {e}")))
}

/// Deserialises a model whose `format` field must equal `format`; the
/// caller then checks its shapes.
pub(crate) fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| decode_error(e.to_string()))
}

/// Fails unless a decoded format tag is the expected one.
pub(crate) fn check_format(found: &str, expected: &str) -> Result<()> {
    if found == expected {
        Ok(())
    } else {
        Err(decode_error(format!(
            "format is {found:?}, expected {expected:?}"
        )))
    }
}

/// A `Decode` error.
pub(crate) fn decode_error(reason: String) -> ModelError {
    ModelError::Decode { reason }
}
