//! `vigie stream score` against real NATS, Redis and PostgreSQL: worker
//! processes (the real binary) are started, killed with SIGKILL, crashed
//! at fault points and stopped with SIGTERM; the decision log, the card
//! states in Redis and the consumers are then compared with a clean
//! single-process run of the same engine.

use std::io::{Read, Write};
use std::time::Duration;

use crate::support::{stderr, stdout};
use crate::worker_support::{Run, services};

/// A free local port for a metrics endpoint.
pub fn free_addr() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// `GET /metrics` with a bare HTTP/1.0 request (empty while the endpoint
/// is not up yet).
pub fn scrape(addr: &str) -> String {
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
        return String::new();
    };
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out
}

/// The sum of a metric's series (`name{...} value` lines).
pub fn metric_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Polls `/metrics` until `name` reaches `value`.
pub fn wait_metric(addr: &str, name: &str, value: f64) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let text = scrape(addr);
        if metric_sum(&text, name) >= value {
            return text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{name} never reached {value}:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Polls until no message is pending on any partition consumer.
pub fn wait_nothing_pending(run: &Run) {
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    loop {
        let pending = run.pending();
        if pending == 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{pending} messages still pending"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Publishes one raw payload on a transaction subject.
fn publish_raw(run: &Run, subject: &str, payload: &'static [u8]) {
    run.with_jetstream(|js, _| async move {
        js.publish(subject.to_string(), payload.into())
            .await
            .unwrap()
            .await
            .unwrap();
    });
}

/// Reads the dead-letter stream's messages' reason headers.
pub fn dead_letter_reasons(run: &Run) -> Vec<String> {
    run.with_jetstream(|js, topology| async move {
        use futures_util::StreamExt;
        let stream = js.get_stream(&topology.dlq_stream).await.unwrap();
        let consumer = stream
            .create_consumer(async_nats::jetstream::consumer::pull::Config::default())
            .await
            .unwrap();
        let mut reasons = Vec::new();
        let mut messages = consumer
            .fetch()
            .max_messages(10_000)
            .messages()
            .await
            .unwrap();
        while let Some(Ok(m)) = messages.next().await {
            let reason = m
                .headers
                .as_ref()
                .and_then(|h| h.get(vigie_stream::nats::headers::REASON))
                .map(|v| v.as_str().to_string())
                .unwrap_or_default();
            reasons.push(reason);
        }
        reasons
    })
}

#[test]
fn one_worker_scores_every_transaction_once_like_a_clean_run() {
    let Some(services) = services("one_worker_scores_every_transaction_once_like_a_clean_run")
    else {
        return;
    };
    let mut run = Run::new(services, 3_000, 4);
    let n = run.txns.len();
    let report = run.publish(None);
    assert_eq!(report["published"], n as u64);
    publish_raw(&run, &format!("{}.tx.1", run.prefix), b"not json at all");
    let addr = free_addr();
    let worker = run.spawn_worker(&[], &["--metrics-addr", &addr]);
    let log = run.decision_log();
    run.wait_decided(&log, n, Duration::from_secs(120));
    let (expected, states) = run.expected();
    run.assert_decisions_match(&log, &expected, None);
    wait_nothing_pending(&run);
    run.assert_states_match(&states);
    let published = run.assert_published_match(&log);
    let copies: usize = published.values().map(Vec::len).sum();
    assert_eq!(
        copies, n,
        "one worker, no crash: each decision published once"
    );
    // `vigie stream decisions` prints each of them, once.
    let o = run.vigie.run(
        &[
            "stream",
            "decisions",
            "--nats",
            &run.services.nats,
            "--subject-prefix",
            &run.prefix,
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let mut printed: Vec<String> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["trans_num"].to_string())
        .collect();
    let mut wanted: Vec<String> = run
        .trans_nums()
        .iter()
        .map(|t| format!("\"{t}\""))
        .collect();
    printed.sort();
    wanted.sort();
    assert_eq!(printed, wanted);
    let text = wait_metric(&addr, "vigie_worker_acked_total", n as f64);
    assert_eq!(
        metric_sum(&text, "vigie_worker_scored_total"),
        n as f64,
        "{text}"
    );
    assert_eq!(
        metric_sum(&text, "vigie_worker_dead_lettered_total"),
        1.0,
        "{text}"
    );
    assert!(metric_sum(&text, "vigie_worker_publish_to_decision_seconds_count") >= n as f64);
    assert_eq!(dead_letter_reasons(&run), ["not_json"]);

    // The same file again: stored once (duplicates), scored once.
    let again = run.publish(None);
    assert_eq!(again["published"], 0);
    assert_eq!(again["duplicates"], n as u64);
    let text = scrape(&addr);
    assert_eq!(
        metric_sum(&text, "vigie_worker_scored_total"),
        n as f64,
        "{text}"
    );
    assert_eq!(run.terminate(worker), Some(0), "{}", run.log(worker));
}

/// Acknowledgements are cumulative, so a dead-lettered message must not be
/// acknowledged before the messages ahead of it in its batch are decided:
/// a crash after the dead-letter copy, before scoring, loses nothing.
#[test]
fn a_dead_letter_does_not_acknowledge_the_undecided_messages_before_it() {
    let Some(services) =
        services("a_dead_letter_does_not_acknowledge_the_undecided_messages_before_it")
    else {
        return;
    };
    let mut run = Run::new(services, 300, 1);
    let n = run.txns.len();
    run.publish(None);
    publish_raw(&run, &format!("{}.tx.0", run.prefix), b"not json at all");
    // One batch holds every good message and then the bad one; the worker
    // copies the bad one to the dead letters, then dies before scoring.
    let worker = run.spawn_worker(
        &[("VIGIE_FAULT", "before_scoring:1")],
        &["--batch-size", "1024"],
    );
    assert_eq!(
        run.wait_exit(worker, Duration::from_secs(60)),
        Some(137),
        "{}",
        run.log(worker)
    );
    let log = run.decision_log();
    assert_eq!(run.decided(&log), 0);
    run.spawn_worker(&[], &["--batch-size", "1024"]);
    run.wait_decided(&log, n, Duration::from_secs(120));
    wait_nothing_pending(&run);
    let (expected, states) = run.expected();
    run.assert_decisions_match(&log, &expected, None);
    run.assert_states_match(&states);
    // Copied twice (before and after the crash), stored once.
    assert_eq!(dead_letter_reasons(&run), ["not_json"]);
}

#[test]
fn kill_nine_five_times_during_a_50k_run_changes_nothing() {
    let Some(services) = services("kill_nine_five_times_during_a_50k_run_changes_nothing") else {
        return;
    };
    let mut run = Run::new(services, 50_000, 8);
    let n = run.txns.len();
    run.publish(None);
    let log = run.decision_log();
    let mut workers = [run.spawn_worker(&[], &[]), run.spawn_worker(&[], &[])];
    let mut seed = n as u64;
    for kill in 0..5 {
        // A random moment within the kill's sixth of the run.
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let sixth = n / 6;
        let at = sixth * (kill + 1) + (seed >> 33) as usize % sixth.max(1) / 2;
        run.wait_decided(&log, at, Duration::from_secs(180));
        let victim = (seed >> 40) as usize % 2;
        run.kill(workers[victim]);
        workers[victim] = run.spawn_worker(&[], &[]);
    }
    run.wait_decided(&log, n, Duration::from_secs(180));
    wait_nothing_pending(&run);
    let (expected, states) = run.expected();
    run.assert_decisions_match(&log, &expected, None);
    run.assert_states_match(&states);
    run.assert_published_match(&log);
}

#[test]
fn fault_points_each_end_with_every_transaction_scored_once() {
    let Some(services) = services("fault_points_each_end_with_every_transaction_scored_once")
    else {
        return;
    };
    let mut run = Run::new(services, 2_000, 2);
    let n = run.txns.len();
    run.publish(None);
    let log = run.decision_log();
    for point in [
        "before_scoring",
        "after_scoring",
        "after_commit",
        "after_state",
        "before_ack",
    ] {
        let fault = format!("{point}:3");
        let worker = run.spawn_worker(&[("VIGIE_FAULT", &fault)], &["--batch-size", "32"]);
        assert_eq!(
            run.wait_exit(worker, Duration::from_secs(60)),
            Some(137),
            "{point}: {}",
            run.log(worker)
        );
    }
    run.spawn_worker(&[], &[]);
    run.wait_decided(&log, n, Duration::from_secs(120));
    wait_nothing_pending(&run);
    let (expected, states) = run.expected();
    run.assert_decisions_match(&log, &expected, None);
    run.assert_states_match(&states);
    run.assert_published_match(&log);
}

#[test]
fn two_and_three_workers_decide_like_one() {
    for workers in [2, 3] {
        let Some(services) = services("two_and_three_workers_decide_like_one") else {
            return;
        };
        let mut run = Run::new(services, 6_000, 8);
        let n = run.txns.len();
        // Started before the publication, so batches are partial; the first
        // worker waits after each (`--linger-ms`), which changes nothing.
        for i in 0..workers {
            let linger: &[&str] = if i == 0 { &["--linger-ms", "20"] } else { &[] };
            run.spawn_worker(&[], linger);
        }
        run.publish(None);
        let log = run.decision_log();
        run.wait_decided(&log, n, Duration::from_secs(120));
        wait_nothing_pending(&run);
        let (expected, states) = run.expected();
        run.assert_decisions_match(&log, &expected, None);
        run.assert_states_match(&states);
    }
}

#[test]
fn a_redis_flush_mid_run_is_detected_and_the_states_rebuilt() {
    let Some(services) = services("a_redis_flush_mid_run_is_detected_and_the_states_rebuilt")
    else {
        return;
    };
    let mut run = Run::new(services, 4_000, 4);
    let text = std::fs::read_to_string(&run.csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let half = lines.len() / 2;
    let first = run.vigie.dir.path().join("first.csv");
    let second = run.vigie.dir.path().join("second.csv");
    std::fs::write(&first, lines[..half].join("\n") + "\n").unwrap();
    std::fs::write(
        &second,
        format!("{}\n{}\n", lines[0], lines[half..].join("\n")),
    )
    .unwrap();
    let published = run.publish(Some(&first))["published"].as_u64().unwrap() as usize;

    let addr = free_addr();
    run.spawn_worker(&[], &["--metrics-addr", &addr]);
    let log = run.decision_log();
    run.wait_decided(&log, published, Duration::from_secs(120));
    wait_nothing_pending(&run);

    // Lose every card state (and the epoch marker), as a FLUSHALL would.
    assert!(run.redis_store().purge_all().unwrap() > 0);
    run.publish(Some(&second));
    let n = run.txns.len();
    run.wait_decided(&log, n, Duration::from_secs(120));
    // The first rebuild is the start on an empty Redis; the second, the loss.
    let metrics = wait_metric(&addr, "vigie_worker_state_rebuilds_total", 2.0);
    assert!(
        metrics.contains("vigie_worker_degraded{dependency=\"state_lost\"} 0"),
        "{metrics}"
    );
    wait_nothing_pending(&run);

    let (expected, states) = run.expected();
    let after: Vec<_> = run.txns[published..].iter().map(|t| t.trans_num).collect();
    run.assert_decisions_match(&log, &expected, Some(&after));
    run.assert_states_match(&states);
}
