//! The decision log on both backends: idempotent batches, stream positions
//! in the same transaction, reads, feedback, filters and counts.

use std::collections::HashSet;

use vigie_decisions::{
    DecisionError, DecisionFilter, DecisionLog, DecisionSource, Feedback, LoggedDecision,
    StreamPosition, UnixMillis,
};
use vigie_engine::Decision;
use vigie_types::Label;

use crate::support::{
    Backend, TestLog, card, decisions, logged, on_both_backends, record, trans_num,
};

on_both_backends!(
    a_decision_reads_back_exactly_as_logged,
    each_column_holds_its_value_of_the_record,
    write_batch_is_idempotent_and_keeps_the_first_decision,
    the_stream_position_only_moves_forward,
    a_failing_batch_leaves_neither_decisions_nor_position,
    several_batches_commit_together_with_their_positions,
    a_failing_group_of_batches_leaves_nothing_of_any,
    get_many_and_contains_many_span_several_chunks,
    feedback_keeps_one_current_label_and_every_change,
    feedback_on_an_unknown_transaction_is_refused,
    recent_filters_by_card_decision_and_time_newest_first,
    migrations_apply_once_even_when_processes_race,
    the_registry_s_migrations_in_the_same_schema_do_not_interfere,
);

fn a_decision_reads_back_exactly_as_logged(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let before = UnixMillis::now();
    let mut record = decisions(1, card()).remove(0).record;
    record.challenger = None;
    record.degraded = true;
    // The stream worker's way: the record encoded once, up front, and the
    // log's `record` column filled from that text.
    let stream_decision = LoggedDecision::encoded(record, DecisionSource::Stream);
    let http_decision = decisions(1, card()).remove(0);
    let outcome = log
        .write_batch(&[http_decision.clone(), stream_decision.clone()], None)
        .unwrap();
    assert_eq!(outcome.inserted.len(), 2);
    for sent in [http_decision, stream_decision] {
        let stored = log.get(&sent.record.trans_num).unwrap().unwrap();
        // Bit-identical: scores, thresholds and features survive the round trip.
        assert_eq!(stored.record, sent.record);
        assert_eq!(stored.source, sent.source);
        assert!(stored.logged_at >= before && stored.logged_at <= UnixMillis::now());
        assert_eq!(stored.label, None);
    }
    assert_eq!(log.get(&trans_num()).unwrap(), None);
    assert_eq!(log.count().unwrap(), 2);
}

/// The typed columns (what queries filter on) against the record they
/// come from, one value at a time, for a decision with a challenger and
/// one without, logged in one batch.
fn each_column_holds_its_value_of_the_record(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let with_challenger = decisions(1, card()).remove(0);
    let mut record = decisions(1, card()).remove(0).record;
    record.challenger = None;
    record.reasons.clear();
    record.degraded = true;
    record.latency_us = u64::MAX;
    let without = LoggedDecision::encoded(record, DecisionSource::Stream);
    let before = UnixMillis::now();
    log.write_batch(&[with_challenger.clone(), without.clone()], None)
        .unwrap();
    let after = UnixMillis::now();
    let columns = "trans_num, card_token, event_time, amount_cents, model_name, model_version, \
                   feature_schema_hash, score, review_threshold, block_threshold, decision, \
                   reason_codes, rules_fired, challenger_model, challenger_version, \
                   challenger_score, challenger_decision, degraded, latency_us, source, logged_at, record";
    for sent in [with_challenger, without] {
        let r = &sent.record;
        let stored = t.decision_columns(columns, &r.trans_num);
        let challenger = r.challenger.as_ref();
        let codes = |codes: Vec<&str>| serde_json::to_string(&codes).unwrap();
        let null = || "NULL".to_owned();
        let expected = [
            r.trans_num.to_string(),
            r.card.to_string(),
            r.event_time.seconds().to_string(),
            r.amount_cents.to_string(),
            r.model.name.clone(),
            r.model.version.to_string(),
            r.feature_schema_hash.clone(),
            format!("{:?}", r.score),
            format!("{:?}", r.thresholds.review),
            format!("{:?}", r.thresholds.block),
            r.decision.as_str().to_owned(),
            codes(r.reasons.iter().map(|x| x.code.as_str()).collect()),
            codes(r.rules_fired.iter().map(|x| x.code.as_str()).collect()),
            challenger.map_or_else(null, |c| c.model.name.clone()),
            challenger.map_or_else(null, |c| c.model.version.to_string()),
            challenger.map_or_else(null, |c| format!("{:?}", c.score)),
            challenger.map_or_else(null, |c| c.decision.as_str().to_owned()),
            u8::from(r.degraded).to_string(),
            i64::try_from(r.latency_us).unwrap_or(i64::MAX).to_string(),
            sent.source.as_str().to_owned(),
        ];
        assert_eq!(stored[..expected.len()], expected, "{}", r.trans_num);
        let logged_at: i64 = stored[20].parse().unwrap();
        assert!((before.0..=after.0).contains(&logged_at), "{logged_at}");
        let record: vigie_engine::DecisionRecord = serde_json::from_str(&stored[21]).unwrap();
        assert_eq!(&record, r);
    }
}

fn write_batch_is_idempotent_and_keeps_the_first_decision(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let first = decisions(3, card());
    let outcome = log.write_batch(&first, None).unwrap();
    let ids: Vec<_> = first.iter().map(|d| d.record.trans_num).collect();
    assert_eq!(outcome.inserted, ids);
    assert!(outcome.existing.is_empty());

    // The same ids again with other scores, one new id, and a duplicate
    // inside the batch itself.
    let mut again: Vec<_> = first
        .iter()
        .map(|d| {
            let mut other = d.clone();
            other.record.score = 0.999;
            other.record.decision = Decision::Block;
            other
        })
        .collect();
    let fresh = decisions(1, card()).remove(0);
    let mut fresh_retry = fresh.clone();
    fresh_retry.record.score = 0.5;
    again.push(fresh.clone());
    again.push(fresh_retry);
    let outcome = log.write_batch(&again, None).unwrap();
    assert_eq!(outcome.inserted, vec![fresh.record.trans_num]);
    let mut expected_existing = ids.clone();
    expected_existing.push(fresh.record.trans_num);
    assert_eq!(outcome.existing, expected_existing);
    for original in &first {
        let stored = log.get(&original.record.trans_num).unwrap().unwrap();
        assert_eq!(stored.record, original.record, "the first decision stands");
    }
    let stored = log.get(&fresh.record.trans_num).unwrap().unwrap();
    assert_eq!(stored.record, fresh.record, "the first in the batch stands");
    assert_eq!(log.count().unwrap(), 4);
}

fn the_stream_position_only_moves_forward(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let at = |partition, sequence| StreamPosition {
        consumer: "worker-a".into(),
        partition,
        sequence,
    };
    assert_eq!(log.stream_position("worker-a", 3).unwrap(), None);
    log.write_batch(&decisions(2, card()), Some(&at(3, 10)))
        .unwrap();
    assert_eq!(log.stream_position("worker-a", 3).unwrap(), Some(10));
    // A redelivered, older batch does not move it back.
    log.write_batch(&decisions(1, card()), Some(&at(3, 5)))
        .unwrap();
    assert_eq!(log.stream_position("worker-a", 3).unwrap(), Some(10));
    // An empty batch can still record progress (all duplicates, say).
    log.write_batch(&[], Some(&at(3, 20))).unwrap();
    assert_eq!(log.stream_position("worker-a", 3).unwrap(), Some(20));
    // Partitions and consumers are independent.
    log.write_batch(&[], Some(&at(4, 7))).unwrap();
    assert_eq!(log.stream_position("worker-a", 4).unwrap(), Some(7));
    assert_eq!(log.stream_position("worker-b", 3).unwrap(), None);
    assert_eq!(log.stream_position("worker-a", 3).unwrap(), Some(20));
    let too_big = log.write_batch(&[], Some(&at(3, u64::MAX))).unwrap_err();
    assert!(
        matches!(too_big, DecisionError::Invalid { .. }),
        "{too_big}"
    );
}

fn a_failing_batch_leaves_neither_decisions_nor_position(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    // The position upsert runs after the inserts: make it fail.
    let (create, drop) = t.failing_trigger("stream_positions", "NEW.consumer = 'doomed'");
    t.raw_sql(&create);
    let batch = decisions(5, card());
    let position = StreamPosition {
        consumer: "doomed".into(),
        partition: 0,
        sequence: 42,
    };
    let err = log.write_batch(&batch, Some(&position)).unwrap_err();
    assert!(matches!(err, DecisionError::Database { .. }), "{err}");
    assert!(err.to_string().contains("injected failure"), "{err}");
    assert_eq!(log.count().unwrap(), 0);
    let ids: Vec<_> = batch.iter().map(|d| d.record.trans_num).collect();
    assert!(log.contains_many(&ids).unwrap().is_empty());
    assert_eq!(log.stream_position("doomed", 0).unwrap(), None);

    // Once the database accepts it, the same batch goes through whole.
    t.raw_sql(&drop);
    let outcome = log.write_batch(&batch, Some(&position)).unwrap();
    assert_eq!(outcome.inserted, ids);
    assert_eq!(log.stream_position("doomed", 0).unwrap(), Some(42));
}

fn several_batches_commit_together_with_their_positions(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let at = |partition, sequence| StreamPosition {
        consumer: "group".into(),
        partition,
        sequence,
    };
    let old = decisions(1, card());
    log.write_batch(&old, Some(&at(0, 3))).unwrap();
    let mut first = decisions(3, card());
    first.push(old[0].clone());
    let mut second = decisions(2, card());
    // A trans_num in two batches of the group is inserted for the first.
    second.push(first[0].clone());
    let (p0, p1) = (at(0, 9), at(1, 4));
    let outcomes = log
        .write_batches(&[(&first, Some(&p0)), (&[], None), (&second, Some(&p1))])
        .unwrap();
    let ids = |ds: &[vigie_decisions::LoggedDecision]| {
        ds.iter().map(|d| d.record.trans_num).collect::<Vec<_>>()
    };
    assert_eq!(outcomes.len(), 3);
    assert_eq!(outcomes[0].inserted, ids(&first[..3]));
    assert_eq!(outcomes[0].existing, ids(&old));
    assert!(outcomes[1].inserted.is_empty() && outcomes[1].existing.is_empty());
    assert_eq!(outcomes[2].inserted, ids(&second[..2]));
    assert_eq!(outcomes[2].existing, ids(&first[..1]));
    assert_eq!(log.count().unwrap(), 6);
    assert_eq!(log.stream_position("group", 0).unwrap(), Some(9));
    assert_eq!(log.stream_position("group", 1).unwrap(), Some(4));
}

fn a_failing_group_of_batches_leaves_nothing_of_any(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let (create, drop) = t.failing_trigger("stream_positions", "NEW.consumer = 'doomed'");
    t.raw_sql(&create);
    let (healthy, doomed) = (decisions(4, card()), decisions(2, card()));
    let fine = StreamPosition {
        consumer: "fine".into(),
        partition: 0,
        sequence: 8,
    };
    let bad = StreamPosition {
        consumer: "doomed".into(),
        partition: 1,
        sequence: 5,
    };
    let err = log
        .write_batches(&[(&healthy, Some(&fine)), (&doomed, Some(&bad))])
        .unwrap_err();
    assert!(matches!(err, DecisionError::Database { .. }), "{err}");
    assert_eq!(log.count().unwrap(), 0);
    assert_eq!(log.stream_position("fine", 0).unwrap(), None);
    t.raw_sql(&drop);
    let outcomes = log
        .write_batches(&[(&healthy, Some(&fine)), (&doomed, Some(&bad))])
        .unwrap();
    assert_eq!(outcomes[0].inserted.len() + outcomes[1].inserted.len(), 6);
    assert_eq!(log.stream_position("fine", 0).unwrap(), Some(8));
    assert_eq!(log.stream_position("doomed", 1).unwrap(), Some(5));
}

fn get_many_and_contains_many_span_several_chunks(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let batch = decisions(1_100, card());
    log.write_batch(&batch, None).unwrap();
    let unknown: Vec<_> = (0..300).map(|_| trans_num()).collect();
    let mut asked: Vec<_> = batch.iter().map(|d| d.record.trans_num).collect();
    asked.extend(&unknown);

    let found = log.contains_many(&asked).unwrap();
    assert_eq!(found.len(), batch.len());
    assert!(unknown.iter().all(|u| !found.contains(u)));

    let many = log.get_many(&asked).unwrap();
    assert_eq!(many.len(), batch.len());
    for sent in &batch {
        assert_eq!(many[&sent.record.trans_num].record, sent.record);
    }
    assert!(log.get_many(&[]).unwrap().is_empty());
}

fn feedback_keeps_one_current_label_and_every_change(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let batch = decisions(3, card());
    log.write_batch(&batch, None).unwrap();
    let target = batch[1].record.trans_num;
    let since = UnixMillis(0);

    let first = log
        .record_feedback(&Feedback::now(target, Label::Legit, "analyst", "alice"))
        .unwrap();
    assert_eq!(first.previous, None);
    assert!(first.changed);
    let second = log
        .record_feedback(&Feedback::now(
            target,
            Label::Fraud,
            "chargeback",
            "acquirer-feed",
        ))
        .unwrap();
    assert_eq!(second.previous, Some(Label::Legit));
    assert!(second.changed);
    let same = log
        .record_feedback(&Feedback::now(target, Label::Fraud, "analyst", "bob"))
        .unwrap();
    assert!(!same.changed);

    let stored = log.get(&target).unwrap().unwrap();
    let label = stored.label.unwrap();
    assert_eq!(
        (label.label, label.source.as_str(), label.actor.as_str()),
        (Label::Fraud, "analyst", "bob")
    );
    let history: Vec<_> = log
        .feedback_history(&target)
        .unwrap()
        .into_iter()
        .map(|f| (f.label, f.source))
        .collect();
    assert_eq!(
        history,
        vec![
            (Label::Legit, "analyst".to_owned()),
            (Label::Fraud, "chargeback".to_owned()),
            (Label::Fraud, "analyst".to_owned()),
        ]
    );
    assert_eq!(
        log.get(&batch[0].record.trans_num).unwrap().unwrap().label,
        None
    );

    let labelled = log.labelled_since(since, 100).unwrap();
    assert_eq!(labelled.len(), 1);
    assert_eq!(labelled[0].trans_num, target);
    assert_eq!(labelled[0].score, batch[1].record.score);
    assert_eq!(labelled[0].decision, batch[1].record.decision);
    assert_eq!(labelled[0].label, Label::Fraud);
    let later = UnixMillis(UnixMillis::now().0 + 60_000);
    assert!(log.labelled_since(later, 100).unwrap().is_empty());

    let bad_source = log
        .record_feedback(&Feedback::now(target, Label::Legit, "Bad Source", "alice"))
        .unwrap_err();
    assert!(
        matches!(bad_source, DecisionError::Invalid { .. }),
        "{bad_source}"
    );
    let no_actor = log
        .record_feedback(&Feedback::now(target, Label::Legit, "analyst", ""))
        .unwrap_err();
    assert!(
        matches!(no_actor, DecisionError::Invalid { .. }),
        "{no_actor}"
    );
}

fn feedback_on_an_unknown_transaction_is_refused(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let unknown = trans_num();
    let err = log
        .record_feedback(&Feedback::now(unknown, Label::Fraud, "chargeback", "feed"))
        .unwrap_err();
    assert!(
        matches!(err, DecisionError::UnknownTransaction { trans_num } if trans_num == unknown),
        "{err}"
    );
    assert!(log.feedback_history(&unknown).unwrap().is_empty());
}

fn recent_filters_by_card_decision_and_time_newest_first(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let (a, b) = (card(), card());
    let scores = [0.1, 0.5, 0.9, 0.05, 0.95];
    let on_a: Vec<_> = scores
        .iter()
        .map(|&s| logged(record(trans_num(), a, s)))
        .collect();
    for d in &on_a {
        // One batch each, so insertion order is the logging order.
        log.write_batch(std::slice::from_ref(d), None).unwrap();
    }
    log.write_batch(&decisions(4, b), None).unwrap();

    let of_a = log
        .recent(&DecisionFilter {
            card: Some(a),
            ..DecisionFilter::default()
        })
        .unwrap();
    let ids: Vec<_> = of_a.iter().map(|s| s.record.trans_num).collect();
    let expected: Vec<_> = on_a.iter().rev().map(|d| d.record.trans_num).collect();
    assert_eq!(ids, expected, "newest first, only card a");

    let blocked_on_a = log
        .recent(&DecisionFilter {
            card: Some(a),
            decision: Some(Decision::Block),
            ..DecisionFilter::default()
        })
        .unwrap();
    let scores: HashSet<_> = blocked_on_a
        .iter()
        .map(|s| s.record.score.to_bits())
        .collect();
    assert_eq!(scores, HashSet::from([0.9f64.to_bits(), 0.95f64.to_bits()]));

    let two = log
        .recent(&DecisionFilter {
            limit: 2,
            ..DecisionFilter::default()
        })
        .unwrap();
    assert_eq!(two.len(), 2);
    let future = log
        .recent(&DecisionFilter {
            since: Some(UnixMillis(UnixMillis::now().0 + 60_000)),
            ..DecisionFilter::default()
        })
        .unwrap();
    assert!(future.is_empty());
    let all = log
        .recent(&DecisionFilter {
            since: Some(UnixMillis(0)),
            ..DecisionFilter::default()
        })
        .unwrap();
    assert_eq!(all.len(), 9);

    let counts = log.counts_by_decision().unwrap();
    assert_eq!(counts.values().sum::<u64>(), 9);
    assert_eq!(counts[&Decision::Block], 2);
    assert_eq!(log.count().unwrap(), 9);
}

fn migrations_apply_once_even_when_processes_race(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let config = t.config.clone();
    let opened: Vec<DecisionLog> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| DecisionLog::open(&config)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap())
            .collect()
    });
    // Every handle works on the same tables.
    opened[0].write_batch(&decisions(1, card()), None).unwrap();
    for log in &opened {
        assert_eq!(log.count().unwrap(), 1);
    }
    // And opening again later is a no-op.
    assert_eq!(t.open().count().unwrap(), 1);
}

fn the_registry_s_migrations_in_the_same_schema_do_not_interfere(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    // The registry keeps its own `schema_migrations` (version 1 applied)
    // and may share a PostgreSQL schema with the decision log.
    if backend == Backend::Sqlite {
        std::fs::create_dir_all(&t.config.data_dir).unwrap();
    }
    t.raw_sql(
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL,
           applied_at BIGINT NOT NULL);
         INSERT INTO schema_migrations VALUES (1, 'registry', 0);",
    );
    // Were the decision log to read the registry's table, it would believe
    // its migration 1 applied and find no tables.
    let log = t.open();
    log.write_batch(&decisions(2, card()), None).unwrap();
    assert_eq!(log.count().unwrap(), 2);
}

#[test]
fn a_lost_postgres_connection_is_reopened() {
    let Some(t) = TestLog::new(Backend::Postgres) else {
        return;
    };
    let log = t.open();
    let first = decisions(1, card());
    log.write_batch(&first, None).unwrap();
    assert_eq!(
        t.kill_postgres_connections(),
        2,
        "the writer and the reader"
    );
    // The first statement on a killed connection may fail; the next one
    // runs on a new connection.
    let second = decisions(1, card());
    let wrote = (0..2).any(|_| log.write_batch(&second, None).is_ok());
    assert!(wrote, "writes resume after a reconnect");
    let read = (0..2).find_map(|_| log.get(&second[0].record.trans_num).ok());
    assert_eq!(read.flatten().unwrap().record, second[0].record);
    assert_eq!(log.count().unwrap(), 2);
}
