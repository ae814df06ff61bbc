//! Scoring, batches, decision lookup, feedback and idempotency.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{TestServer, card_number, trans_num, transaction};

fn post_score(server: &TestServer, body: &Value) -> (u16, Value) {
    server.call(
        "POST",
        "/v1/score",
        Some(&server.scorer),
        Some(&body.to_string()),
    )
}

#[test]
fn a_transaction_is_decided_with_model_reasons_and_rules() {
    let server = TestServer::start();
    let card = card_number(1);
    let id = trans_num();
    let (status, answer) = post_score(&server, &transaction(&card, &id, 0, 12.5));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["trans_num"], id.as_str());
    let score = answer["score"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&score), "{answer}");
    assert!(["allow", "review", "block"].contains(&answer["decision"].as_str().unwrap()));
    assert_eq!(answer["model"], json!({"name": "card-fraud", "version": 1}));
    assert!(answer["reasons"].is_array() && answer["rules_fired"].is_array());
    assert_eq!(answer["duplicate"], false);
    assert_eq!(answer["degraded"], false);
    assert!(answer["latency_us"].as_u64().is_some());
    assert_eq!(server.history_len(&card), 1);
    // The card number appears nowhere in the answer.
    assert!(!answer.to_string().contains(&card));
}

#[test]
fn decisions_are_logged_and_can_be_looked_up_and_labelled() {
    let server = TestServer::start();
    let card = card_number(2);
    let id = trans_num();
    let (status, decided) = post_score(&server, &transaction(&card, &id, 0, 40.0));
    assert_eq!(status, 200, "{decided}");
    let path = format!("/v1/decisions/{id}");
    let (status, view) = server.call("GET", &path, Some(&server.analyst), None);
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["trans_num"], id.as_str());
    assert_eq!(view["score"], decided["score"]);
    assert!(view["card"].as_str().unwrap().starts_with("ct1_"));
    assert!(!view.to_string().contains(&card));

    let feedback = json!({"trans_num": id, "label": "fraud", "source": "chargeback"});
    let (status, answer) = server.call(
        "POST",
        "/v1/feedback",
        Some(&server.analyst),
        Some(&feedback.to_string()),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["changed"], true);
    let (status, view) = server.call("GET", &path, Some(&server.analyst), None);
    assert_eq!(status, 200);
    assert_eq!(view["label"], "fraud");
    assert_eq!(view["source"], "http");

    // Unknown transactions.
    let unknown = trans_num();
    let (status, err) = server.call(
        "GET",
        &format!("/v1/decisions/{unknown}"),
        Some(&server.analyst),
        None,
    );
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (404, Some("decision_not_found"))
    );
    let feedback = json!({"trans_num": unknown, "label": "legit"});
    let (status, err) = server.call(
        "POST",
        "/v1/feedback",
        Some(&server.analyst),
        Some(&feedback.to_string()),
    );
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (404, Some("decision_not_found"))
    );
    let (status, err) = server.call("GET", "/v1/decisions/not-hex", Some(&server.analyst), None);
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (400, Some("invalid_trans_num"))
    );
}

#[test]
fn the_same_trans_num_twice_gets_the_first_decision_and_updates_the_state_once() {
    let server = TestServer::start();
    let card = card_number(3);
    let id = trans_num();
    let txn = transaction(&card, &id, 0, 99.99);
    let (status, first) = post_score(&server, &txn);
    assert_eq!(status, 200, "{first}");
    // Immediately (probably still queued in the writer) and after a flush.
    let (status, again) = post_score(&server, &txn);
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["score"], first["score"]);
    assert_eq!(again["decision"], first["decision"]);
    assert_eq!(server.history_len(&card), 1);
    assert!(server.wait_until(Duration::from_secs(10), || {
        server.log.get(&id.parse().unwrap()).unwrap().is_some()
    }));
    let (status, third) = post_score(&server, &txn);
    assert_eq!((status, &third["duplicate"]), (200, &json!(true)));
    assert_eq!(third["score"], first["score"]);
    assert_eq!(server.history_len(&card), 1);
}

#[test]
fn identical_requests_at_once_all_get_the_first_decision() {
    let server = TestServer::start();
    let card = card_number(4);
    let id = trans_num();
    let body = transaction(&card, &id, 0, 5.0).to_string();
    let answers: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let body = body.clone();
                let server = &server;
                scope.spawn(move || {
                    server.call("POST", "/v1/score", Some(&server.scorer), Some(&body))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let fresh = answers
        .iter()
        .filter(|(_, a)| a["duplicate"] == false)
        .count();
    assert_eq!(fresh, 1, "{answers:?}");
    for (status, answer) in &answers {
        assert_eq!(*status, 200, "{answer}");
        assert_eq!(answer["score"], answers[0].1["score"]);
    }
    assert_eq!(server.history_len(&card), 1);
}

#[test]
fn a_batch_is_decided_in_order_with_per_item_errors() {
    let server = TestServer::start();
    let card = card_number(5);
    let (a, b) = (trans_num(), trans_num());
    let mut bad = transaction(&card, &trans_num(), 2, 1.0);
    bad["amt"] = json!("1.234");
    let batch = json!({"transactions": [
        transaction(&card, &a, 0, 10.0),
        transaction(&card, &b, 1, 20.0),
        bad,
        transaction(&card, &a, 0, 10.0),
    ]});
    let (status, answer) = server.call(
        "POST",
        "/v1/score/batch",
        Some(&server.scorer),
        Some(&batch.to_string()),
    );
    assert_eq!(status, 200, "{answer}");
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    assert_eq!(results[0]["trans_num"], a.as_str());
    assert_eq!(results[1]["trans_num"], b.as_str());
    assert_eq!(results[2]["error"]["code"], "amount_precision");
    assert_eq!(results[3]["duplicate"], true);
    assert_eq!(results[3]["score"], results[0]["score"]);
    assert_eq!(server.history_len(&card), 2);
}

#[test]
fn an_invalid_record_is_422_with_the_ingestion_reason_code() {
    let server = TestServer::start();
    let mut txn = transaction(&card_number(6), &trans_num(), 0, 1.0);
    txn["amt"] = json!("12.345");
    let (status, err) = post_score(&server, &txn);
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (422, Some("amount_precision")),
        "{err}"
    );
    let mut txn = transaction("4111111111111112", &trans_num(), 0, 1.0);
    txn["gender"] = json!("M");
    let (status, err) = post_score(&server, &txn);
    assert_eq!(status, 422, "{err}");
    assert!(
        err["error"]["code"]
            .as_str()
            .unwrap()
            .starts_with("card_number_"),
        "{err}"
    );
    assert!(!err.to_string().contains("4111111111111112"));
}

#[test]
fn metrics_count_requests_decisions_and_stages() {
    let server = TestServer::start();
    let (status, _) = post_score(&server, &transaction(&card_number(7), &trans_num(), 0, 3.0));
    assert_eq!(status, 200);
    let (status, text) = server.call("GET", "/metrics", None, None);
    assert_eq!(status, 200);
    let text = text.as_str().unwrap();
    for needle in [
        "vigie_http_requests_total{route=\"/v1/score\",method=\"POST\",outcome=\"ok\"} 1",
        "vigie_decision_stage_duration_seconds_count{stage=\"features\"} 1",
        "vigie_decision_stage_duration_seconds_count{stage=\"total\"} 1",
        "vigie_model_info{alias=\"champion\",model=\"card-fraud\",version=\"1\"} 1",
        "vigie_decision_log_queue_depth",
        "vigie_decision_log_failures",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    assert!(text.contains("vigie_decisions_total{decision="), "{text}");
}

#[test]
fn health_routes_answer() {
    let server = TestServer::start();
    assert_eq!(server.call("GET", "/livez", None, None).0, 200);
    let (status, ready) = server.call("GET", "/readyz", None, None);
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["status"], "ready");
}

#[test]
fn a_replay_older_than_the_card_state_retention_still_gets_the_first_decision() {
    let server = TestServer::start();
    let card = card_number(8);
    let old = trans_num();
    let first_txn = transaction(&card, &old, 0, 15.0);
    let (status, first) = post_score(&server, &first_txn);
    assert_eq!(status, 200, "{first}");
    // 40 days later: the card state no longer holds the first transaction.
    let mut later = transaction(&card, &trans_num(), 0, 16.0);
    later["trans_date_trans_time"] = json!("2020-07-31 10:00:00");
    assert_eq!(post_score(&server, &later).0, 200);
    assert_eq!(server.history_len(&card), 2);
    let (status, again) = post_score(&server, &first_txn);
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["score"], first["score"]);
    assert_eq!(
        server.history_len(&card),
        2,
        "the replay was applied to the state"
    );
}
