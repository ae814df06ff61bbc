//! The worker when Redis or PostgreSQL goes away (cut with a TCP proxy):
//! it stops deciding, says so in its metrics, and resumes by itself when
//! the dependency returns, with the same decisions as a clean run. And a
//! message that fails on its own (here: its card's stored state is corrupt)
//! is dead-lettered instead of blocking its partition.

use std::time::Duration;

use crate::proxy::Proxy;
use crate::worker::{
    dead_letter_reasons, free_addr, metric_sum, scrape, wait_metric, wait_nothing_pending,
};
use crate::worker_support::{Run, services};

/// `host:port` of a URL (no credentials in the test URLs).
fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    rest.split('/').next().unwrap().to_string()
}

/// `url` with its host and port replaced by the proxy's.
fn through(url: &str, proxy: &Proxy) -> String {
    url.replacen(&host_port(url), &format!("127.0.0.1:{}", proxy.port), 1)
}

/// Polls `/metrics` until the dependency's `degraded` gauge is `value`.
fn wait_degraded(addr: &str, dependency: &str, value: u8) {
    let line = format!("vigie_worker_degraded{{dependency=\"{dependency}\"}} {value}");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let text = scrape(addr);
        if text.lines().any(|l| l == line) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never saw `{line}`:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Polls `/metrics` until an unlabelled gauge equals `value`.
fn wait_gauge(addr: &str, name: &str, value: u64) {
    let line = format!("{name} {value}");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let text = scrape(addr);
        if text.lines().any(|l| l == line) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never saw `{line}`:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_dependency_going_away_stops_decisions_until_it_returns() {
    let Some(services) = services("a_dependency_going_away_stops_decisions_until_it_returns")
    else {
        return;
    };
    let mut run = Run::new(services.clone(), 3_000, 4);
    let text = std::fs::read_to_string(&run.csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let third = lines.len() / 3;
    let parts: Vec<std::path::PathBuf> = (0..3)
        .map(|i| {
            let path = run.vigie.dir.path().join(format!("part{i}.csv"));
            let end = if i == 2 { lines.len() } else { third * (i + 1) };
            let body = lines[(third * i).max(1)..end].join("\n");
            std::fs::write(&path, format!("{}\n{body}\n", lines[0])).unwrap();
            path
        })
        .collect();
    let redis = Proxy::start(&host_port(&services.redis));
    let database = Proxy::start(&host_port(&services.database));
    let addr = free_addr();
    run.spawn_worker_via(
        &through(&services.redis, &redis),
        &through(&services.database, &database),
        &[],
        &["--metrics-addr", &addr],
    );
    let log = run.decision_log();
    let mut published = run.publish(Some(&parts[0]))["published"].as_u64().unwrap() as usize;
    run.wait_decided(&log, published, Duration::from_secs(60));

    for (proxy, dependency, part) in [
        (&database, "postgres", &parts[1]),
        (&redis, "redis", &parts[2]),
    ] {
        proxy.set_down(true);
        published += run.publish(Some(part))["published"].as_u64().unwrap() as usize;
        wait_degraded(&addr, dependency, 1);
        let before = run.decided(&log);
        if dependency == "postgres" {
            // The worker keeps checking while it is away (two more checks).
            let checks = metric_sum(&scrape(&addr), "vigie_worker_failed_checks_total");
            wait_metric(&addr, "vigie_worker_failed_checks_total", checks + 2.0);
        } else {
            // Leases cannot be renewed: every partition is given up.
            wait_gauge(&addr, "vigie_worker_partitions_owned", 0);
        }
        assert_eq!(
            run.decided(&log),
            before,
            "{dependency} away, yet decisions were logged"
        );
        assert!(before < published);
        proxy.set_down(false);
        run.wait_decided(&log, published, Duration::from_secs(90));
        wait_degraded(&addr, dependency, 0);
    }
    wait_nothing_pending(&run);
    let (expected, states) = run.expected();
    run.assert_decisions_match(&log, &expected, None);
    run.assert_states_match(&states);
}

#[test]
fn a_message_failing_on_its_own_is_dead_lettered_and_the_partition_moves_on() {
    let Some(services) =
        services("a_message_failing_on_its_own_is_dead_lettered_and_the_partition_moves_on")
    else {
        return;
    };
    let mut run = Run::new(services.clone(), 1_500, 2);
    let addr = free_addr();
    run.spawn_worker(&[], &["--metrics-addr", &addr, "--batch-size", "64"]);
    wait_gauge(&addr, "vigie_worker_partitions_owned", 2);
    // Corrupt one card's stored state.
    let victim = run.txns[0].card;
    let key = vigie_stream::KeyLayout::new(&run.redis_prefix).card(&victim);
    let mut redis = redis::Client::open(services.redis.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    redis::cmd("SET")
        .arg(&key)
        .arg(b"not a card state".as_slice())
        .query::<()>(&mut redis)
        .unwrap();
    run.publish(None);
    let (victims, others): (Vec<_>, Vec<_>) =
        run.txns.iter().partition::<Vec<_>, _>(|t| t.card == victim);
    let (victims, others): (Vec<_>, Vec<_>) = (
        victims.iter().map(|t| t.trans_num).collect(),
        others.iter().map(|t| t.trans_num).collect(),
    );
    let log = run.decision_log();
    run.wait_decided(&log, others.len(), Duration::from_secs(120));
    wait_nothing_pending(&run);
    assert_eq!(run.decided(&log), others.len(), "a victim was decided");
    let reasons = dead_letter_reasons(&run);
    assert_eq!(reasons.len(), victims.len(), "{reasons:?}");
    assert!(
        reasons.iter().all(|r| r == "processing_failed"),
        "{reasons:?}"
    );
    let (expected, _) = run.expected();
    run.assert_decisions_match(&log, &expected, Some(&others));
}
