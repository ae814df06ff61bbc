//! Subjects, stream names and the partition function.
//!
//! Subjects: `<prefix>.tx.<partition>` carries transactions,
//! `<prefix>.decisions.<partition>` decisions, `<prefix>.dlq.tx` messages
//! that could not be processed. A card's partition is a pure function of its
//! token, so all of a card's transactions travel, in order, on one subject.
//!
//! Each partition's subject has a stream of its own (`VIGIE_TX_<p>`), so a
//! partition's consumer reads its stream from one message to the next
//! instead of filtering its subject out of every partition's interleaved
//! messages (docs/streaming.md, "Streams"). A transaction's `Nats-Msg-Id`
//! de-duplication holds per stream, and a transaction always maps to the
//! same partition, hence the same stream.

use vigie_types::CardToken;

use crate::error::{Result, StreamError};

/// The partition of a card among `partitions`: the first 8 bytes of the
/// token's HMAC-SHA256 digest read as a big-endian `u64`, modulo
/// `partitions`. The digest is already uniformly distributed, so no further
/// hashing is needed; the function depends on nothing but the token, so it
/// is stable across processes, machines and versions. Changing the number
/// of partitions moves cards: do it only on an empty (drained) stream.
pub fn partition_of(card: &CardToken, partitions: u16) -> u16 {
    let mut head = [0u8; 8];
    head.copy_from_slice(&card.digest()[..8]);
    (u64::from_be_bytes(head) % u64::from(partitions.max(1))) as u16
}

/// Where Vigie's messages go: the subject prefix, the number of partitions
/// and the names of the streams (one per partition for transactions, one for
/// decisions, one for dead letters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// First subject token (`vigie`).
    pub prefix: String,
    /// Number of transaction partitions (1 ..= 1024).
    pub partitions: u16,
    /// The transactions streams' common stem (`VIGIE_TX`): partition `p`'s
    /// stream is `<tx_stream_stem>_<p>` ([`Topology::tx_stream`]).
    pub tx_stream_stem: String,
    /// The decisions stream (`VIGIE_DECISIONS`).
    pub decisions_stream: String,
    /// The dead-letter stream (`VIGIE_DLQ`).
    pub dlq_stream: String,
}

/// Most partitions a topology may have.
pub const MAX_PARTITIONS: u16 = 1024;

impl Default for Topology {
    /// Prefix `vigie`, 16 partitions, streams `VIGIE_TX_0` ..
    /// `VIGIE_TX_15`, `VIGIE_DECISIONS`, `VIGIE_DLQ`.
    fn default() -> Self {
        Self {
            prefix: "vigie".into(),
            partitions: 16,
            tx_stream_stem: "VIGIE_TX".into(),
            decisions_stream: "VIGIE_DECISIONS".into(),
            dlq_stream: "VIGIE_DLQ".into(),
        }
    }
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

impl Topology {
    /// The topology of `prefix` with `partitions`, its streams named after
    /// the prefix: `vigie` gives `VIGIE_TX_<p>`, `VIGIE_DECISIONS`,
    /// `VIGIE_DLQ`; `acme.fraud-v2` gives `ACME_FRAUD_V2_TX_<p>`, ...
    pub fn new(prefix: impl Into<String>, partitions: u16) -> Result<Self> {
        let prefix = prefix.into();
        let stem = prefix.replace(['.', '-'], "_").to_uppercase();
        let topology = Self {
            tx_stream_stem: format!("{stem}_TX"),
            decisions_stream: format!("{stem}_DECISIONS"),
            dlq_stream: format!("{stem}_DLQ"),
            prefix,
            partitions,
        };
        topology.validate()?;
        Ok(topology)
    }

    /// Checks the settings, reporting every problem at once: the prefix is
    /// one or more dot-separated tokens of letters, digits, `_` or `-` (no
    /// wildcards), stream names are single tokens, partitions in 1 ..= 1024.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        if !self.prefix.split('.').all(is_token) {
            problems.push(format!(
                "subject prefix '{}' must be dot-separated tokens of letters, digits, _ or -",
                self.prefix
            ));
        }
        if !(1..=MAX_PARTITIONS).contains(&self.partitions) {
            problems.push(format!(
                "partitions must be 1 to {MAX_PARTITIONS}, not {}",
                self.partitions
            ));
        }
        for name in [
            &self.tx_stream_stem,
            &self.decisions_stream,
            &self.dlq_stream,
        ] {
            if !is_token(name) {
                problems.push(format!(
                    "stream name '{name}' must be letters, digits, _ or -"
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(StreamError::Config {
                reason: problems.join("; "),
            })
        }
    }

    /// The card's partition under this topology.
    pub fn partition_of(&self, card: &CardToken) -> u16 {
        partition_of(card, self.partitions)
    }

    /// `<tx_stream_stem>_<partition>`: the stream of the partition's
    /// transactions, capturing [`Topology::tx_subject`] alone.
    pub fn tx_stream(&self, partition: u16) -> String {
        format!("{}_{partition}", self.tx_stream_stem)
    }

    /// Every stream of the topology: the partitions' transaction streams,
    /// in partition order, then the decisions and dead-letter streams.
    pub fn stream_names(&self) -> Vec<String> {
        (0..self.partitions)
            .map(|p| self.tx_stream(p))
            .chain([self.decisions_stream.clone(), self.dlq_stream.clone()])
            .collect()
    }

    /// `<prefix>.tx.<partition>`.
    pub fn tx_subject(&self, partition: u16) -> String {
        format!("{}.tx.{partition}", self.prefix)
    }

    /// `<prefix>.tx.>`: every transaction subject (what the single
    /// transactions stream of earlier versions captured).
    pub fn tx_wildcard(&self) -> String {
        format!("{}.tx.>", self.prefix)
    }

    /// `<prefix>.decisions.<partition>`.
    pub fn decision_subject(&self, partition: u16) -> String {
        format!("{}.decisions.{partition}", self.prefix)
    }

    /// `<prefix>.decisions.>`.
    pub fn decisions_wildcard(&self) -> String {
        format!("{}.decisions.>", self.prefix)
    }

    /// `<prefix>.dlq.tx`: dead-lettered transaction messages.
    pub fn dlq_subject(&self) -> String {
        format!("{}.dlq.tx", self.prefix)
    }

    /// `<prefix>.dlq.>`.
    pub fn dlq_wildcard(&self) -> String {
        format!("{}.dlq.>", self.prefix)
    }

    /// The partition a transaction subject names, if it is one of ours.
    pub fn partition_of_subject(&self, subject: &str) -> Option<u16> {
        let rest = subject.strip_prefix(&self.prefix)?.strip_prefix(".tx.")?;
        rest.parse()
            .ok()
            .filter(|p: &u16| *p < self.partitions && rest == p.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(hex_digest: &str) -> CardToken {
        CardToken::parse(format!("ct1_{hex_digest}").as_bytes()).unwrap()
    }

    #[test]
    fn the_partition_is_the_digest_head_modulo_n() {
        let card = token(&format!("{:016x}{}", 1_000_003u64, "0".repeat(48)));
        assert_eq!(partition_of(&card, 16), (1_000_003 % 16) as u16);
        assert_eq!(partition_of(&card, 7), (1_000_003 % 7) as u16);
        assert_eq!(partition_of(&card, 1), 0);
        let top = token(&"f".repeat(64));
        assert_eq!(partition_of(&top, 1024), (u64::MAX % 1024) as u16);
        // Only the first 8 bytes count.
        let other_tail = token(&format!("{:016x}{}", 1_000_003u64, "e".repeat(48)));
        assert_eq!(partition_of(&other_tail, 16), partition_of(&card, 16));
    }

    #[test]
    fn subjects_and_their_partitions() {
        let t = Topology::new("acme.vigie", 16).unwrap();
        assert_eq!(t.tx_subject(3), "acme.vigie.tx.3");
        assert_eq!(t.tx_wildcard(), "acme.vigie.tx.>");
        assert_eq!(t.decision_subject(15), "acme.vigie.decisions.15");
        assert_eq!(t.dlq_subject(), "acme.vigie.dlq.tx");
        assert_eq!(t.tx_stream(3), "ACME_VIGIE_TX_3");
        let names = t.stream_names();
        assert_eq!(names.len(), 18);
        assert_eq!(names[0], "ACME_VIGIE_TX_0");
        assert_eq!(names[15], "ACME_VIGIE_TX_15");
        assert_eq!(names[16..], ["ACME_VIGIE_DECISIONS", "ACME_VIGIE_DLQ"]);
        assert_eq!(t.dlq_stream, "ACME_VIGIE_DLQ");
        assert_eq!(Topology::new("vigie", 16).unwrap(), Topology::default());
        assert_eq!(t.partition_of_subject("acme.vigie.tx.3"), Some(3));
        for bad in [
            "acme.vigie.tx.16",
            "acme.vigie.tx.03",
            "acme.vigie.tx.x",
            "other.tx.1",
        ] {
            assert_eq!(t.partition_of_subject(bad), None, "{bad}");
        }
    }

    #[test]
    fn validation_reports_every_problem() {
        let t = Topology {
            prefix: "bad.*".into(),
            partitions: 0,
            tx_stream_stem: "A.B".into(),
            ..Topology::default()
        };
        let reason = t.validate().unwrap_err().to_string();
        assert_eq!(reason.matches("must").count(), 3, "{reason}");
        assert!(Topology::default().validate().is_ok());
    }
}
