//! What a URL asks for: the URL the driver gets, and the TLS to set up.

use std::path::PathBuf;

use crate::ConnectError;

/// How the server's certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    /// The chain and the host name (`require`, `verify-full`).
    Full,
    /// The chain only (`verify-ca`).
    ChainOnly,
}

/// A TLS connection's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsTarget {
    /// How the certificate is checked.
    pub mode: TlsMode,
    /// PEM file of the CAs to trust; `None`: the system's.
    pub root_cert: Option<PathBuf>,
}

/// A URL split into what the driver understands and the TLS settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The URL for the driver (`sslmode=require` for TLS modes, Vigie's own
    /// parameters removed).
    pub url: String,
    /// TLS to set up, if the URL asks for it.
    pub tls: Option<TlsTarget>,
}

impl Target {
    /// Reads `sslmode` and `sslrootcert` from a `postgres://` URL's query;
    /// a URL without them is passed on as it is. Anything but a
    /// `postgres://` or `postgresql://` URL is refused (the driver's
    /// key=value strings included: their TLS settings would go unread).
    pub fn parse(url: &str) -> Result<Self, ConnectError> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(config(format!(
                "it must start with postgres:// or postgresql:// (got {:?})",
                url.split("://")
                    .next()
                    .filter(|_| url.contains("://"))
                    .unwrap_or("no scheme")
            )));
        }
        let Some((base, query)) = url.split_once('?') else {
            return Ok(Self::plain(url));
        };
        let mut kept = Vec::new();
        let mut mode = None;
        let mut root_cert = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "sslmode" => match value {
                    "disable" | "prefer" => kept.push(pair.to_string()),
                    "require" | "verify-full" => mode = Some(TlsMode::Full),
                    "verify-ca" => mode = Some(TlsMode::ChainOnly),
                    other => {
                        return Err(config(format!(
                            "sslmode '{other}' is not one of disable, prefer, require, \
                             verify-ca, verify-full"
                        )));
                    }
                },
                "sslrootcert" => root_cert = Some(percent_decode(value)?),
                "sslcert" | "sslkey" | "sslpassword" => {
                    return Err(config(format!(
                        "{key}: client certificates are not supported; authenticate with a \
                         password"
                    )));
                }
                _ => kept.push(pair.to_string()),
            }
        }
        let tls = match (mode, root_cert) {
            (Some(mode), root_cert) => Some(TlsTarget {
                mode,
                root_cert: root_cert.filter(|p| p != "system").map(PathBuf::from),
            }),
            (None, Some(_)) => {
                return Err(config(
                    "sslrootcert needs sslmode=require, verify-ca or verify-full".into(),
                ));
            }
            (None, None) => None,
        };
        if tls.is_some() {
            kept.push("sslmode=require".into());
        }
        let url = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        Ok(Self { url, tls })
    }

    fn plain(url: &str) -> Self {
        Self {
            url: url.to_string(),
            tls: None,
        }
    }
}

fn config(reason: String) -> ConnectError {
    ConnectError::Config { reason }
}

/// `%XX` escapes decoded (a path in a URL may carry them).
fn percent_decode(value: &str) -> Result<String, ConnectError> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| config(format!("bad %-escape in '{value}'")))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| config(format!("'{value}' is not UTF-8 once decoded")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_without_tls_pass_through() {
        for url in [
            "postgres://u@h:5432/db",
            "postgres://u@h/db?options=-csearch_path%3Dx",
            "postgres://u@h/db?sslmode=disable",
            "postgres://u@h/db?sslmode=prefer&application_name=v",
            "postgresql://u@h/db",
        ] {
            let target = Target::parse(url).unwrap();
            assert_eq!(target.url, url);
            assert_eq!(target.tls, None);
        }
    }

    #[test]
    fn tls_modes_and_root_certificates() {
        let t = Target::parse(
            "postgres://u@h/db?sslmode=verify-ca&sslrootcert=%2Fetc%2Fca.pem&options=x",
        )
        .unwrap();
        assert_eq!(t.url, "postgres://u@h/db?options=x&sslmode=require");
        assert_eq!(
            t.tls,
            Some(TlsTarget {
                mode: TlsMode::ChainOnly,
                root_cert: Some(PathBuf::from("/etc/ca.pem")),
            })
        );
        for mode in ["require", "verify-full"] {
            let t = Target::parse(&format!(
                "postgres://u@h/db?sslmode={mode}&sslrootcert=system"
            ))
            .unwrap();
            assert_eq!(t.url, "postgres://u@h/db?sslmode=require");
            assert_eq!(
                t.tls,
                Some(TlsTarget {
                    mode: TlsMode::Full,
                    root_cert: None
                })
            );
        }
    }

    #[test]
    fn unusable_settings_are_refused_clearly() {
        for (url, expected) in [
            ("postgres://h/db?sslmode=allow", "sslmode 'allow'"),
            ("postgres://h/db?sslrootcert=/ca.pem", "needs sslmode"),
            (
                "postgres://h/db?sslmode=require&sslcert=/c.pem",
                "client certificates",
            ),
            (
                "postgres://h/db?sslmode=require&sslrootcert=%zz",
                "bad %-escape",
            ),
        ] {
            let error = Target::parse(url).unwrap_err().to_string();
            assert!(error.contains(expected), "{url}: {error}");
        }
    }
}
