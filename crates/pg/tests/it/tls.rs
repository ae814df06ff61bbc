//! TLS to the local PostgreSQL, whose certificate (the Debian package's
//! self-signed "snakeoil" one, for `localhost`) serves as its own CA.

use vigie_pg::{ConnectError, connect};
use vigie_testkit::tls::{PgTls, pg_tls};

fn server(test: &str) -> Option<PgTls> {
    let Some(url) = std::env::var("VIGIE_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("skipped: {test} needs VIGIE_TEST_DATABASE_URL");
        return None;
    };
    let server = pg_tls(&url, test);
    if server.is_none() {
        eprintln!("skipped: {test}");
    }
    server
}

/// The error a connection attempt must give.
fn refusal(url: &str) -> ConnectError {
    match connect(url) {
        Ok(_) => panic!("connected to {url}"),
        Err(error) => error,
    }
}

/// Whether the session runs over TLS, as the server sees it.
fn over_tls(url: &str) -> bool {
    let mut client = connect(url).unwrap();
    client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0)
}

#[test]
fn sslmode_is_honoured_and_the_server_always_verified() {
    let Some(server) = server("sslmode_is_honoured_and_the_server_always_verified") else {
        return;
    };
    let root = format!("sslrootcert={}", server.certificate.display());

    // verify-full: the chain and the name (the certificate is for localhost).
    assert!(over_tls(
        &server.url("localhost", &format!("sslmode=verify-full&{root}"))
    ));
    assert!(over_tls(
        &server.url("localhost", &format!("sslmode=require&{root}"))
    ));
    // verify-ca: the chain only, so another name for the host will do.
    assert!(over_tls(
        &server.url("127.0.0.1", &format!("sslmode=verify-ca&{root}"))
    ));
    // Without TLS modes, no TLS (as before).
    assert!(!over_tls(&server.url("127.0.0.1", "sslmode=disable")));
    assert!(!over_tls(
        &server.url("127.0.0.1", "application_name=vigie-pg-test")
    ));

    // The name must match under verify-full and require.
    let error =
        refusal(&server.url("127.0.0.1", &format!("sslmode=verify-full&{root}"))).to_string();
    assert!(error.contains("not valid for name"), "{error}");
    // A CA that did not sign the server's certificate: refused, even under
    // `require` (which libpq would accept unverified).
    if let Some(other) = vigie_testkit::tls::certs("sslmode_is_honoured (another CA)") {
        let other_ca = format!("sslrootcert={}", other.ca.display());
        let error = refusal(&server.url("localhost", &format!("sslmode=require&{other_ca}")));
        assert!(error.to_string().contains("UnknownIssuer"), "{error}");
    }
    // A root file that is not there is named.
    let missing = server.url(
        "localhost",
        "sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
    );
    let error = refusal(&missing);
    assert!(matches!(error, ConnectError::Config { .. }), "{error:?}");
    assert!(error.to_string().contains("/nonexistent/ca.pem"), "{error}");
}
