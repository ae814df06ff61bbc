//! What to replay, where, and how fast.

use std::path::PathBuf;
use std::time::Duration;

use hyper::Uri;

use crate::error::{ReplayError, Result};

/// The scoring route used when the URL has no path.
pub const DEFAULT_PATH: &str = "/v1/score";

/// Options of one replay. Build with [`ReplayOptions::new`] and adjust the
/// public fields.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// `http://host[:port][/path]`; without a path, [`DEFAULT_PATH`].
    pub url: String,
    /// A CSV file in the Kaggle layout (header line required).
    pub file: PathBuf,
    /// Requests per second: request `i` is due at `t0 + i / rate`.
    pub rate: f64,
    /// Send at most this many rows (the first ones in event-time order).
    pub limit: Option<u64>,
    /// Stop scheduling after this long: at most `rate * duration` requests.
    pub duration: Option<Duration>,
    /// Keep-alive HTTP/1.1 connections (one request at a time on each).
    pub connections: usize,
    /// Sent as `Authorization: Bearer <key>` when set.
    pub api_key: Option<String>,
    /// A request without a complete answer this long after its intended
    /// send time counts as a `timeout` error (its connection is replaced;
    /// one still waiting for a connection by then is not sent). So a run
    /// ends at most this long after its last request is due.
    pub timeout: Duration,
    /// Requests due in this first part of the run are sent and counted but
    /// left out of the latency percentiles (connection and cache warm-up).
    pub warmup: Duration,
    /// Requests due but not yet answered, at most. When a request falls due
    /// with this many outstanding, the oldest waiting one is not sent and is
    /// counted as an `in_flight_cap` error: the generator never waits
    /// silently for room.
    pub max_in_flight: u64,
}

impl ReplayOptions {
    /// Options with the defaults: 64 connections, a 10 s timeout, no
    /// warm-up, no limit, an in-flight cap of 10,000.
    pub fn new(url: impl Into<String>, file: impl Into<PathBuf>, rate: f64) -> Self {
        Self {
            url: url.into(),
            file: file.into(),
            rate,
            limit: None,
            duration: None,
            connections: 64,
            api_key: None,
            timeout: Duration::from_secs(10),
            warmup: Duration::ZERO,
            max_in_flight: 10_000,
        }
    }

    /// The most rows the run can send (`limit` and `rate * duration`), so a
    /// loader reads no more than that; `None` when unbounded.
    pub fn row_bound(&self) -> Result<Option<u64>> {
        let bound = self.planned_requests(u64::MAX)?;
        Ok((bound != u64::MAX).then_some(bound))
    }

    /// Checks the ranges; returns the number of requests the options allow
    /// out of `rows` available.
    pub fn planned_requests(&self, rows: u64) -> Result<u64> {
        if !(self.rate.is_finite() && self.rate > 0.0) {
            return Err(ReplayError::InvalidOption(
                "rate must be a positive number of requests per second".into(),
            ));
        }
        if self.connections == 0 {
            return Err(ReplayError::InvalidOption(
                "at least one connection is needed".into(),
            ));
        }
        if self.max_in_flight == 0 {
            return Err(ReplayError::InvalidOption(
                "the in-flight cap must be at least 1".into(),
            ));
        }
        if self.timeout.is_zero() {
            return Err(ReplayError::InvalidOption(
                "the timeout must be positive".into(),
            ));
        }
        let mut planned = rows;
        if let Some(limit) = self.limit {
            planned = planned.min(limit);
        }
        if let Some(duration) = self.duration {
            // Requests due strictly inside the window: i / rate < duration.
            let in_window = (duration.as_secs_f64() * self.rate).ceil();
            planned = planned.min(in_window as u64);
        }
        Ok(planned)
    }
}

/// The parsed target: where to connect and what to put in the request line.
#[derive(Debug, Clone)]
pub struct Target {
    /// Host name or address, as written.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// The `Host` header value.
    pub authority: String,
    /// Path and query of the request line.
    pub path: String,
}

impl Target {
    /// Parses `http://host[:port][/path]`.
    pub fn parse(url: &str) -> Result<Self> {
        let uri: Uri = url
            .parse()
            .map_err(|err| ReplayError::InvalidUrl(format!("{url}: {err}")))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(other) => {
                return Err(ReplayError::InvalidUrl(format!(
                    "{url}: scheme {other} is not supported (plain http only; put TLS in a proxy)"
                )));
            }
            None => {
                return Err(ReplayError::InvalidUrl(format!(
                    "{url}: expected http://host[:port][/path]"
                )));
            }
        }
        let authority = uri
            .authority()
            .ok_or_else(|| ReplayError::InvalidUrl(format!("{url}: no host")))?;
        if authority.as_str().contains('@') {
            return Err(ReplayError::InvalidUrl(
                "credentials in the URL are not supported; use the API key option".into(),
            ));
        }
        let host = authority.host().trim_matches(['[', ']']).to_string();
        let port = authority.port_u16().unwrap_or(80);
        let path = match uri.path_and_query().map(|p| p.as_str()) {
            None | Some("") | Some("/") => DEFAULT_PATH.to_string(),
            Some(path) => path.to_string(),
        };
        Ok(Self {
            host,
            port,
            authority: authority.as_str().to_string(),
            path,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_without_path_gets_the_scoring_route() {
        let target = Target::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(target.host, "127.0.0.1");
        assert_eq!(target.port, 8080);
        assert_eq!(target.authority, "127.0.0.1:8080");
        assert_eq!(target.path, DEFAULT_PATH);
    }

    #[test]
    fn url_path_is_kept_and_port_defaults_to_80() {
        let target = Target::parse("http://localhost/score?x=1").unwrap();
        assert_eq!(target.port, 80);
        assert_eq!(target.path, "/score?x=1");
    }

    #[test]
    fn ipv6_host_loses_its_brackets() {
        let target = Target::parse("http://[::1]:9000/v1/score").unwrap();
        assert_eq!(target.host, "::1");
        assert_eq!(target.authority, "[::1]:9000");
    }

    #[test]
    fn https_and_credentials_are_refused() {
        assert!(Target::parse("https://example.invalid/").is_err());
        assert!(Target::parse("http://user:pw@127.0.0.1/").is_err());
        assert!(Target::parse("127.0.0.1:8080").is_err());
    }

    #[test]
    fn planned_requests_take_the_smallest_bound() {
        let mut options = ReplayOptions::new("http://127.0.0.1", "x.csv", 100.0);
        assert_eq!(options.planned_requests(1000).unwrap(), 1000);
        options.limit = Some(300);
        assert_eq!(options.planned_requests(1000).unwrap(), 300);
        options.duration = Some(std::time::Duration::from_millis(1500));
        assert_eq!(options.planned_requests(1000).unwrap(), 150);
        assert_eq!(options.planned_requests(20).unwrap(), 20);
        assert_eq!(options.row_bound().unwrap(), Some(150));
        options.limit = None;
        options.duration = None;
        assert_eq!(options.row_bound().unwrap(), None);
    }

    #[test]
    fn bad_ranges_are_refused() {
        let mut options = ReplayOptions::new("http://127.0.0.1", "x.csv", 0.0);
        assert!(options.planned_requests(10).is_err());
        options.rate = f64::NAN;
        assert!(options.planned_requests(10).is_err());
        options.rate = 10.0;
        options.connections = 0;
        assert!(options.planned_requests(10).is_err());
    }
}
