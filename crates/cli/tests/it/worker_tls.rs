//! `vigie stream score` keeping card states in a Redis reached over mutual
//! TLS (`rediss://`, `--redis-ca`, `--redis-cert`, `--redis-key`).

use std::time::Duration;

use vigie_features::StateStore;
use vigie_stream::{RedisStateStore, TlsFiles};
use vigie_testkit::tls::{certs, redis_server_program, tls_redis_server};

use crate::worker_support::{Run, services};

#[test]
fn a_worker_keeps_card_states_in_redis_over_mutual_tls() {
    let test = "a_worker_keeps_card_states_in_redis_over_mutual_tls";
    let Some(services) = services(test) else {
        return;
    };
    let (Some(program), Some(certs)) = (redis_server_program(test), certs(test)) else {
        return;
    };
    let server = tls_redis_server(&program, &certs);
    let redis = format!("rediss://127.0.0.1:{}", server.port);
    let database = services.database.clone();
    let mut run = Run::new(services, 600, 2);
    let n = run.txns.len();
    assert_eq!(run.publish(None)["published"], n as u64);
    let path = |p: &std::path::Path| p.to_str().unwrap().to_string();
    let (ca, cert, key) = (
        path(&certs.ca),
        path(&certs.client_cert),
        path(&certs.client_key),
    );
    let tls_args = [
        "--redis-ca",
        ca.as_str(),
        "--redis-cert",
        cert.as_str(),
        "--redis-key",
        key.as_str(),
    ];
    run.spawn_worker_via(&redis, &database, &[], &tls_args);
    let log = run.decision_log();
    run.wait_decided(&log, n, Duration::from_secs(120));
    let (expected, states) = run.expected();
    run.assert_decisions_match(&log, &expected, None);

    // The states are in the TLS server, as a clean run computes them.
    let mut config = run.redis_config();
    config.url = redis;
    config.tls = TlsFiles {
        ca_file: Some(certs.ca.clone()),
        client_cert: Some((certs.client_cert.clone(), certs.client_key.clone())),
    };
    let store = RedisStateStore::connect(&config).unwrap();
    store.adopt_epoch().unwrap();
    let mut cards: Vec<_> = run.txns.iter().map(|t| t.card).collect();
    cards.sort_by_key(|c| *c.digest());
    cards.dedup();
    let loaded = store.load_many(&cards).unwrap();
    assert_eq!(loaded.len(), cards.len());
    for state in loaded.iter() {
        assert_eq!(
            Some(state.state.clone()),
            states.get(&state.card).unwrap(),
            "a card's state differs from the clean run's"
        );
    }
    assert!(run.terminate(0).is_some());
}
