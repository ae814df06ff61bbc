//! The consumer-side building blocks against a real NATS JetStream.

use std::time::Duration;

use vigie_stream::nats::{
    BadMessageKind, ConsumerSettings, PublishOptions, dead_letter_bad, fetch_batch, headers,
    partition_consumer, restart_partition_consumer,
};
use vigie_testkit::{build_transaction, test_card};
use vigie_types::{Category, Transaction};

use crate::support::{nats_url, unique, with_nats};

#[test]
fn a_partition_consumer_reads_its_partition_in_order_and_dead_letters_bad_messages() {
    let Some(url) = nats_url("a_partition_consumer_reads_its_partition_in_order") else {
        return;
    };
    with_nats(&url, 4, |nats| async move {
        let topology = &nats.topology;
        let txns: Vec<Transaction> = (0..60u32)
            .map(|i| {
                build_transaction(
                    i % 6,
                    1_600_000_000 + i64::from(i) * 90,
                    1_000 + i64::from(i),
                    Category::ALL[i as usize % 14],
                    1,
                    u128::from(i) + 100,
                    false,
                )
                .txn
            })
            .collect();
        let mut publisher = nats.publisher(PublishOptions::default()).await.unwrap();
        for t in &txns {
            publisher.publish(t).await.unwrap();
        }
        assert_eq!(publisher.finish().await.unwrap().published, 60);

        let partition = topology.partition_of(&test_card(0));
        let wanted: Vec<&Transaction> = txns
            .iter()
            .filter(|t| topology.partition_of(&t.card) == partition)
            .collect();
        let settings = ConsumerSettings {
            durable_prefix: unique("scorer"),
            ..ConsumerSettings::default()
        };
        let consumer = partition_consumer(&nats.js, topology, partition, &settings)
            .await
            .unwrap();
        // Binding again finds the same durable consumer.
        partition_consumer(&nats.js, topology, partition, &settings)
            .await
            .unwrap();
        assert!(
            partition_consumer(&nats.js, topology, 4, &settings)
                .await
                .is_err()
        );

        let mut got = Vec::new();
        for _ in 0..20 {
            if got.len() >= wanted.len() {
                break;
            }
            for delivery in fetch_batch(&consumer, topology, 7, Duration::from_secs(1))
                .await
                .unwrap()
            {
                assert_eq!(delivery.partition, Some(partition));
                assert_eq!(delivery.delivered(), Some(1));
                got.push(delivery.transaction.clone().unwrap());
                delivery.message.ack().await.unwrap();
            }
        }
        let got_refs: Vec<&Transaction> = got.iter().collect();
        assert_eq!(got_refs, wanted);

        // A message a broken producer sent, with a card number in it.
        let mut h = async_nats::HeaderMap::new();
        h.insert("Nats-Msg-Id", "broken-1");
        let broken = r#"{"schema":1,"card":"4599735407877245080","amount":1}"#;
        nats.js
            .publish_with_headers(topology.tx_subject(partition), h, broken.into())
            .await
            .unwrap()
            .await
            .unwrap();
        let batch = fetch_batch(&consumer, topology, 10, Duration::from_secs(2))
            .await
            .unwrap();
        assert_eq!(batch.len(), 1);
        let bad = batch[0].transaction.clone().unwrap_err();
        assert_eq!(bad.kind, BadMessageKind::InvalidTransaction);
        dead_letter_bad(&nats.js, topology, &batch[0].message, &bad)
            .await
            .unwrap();
        // Dead-lettering the same message again (a crash and a redelivery)
        // stores it once.
        dead_letter_bad(&nats.js, topology, &batch[0].message, &bad)
            .await
            .unwrap();

        let dlq = nats.js.get_stream(&topology.dlq_stream).await.unwrap();
        assert_eq!(dlq.get_info().await.unwrap().state.messages, 1);
        let letter = dlq.get_raw_message(1).await.unwrap();
        assert_eq!(letter.subject.as_str(), topology.dlq_subject());
        let header = |name: &str| letter.headers.get(name).unwrap().as_str().to_string();
        assert_eq!(header(headers::REASON), "invalid_transaction");
        assert_eq!(header(headers::SUBJECT), topology.tx_subject(partition));
        let text = std::str::from_utf8(&letter.payload).unwrap();
        assert!(
            !text.contains("4599735407877245080") && text.contains("[digits]"),
            "{text}"
        );
        assert!(!header(headers::DETAIL).contains("4599735407877245080"));

        // Nothing is left pending or awaiting an acknowledgement.
        let mut consumer = consumer;
        let info = consumer.info().await.unwrap();
        assert_eq!((info.num_pending, info.num_ack_pending), (0, 0));
    });
}

#[test]
fn a_restarted_consumer_acknowledges_cumulatively_and_delivers_again_everything_after_the_floor() {
    let Some(url) = nats_url("a_restarted_consumer_delivers_again_everything_after_the_floor")
    else {
        return;
    };
    with_nats(&url, 1, |nats| async move {
        let topology = &nats.topology;
        let mut publisher = nats.publisher(PublishOptions::default()).await.unwrap();
        for i in 0..10u32 {
            let t = build_transaction(
                0,
                1_600_000_000 + i64::from(i),
                100,
                Category::Home,
                1,
                u128::from(i) + 1,
                false,
            );
            publisher.publish(&t.txn).await.unwrap();
        }
        publisher.finish().await.unwrap();
        let settings = ConsumerSettings {
            durable_prefix: unique("restart"),
            ..ConsumerSettings::default()
        };
        // No consumer yet: floor 0, everything delivered.
        let (consumer, floor) = restart_partition_consumer(&nats.js, topology, 0, &settings)
            .await
            .unwrap();
        assert_eq!(floor, 0);
        let batch = fetch_batch(&consumer, topology, 10, Duration::from_secs(2))
            .await
            .unwrap();
        assert_eq!(batch.len(), 10);
        // Acknowledgements are cumulative: the fourth message's alone
        // acknowledges the first four.
        batch[3].message.double_ack().await.unwrap();
        let (_, floor) = restart_partition_consumer(&nats.js, topology, 0, &settings)
            .await
            .unwrap();
        assert_eq!(floor, batch[3].stream_sequence().unwrap());
        // Restarting again before any acknowledgement keeps the floor.
        let (consumer, again_floor) = restart_partition_consumer(&nats.js, topology, 0, &settings)
            .await
            .unwrap();
        assert_eq!(again_floor, floor);
        let again = fetch_batch(&consumer, topology, 10, Duration::from_secs(2))
            .await
            .unwrap();
        let sequences: Vec<u64> = again.iter().filter_map(|d| d.stream_sequence()).collect();
        let expected: Vec<u64> = batch[4..]
            .iter()
            .filter_map(|d| d.stream_sequence())
            .collect();
        assert_eq!(sequences, expected, "in order, from right after the floor");
    });
}
