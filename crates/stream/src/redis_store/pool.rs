//! A small pool of synchronous Redis connections: idle connections wait in
//! a `Mutex<Vec<_>>`; a caller takes one (or opens one when none is idle),
//! uses it alone, and gives it back only when every command succeeded. A
//! connection that saw an error is dropped, so a half-finished `WATCH` or
//! pipeline never leaks into another call.
//!
//! Every connection has connect, read and write timeouts, so an unreachable
//! or hung server is an error within those bounds, never a hang.

use std::sync::Mutex;

use redis::{Client, ClientTlsConfig, Connection, RedisError, TlsCertificates};

use super::config::{RedisConfig, server_of};
use crate::error::{Result, StreamError};

/// The client of `config.url` (`server` names it in errors), with the TLS
/// files' CA and client certificate when given (`validate` has checked
/// that the URL is then `rediss://`).
fn open_client(config: &RedisConfig, server: &str) -> Result<Client> {
    let redis_error = |source| StreamError::Redis {
        server: server.to_string(),
        source,
    };
    if !config.tls.required() {
        return Client::open(config.url.as_str()).map_err(redis_error);
    }
    let files = config.tls.read("Redis")?;
    let certificates = TlsCertificates {
        client_tls: files
            .client
            .map(|(client_cert, client_key)| ClientTlsConfig {
                client_cert,
                client_key,
            }),
        root_cert: files.ca,
    };
    Client::build_with_tls(config.url.as_str(), certificates).map_err(redis_error)
}

/// A pool of connections to one Redis server.
pub(crate) struct Pool {
    client: Client,
    server: String,
    config: RedisConfig,
    idle: Mutex<Vec<Connection>>,
}

impl Pool {
    /// Opens a first connection (so an unreachable server fails here) and
    /// checks it with `PING`.
    pub(crate) fn connect(config: &RedisConfig) -> Result<Self> {
        config.validate()?;
        let server = server_of(&config.url);
        let client = open_client(config, &server)?;
        let pool = Self {
            client,
            server,
            config: config.clone(),
            idle: Mutex::new(Vec::new()),
        };
        pool.run(|con| redis::cmd("PING").query::<String>(con))?;
        Ok(pool)
    }

    /// `host:port` of the server, for messages (never the URL: it may hold
    /// a password).
    pub(crate) fn server(&self) -> &str {
        &self.server
    }

    /// Wraps a Redis error with the server name.
    pub(crate) fn error(&self, source: RedisError) -> StreamError {
        StreamError::Redis {
            server: self.server.clone(),
            source,
        }
    }

    fn open(&self) -> Result<Connection> {
        let con = self
            .client
            .get_connection_with_timeout(self.config.connect_timeout)
            .map_err(|e| self.error(e))?;
        con.set_read_timeout(Some(self.config.io_timeout))
            .and_then(|()| con.set_write_timeout(Some(self.config.io_timeout)))
            .map_err(|e| self.error(e))?;
        Ok(con)
    }

    pub(crate) fn take(&self) -> Result<Connection> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match idle {
            Some(con) => Ok(con),
            None => self.open(),
        }
    }

    pub(crate) fn give_back(&self, con: Connection) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.config.max_idle
        {
            idle.push(con);
        }
    }

    /// Runs Redis commands on one connection.
    pub(crate) fn run<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> std::result::Result<T, RedisError>,
    ) -> Result<T> {
        self.session(|con| f(con).map_err(|e| self.error(e)))
    }

    /// Runs a multi-step exchange on one connection; the connection goes
    /// back to the pool only if `f` succeeded.
    pub(crate) fn session<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut con = self.take()?;
        let out = f(&mut con)?;
        self.give_back(con);
        Ok(out)
    }

    /// Deletes every key matching a `SCAN` pattern; returns how many.
    pub(crate) fn delete_matching(&self, pattern: &str) -> Result<u64> {
        self.run(|con| {
            let mut cursor = 0u64;
            let mut deleted = 0u64;
            loop {
                let (next, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(pattern)
                    .arg("COUNT")
                    .arg(1000)
                    .query(con)?;
                if !keys.is_empty() {
                    deleted += redis::cmd("DEL").arg(&keys).query::<u64>(con)?;
                }
                if next == 0 {
                    return Ok(deleted);
                }
                cursor = next;
            }
        })
    }
}
