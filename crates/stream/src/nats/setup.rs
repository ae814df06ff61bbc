//! Connecting, creating (or checking) the streams (one per partition for
//! transactions, one for decisions, one for dead letters), and what can be
//! known about their durability.
//!
//! Production settings (docs/streaming.md): file storage, 3 replicas on a
//! 3-node cluster, limits retention with a maximum age, a duplicate window
//! that covers publisher retries, and servers configured with
//! `sync_interval: always`. An acknowledged message is otherwise only in the
//! page cache until the next sync (2 minutes by default): Jepsen's analysis
//! of NATS 2.12.1 lost acknowledged writes that way.

use std::collections::BTreeMap;
use std::time::Duration;

use async_nats::jetstream::context::GetStreamErrorKind;
use async_nats::jetstream::stream::{self, DiscardPolicy, RetentionPolicy, StorageType};
use async_nats::jetstream::{self, ErrorCode};
use serde::Serialize;

use super::topology::Topology;
use crate::error::{Result, StreamError};
use crate::tls::TlsFiles;

/// Connects to NATS with bounded connect and request timeouts, so an
/// unreachable server is an error, not a hang. TLS as the URL and the
/// server ask (`tls://`, or a server requiring it), verified against the
/// system's CA certificates; [`connect_with`] for other CAs and client
/// certificates.
pub async fn connect(url: &str, name: &str) -> Result<async_nats::Client> {
    connect_with(url, name, &TlsFiles::default()).await
}

/// [`connect`] with TLS settings: a private CA, a client certificate.
pub async fn connect_with(url: &str, name: &str, tls: &TlsFiles) -> Result<async_nats::Client> {
    tls.check_files("NATS")?;
    let mut options = async_nats::ConnectOptions::new()
        .name(name)
        .connection_timeout(Duration::from_secs(3))
        .request_timeout(Some(Duration::from_secs(10)));
    if tls.required() {
        options = options.require_tls(true);
    }
    if let Some(ca) = &tls.ca_file {
        options = options.add_root_certificates(ca.clone());
    }
    if let Some((cert, key)) = &tls.client_cert {
        options = options.add_client_certificate(cert.clone(), key.clone());
    }
    options
        .connect(url)
        .await
        .map_err(|e| StreamError::nats(format!("connecting to {}", server_of(url)), e))
}

/// `host:port` of a NATS URL, without credentials.
fn server_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.rsplit_once('@')
        .map_or(rest, |(_, host)| host)
        .to_string()
}

/// A JetStream context whose publisher may have `window` acks outstanding.
pub fn jetstream_context(client: async_nats::Client, window: usize) -> jetstream::Context {
    jetstream::ContextBuilder::new()
        .max_ack_inflight(window.max(1))
        .timeout(Duration::from_secs(10))
        .build(client)
}

/// Settings of the streams this crate creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSettings {
    /// Replicas per stream: 3 in production (a 3-node cluster), 1 locally.
    pub replicas: usize,
    /// How long the server remembers `Nats-Msg-Id`s to drop duplicates.
    pub duplicate_window: Duration,
    /// How long transactions are kept (replay, state rebuilds).
    pub tx_max_age: Duration,
    /// How long decisions are kept.
    pub decisions_max_age: Duration,
    /// How long dead letters are kept.
    pub dlq_max_age: Duration,
}

impl Default for StreamSettings {
    /// R1, a 2-minute duplicate window (the server's default), 7 days of
    /// transactions and decisions, 30 days of dead letters.
    fn default() -> Self {
        Self {
            replicas: 1,
            duplicate_window: Duration::from_secs(120),
            tx_max_age: Duration::from_secs(7 * 86_400),
            decisions_max_age: Duration::from_secs(7 * 86_400),
            dlq_max_age: Duration::from_secs(30 * 86_400),
        }
    }
}

/// The configuration of one of Vigie's streams.
pub fn stream_config(
    name: &str,
    subjects: String,
    max_age: Duration,
    settings: &StreamSettings,
) -> stream::Config {
    stream::Config {
        name: name.to_string(),
        subjects: vec![subjects],
        retention: RetentionPolicy::Limits,
        storage: StorageType::File,
        num_replicas: settings.replicas.max(1),
        duplicate_window: settings.duplicate_window,
        max_age,
        discard: DiscardPolicy::Old,
        ..stream::Config::default()
    }
}

/// What [`ensure_streams`] found and did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StreamsReport {
    /// Streams created now.
    pub created: Vec<String>,
    /// Streams that existed with usable settings.
    pub existing: Vec<String>,
    /// Durability and configuration warnings, as sentences.
    pub warnings: Vec<String>,
}

/// Creates the partitions' transaction streams and the decisions and
/// dead-letter streams when missing; checks existing ones (subjects must
/// match; weaker durability settings are warnings). A single transactions
/// stream of an earlier version (`<tx_stream_stem>` capturing
/// `<prefix>.tx.>`) is refused with what to do: its subjects overlap the
/// partitions' streams.
pub async fn ensure_streams(
    js: &jetstream::Context,
    topology: &Topology,
    settings: &StreamSettings,
) -> Result<StreamsReport> {
    topology.validate()?;
    refuse_single_tx_stream(js, topology).await?;
    let partitions = (0..topology.partitions).map(|p| {
        let stream = (topology.tx_stream(p), topology.tx_subject(p));
        (stream, settings.tx_max_age, true)
    });
    let wanted = partitions.chain([
        (
            (
                topology.decisions_stream.clone(),
                topology.decisions_wildcard(),
            ),
            settings.decisions_max_age,
            false,
        ),
        (
            (topology.dlq_stream.clone(), topology.dlq_wildcard()),
            settings.dlq_max_age,
            false,
        ),
    ]);
    let mut report = StreamsReport::default();
    let mut below_r3 = BelowR3::default();
    for ((name, subjects), max_age, is_partition) in wanted {
        let config = stream_config(&name, subjects, max_age, settings);
        let replicas = match js.get_stream(&name).await {
            Ok(existing) => {
                let found = &existing.cached_info().config;
                check_existing(found, &config, &mut report)?;
                report.existing.push(name.clone());
                found.num_replicas
            }
            Err(e) if is_not_found(e.kind()) => {
                js.create_stream(config.clone())
                    .await
                    .map_err(|e| StreamError::nats(format!("creating stream {name}"), e))?;
                report.created.push(name.clone());
                config.num_replicas
            }
            Err(e) => return Err(StreamError::nats(format!("looking up stream {name}"), e)),
        };
        if replicas < 3 {
            below_r3.add(name, replicas, is_partition);
        }
    }
    if let Some(streams) = below_r3.describe(topology) {
        report.warnings.push(format!(
            "streams with fewer than 3 replicas: {streams}; losing that server's disk loses \
             messages: use 3 replicas on a 3-node cluster in production"
        ));
    }
    Ok(report)
}

/// Refuses to set up beside a single transactions stream of an earlier
/// version, which captures every partition's subject: NATS would refuse the
/// partitions' streams as overlapping it, and its unread messages would be
/// stranded.
async fn refuse_single_tx_stream(js: &jetstream::Context, topology: &Topology) -> Result<()> {
    let name = &topology.tx_stream_stem;
    match js.get_stream(name).await {
        Ok(existing) => {
            let subjects = &existing.cached_info().config.subjects;
            if subjects.contains(&topology.tx_wildcard()) {
                return Err(StreamError::StreamMismatch {
                    stream: name.clone(),
                    reason: format!(
                        "it is the single transactions stream of an earlier version, capturing \
                         {subjects:?}; transactions now have one stream per partition \
                         ({name}_0 ..). Let the workers drain it, then delete it (`nats \
                         stream rm {name}`), or use a new subject prefix"
                    ),
                });
            }
            Ok(())
        }
        Err(e) if is_not_found(e.kind()) => Ok(()),
        Err(e) => Err(StreamError::nats(format!("looking up stream {name}"), e)),
    }
}

/// The streams below 3 replicas: the partitions' streams counted per
/// replica count (they are many and alike), the others by name.
#[derive(Default)]
struct BelowR3 {
    partition_streams: BTreeMap<usize, u16>,
    others: Vec<String>,
}

impl BelowR3 {
    fn add(&mut self, name: String, replicas: usize, is_partition: bool) {
        if is_partition {
            *self.partition_streams.entry(replicas).or_default() += 1;
        } else {
            self.others.push(format!("{name} (R{replicas})"));
        }
    }

    /// `VIGIE_TX_0..15 (R1), VIGIE_DECISIONS (R1)`; `None` when empty.
    fn describe(&self, topology: &Topology) -> Option<String> {
        let stem = &topology.tx_stream_stem;
        let partitions = self.partition_streams.iter().map(|(replicas, count)| {
            if *count == topology.partitions {
                format!("{stem}_0..{} (R{replicas})", topology.partitions - 1)
            } else {
                format!("{count} of {stem}_<p> (R{replicas})")
            }
        });
        let all: Vec<String> = partitions.chain(self.others.iter().cloned()).collect();
        (!all.is_empty()).then(|| all.join(", "))
    }
}

fn is_not_found(kind: GetStreamErrorKind) -> bool {
    matches!(kind, GetStreamErrorKind::JetStream(e) if e.error_code() == ErrorCode::STREAM_NOT_FOUND)
}

fn check_existing(
    found: &stream::Config,
    wanted: &stream::Config,
    report: &mut StreamsReport,
) -> Result<()> {
    if !wanted.subjects.iter().all(|s| found.subjects.contains(s)) {
        return Err(StreamError::StreamMismatch {
            stream: found.name.clone(),
            reason: format!(
                "it captures subjects {:?}, expected {:?}: another topology uses this \
                 stream name; choose another prefix or stream name",
                found.subjects, wanted.subjects
            ),
        });
    }
    let name = &found.name;
    if found.num_replicas < wanted.num_replicas {
        report.warnings.push(format!(
            "stream {name} has {} replica(s), {} requested",
            found.num_replicas, wanted.num_replicas
        ));
    }
    if found.storage != StorageType::File {
        report.warnings.push(format!(
            "stream {name} is kept in memory: a server restart loses it"
        ));
    }
    if found.duplicate_window < wanted.duplicate_window {
        report.warnings.push(format!(
            "stream {name} de-duplicates over {:?}, {:?} requested: a file re-published \
             later than that is stored twice",
            found.duplicate_window, wanted.duplicate_window
        ));
    }
    Ok(())
}

/// What is known about the servers' disk sync.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "sync", rename_all = "snake_case")]
pub enum SyncPolicy {
    /// `sync_interval: always`: each acknowledged message is on disk.
    Always,
    /// Synced periodically: acknowledged messages of the last interval can
    /// be lost in a power failure or kernel crash.
    Interval {
        /// The interval, seconds.
        seconds: f64,
    },
    /// Cannot be known from this connection.
    Unknown {
        /// Why.
        reason: String,
    },
}

/// Asks the server for its JetStream settings through the system account
/// (`$SYS.REQ.SERVER.PING.VARZ`). Only a connection with system-account
/// rights gets an answer; an ordinary client cannot see `sync_interval`, and
/// neither can it see the other servers of a cluster.
pub async fn sync_policy(client: &async_nats::Client) -> SyncPolicy {
    let request = client.request("$SYS.REQ.SERVER.PING.VARZ", "{}".into());
    let reply = match tokio::time::timeout(Duration::from_secs(2), request).await {
        Ok(Ok(reply)) => reply,
        Ok(Err(e)) => {
            return SyncPolicy::Unknown {
                reason: format!(
                    "the server's JetStream settings are visible to the system account only \
                     (asking gave: {}); this connection cannot confirm sync_interval: always",
                    e.kind()
                ),
            };
        }
        Err(_) => {
            return SyncPolicy::Unknown {
                reason: "no answer from the server's system account within 2 s".into(),
            };
        }
    };
    parse_varz(&reply.payload)
}

fn parse_varz(payload: &[u8]) -> SyncPolicy {
    let unknown = |reason: &str| SyncPolicy::Unknown {
        reason: reason.to_string(),
    };
    let Ok(varz) = serde_json::from_slice::<serde_json::Value>(payload) else {
        return unknown("the server's settings reply is not JSON");
    };
    let config = &varz["data"]["jetstream"]["config"];
    if config.is_null() {
        return unknown("the server's settings reply has no JetStream configuration");
    }
    if config["sync_always"].as_bool() == Some(true) {
        return SyncPolicy::Always;
    }
    match config["sync_interval"].as_u64() {
        Some(nanos) => SyncPolicy::Interval {
            seconds: nanos as f64 / 1e9,
        },
        None => unknown(
            "the server does not report sync_interval (it is omitted when at its default \
             of 2 minutes, and older servers never report it)",
        ),
    }
}

impl SyncPolicy {
    /// The warning to print at start-up, if any.
    pub fn warning(&self) -> Option<String> {
        match self {
            Self::Always => None,
            Self::Interval { seconds } => Some(format!(
                "the NATS server syncs to disk every {seconds} s: an acknowledged message is \
                 not necessarily on disk and can be lost in a crash (Jepsen, NATS 2.12.1); \
                 set `jetstream {{ sync_interval: always }}` in production"
            )),
            Self::Unknown { reason } => Some(format!(
                "cannot confirm that the NATS server syncs every acknowledged message to disk: \
                 {reason}. Unless it runs with `sync_interval: always`, acknowledged messages \
                 can be lost in a crash (Jepsen, NATS 2.12.1)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varz_replies_are_read() {
        let always = br#"{"data":{"jetstream":{"config":{"sync_always":true}}}}"#;
        assert_eq!(parse_varz(always), SyncPolicy::Always);
        let interval = br#"{"data":{"jetstream":{"config":{"sync_interval":5000000000}}}}"#;
        assert_eq!(parse_varz(interval), SyncPolicy::Interval { seconds: 5.0 });
        let default = br#"{"data":{"jetstream":{"config":{"max_memory":1}}}}"#;
        assert!(matches!(parse_varz(default), SyncPolicy::Unknown { .. }));
        assert!(matches!(parse_varz(b"{}"), SyncPolicy::Unknown { .. }));
        assert!(matches!(parse_varz(b"nope"), SyncPolicy::Unknown { .. }));
        assert!(SyncPolicy::Always.warning().is_none());
        assert!(
            parse_varz(default)
                .warning()
                .unwrap()
                .contains("sync_interval: always")
        );
    }

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(server_of("nats://u:p@h:4222"), "h:4222");
        assert_eq!(server_of("nats://127.0.0.1:4222"), "127.0.0.1:4222");
    }

    #[test]
    fn stream_configs_use_file_storage_and_limits() {
        let settings = StreamSettings {
            replicas: 3,
            ..StreamSettings::default()
        };
        let c = stream_config(
            "VIGIE_TX",
            "vigie.tx.>".into(),
            Duration::from_secs(60),
            &settings,
        );
        assert_eq!(c.storage, StorageType::File);
        assert_eq!(c.retention, RetentionPolicy::Limits);
        assert_eq!(c.num_replicas, 3);
        assert_eq!(c.duplicate_window, Duration::from_secs(120));
        assert_eq!(c.subjects, vec!["vigie.tx.>".to_string()]);
    }

    #[test]
    fn streams_below_three_replicas_are_listed_with_partitions_as_a_range() {
        let t = Topology::default();
        let mut all = BelowR3::default();
        for p in 0..16 {
            all.add(t.tx_stream(p), 1, true);
        }
        all.add(t.decisions_stream.clone(), 1, false);
        assert_eq!(
            all.describe(&t).unwrap(),
            "VIGIE_TX_0..15 (R1), VIGIE_DECISIONS (R1)"
        );
        let mut some = BelowR3::default();
        some.add(t.tx_stream(2), 2, true);
        some.add(t.tx_stream(9), 2, true);
        some.add("OTHER_TX_1".into(), 1, false);
        assert_eq!(
            some.describe(&t).unwrap(),
            "2 of VIGIE_TX_<p> (R2), OTHER_TX_1 (R1)"
        );
        assert_eq!(BelowR3::default().describe(&t), None);
    }
}
