//! Measures the cost of a scoring request's parts and of whole requests
//! against a running `vigie serve`.
//!
//! ```text
//! cargo run --release -p vigie-server --example serve_latency -- \
//!     FILE.csv [URL KEY] [REQUESTS] [CLIENTS]
//! ```
//!
//! 1. JSON decoding and the ingestion parser (`TransactionParser`) on the
//!    file's rows, in process: microseconds per transaction.
//! 2. With a URL and a key: `REQUESTS` `POST /v1/score` from `CLIENTS`
//!    threads (one keep-alive connection each), client-side latency
//!    percentiles and throughput. Each row is sent once (fresh decisions).
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a measuring tool"
)]

use std::time::{Duration, Instant};

use vigie_server::{TransactionInput, TransactionParser};
use vigie_types::{TokenKey, Tokenizer};

const FIELDS: [&str; 14] = [
    "trans_date_trans_time",
    "cc_num",
    "merchant",
    "category",
    "amt",
    "gender",
    "lat",
    "long",
    "city_pop",
    "dob",
    "trans_num",
    "unix_time",
    "merch_lat",
    "merch_long",
];

fn bodies(path: &str, limit: usize) -> Vec<String> {
    let mut reader = csv::Reader::from_path(path).expect("open the CSV file");
    let headers = reader.headers().unwrap().clone();
    let index: Vec<usize> = FIELDS
        .iter()
        .map(|f| headers.iter().position(|h| h == *f).expect("Kaggle layout"))
        .collect();
    reader
        .records()
        .take(limit)
        .map(|r| {
            let r = r.unwrap();
            let object: serde_json::Map<String, serde_json::Value> = FIELDS
                .iter()
                .zip(&index)
                .map(|(f, &i)| ((*f).to_string(), serde_json::Value::from(&r[i])))
                .collect();
            serde_json::Value::Object(object).to_string()
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let file = args
        .first()
        .expect("usage: serve_latency FILE.csv [URL KEY] [N] [CLIENTS]");
    let requests: usize = args.get(3).map_or(5_000, |n| n.parse().unwrap());
    let clients: usize = args.get(4).map_or(2, |n| n.parse().unwrap());
    let bodies = bodies(file, requests.max(20_000));

    let parser =
        TransactionParser::new(Tokenizer::new(&TokenKey::new(&[7; 32], 1).unwrap())).unwrap();
    let start = Instant::now();
    let inputs: Vec<TransactionInput> = bodies
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .collect();
    let json_us = start.elapsed().as_secs_f64() * 1e6 / bodies.len() as f64;
    let start = Instant::now();
    let accepted = inputs.iter().filter(|i| parser.parse(i).is_ok()).count();
    let parse_us = start.elapsed().as_secs_f64() * 1e6 / inputs.len() as f64;
    println!(
        "in process, {} rows ({accepted} accepted): JSON decode {json_us:.2} µs/txn, \
         ingestion parser + tokenisation {parse_us:.2} µs/txn",
        inputs.len()
    );

    let (Some(url), Some(key)) = (args.get(1), args.get(2)) else {
        return;
    };
    let per_client = requests.min(bodies.len()) / clients.max(1);
    let started = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|c| {
                let mine = &bodies[c * per_client..(c + 1) * per_client];
                scope.spawn(move || {
                    let agent: ureq::Agent = ureq::Agent::config_builder()
                        .http_status_as_error(false)
                        .build()
                        .into();
                    let mut out = Vec::with_capacity(mine.len());
                    for body in mine {
                        let t = Instant::now();
                        let mut response = agent
                            .post(format!("{url}/v1/score"))
                            .header("Authorization", format!("Bearer {key}"))
                            .content_type("application/json")
                            .send(body.as_str())
                            .unwrap();
                        let _ = response.body_mut().read_to_string();
                        out.push(t.elapsed());
                        assert!(response.status().is_success() || response.status() == 422);
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let wall = started.elapsed();
    latencies.sort();
    println!(
        "HTTP: {} requests from {clients} clients in {:.2} s = {:.0} req/s; latency p50 {:.0} µs, \
         p90 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
        latencies.len(),
        wall.as_secs_f64(),
        latencies.len() as f64 / wall.as_secs_f64(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
    );
}
