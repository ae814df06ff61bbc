//! Reading the decisions stream back, one decision at a time: what
//! `vigie stream decisions` prints, and what a downstream consumer does
//! with the frames (see [`super::decision_frame`]): split each frame into
//! its lines and keep the first copy of each `trans_num`.

use std::collections::HashSet;
use std::time::Duration;

use async_nats::jetstream;
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
use futures_util::StreamExt;
use serde::Deserialize;
use vigie_types::TransNum;

use super::decision_frame::frame_records;
use super::topology::Topology;
use crate::error::{Result, StreamError};

/// What to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadDecisions {
    /// Keep waiting for new decisions instead of stopping at the stream's
    /// end (its last message when the read started).
    pub follow: bool,
    /// Stop after this many decisions.
    pub limit: Option<u64>,
}

/// What a read went through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReadReport {
    /// Frames read.
    pub frames: u64,
    /// Decisions handed over (first copies).
    pub decisions: u64,
    /// Copies of a decision already handed over, skipped.
    pub duplicates: u64,
}

/// The one field a decision line is keyed by.
#[derive(Deserialize)]
struct Key {
    trans_num: TransNum,
}

/// How long one fetch waits for frames.
const FETCH_WAIT: Duration = Duration::from_secs(1);

/// Frames per fetch.
const FETCH_FRAMES: usize = 64;

/// Reads the decisions stream of `topology` from its start, handing each
/// decision's JSON to `emit` once (the first copy of each `trans_num`; a
/// line without a valid one is handed over as it is). Without `follow`, stops at
/// the message that was last when the read started. The `trans_num`s seen
/// are kept in memory (16 bytes each, plus the set's overhead).
pub async fn read_decisions(
    js: &jetstream::Context,
    topology: &Topology,
    options: ReadDecisions,
    mut emit: impl FnMut(&[u8]) -> Result<()>,
) -> Result<ReadReport> {
    let name = &topology.decisions_stream;
    let mut stream = js
        .get_stream(name)
        .await
        .map_err(|e| StreamError::nats(format!("looking up stream {name}"), e))?;
    let end = stream
        .info()
        .await
        .map_err(|e| StreamError::nats(format!("reading stream {name}"), e))?
        .state
        .last_sequence;
    let mut report = ReadReport::default();
    if !options.follow && end == 0 {
        return Ok(report);
    }
    let consumer = stream
        .create_consumer(pull::Config {
            deliver_policy: DeliverPolicy::All,
            ack_policy: AckPolicy::None,
            ..pull::Config::default()
        })
        .await
        .map_err(|e| StreamError::nats(format!("reading stream {name}"), e))?;
    let mut seen: HashSet<TransNum> = HashSet::new();
    loop {
        let mut frames = consumer
            .fetch()
            .max_messages(FETCH_FRAMES)
            .expires(FETCH_WAIT)
            .messages()
            .await
            .map_err(|e| StreamError::nats(format!("reading stream {name}"), e))?;
        let mut fetched = 0;
        while let Some(frame) = frames.next().await {
            let frame = frame.map_err(|e| StreamError::nats(format!("reading {name}"), e))?;
            fetched += 1;
            report.frames += 1;
            for line in frame_records(&frame.payload) {
                let fresh = match serde_json::from_slice::<Key>(line) {
                    Ok(key) => seen.insert(key.trans_num),
                    Err(_) => true,
                };
                if !fresh {
                    report.duplicates += 1;
                    continue;
                }
                emit(line)?;
                report.decisions += 1;
                if options.limit.is_some_and(|limit| report.decisions >= limit) {
                    return Ok(report);
                }
            }
            let sequence = frame.info().map(|i| i.stream_sequence).unwrap_or(0);
            if !options.follow && sequence >= end {
                return Ok(report);
            }
        }
        // Nothing more within a fetch's wait: the end has passed (or aged
        // out of the stream meanwhile).
        if !options.follow && fetched == 0 {
            return Ok(report);
        }
    }
}
