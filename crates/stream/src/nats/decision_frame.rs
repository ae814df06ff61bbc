//! The decisions message: one message per processed batch (a *frame*), not
//! one per decision.
//!
//! The body is JSON Lines: each line one decision record, exactly as the
//! decision log stores it (the `DecisionRecord` as JSON), in the order the
//! worker decided them. Headers:
//!
//! | header | value |
//! |---|---|
//! | `Content-Type` | `application/x-ndjson` |
//! | `Vigie-Decisions` | the number of lines |
//! | `Nats-Msg-Id` | `<group>.p<partition>.<first>-<last>.<part>`: the consumer group, the partition, the first and last transaction-stream sequences of the batch, and the frame's index when a batch needs several |
//!
//! Why frames: NATS stores every message on its own (a parse, a write
//! system call, an acknowledgement back), and one stored message per
//! decision cost the server as much as everything else it does for a
//! transaction: with decisions published one by one, NATS and the worker
//! used 13-19 and 7-12 µs more per transaction than without publishing
//! (docs/benchmarks.md, "Streaming", stop 17). A frame of 256 decisions is
//! one stored message.
//!
//! Delivery is at least once per decision. A batch processed again after a
//! crash publishes its decisions again; when it covers the same sequences
//! its frame has the same id and the stream drops the copy (within the
//! duplicate window), but a batch cut differently (live traffic, fewer
//! messages ready) gives other ids. Every decision carries its
//! `trans_num`: a consumer keeps the first it sees. The decision log in
//! PostgreSQL holds each `trans_num` exactly once.

use async_nats::HeaderMap;

/// The `Content-Type` of a frame.
pub const DECISIONS_CONTENT_TYPE: &str = "application/x-ndjson";

/// The header giving a frame's number of decisions.
pub const DECISION_COUNT_HEADER: &str = "Vigie-Decisions";

/// A frame body at most this large when the server allows more (a frame
/// of 256 decisions is about 220 KB).
pub const MAX_FRAME_BYTES: usize = 1024 * 1024;

/// Room kept under the server's payload limit for the headers.
const HEADER_ROOM: usize = 4 * 1024;

/// One decisions message, ready to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionFrame {
    /// Its `Nats-Msg-Id`.
    pub id: String,
    /// Its decisions.
    pub count: usize,
    /// JSON Lines, one decision per line.
    pub body: Vec<u8>,
}

impl DecisionFrame {
    /// The frame's headers (see the module documentation).
    pub fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", self.id.as_str());
        headers.insert("Content-Type", DECISIONS_CONTENT_TYPE);
        headers.insert(DECISION_COUNT_HEADER, self.count.to_string().as_str());
        headers
    }
}

/// Where a batch's decisions come from, for the frames' ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOrigin<'a> {
    /// The consumer group that decided them.
    pub group: &'a str,
    /// Their partition.
    pub partition: u16,
    /// The first transaction-stream sequence of the batch.
    pub first: u64,
    /// Its last.
    pub last: u64,
}

/// The frame body limit for a server accepting `max_payload` bytes.
pub fn frame_limit(max_payload: usize) -> usize {
    max_payload
        .saturating_sub(HEADER_ROOM)
        .clamp(1, MAX_FRAME_BYTES)
}

impl BatchOrigin<'_> {
    /// The `Nats-Msg-Id` of the batch's frame number `part`.
    fn frame_id(&self, part: usize) -> String {
        let Self {
            group,
            partition,
            first,
            last,
        } = self;
        format!("{group}.p{partition}.{first}-{last}.{part}")
    }
}

/// Puts `records` (each one decision's JSON, without a line break) into as
/// few frames as fit `limit` bytes each, in order. A record larger than
/// `limit` gets a frame of its own (which the server then refuses: a
/// decision is about 1 KB). No records, no frames.
pub fn decision_frames<'r>(
    origin: BatchOrigin<'_>,
    records: impl IntoIterator<Item = &'r [u8]>,
    limit: usize,
) -> Vec<DecisionFrame> {
    let mut frames = Vec::new();
    let mut current: Option<DecisionFrame> = None;
    for record in records {
        if current
            .as_ref()
            .is_some_and(|frame| frame.body.len() + record.len() + 1 > limit)
        {
            frames.extend(current.take());
        }
        let frame = current.get_or_insert_with(|| DecisionFrame {
            id: origin.frame_id(frames.len()),
            count: 0,
            body: Vec::new(),
        });
        frame.body.extend_from_slice(record);
        frame.body.push(b'\n');
        frame.count += 1;
    }
    frames.extend(current);
    frames
}

/// The decisions of a frame body: each line's JSON, empty lines skipped.
pub fn frame_records(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    body.split(|&b| b == b'\n')
        .map(<[u8]>::trim_ascii)
        .filter(|line| !line.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: BatchOrigin<'static> = BatchOrigin {
        group: "vigie-scorer",
        partition: 3,
        first: 100,
        last: 355,
    };

    fn records(n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| format!(r#"{{"trans_num":"t{i:03}","note":"a\nb"}}"#).into_bytes())
            .collect()
    }

    #[test]
    fn a_batch_that_fits_is_one_frame_whose_lines_are_the_records_in_order() {
        let recs = records(5);
        let frames = decision_frames(ORIGIN, recs.iter().map(Vec::as_slice), 1 << 20);
        assert_eq!(frames.len(), 1);
        let frame = &frames[0];
        assert_eq!(frame.id, "vigie-scorer.p3.100-355.0");
        assert_eq!(frame.count, 5);
        let back: Vec<&[u8]> = frame_records(&frame.body).collect();
        assert_eq!(back, recs.iter().map(Vec::as_slice).collect::<Vec<_>>());
        let headers = frame.headers();
        assert_eq!(
            headers.get(DECISION_COUNT_HEADER).map(|v| v.as_str()),
            Some("5")
        );
        assert_eq!(
            headers.get("Nats-Msg-Id").map(|v| v.as_str()),
            Some(frame.id.as_str())
        );
    }

    #[test]
    fn a_batch_over_the_limit_is_cut_into_frames_that_each_fit() {
        let recs = records(40);
        let one = recs[0].len() + 1;
        let limit = one * 7 + 3;
        let frames = decision_frames(ORIGIN, recs.iter().map(Vec::as_slice), limit);
        assert_eq!(frames.len(), 6, "40 records, 7 per frame");
        let mut all = Vec::new();
        for (i, frame) in frames.iter().enumerate() {
            assert!(frame.body.len() <= limit, "frame {i}: {}", frame.body.len());
            assert_eq!(frame.id, format!("vigie-scorer.p3.100-355.{i}"));
            let lines: Vec<&[u8]> = frame_records(&frame.body).collect();
            assert_eq!(lines.len(), frame.count);
            all.extend(lines.into_iter().map(<[u8]>::to_vec));
        }
        assert_eq!(all, recs);
    }

    #[test]
    fn a_record_larger_than_the_limit_travels_alone() {
        let recs = records(3);
        let frames = decision_frames(ORIGIN, recs.iter().map(Vec::as_slice), 4);
        assert_eq!(
            frames.iter().map(|f| f.count).collect::<Vec<_>>(),
            [1, 1, 1]
        );
    }

    #[test]
    fn no_records_no_frames() {
        assert!(decision_frames(ORIGIN, std::iter::empty(), 1024).is_empty());
    }

    #[test]
    fn the_limit_leaves_room_for_headers_and_is_capped() {
        assert_eq!(frame_limit(1024 * 1024), 1024 * 1024 - HEADER_ROOM);
        assert_eq!(frame_limit(8 * 1024 * 1024), MAX_FRAME_BYTES);
        assert_eq!(frame_limit(100), 1);
    }

    #[test]
    fn frame_records_skip_blank_lines_and_carriage_returns() {
        let body = b"{\"a\":1}\r\n\n{\"b\":2}\n";
        let lines: Vec<&[u8]> = frame_records(body).collect();
        assert_eq!(lines, [&b"{\"a\":1}"[..], &b"{\"b\":2}"[..]]);
    }
}
