//! A minimal blocking client for MLflow's REST API 2.0 (JSON over HTTP).

use std::time::Duration;

use serde_json::Value;

use crate::error::{RegistryError, Result};

/// A connection to an MLflow tracking server.
#[derive(Debug)]
pub struct MlflowClient {
    base: String,
    agent: ureq::Agent,
}

/// Percent-encodes a query value (everything but unreserved characters).
fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl MlflowClient {
    /// A client for `http(s)://host:port[/path]`.
    pub fn new(tracking_uri: &str) -> Result<Self> {
        if !(tracking_uri.starts_with("http://") || tracking_uri.starts_with("https://")) {
            return Err(RegistryError::Config {
                message: format!("{tracking_uri}: the MLflow tracking URI must be http(s)://..."),
            });
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Ok(Self {
            base: format!("{}/api/2.0/mlflow", tracking_uri.trim_end_matches('/')),
            agent,
        })
    }

    fn answer(
        endpoint: &str,
        result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Option<Value>> {
        let fail = |message: String| RegistryError::Mlflow {
            endpoint: endpoint.to_owned(),
            message,
        };
        let mut resp = result.map_err(|e| fail(e.to_string()))?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .read_to_string()
            .map_err(|e| fail(e.to_string()))?;
        let body: Value = if text.trim().is_empty() {
            Value::Object(serde_json::Map::new())
        } else {
            serde_json::from_str(&text).map_err(|e| {
                fail(format!(
                    "status {status}, not JSON ({e}): {}",
                    text.chars().take(200).collect::<String>()
                ))
            })?
        };
        if (200..300).contains(&status) {
            return Ok(Some(body));
        }
        let code = body["error_code"].as_str().unwrap_or_default();
        if status == 404 || code == "RESOURCE_DOES_NOT_EXIST" {
            return Ok(None);
        }
        Err(fail(format!(
            "status {status} {code}: {}",
            body["message"]
                .as_str()
                .unwrap_or(&text)
                .chars()
                .take(300)
                .collect::<String>()
        )))
    }

    /// `POST /api/2.0/mlflow/<endpoint>` with a JSON body.
    pub fn post(&self, endpoint: &str, body: &Value) -> Result<Value> {
        let url = format!("{}/{endpoint}", self.base);
        let result = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .send(body.to_string());
        Self::answer(endpoint, result)?.ok_or_else(|| RegistryError::Mlflow {
            endpoint: endpoint.to_owned(),
            message: "not found".into(),
        })
    }

    /// `GET /api/2.0/mlflow/<endpoint>?query`; `None` when the resource does not exist.
    pub fn get(&self, endpoint: &str, query: &[(&str, &str)]) -> Result<Option<Value>> {
        let query: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", encode_query(v)))
            .collect();
        let url = format!("{}/{endpoint}?{}", self.base, query.join("&"));
        Self::answer(endpoint, self.agent.get(&url).call())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode_query("name='a b'&x"), "name%3D%27a%20b%27%26x");
        assert!(MlflowClient::new("ftp://x").is_err());
    }
}
