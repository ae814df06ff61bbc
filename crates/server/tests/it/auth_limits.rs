//! Authentication (401 vs 403 by role), limits (413), unknown fields (400),
//! and the JSON shape of every error.

use serde_json::{Value, json};

use crate::support::{TestServer, card_number, trans_num, transaction};

fn code(answer: &Value) -> &str {
    answer["error"]["code"].as_str().unwrap_or("<no code>")
}

#[test]
fn no_key_is_401_and_a_bad_key_is_401() {
    let server = TestServer::start();
    let body = transaction(&card_number(20), &trans_num(), 0, 1.0).to_string();
    let (status, err) = server.call("POST", "/v1/score", None, Some(&body));
    assert_eq!((status, code(&err)), (401, "missing_api_key"));
    let (status, err) = server.call(
        "POST",
        "/v1/score",
        Some("vk_0000000000000000_nope"),
        Some(&body),
    );
    assert_eq!((status, code(&err)), (401, "invalid_api_key"));
    assert!(err["error"]["message"].is_string());
}

#[test]
fn roles_are_ordered_and_checked_per_route() {
    let server = TestServer::start();
    let alias = json!({"version": 1}).to_string();
    let put = "/v1/models/card-fraud/aliases/champion";
    // A scorer may score, not read decisions nor models nor move aliases.
    let body = transaction(&card_number(21), &trans_num(), 0, 1.0).to_string();
    assert_eq!(
        server
            .call("POST", "/v1/score", Some(&server.scorer), Some(&body))
            .0,
        200
    );
    for (method, path, body) in [
        ("GET", "/v1/models", None),
        (
            "GET",
            "/v1/decisions/00000000000000000000000000000001",
            None,
        ),
        (
            "POST",
            "/v1/feedback",
            Some(r#"{"trans_num":"00","label":"fraud"}"#),
        ),
        ("PUT", put, Some(alias.as_str())),
    ] {
        let (status, err) = server.call(method, path, Some(&server.scorer), body);
        assert_eq!((status, code(&err)), (403, "forbidden"), "{method} {path}");
    }
    // An analyst may list models, not move aliases.
    assert_eq!(
        server
            .call("GET", "/v1/models", Some(&server.analyst), None)
            .0,
        200
    );
    let (status, err) = server.call("PUT", put, Some(&server.analyst), Some(&alias));
    assert_eq!((status, code(&err)), (403, "forbidden"));
    // An admin may do everything.
    let (status, answer) = server.call("PUT", put, Some(&server.admin), Some(&alias));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        server
            .call("GET", "/v1/models", Some(&server.admin), None)
            .0,
        200
    );
}

#[test]
fn a_revoked_key_is_refused_once_the_cache_expires() {
    let server = TestServer::start();
    let (info, secret) = server
        .keys
        .create("temp", vigie_decisions::Role::Scorer)
        .unwrap();
    let body = || transaction(&card_number(22), &trans_num(), 0, 1.0).to_string();
    assert_eq!(
        server
            .call("POST", "/v1/score", Some(secret.expose()), Some(&body()))
            .0,
        200
    );
    assert!(server.keys.revoke(&info.id).unwrap());
    let refused = server.wait_until(std::time::Duration::from_secs(10), || {
        server
            .call("POST", "/v1/score", Some(secret.expose()), Some(&body()))
            .0
            == 401
    });
    assert!(refused, "a revoked key is still accepted");
}

#[test]
fn a_body_over_the_limit_is_413() {
    let server = TestServer::start();
    let mut txn = transaction(&card_number(23), &trans_num(), 0, 1.0);
    txn["merchant"] = json!("x".repeat(100 * 1024));
    let (status, err) = server.call(
        "POST",
        "/v1/score",
        Some(&server.scorer),
        Some(&txn.to_string()),
    );
    assert_eq!((status, code(&err)), (413, "payload_too_large"), "{err}");
}

#[test]
fn a_batch_over_the_limit_is_413_batch_too_large() {
    let server = TestServer::start();
    let card = card_number(24);
    let transactions: Vec<Value> = (0..21)
        .map(|i| transaction(&card, &trans_num(), i, 1.0))
        .collect();
    let body = json!({ "transactions": transactions }).to_string();
    let (status, err) = server.call("POST", "/v1/score/batch", Some(&server.scorer), Some(&body));
    assert_eq!((status, code(&err)), (413, "batch_too_large"), "{err}");
    assert_eq!(
        server.history_len(&card),
        0,
        "nothing of a refused batch is applied"
    );
}

#[test]
fn unknown_fields_and_bad_json_are_400() {
    let server = TestServer::start();
    let mut txn = transaction(&card_number(25), &trans_num(), 0, 1.0);
    txn["surprise"] = json!(1);
    let (status, err) = server.call(
        "POST",
        "/v1/score",
        Some(&server.scorer),
        Some(&txn.to_string()),
    );
    assert_eq!((status, code(&err)), (400, "invalid_json"), "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("surprise")
    );
    let (status, err) = server.call("POST", "/v1/score", Some(&server.scorer), Some("{not json"));
    assert_eq!((status, code(&err)), (400, "invalid_json"));
    let (status, err) = server.call(
        "PUT",
        "/v1/models/card-fraud/aliases/champion",
        Some(&server.admin),
        Some(r#"{"version":1,"why":"x"}"#),
    );
    assert_eq!((status, code(&err)), (400, "invalid_json"));
}

#[test]
fn unknown_routes_and_methods_answer_json_errors() {
    let server = TestServer::start();
    let (status, err) = server.call("GET", "/v2/nothing", None, None);
    assert_eq!((status, code(&err)), (404, "not_found"));
    let (status, err) = server.call("GET", "/v1/score", Some(&server.scorer), None);
    assert_eq!((status, code(&err)), (405, "method_not_allowed"));
}
