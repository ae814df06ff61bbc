//! Decision frames on a real JetStream: published as the worker does, read
//! back one decision at a time, each `trans_num` once.

use vigie_stream::nats::{
    BatchOrigin, ReadDecisions, decision_frames, frame_limit, read_decisions,
};

use crate::support::{nats_url, with_nats};

fn line(trans_num: u32, decision: &str) -> Vec<u8> {
    format!(r#"{{"trans_num":"{trans_num:032x}","decision":"{decision}"}}"#).into_bytes()
}

/// Publishes `records` on partition 0's decision subject as the frames of
/// one batch covering sequences `first..=last`.
async fn publish_batch(nats: &crate::support::Nats, first: u64, last: u64, records: &[Vec<u8>]) {
    let origin = BatchOrigin {
        group: "g",
        partition: 0,
        first,
        last,
    };
    let limit = frame_limit(nats.client.server_info().max_payload);
    for frame in decision_frames(origin, records.iter().map(Vec::as_slice), limit) {
        nats.js
            .publish_with_headers(
                nats.topology.decision_subject(0),
                frame.headers(),
                frame.body.into(),
            )
            .await
            .unwrap()
            .await
            .unwrap();
    }
}

async fn read_all(nats: &crate::support::Nats, limit: Option<u64>) -> (Vec<String>, u64, u64) {
    let mut lines = Vec::new();
    let options = ReadDecisions {
        follow: false,
        limit,
    };
    let report = read_decisions(&nats.js, &nats.topology, options, |line| {
        lines.push(String::from_utf8(line.to_vec()).unwrap());
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(report.decisions, lines.len() as u64);
    (lines, report.frames, report.duplicates)
}

#[test]
fn decisions_are_read_back_once_each_in_order() {
    let Some(url) = nats_url("decisions_are_read_back_once_each_in_order") else {
        return;
    };
    with_nats(&url, 1, |nats| async move {
        // Nothing published yet: an empty read that ends.
        assert_eq!(read_all(&nats, None).await, (vec![], 0, 0));

        let first: Vec<Vec<u8>> = (0..3).map(|i| line(i, "allow")).collect();
        publish_batch(&nats, 1, 3, &first).await;
        // The same batch again (a crash before the acknowledgement): the
        // same frame id, dropped by the stream.
        publish_batch(&nats, 1, 3, &first).await;
        // A batch cut differently after a crash: transaction 2 again, then
        // a new one.
        publish_batch(&nats, 3, 4, &[line(2, "allow"), line(3, "block")]).await;

        let (lines, frames, duplicates) = read_all(&nats, None).await;
        let expected: Vec<String> = [line(0, "allow"), line(1, "allow"), line(2, "allow")]
            .into_iter()
            .chain([line(3, "block")])
            .map(|l| String::from_utf8(l).unwrap())
            .collect();
        assert_eq!(lines, expected);
        assert_eq!(frames, 2, "the repeated frame was stored once");
        assert_eq!(duplicates, 1, "transaction 2 arrived twice");

        let (limited, _, _) = read_all(&nats, Some(2)).await;
        assert_eq!(limited, expected[..2]);
    });
}
