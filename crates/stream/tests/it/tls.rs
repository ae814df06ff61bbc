//! NATS and Redis over TLS: a private CA, mutual TLS, and the failures a
//! wrong setup gives, against a `nats-server` and a `redis-server` spawned
//! with certificates made for the test.

use futures_util::StreamExt;
use vigie_stream::nats::connect_with;
use vigie_stream::{RedisConfig, RedisStateStore, StreamError, TlsFiles};
use vigie_testkit::build_transaction;
use vigie_testkit::tls::{
    certs, nats_server_program, redis_server_program, tls_nats_server, tls_redis_server,
};
use vigie_types::Category;

use crate::support::{nats_url, redis_url, unique};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn nats_over_mutual_tls_with_a_private_ca() {
    let test = "nats_over_mutual_tls_with_a_private_ca";
    // The local NATS service stands for "this machine runs NATS tests".
    let Some(_) = nats_url(test) else { return };
    let (Some(program), Some(certs)) = (nats_server_program(test), certs(test)) else {
        return;
    };
    let server = tls_nats_server(&program, &certs);
    let url = format!("nats://127.0.0.1:{}", server.port);
    let mutual = TlsFiles {
        ca_file: Some(certs.ca.clone()),
        client_cert: Some((certs.client_cert.clone(), certs.client_key.clone())),
    };
    runtime().block_on(async {
        // The CA and a client certificate: a working connection.
        let client = connect_with(&url, "vigie-tls-test", &mutual).await.unwrap();
        let mut inbox = client.subscribe("vigie.tls.echo").await.unwrap();
        client
            .publish("vigie.tls.echo", "over tls".into())
            .await
            .unwrap();
        client.flush().await.unwrap();
        let message = inbox.next().await.unwrap();
        assert_eq!(&message.payload[..], b"over tls");

        // The same with a tls:// URL.
        let tls_url = format!("tls://127.0.0.1:{}", server.port);
        connect_with(&tls_url, "vigie-tls-test", &mutual)
            .await
            .unwrap();

        // Without the client certificate the server refuses the client.
        let no_client_cert = TlsFiles {
            client_cert: None,
            ..mutual.clone()
        };
        let refused = connect_with(&url, "vigie-tls-test", &no_client_cert).await;
        let error = refused.unwrap_err();
        assert!(matches!(error, StreamError::Nats { .. }), "{error:?}");
        assert!(error.to_string().contains("Certificate"), "{error}");

        // Without the private CA the server's certificate is not trusted.
        let system_cas = TlsFiles {
            ca_file: None,
            ..mutual.clone()
        };
        let untrusted = connect_with(&url, "vigie-tls-test", &system_cas).await;
        let error = untrusted.unwrap_err().to_string();
        assert!(error.contains("connecting to 127.0.0.1"), "{error}");
        assert!(error.contains("UnknownIssuer"), "{error}");

        // A CA file that does not exist is named before any connection.
        let missing = TlsFiles {
            ca_file: Some(certs.dir.path().join("nope.pem")),
            ..mutual.clone()
        };
        let error = connect_with(&url, "vigie-tls-test", &missing)
            .await
            .unwrap_err();
        assert!(matches!(error, StreamError::Config { .. }), "{error:?}");
        assert!(error.to_string().contains("nope.pem"), "{error}");
    });
}

#[test]
fn redis_over_mutual_tls_with_a_private_ca() {
    let test = "redis_over_mutual_tls_with_a_private_ca";
    // The local Redis service stands for "this machine runs Redis tests".
    let Some(_) = redis_url(test) else { return };
    let (Some(program), Some(certs)) = (redis_server_program(test), certs(test)) else {
        return;
    };
    let server = tls_redis_server(&program, &certs);
    let mutual = TlsFiles {
        ca_file: Some(certs.ca.clone()),
        client_cert: Some((certs.client_cert.clone(), certs.client_key.clone())),
    };
    let config = |url: String, tls: TlsFiles| {
        let mut config = RedisConfig::new(url);
        config.key_prefix = unique("tls");
        config.tls = tls;
        config
    };
    let tls_url = format!("rediss://127.0.0.1:{}", server.port);

    // The CA and a client certificate: the store works over TLS.
    let store = RedisStateStore::connect(&config(tls_url.clone(), mutual.clone())).unwrap();
    store.initialise().unwrap();
    let txn = build_transaction(1, 1_600_000_000, 1_234, Category::ALL[0], 1, 4242, false);
    store
        .update(&txn.txn.card, &mut |state| {
            state.update(&txn.txn);
        })
        .unwrap();
    let loaded = store.load(&txn.txn.card).unwrap().unwrap();
    let mut expected = vigie_features::CardState::default();
    expected.update(&txn.txn);
    assert_eq!(loaded, expected);
    store.check().unwrap();

    // Without the client certificate the server refuses the client.
    let no_client_cert = TlsFiles {
        client_cert: None,
        ..mutual.clone()
    };
    let refused = RedisStateStore::connect(&config(tls_url.clone(), no_client_cert));
    assert!(
        matches!(refused, Err(StreamError::Redis { .. })),
        "{refused:?}"
    );

    // Without the private CA the server's certificate is not trusted.
    let system_cas = TlsFiles {
        ca_file: None,
        ..mutual.clone()
    };
    let untrusted = RedisStateStore::connect(&config(tls_url.clone(), system_cas));
    let error = untrusted.unwrap_err().to_string();
    assert!(error.contains("UnknownIssuer"), "{error}");

    // TLS files with a plain redis:// URL are a configuration error.
    let plain = format!("redis://127.0.0.1:{}", server.port);
    let error = RedisStateStore::connect(&config(plain, mutual.clone())).unwrap_err();
    assert!(matches!(error, StreamError::Config { .. }), "{error:?}");
    assert!(error.to_string().contains("rediss://"), "{error}");

    // A client key that does not exist is named before any connection.
    let missing = TlsFiles {
        client_cert: Some((certs.client_cert.clone(), certs.dir.path().join("gone.key"))),
        ..mutual.clone()
    };
    let error = RedisStateStore::connect(&config(tls_url, missing)).unwrap_err();
    assert!(matches!(error, StreamError::Config { .. }), "{error:?}");
    assert!(error.to_string().contains("gone.key"), "{error}");
}
