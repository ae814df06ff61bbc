//! The replay against the scoring double: order, pacing counts, latency
//! from the intended send time, errors, the in-flight cap, the JSON report.

use std::time::Duration;

use tokio::sync::watch;
use vigie_loadgen::{ReplayError, ReplayOptions, replay};

use crate::support::{self, Behaviour, decision_for};

fn options(url: &str, file: &std::path::Path, rate: f64) -> ReplayOptions {
    let mut options = ReplayOptions::new(url, file, rate);
    options.connections = 4;
    options
}

#[test]
fn every_row_is_sent_once_in_event_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = support::rows(200);
    // Out of order on disk: reversed halves.
    rows[..100].reverse();
    rows[100..].reverse();
    let file = support::write_csv(&dir, &rows);
    let double = support::start(Behaviour::default());
    let mut opts = options(&double.url, &file, 2000.0);
    opts.connections = 1;

    let report = replay(&opts, |_| {}).unwrap();

    assert_eq!(double.rows(), (0..200).collect::<Vec<_>>());
    assert_eq!(double.seen.lock().unwrap().malformed, 0);
    assert!(report.resorted);
    assert_eq!(
        (report.planned, report.sent, report.answered, report.scored),
        (200, 200, 200, 200)
    );
    assert_eq!(report.error_total, 0);
}

#[test]
fn many_connections_still_send_each_row_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = support::write_csv(&dir, &support::rows(600));
    let double = support::start(Behaviour::default());
    let mut opts = options(&double.url, &file, 5000.0);
    opts.connections = 16;

    let report = replay(&opts, |_| {}).unwrap();

    let mut seen = double.rows();
    seen.sort_unstable();
    assert_eq!(seen, (0..600).collect::<Vec<_>>());
    assert_eq!(report.answered, 600);
    assert_eq!(report.statuses.get("200"), Some(&600));
}

#[test]
fn limit_sends_exactly_the_first_rows() {
    let dir = tempfile::tempdir().unwrap();
    let file = support::write_csv(&dir, &support::rows(100));
    let double = support::start(Behaviour::default());
    let mut opts = options(&double.url, &file, 1000.0);
    opts.limit = Some(30);

    let report = replay(&opts, |_| {}).unwrap();

    let mut seen = double.rows();
    seen.sort_unstable();
    assert_eq!(seen, (0..30).collect::<Vec<_>>());
    assert_eq!((report.planned, report.sent), (30, 30));
}

#[test]
fn duration_bounds_the_count_at_rate_times_duration() {
    let dir = tempfile::tempdir().unwrap();
    let file = support::write_csv(&dir, &support::rows(300));
    let double = support::start(Behaviour::default());
    let mut opts = options(&double.url, &file, 400.0);
    opts.duration = Some(Duration::from_millis(250));

    let report = replay(&opts, |_| {}).unwrap();

    assert_eq!(double.rows().len(), 100);
    assert_eq!(
        (report.planned, report.sent, report.answered),
        (100, 100, 100)
    );
}

#[test]
fn a_server_stall_shows_in_the_percentiles_measured_from_the_intended_time() {
    let dir = tempfile::tempdir().unwrap();
    let file = support::write_csv(&dir, &support::rows(100));
    let stall = Duration::from_millis(400);
    let double = support::start(Behaviour {
        stall: Some((20, stall)),
        ..Behaviour::default()
    });
    // One connection at 100/s: the 40 requests due during the stall queue
    // behind it, as they would behind a stalled server.
    let mut opts = options(&double.url, &file, 100.0);
    opts.connections = 1;

    let report = replay(&opts, |_| {}).unwrap();

    let stall_us = stall.as_micros() as u64;
    assert_eq!(report.answered, 100);
    assert!(report.latency_us.max >= stall_us, "{:?}", report.latency_us);
    assert!(
        report.latency_us.p99 >= stall_us / 2,
        "{:?}",
        report.latency_us
    );
    assert!(
        report.latency_us.p90 >= stall_us / 4,
        "{:?}",
        report.latency_us
    );
    // A closed-loop measurement sees one slow request only.
    assert!(report.service_time_us.max >= stall_us);
    assert!(
        report.service_time_us.p90 < report.latency_us.p90,
        "{report:?}"
    );
    assert!(
        report.send_lag_us.p90 >= stall_us / 4,
        "{:?}",
        report.send_lag_us
    );
}

#[test]
fn error_answers_are_counted_by_status_and_kind() {
    let dir = tempfile::tempdir().unwrap();
    let file = support::write_csv(&dir, &support::rows(100));
    let double = support::start(Behaviour {
        fail_every: Some(5),
        ..Behaviour::default()
    });

    let report = replay(&options(&double.url, &file, 2000.0), |_| {}).unwrap();

    assert_eq!(report.answered, 100);
    assert_eq!(report.statuses.get("500"), Some(&20));
    assert_eq!(report.statuses.get("200"), Some(&80));
    assert_eq!(report.errors.get("http_status"), Some(&20));
    assert_eq!(report.error_total, 20);
    assert_eq!(report.scored, 80);
    let decided = report.decisions.allow + report.decisions.review + report.decisions.block;
    assert_eq!(decided, 80);
}

#[test]
fn the_in_flight_cap_drops_and_counts_instead_of_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let file = support::write_csv(&dir, &support::rows(60));
    let (open, hold) = watch::channel(false);
    let double = support::start(Behaviour {
        hold: Some(hold),
        ..Behaviour::default()
    });
    let mut opts = options(&double.url, &file, 500.0);
    opts.connections = 2;
    opts.max_in_flight = 4;

    // The server holds every answer until the client reports a drop.
    let report = replay(&opts, |progress| {
        if progress.errors > 0 {
            let _ = open.send(true);
        }
    })
    .unwrap();

    let dropped = report.errors.get("in_flight_cap").copied().unwrap_or(0);
    assert!(dropped >= 1, "{report:?}");
    assert_eq!(report.sent + dropped, 60);
    assert_eq!(report.answered, report.sent);
    assert_eq!(double.rows().len() as u64, report.sent);
}

#[test]
fn json_report_has_the_documented_fields_and_the_confusion() {
    let dir = tempfile::tempdir().unwrap();
    let rows = support::rows(140);
    let file = support::write_csv(&dir, &rows);
    let double = support::start(Behaviour::default());
    let mut opts = options(&double.url, &file, 3000.0);
    opts.api_key = Some("k-123".into());

    let mut calls = 0;
    let report = replay(&opts, |_| calls += 1).unwrap();
    let json = serde_json::to_value(&report).unwrap();

    assert!(calls >= 1, "the final progress call is always made");
    for key in [
        "url",
        "file",
        "requested_rate",
        "achieved_rate",
        "duration_s",
        "planned",
        "sent",
        "answered",
        "scored",
        "statuses",
        "errors",
        "error_total",
        "latency_us",
        "service_time_us",
        "send_lag_us",
        "server_latency_us",
        "decisions",
        "confusion",
        "warmup_excluded",
        "connections",
        "resorted",
    ] {
        assert!(json.get(key).is_some(), "missing {key}: {json}");
    }
    for key in ["count", "mean", "p50", "p90", "p99", "p99_9", "max"] {
        assert!(
            json["latency_us"].get(key).is_some(),
            "missing latency_us.{key}"
        );
    }
    assert_eq!(json["requested_rate"], 3000.0);
    assert_eq!(json["server_latency_us"]["p50"], 42);
    assert_eq!(json["latency_us"]["count"], 140);
    assert!(report.achieved_rate > 0.0);

    let count = |pick: &dyn Fn(&support::FixtureRow) -> bool| {
        rows.iter().filter(|row| pick(row)).count() as u64
    };
    let confusion = report.confusion.unwrap();
    assert_eq!(confusion.frauds, count(&|r| r.is_fraud));
    assert_eq!(
        confusion.caught,
        count(&|r| r.is_fraud && decision_for(r.amount) != "allow")
    );
    assert_eq!(
        confusion.blocked,
        count(&|r| r.is_fraud && decision_for(r.amount) == "block")
    );
    assert_eq!(confusion.legitimate, count(&|r| !r.is_fraud));
    assert_eq!(
        confusion.false_positives,
        count(&|r| !r.is_fraud && decision_for(r.amount) != "allow")
    );
    assert_eq!(
        report.decisions.block,
        count(&|r| decision_for(r.amount) == "block")
    );

    let seen = double.seen.lock().unwrap();
    assert_eq!(seen.authorization.len(), 140);
    assert!(seen.authorization.iter().all(|a| a == "Bearer k-123"));
}

#[test]
fn warmup_answers_are_counted_but_not_in_the_percentiles() {
    let dir = tempfile::tempdir().unwrap();
    let file = support::write_csv(&dir, &support::rows(50));
    let double = support::start(Behaviour::default());
    let mut opts = options(&double.url, &file, 1000.0);
    opts.warmup = Duration::from_secs(3600);

    let report = replay(&opts, |_| {}).unwrap();

    assert_eq!(report.answered, 50);
    assert_eq!(report.warmup_excluded, 50);
    assert_eq!(report.latency_us.count, 0);
    assert_eq!(
        report.decisions.allow + report.decisions.review + report.decisions.block,
        50
    );
}

#[test]
fn an_unreachable_target_fails_before_the_clock_starts() {
    let dir = tempfile::tempdir().unwrap();
    let file = support::write_csv(&dir, &support::rows(5));
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let opts = options(&format!("http://127.0.0.1:{port}"), &file, 100.0);

    let err = replay(&opts, |_| {}).unwrap_err();

    assert!(matches!(err, ReplayError::Connect { .. }), "{err}");
}

#[test]
fn timeouts_count_from_the_intended_time_and_expired_requests_are_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    let file = support::write_csv(&dir, &support::rows(50));
    let (_never_opened, hold) = watch::channel(false);
    let double = support::start(Behaviour {
        hold: Some(hold),
        ..Behaviour::default()
    });
    // All 50 fall due within 50 µs; the first one sent is held past the
    // timeout, by which time the others have expired while waiting.
    let mut opts = options(&double.url, &file, 1_000_000.0);
    opts.connections = 1;
    opts.timeout = Duration::from_millis(300);

    let report = replay(&opts, |_| {}).unwrap();

    assert_eq!(report.errors.get("timeout"), Some(&50), "{report:?}");
    assert_eq!(report.answered, 0);
    assert!(report.sent >= 1 && report.sent < 50, "{report:?}");
}
