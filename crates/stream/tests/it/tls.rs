//! NATS over TLS: a private CA, mutual TLS, and the failures a wrong setup
//! gives, against a `nats-server` spawned with its own certificates.

use futures_util::StreamExt;
use vigie_stream::StreamError;
use vigie_stream::nats::{NatsTls, connect_with};

use crate::support::nats_url;
use vigie_testkit::tls::{certs, nats_server_program, tls_nats_server};

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
    let mutual = NatsTls {
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
        let no_client_cert = NatsTls {
            client_cert: None,
            ..mutual.clone()
        };
        let refused = connect_with(&url, "vigie-tls-test", &no_client_cert).await;
        let error = refused.unwrap_err();
        assert!(matches!(error, StreamError::Nats { .. }), "{error:?}");
        assert!(error.to_string().contains("Certificate"), "{error}");

        // Without the private CA the server's certificate is not trusted.
        let system_cas = NatsTls {
            ca_file: None,
            ..mutual.clone()
        };
        let untrusted = connect_with(&url, "vigie-tls-test", &system_cas).await;
        let error = untrusted.unwrap_err().to_string();
        assert!(error.contains("connecting to 127.0.0.1"), "{error}");
        assert!(error.contains("UnknownIssuer"), "{error}");

        // A CA file that does not exist is named before any connection.
        let missing = NatsTls {
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
