//! The batch writer on both backends: flush, pending, batching triggers,
//! backpressure, retries, shutdown.

use std::time::Duration;

use vigie_decisions::{
    BatchWriter, BatchWriterOptions, DecisionError, DecisionLog, SubmitError, WriterHealth,
};

use crate::support::{Backend, TestLog, card, decisions, on_both_backends, wait_until};

on_both_backends!(
    flush_makes_decisions_durable_and_pending_answers_until_then,
    a_resubmission_keeps_the_first_decision,
    a_full_batch_or_the_delay_triggers_a_write,
    shutdown_drains_the_queue_and_refuses_later_submissions,
    a_full_queue_answers_backpressure,
    a_failing_database_is_retried_and_reported,
    shutdown_gives_up_when_the_database_keeps_failing,
    an_invalid_decision_is_dropped_alone,
);

/// The poll deadline for conditions that hold within milliseconds normally.
const PATIENCE: Duration = Duration::from_secs(30);

/// Writes only on flush, shutdown or a full batch of `max_batch`.
fn manual(max_batch: usize) -> BatchWriterOptions {
    BatchWriterOptions {
        max_batch,
        max_delay: Duration::from_secs(3_600),
        queue_capacity: 10_000,
        max_backoff: Duration::from_millis(20),
        shutdown_attempts: 2,
    }
}

fn writer(log: &DecisionLog, options: BatchWriterOptions) -> BatchWriter {
    BatchWriter::start(log.clone(), options).unwrap()
}

fn flush_makes_decisions_durable_and_pending_answers_until_then(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let w = writer(&log, manual(10_000));
    let batch = decisions(50, card());
    for d in &batch {
        w.submit(d.clone()).unwrap();
    }
    for d in &batch {
        assert_eq!(w.pending(&d.record.trans_num).as_ref(), Some(&d.record));
        assert_eq!(
            log.get(&d.record.trans_num).unwrap(),
            None,
            "not before the flush"
        );
    }
    assert_eq!(w.stats().pending, 50);
    w.flush().unwrap();
    for d in &batch {
        assert_eq!(w.pending(&d.record.trans_num), None);
        assert_eq!(
            log.get(&d.record.trans_num).unwrap().unwrap().record,
            d.record
        );
    }
    let stats = w.stats();
    assert_eq!(
        (stats.written, stats.pending, stats.queue_depth),
        (50, 0, 0)
    );
    assert_eq!(stats.batches, 1);
    assert_eq!(w.health(), WriterHealth::Healthy);
    // Nothing pending: a flush returns at once.
    w.flush().unwrap();
    w.shutdown().unwrap();
}

fn a_resubmission_keeps_the_first_decision(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let w = writer(&log, manual(10_000));
    let first = decisions(1, card()).remove(0);
    let mut retry = first.clone();
    retry.record.score = 0.001;
    w.submit(first.clone()).unwrap();
    w.submit(retry.clone()).unwrap();
    assert_eq!(
        w.pending(&first.record.trans_num),
        Some(first.record.clone())
    );
    w.flush().unwrap();
    // After the flush the log answers; a late retry changes nothing.
    w.submit(retry).unwrap();
    w.flush().unwrap();
    assert_eq!(
        log.get(&first.record.trans_num).unwrap().unwrap().record,
        first.record
    );
    let stats = w.stats();
    assert_eq!((stats.written, stats.duplicates), (1, 2));
    w.shutdown().unwrap();
}

fn a_full_batch_or_the_delay_triggers_a_write(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let by_size = writer(&log, manual(5));
    for d in decisions(5, card()) {
        by_size.submit(d).unwrap();
    }
    assert!(
        wait_until(PATIENCE, || log.count().unwrap() == 5),
        "a full batch is written"
    );

    let by_time = writer(
        &log,
        BatchWriterOptions {
            max_delay: Duration::from_millis(10),
            ..manual(10_000)
        },
    );
    let one = decisions(1, card()).remove(0);
    by_time.submit(one.clone()).unwrap();
    assert!(
        wait_until(PATIENCE, || log
            .get(&one.record.trans_num)
            .unwrap()
            .is_some()),
        "a lone decision is written after max_delay"
    );
    assert!(wait_until(PATIENCE, || by_time
        .pending(&one.record.trans_num)
        .is_none()));
    by_size.shutdown().unwrap();
    by_time.shutdown().unwrap();
}

fn shutdown_drains_the_queue_and_refuses_later_submissions(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let w = writer(&log, manual(7));
    let batch = decisions(40, card());
    for d in &batch {
        w.submit(d.clone()).unwrap();
    }
    let clone = w.clone();
    let stats = w.shutdown().unwrap();
    assert_eq!(stats.written, 40);
    assert_eq!(log.count().unwrap(), 40);
    assert_eq!(w.health(), WriterHealth::Stopped);
    let late = decisions(1, card()).remove(0);
    assert_eq!(clone.submit(late.clone()), Err(SubmitError::Closed));
    assert_eq!(clone.pending(&late.record.trans_num), None);
    assert!(matches!(clone.flush(), Err(DecisionError::Writer { .. })));
    // A second shutdown (from any clone) returns at once.
    assert_eq!(clone.shutdown().unwrap().written, 40);
}

/// Holds the database's write lock until dropped.
enum WriteLock {
    Sqlite(rusqlite::Connection),
    Postgres(Box<::postgres::Client>),
}

impl WriteLock {
    fn take(t: &TestLog) -> Self {
        match &t.config.database_url {
            None => {
                let conn = t.sqlite();
                conn.execute_batch("BEGIN IMMEDIATE").unwrap();
                Self::Sqlite(conn)
            }
            Some(url) => {
                let mut client = ::postgres::Client::connect(url, ::postgres::NoTls).unwrap();
                client
                    .batch_execute("BEGIN; LOCK TABLE decisions IN ACCESS EXCLUSIVE MODE")
                    .unwrap();
                Self::Postgres(Box::new(client))
            }
        }
    }

    fn release(self) {
        match self {
            Self::Sqlite(conn) => conn.execute_batch("COMMIT").unwrap(),
            Self::Postgres(mut client) => client.batch_execute("COMMIT").unwrap(),
        }
    }
}

fn a_full_queue_answers_backpressure(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let w = writer(
        &log,
        BatchWriterOptions {
            queue_capacity: 2,
            ..manual(1)
        },
    );
    let lock = WriteLock::take(&t);
    // The writer holds at most one decision (blocked on the lock) and the
    // queue two: of four submissions at least one is refused.
    let batch = decisions(4, card());
    let results: Vec<_> = batch.iter().map(|d| w.submit(d.clone())).collect();
    let refused = results
        .iter()
        .filter(|r| **r == Err(SubmitError::Backpressure))
        .count();
    assert!(refused >= 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|r| r.is_ok() || *r == Err(SubmitError::Backpressure))
    );
    for (d, r) in batch.iter().zip(&results) {
        assert_eq!(w.pending(&d.record.trans_num).is_some(), r.is_ok());
    }
    lock.release();
    w.flush().unwrap();
    for (d, r) in batch.iter().zip(&results) {
        assert_eq!(log.get(&d.record.trans_num).unwrap().is_some(), r.is_ok());
    }
    // Once drained, the queue accepts again.
    let more = decisions(1, card()).remove(0);
    w.submit(more).unwrap();
    w.shutdown().unwrap();
}

fn a_failing_database_is_retried_and_reported(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let (create, drop) = t.failing_trigger("decisions", "1 = 1");
    t.raw_sql(&create);
    let w = writer(
        &log,
        BatchWriterOptions {
            max_delay: Duration::from_millis(1),
            ..manual(10_000)
        },
    );
    let batch = decisions(3, card());
    for d in &batch {
        w.submit(d.clone()).unwrap();
    }
    assert!(
        wait_until(PATIENCE, || w.stats().failures >= 2),
        "the writer retries"
    );
    match w.health() {
        WriterHealth::Retrying {
            consecutive_failures,
            last_error,
        } => {
            assert!(consecutive_failures >= 1);
            assert!(last_error.contains("injected failure"), "{last_error}");
        }
        other => panic!("expected Retrying, got {other:?}"),
    }
    // The batch is kept: still answered while failing.
    for d in &batch {
        assert_eq!(w.pending(&d.record.trans_num).as_ref(), Some(&d.record));
    }
    t.raw_sql(&drop);
    w.flush().unwrap();
    assert_eq!(log.count().unwrap(), 3);
    assert_eq!(w.health(), WriterHealth::Healthy);
    assert_eq!(w.stats().written, 3);
    w.shutdown().unwrap();
}

fn shutdown_gives_up_when_the_database_keeps_failing(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let (create, _) = t.failing_trigger("decisions", "1 = 1");
    t.raw_sql(&create);
    let w = writer(&log, manual(10_000));
    let batch = decisions(2, card());
    for d in &batch {
        w.submit(d.clone()).unwrap();
    }
    let err = w.shutdown().unwrap_err();
    assert!(err.to_string().contains("2 decisions"), "{err}");
    let stats = w.stats();
    assert_eq!((stats.dropped, stats.written, stats.pending), (2, 0, 0));
}

fn an_invalid_decision_is_dropped_alone(backend: Backend) {
    let Some(t) = TestLog::new(backend) else {
        return;
    };
    let log = t.open();
    let w = writer(&log, manual(10_000));
    let mut batch = decisions(3, card());
    batch[1].record.score = f64::NAN;
    for d in &batch {
        w.submit(d.clone()).unwrap();
    }
    w.flush().unwrap();
    assert!(log.get(&batch[0].record.trans_num).unwrap().is_some());
    assert!(log.get(&batch[1].record.trans_num).unwrap().is_none());
    assert!(log.get(&batch[2].record.trans_num).unwrap().is_some());
    let stats = w.stats();
    assert_eq!((stats.written, stats.dropped, stats.pending), (2, 1, 0));
    w.shutdown().unwrap();
}
