//! The S3-compatible artifact store: path-style requests to a configured
//! endpoint (MinIO, moto, Ceph, ...) or virtual-hosted requests to AWS, signed
//! with SigV4 over a blocking `ureq` client.

use std::fmt;
use std::io::Read;
use std::time::Duration;

use super::object_key;
use super::sigv4::{self, Credentials, EMPTY_SHA256};
use crate::error::{RegistryError, Result};
use crate::time::UtcMillis;

/// The largest artifact read back (4 GiB).
const MAX_OBJECT_BYTES: u64 = 4 << 30;

/// How to reach an S3-compatible service.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// `http(s)://host[:port]` of an S3-compatible server; `None` means AWS.
    pub endpoint: Option<String>,
    /// The region (`us-east-1` if unsure: most compatible servers ignore it).
    pub region: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key (never printed).
    pub secret_access_key: String,
    /// Session token for temporary credentials.
    pub session_token: Option<String>,
}

impl fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl S3Settings {
    /// Reads the usual variables: `VIGIE_S3_ENDPOINT`, `AWS_REGION` (or
    /// `AWS_DEFAULT_REGION`, else `us-east-1`), `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`.
    pub fn from_env() -> Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let required = |name: &str| {
            var(name).ok_or_else(|| RegistryError::Config {
                message: format!("{name} is not set (needed for an s3:// artifacts URL)"),
            })
        };
        Ok(Self {
            endpoint: var("VIGIE_S3_ENDPOINT"),
            region: var("AWS_REGION")
                .or_else(|| var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".into()),
            access_key_id: required("AWS_ACCESS_KEY_ID")?,
            secret_access_key: required("AWS_SECRET_ACCESS_KEY")?,
            session_token: var("AWS_SESSION_TOKEN"),
        })
    }
}

/// Artifacts in an S3-compatible bucket.
pub struct S3Store {
    bucket: String,
    prefix: String,
    settings: S3Settings,
    /// `scheme://authority` requests go to.
    base: String,
    /// The `Host` header value.
    host: String,
    /// Path-style (`/bucket/key`) or virtual-hosted (`/key`).
    path_style: bool,
    agent: ureq::Agent,
}

impl fmt::Debug for S3Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Store")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("base", &self.base)
            .field("settings", &self.settings)
            .finish()
    }
}

fn valid_bucket(bucket: &str) -> bool {
    (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.'))
}

impl S3Store {
    /// A store for `s3://bucket[/prefix]`.
    pub fn new(url: &str, settings: S3Settings) -> Result<Self> {
        let config = |message: String| RegistryError::Config { message };
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| config(format!("{url}: not an s3:// URL")))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if !valid_bucket(bucket) {
            return Err(config(format!("{url}: invalid bucket name {bucket:?}")));
        }
        let prefix = prefix.trim_matches('/').to_owned();
        let (base, host, path_style) = match &settings.endpoint {
            Some(endpoint) => {
                let endpoint = endpoint.trim_end_matches('/');
                let authority = endpoint
                    .strip_prefix("http://")
                    .or_else(|| endpoint.strip_prefix("https://"))
                    .ok_or_else(|| {
                        config(format!(
                            "{endpoint}: endpoint must be http(s)://host[:port]"
                        ))
                    })?;
                if authority.is_empty() || authority.contains('/') {
                    return Err(config(format!(
                        "{endpoint}: endpoint must be http(s)://host[:port]"
                    )));
                }
                (endpoint.to_owned(), authority.to_owned(), true)
            }
            None => {
                let host = format!("{bucket}.s3.{}.amazonaws.com", settings.region);
                (format!("https://{host}"), host, false)
            }
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(300)))
            .build()
            .into();
        Ok(Self {
            bucket: bucket.to_owned(),
            prefix,
            settings,
            base,
            host,
            path_style,
            agent,
        })
    }

    fn key(&self, sha256: &str) -> String {
        if self.prefix.is_empty() {
            object_key(sha256)
        } else {
            format!("{}/{}", self.prefix, object_key(sha256))
        }
    }

    fn canonical_uri(&self, sha256: &str) -> String {
        let key = sigv4::encode_path(&self.key(sha256));
        if self.path_style {
            format!("/{}/{key}", self.bucket)
        } else {
            format!("/{key}")
        }
    }

    /// Signed headers for a request with this payload hash.
    fn signed_headers(
        &self,
        method: &str,
        uri: &str,
        payload_sha256: &str,
    ) -> Vec<(&'static str, String)> {
        let amz_date = UtcMillis::now().amz_date();
        let mut headers: Vec<(&'static str, String)> = vec![
            ("host", self.host.clone()),
            ("x-amz-content-sha256", payload_sha256.to_owned()),
            ("x-amz-date", amz_date.clone()),
        ];
        if let Some(token) = &self.settings.session_token {
            headers.push(("x-amz-security-token", token.clone()));
        }
        let pairs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let authorization = sigv4::authorization(
            &sigv4::Request {
                method,
                canonical_uri: uri,
                canonical_query: "",
                headers: &pairs,
                payload_sha256,
                amz_date: &amz_date,
                region: &self.settings.region,
                service: "s3",
            },
            &Credentials {
                access_key_id: &self.settings.access_key_id,
                secret_access_key: &self.settings.secret_access_key,
            },
        );
        headers.push(("authorization", authorization));
        // ureq writes Host itself, from the URL.
        headers.retain(|(k, _)| *k != "host");
        headers
    }

    fn failure(&self, method: &'static str, url: &str, message: String) -> RegistryError {
        RegistryError::ObjectStore {
            method,
            url: url.to_owned(),
            message,
        }
    }

    pub(crate) fn put(&self, sha256: &str, bytes: &[u8]) -> Result<()> {
        let uri = self.canonical_uri(sha256);
        let url = format!("{}{uri}", self.base);
        let mut req = self.agent.put(&url);
        for (k, v) in self.signed_headers("PUT", &uri, sha256) {
            req = req.header(k, v);
        }
        let mut resp = req
            .send(bytes)
            .map_err(|e| self.failure("PUT", &url, e.to_string()))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            let body = resp.body_mut().read_to_string().unwrap_or_default();
            Err(self.failure(
                "PUT",
                &url,
                format!("{}: {}", resp.status(), truncate(&body)),
            ))
        }
    }

    pub(crate) fn get(&self, sha256: &str) -> Result<Vec<u8>> {
        let uri = self.canonical_uri(sha256);
        let url = format!("{}{uri}", self.base);
        let mut req = self.agent.get(&url);
        for (k, v) in self.signed_headers("GET", &uri, EMPTY_SHA256) {
            req = req.header(k, v);
        }
        let mut resp = req
            .call()
            .map_err(|e| self.failure("GET", &url, e.to_string()))?;
        match resp.status().as_u16() {
            200 => {
                let mut bytes = Vec::new();
                resp.body_mut()
                    .as_reader()
                    .take(MAX_OBJECT_BYTES)
                    .read_to_end(&mut bytes)
                    .map_err(|e| self.failure("GET", &url, e.to_string()))?;
                Ok(bytes)
            }
            404 => Err(RegistryError::ArtifactMissing {
                sha256: sha256.to_owned(),
                store: self.location(),
            }),
            status => {
                let body = resp.body_mut().read_to_string().unwrap_or_default();
                Err(self.failure("GET", &url, format!("{status}: {}", truncate(&body))))
            }
        }
    }

    pub(crate) fn exists(&self, sha256: &str) -> Result<bool> {
        let uri = self.canonical_uri(sha256);
        let url = format!("{}{uri}", self.base);
        let mut req = self.agent.head(&url);
        for (k, v) in self.signed_headers("HEAD", &uri, EMPTY_SHA256) {
            req = req.header(k, v);
        }
        let resp = req
            .call()
            .map_err(|e| self.failure("HEAD", &url, e.to_string()))?;
        match resp.status().as_u16() {
            200 => Ok(true),
            404 => Ok(false),
            status => Err(self.failure("HEAD", &url, format!("status {status}"))),
        }
    }

    pub(crate) fn uri(&self, sha256: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.key(sha256))
    }

    pub(crate) fn location(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(300).collect()
}
