//! `vigie stream publish` and `vigie stream score` with every connection
//! over TLS: NATS and Redis requiring client certificates (`--nats-ca`,
//! `--nats-cert`, `--nats-key` from the environment; `rediss://` with
//! `--redis-ca`, `--redis-cert`, `--redis-key`), and the decision log on
//! PostgreSQL with `sslmode=verify-full` when the local server offers TLS.

use std::path::Path;
use std::time::Duration;

use vigie_stream::{RedisStateStore, TlsFiles};
use vigie_testkit::tls::{
    certs, nats_server_program, pg_tls, redis_server_program, tls_nats_server, tls_redis_server,
};

use crate::worker_support::{Run, services};

#[test]
fn a_worker_runs_with_every_connection_over_tls() {
    let test = "a_worker_runs_with_every_connection_over_tls";
    let Some(mut services) = services(test) else {
        return;
    };
    let (Some(nats_program), Some(redis_program), Some(certs)) = (
        nats_server_program(test),
        redis_server_program(test),
        certs(test),
    ) else {
        return;
    };
    let nats = tls_nats_server(&nats_program, &certs);
    let redis = tls_redis_server(&redis_program, &certs);
    let redis_url = format!("rediss://127.0.0.1:{}", redis.port);
    // The decision log over TLS too when the server offers it.
    let database = pg_tls(&services.database, test)
        .map_or_else(|| services.database.clone(), |pg| pg.verified_url(""));
    services.nats = format!("tls://127.0.0.1:{}", nats.port);
    let mut run = Run::new(services, 600, 2);
    let path = |p: &Path| p.to_str().unwrap().to_string();
    let (ca, cert, key) = (
        path(&certs.ca),
        path(&certs.client_cert),
        path(&certs.client_key),
    );
    run.extra_env = vec![
        ("VIGIE_NATS_CA", ca.clone()),
        ("VIGIE_NATS_CERT", cert.clone()),
        ("VIGIE_NATS_KEY", key.clone()),
    ];
    let n = run.txns.len();
    assert_eq!(run.publish(None)["published"], n as u64);
    let redis_tls = [
        "--redis-ca",
        ca.as_str(),
        "--redis-cert",
        cert.as_str(),
        "--redis-key",
        key.as_str(),
    ];
    run.spawn_worker_via(&redis_url, &database, &[], &redis_tls);
    let log = run.decision_log();
    run.wait_decided(&log, n, Duration::from_secs(120));
    let (expected, states) = run.expected();
    run.assert_decisions_match(&log, &expected, None);

    // The states are in the TLS Redis, as a clean run computes them.
    let mut config = run.redis_config();
    config.url = redis_url;
    config.tls = TlsFiles {
        ca_file: Some(certs.ca.clone()),
        client_cert: Some((certs.client_cert.clone(), certs.client_key.clone())),
    };
    let store = RedisStateStore::connect(&config).unwrap();
    store.adopt_epoch().unwrap();
    run.assert_states_in(&store, &states);
    assert!(run.terminate(0).is_some());
}
