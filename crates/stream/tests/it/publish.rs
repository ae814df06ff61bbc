//! `publish_file` against a real NATS JetStream.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use vigie_ingest::{IngestOutputs, ReadOptions, ingest_file, read_file};
use vigie_stream::nats::{
    FileSource, PublishOptions, StreamSettings, Topology, decode_tx, ensure_streams, publish_file,
    stream_config, sync_policy,
};
use vigie_types::{Transaction, redact_card_numbers};

use crate::support::{generate_csv, nats_url, tokenizer, unique, with_nats};

fn csv_source(path: &Path) -> FileSource {
    FileSource::Csv {
        path: path.to_path_buf(),
        tokenizer: Box::new(tokenizer()),
        options: Box::new(ReadOptions::default()),
    }
}

/// What the ingest reader accepts from `path`, in file order.
fn accepted(path: &Path) -> Vec<Transaction> {
    let mut out = Vec::new();
    read_file(
        path,
        &tokenizer(),
        &ReadOptions::default(),
        &|_| {},
        &mut |batch| {
            out.extend(batch.accepted.into_iter().map(|a| a.txn.txn));
            Ok(())
        },
    )
    .unwrap();
    out
}

/// Every card number of a Kaggle-layout file.
fn card_numbers(path: &Path) -> Vec<String> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "cc_num")
        .unwrap();
    let mut numbers: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[column].to_string())
        .collect();
    numbers.sort();
    numbers.dedup();
    numbers
}

#[test]
fn a_file_published_twice_is_stored_once() {
    let Some(url) = nats_url("a_file_published_twice_is_stored_once") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("tx.csv");
    generate_csv(&csv, 25, 3);
    let rows = accepted(&csv).len() as u64;
    assert!(rows > 500, "{rows}");
    let parquet = dir.path().join("tx.parquet");
    ingest_file(
        &csv,
        &IngestOutputs {
            parquet: parquet.clone(),
            quarantine: dir.path().join("q.csv"),
        },
        &tokenizer(),
        &ReadOptions::default(),
        &[],
        &|_| {},
    )
    .unwrap();
    with_nats(&url, 8, |nats| async move {
        let options = PublishOptions {
            window: 256,
            ..PublishOptions::default()
        };
        let publish = |source| {
            publish_file(
                nats.client.clone(),
                &nats.topology,
                source,
                options.clone(),
                &|_| {},
            )
        };
        let first = publish(csv_source(&csv)).await.unwrap();
        assert_eq!(first.rows_read, rows);
        assert_eq!((first.counts.published, first.counts.duplicates), (rows, 0));
        assert_eq!(first.counts.per_partition.iter().sum::<u64>(), rows);
        assert!(
            first
                .counts
                .per_partition
                .iter()
                .filter(|&&n| n > 0)
                .count()
                > 1
        );

        let second = publish(csv_source(&csv)).await.unwrap();
        assert_eq!(
            (second.counts.published, second.counts.duplicates),
            (0, rows)
        );
        // The ingested Parquet file holds the same transactions.
        let third = publish(FileSource::Parquet { path: parquet })
            .await
            .unwrap();
        assert_eq!((third.counts.published, third.counts.duplicates), (0, rows));

        assert_eq!(nats.tx_messages().await, rows);
    });
}

#[test]
fn stored_messages_keep_file_order_per_card_and_carry_no_card_number() {
    let Some(url) = nats_url("stored_messages_keep_file_order_per_card_and_carry_no_card_number")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("tx.csv");
    generate_csv(&csv, 20, 9);
    let expected = accepted(&csv);
    let numbers = card_numbers(&csv);
    assert!(numbers.len() >= 20);
    let (expected, numbers) = (&expected, &numbers);
    with_nats(&url, 4, |nats| async move {
        let options = PublishOptions {
            window: 64,
            rate: Some(50_000.0),
            ..PublishOptions::default()
        };
        let report = publish_file(
            nats.client.clone(),
            &nats.topology,
            csv_source(&csv),
            options,
            &|_| {},
        )
        .await
        .unwrap();
        assert_eq!(report.counts.published, expected.len() as u64);
        let topology = &nats.topology;
        let mut subjects: HashMap<String, String> = HashMap::new();
        let mut stored_count = 0;
        for partition in 0..topology.partitions {
            let stream = nats
                .js
                .get_stream(topology.tx_stream(partition))
                .await
                .unwrap();
            let count = stream.get_info().await.unwrap().state.messages;
            let mut stored = Vec::new();
            for seq in 1..=count {
                let message = stream.get_raw_message(seq).await.unwrap();
                let text = std::str::from_utf8(&message.payload).unwrap();
                for number in numbers {
                    assert!(
                        !text.contains(number.as_str()),
                        "a card number in message {seq}"
                    );
                }
                assert!(
                    matches!(
                        redact_card_numbers(text, |_| String::new()),
                        Cow::Borrowed(_)
                    ),
                    "a card-number-like digit run in message {seq}: {text}"
                );
                let txn = decode_tx(&message.payload).unwrap();
                let id = message.headers.get("Nats-Msg-Id").unwrap().as_str();
                assert_eq!(id, txn.trans_num.to_string());
                let subject = message.subject.to_string();
                assert_eq!(topology.partition_of(&txn.card), partition);
                assert_eq!(subject, topology.tx_subject(partition));
                let previous = subjects.insert(txn.card.to_string(), subject.clone());
                assert!(
                    previous.is_none_or(|p| p == subject),
                    "a card on two subjects"
                );
                stored.push(txn);
            }
            // A partition's stream order is file order, so each card's
            // transactions are in file order on their subject; and each
            // message decodes to exactly the transaction read from the file.
            let of_partition: Vec<&Transaction> = expected
                .iter()
                .filter(|t| topology.partition_of(&t.card) == partition)
                .collect();
            assert_eq!(stored.iter().collect::<Vec<_>>(), of_partition);
            stored_count += stored.len();
        }
        assert_eq!(stored_count, expected.len());
        let mut per_card: BTreeMap<String, Vec<&Transaction>> = BTreeMap::new();
        for t in expected {
            per_card.entry(t.card.to_string()).or_default().push(t);
        }
        assert!(per_card.values().any(|v| v.len() > 10));
        assert!(
            subjects
                .values()
                .collect::<std::collections::HashSet<_>>()
                .len()
                > 1
        );
    });
}

#[test]
fn streams_are_created_once_and_checked() {
    let Some(url) = nats_url("streams_are_created_once_and_checked") else {
        return;
    };
    with_nats(&url, 2, |nats| async move {
        // with_nats created them; a second call finds them.
        let again = ensure_streams(&nats.js, &nats.topology, &StreamSettings::default())
            .await
            .unwrap();
        assert!(again.created.is_empty());
        assert_eq!(again.existing, nats.topology.stream_names());
        assert_eq!(again.existing.len(), 4);
        assert!(again.warnings.iter().any(|w| w.contains("replica")));
        // The same stream name under another prefix is refused.
        let other = Topology {
            prefix: unique("elsewhere"),
            ..nats.topology.clone()
        };
        let err = ensure_streams(&nats.js, &other, &StreamSettings::default())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("captures subjects"), "{err}");
        // A single transactions stream of an earlier version is refused,
        // with what to do.
        let legacy = Topology {
            prefix: unique("legacy"),
            tx_stream_stem: format!("{}_LEGACY", nats.topology.tx_stream_stem),
            ..nats.topology.clone()
        };
        let config = stream_config(
            &legacy.tx_stream_stem,
            legacy.tx_wildcard(),
            std::time::Duration::from_secs(3_600),
            &StreamSettings::default(),
        );
        nats.js.create_stream(config).await.unwrap();
        let refused = ensure_streams(&nats.js, &legacy, &StreamSettings::default()).await;
        nats.js.delete_stream(&legacy.tx_stream_stem).await.unwrap();
        let err = refused.unwrap_err().to_string();
        assert!(
            err.contains("earlier version") && err.contains("nats stream rm"),
            "{err}"
        );
        // An ordinary connection cannot see the server's sync settings.
        let policy = sync_policy(&nats.client).await;
        assert!(policy.warning().unwrap().contains("sync_interval: always"));
    });
}

/// One transaction published where nothing stores it: the publisher sends
/// it `max_attempts` times, then the run fails naming it.
async fn publish_one_unstored(nats: &crate::support::Nats) -> vigie_stream::StreamError {
    let options = PublishOptions {
        max_attempts: 3,
        ack_timeout: std::time::Duration::from_millis(300),
        ..PublishOptions::default()
    };
    let txn = vigie_testkit::build_transaction(
        1,
        1_600_000_000,
        1_234,
        vigie_types::Category::ALL[0],
        1,
        4242,
        false,
    )
    .txn;
    let mut publisher = nats.publisher(options).await.unwrap();
    publisher.publish(&txn).await.unwrap();
    let error = publisher.finish().await.unwrap_err();
    match &error {
        vigie_stream::StreamError::Publish {
            trans_num,
            attempts,
            ..
        } => {
            assert_eq!(trans_num, &txn.trans_num.to_string());
            assert_eq!(*attempts, 3);
        }
        other => panic!("expected a publish error, got {other}"),
    }
    error
}

#[test]
fn a_message_no_stream_stores_fails_after_its_attempts() {
    let Some(url) = nats_url("a_message_no_stream_stores_fails_after_its_attempts") else {
        return;
    };
    with_nats(&url, 2, |nats| async move {
        for partition in 0..nats.topology.partitions {
            nats.js
                .delete_stream(nats.topology.tx_stream(partition))
                .await
                .unwrap();
        }
        // Nobody listens on the subject: the server answers "no responders".
        let error = publish_one_unstored(&nats).await;
        assert!(error.to_string().contains("no responders"), "{error}");

        // Something listens but never acknowledges: the publisher times out.
        let _silent = nats
            .client
            .subscribe(format!("{}.tx.>", nats.topology.prefix))
            .await
            .unwrap();
        nats.client.flush().await.unwrap();
        let error = publish_one_unstored(&nats).await;
        assert!(error.to_string().contains("no acknowledgement"), "{error}");
    });
}

#[test]
fn a_window_beyond_the_acknowledgement_queue_is_refused() {
    let Some(url) = nats_url("a_window_beyond_the_acknowledgement_queue_is_refused") else {
        return;
    };
    with_nats(&url, 1, |nats| async move {
        let publisher = |window| {
            let options = PublishOptions {
                window,
                ..PublishOptions::default()
            };
            nats.publisher(options)
        };
        let refused = publisher(vigie_stream::nats::MAX_WINDOW + 1)
            .await
            .unwrap_err();
        assert!(
            refused.to_string().contains("the window must be between"),
            "{refused}"
        );
        assert!(publisher(0).await.is_err());
        assert!(publisher(vigie_stream::nats::MAX_WINDOW).await.is_ok());
    });
}
