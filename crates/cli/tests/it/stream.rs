//! `vigie stream publish` through the real binary, against the local NATS
//! JetStream (`VIGIE_TEST_NATS_URL`; skipped when unset).

use std::net::TcpListener;

use vigie_stream::nats::{Topology, connect, jetstream_context};

use crate::support::{Vigie, stderr, stdout};

/// Deletes a topology's streams when dropped, even if the test failed.
struct DeleteStreams {
    url: String,
    topology: Topology,
}

impl Drop for DeleteStreams {
    fn drop(&mut self) {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async {
            if let Ok(client) = connect(&self.url, "vigie-cli-tests").await {
                let js = jetstream_context(client, 1);
                for name in self.topology.stream_names() {
                    let _ = js.delete_stream(name).await;
                }
            }
        });
    }
}

fn publish(vigie: &Vigie, file: &str, url: &str, prefix: &str) -> serde_json::Value {
    let o = vigie.run(
        &[
            "stream",
            "publish",
            file,
            "--nats",
            url,
            "--subject-prefix",
            prefix,
            "--partitions",
            "4",
            "--json",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(stdout(&o).trim()).unwrap()
}

#[test]
fn publishing_a_file_twice_reports_duplicates() {
    let Some(url) = std::env::var("VIGIE_TEST_NATS_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("skipped: publishing_a_file_twice_reports_duplicates needs VIGIE_TEST_NATS_URL");
        return;
    };
    let vigie = Vigie::new();
    let csv = vigie.generate(10);
    let csv = csv.to_str().unwrap();
    let prefix = format!("vigie-cli-test.p{}x{:08x}", std::process::id(), nanos());
    let topology = Topology::new(prefix.as_str(), 4).unwrap();
    let _cleanup = DeleteStreams {
        url: url.clone(),
        topology: topology.clone(),
    };

    let first = publish(&vigie, csv, &url, &prefix);
    let rows = first["rows_read"].as_u64().unwrap();
    assert!(rows > 100, "{first}");
    assert_eq!(first["published"], rows);
    assert_eq!(first["duplicates"], 0);
    let created: Vec<&str> = first["streams"]["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap())
        .collect();
    assert_eq!(created, topology.stream_names());
    assert_eq!(first["durability"]["sync"], "unknown");

    let second = publish(&vigie, csv, &url, &prefix);
    assert_eq!(
        (second["published"].as_u64(), second["duplicates"].as_u64()),
        (Some(0), Some(rows))
    );

    // The ingested Parquet file of the same data, tokenised with the same
    // data-directory key: the same messages, all duplicates.
    let o = vigie.run(&["ingest", csv, "--json"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ingested: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let parquet = ingested["output"].as_str().unwrap();
    let third = publish(&vigie, parquet, &url, &prefix);
    assert_eq!(
        (third["published"].as_u64(), third["duplicates"].as_u64()),
        (Some(0), Some(rows))
    );
}

fn nanos() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
}

#[test]
fn an_unreachable_server_or_a_bad_topology_fails_clearly() {
    let vigie = Vigie::new();
    let csv = vigie.generate(3);
    let csv = csv.to_str().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let closed = format!("nats://127.0.0.1:{port}");
    let o = vigie.run(&["stream", "publish", csv, "--nats", &closed], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("connecting to 127.0.0.1"),
        "{}",
        stderr(&o)
    );

    let o = vigie.run(
        &[
            "stream",
            "publish",
            csv,
            "--nats",
            &closed,
            "--partitions",
            "0",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("partitions must be 1 to 1024"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn publishing_over_mutual_tls_needs_the_ca_and_the_client_certificate() {
    let test = "publishing_over_mutual_tls_needs_the_ca_and_the_client_certificate";
    // The local NATS service stands for "this machine runs NATS tests".
    if std::env::var("VIGIE_TEST_NATS_URL").map_or(true, |u| u.is_empty()) {
        eprintln!("skipped: {test} needs VIGIE_TEST_NATS_URL");
        return;
    }
    let (Some(program), Some(certs)) = (
        vigie_testkit::tls::nats_server_program(test),
        vigie_testkit::tls::certs(test),
    ) else {
        return;
    };
    let server = vigie_testkit::tls::tls_nats_server(&program, &certs);
    let url = format!("tls://127.0.0.1:{}", server.port);
    let vigie = Vigie::new();
    let csv = vigie.generate(3);
    let csv = csv.to_str().unwrap();
    let (ca, cert, key) = (
        certs.ca.to_str().unwrap(),
        certs.client_cert.to_str().unwrap(),
        certs.client_key.to_str().unwrap(),
    );
    let base = ["stream", "publish", csv, "--nats", &url, "--json"];

    let args: Vec<&str> = base
        .iter()
        .copied()
        .chain(["--nats-ca", ca, "--nats-cert", cert, "--nats-key", key])
        .collect();
    let o = vigie.run(&args, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert!(report["published"].as_u64().unwrap() > 0, "{report}");

    // The same from the environment.
    let o = vigie.run(
        &base,
        &[
            ("VIGIE_NATS_CA", ca),
            ("VIGIE_NATS_CERT", cert),
            ("VIGIE_NATS_KEY", key),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));

    // Without the client certificate, the server refuses the connection.
    let args: Vec<&str> = base.iter().copied().chain(["--nats-ca", ca]).collect();
    let o = vigie.run(&args, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("Certificate"), "{}", stderr(&o));

    // A certificate without its key is refused before anything runs.
    let args: Vec<&str> = base.iter().copied().chain(["--nats-cert", cert]).collect();
    let o = vigie.run(&args, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--nats-key"), "{}", stderr(&o));
}
