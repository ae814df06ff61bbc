//! Hot swap under continuous load: the champion moves (through the registry
//! as another process would, then through the PUT route) while a client
//! scores in a loop; no request fails and the answers switch version.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;

use crate::support::{TestServer, card_number, register, set_alias, trans_num, transaction};

#[test]
fn the_champion_swaps_under_load_without_a_failed_request() {
    let server = TestServer::start();
    let v2 = register(&server.registry, 5);
    let v3 = register(&server.registry, 8);
    let stop = AtomicBool::new(false);
    let done = AtomicUsize::new(0);
    // Waits until the client has answered `more` more requests.
    let progressed = |more: usize| {
        let target = done.load(Ordering::SeqCst) + more;
        server.wait_until(Duration::from_secs(20), || {
            done.load(Ordering::SeqCst) >= target
        })
    };
    let versions = std::thread::scope(|scope| {
        let client = scope.spawn(|| {
            let mut seen = Vec::new();
            let mut i = 0u32;
            // Bounded: stops when told, or after 20 000 requests.
            while !stop.load(Ordering::Relaxed) && i < 20_000 {
                let body = transaction(&card_number(100 + u64::from(i % 50)), &trans_num(), i, 7.0);
                let (status, answer) = server.call(
                    "POST",
                    "/v1/score",
                    Some(&server.scorer),
                    Some(&body.to_string()),
                );
                assert_eq!(status, 200, "request {i} failed during the swap: {answer}");
                seen.push(answer["model"]["version"].as_u64().unwrap());
                done.fetch_add(1, Ordering::SeqCst);
                i += 1;
            }
            seen
        });
        let served = |version: u64| {
            server.wait_until(Duration::from_secs(20), || {
                let (_, models) = server.call("GET", "/v1/models", Some(&server.analyst), None);
                models["serving"]["champion"]["version"] == json!(version)
            })
        };
        assert!(progressed(5), "the client is not scoring");
        // Another process moves the alias: the poller follows.
        set_alias(&server.registry, "champion", v2);
        assert!(served(v2), "the poller did not swap to v2");
        assert!(progressed(5));
        // The PUT route moves it and swaps at once.
        let (status, answer) = server.call(
            "PUT",
            "/v1/models/card-fraud/aliases/champion",
            Some(&server.admin),
            Some(&json!({ "version": v3 }).to_string()),
        );
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["serving"]["champion"]["version"], json!(v3));
        // Let the client see v3 before stopping it.
        let after = server.wait_until(Duration::from_secs(20), || {
            server
                .call("GET", "/metrics", None, None)
                .1
                .as_str()
                .unwrap()
                .contains(&format!(
                    "vigie_model_info{{alias=\"champion\",model=\"card-fraud\",version=\"{v3}\"}} 1"
                ))
        });
        assert!(after);
        assert!(progressed(5));
        let card = card_number(99);
        let (_, last) = server.call(
            "POST",
            "/v1/score",
            Some(&server.scorer),
            Some(&transaction(&card, &trans_num(), 0, 1.0).to_string()),
        );
        assert_eq!(last["model"]["version"], json!(v3));
        stop.store(true, Ordering::Relaxed);
        client.join().unwrap()
    });
    assert!(!versions.is_empty());
    assert_eq!(versions[0], 1, "the client started on v1");
    assert!(
        versions.windows(2).all(|w| w[0] <= w[1]),
        "versions went back: {versions:?}"
    );
    assert!(
        versions.contains(&v2) || versions.contains(&v3),
        "{versions:?}"
    );
}

#[test]
fn a_challenger_scores_in_shadow_and_can_be_removed() {
    let server = TestServer::start();
    let v2 = register(&server.registry, 5);
    set_alias(&server.registry, "challenger", v2);
    let ok = server.wait_until(Duration::from_secs(20), || {
        let (_, models) = server.call("GET", "/v1/models", Some(&server.analyst), None);
        models["serving"]["challenger"]["version"] == json!(v2)
    });
    assert!(ok, "the challenger was not loaded");
    let body = transaction(&card_number(30), &trans_num(), 0, 8.0).to_string();
    let (status, answer) = server.call("POST", "/v1/score", Some(&server.scorer), Some(&body));
    assert_eq!(status, 200);
    assert_eq!(answer["model"]["version"], json!(1));
    assert_eq!(answer["challenger"]["model"]["version"], json!(v2));
}
