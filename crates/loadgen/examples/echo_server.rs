//! A trivial scoring server to measure the load generator itself: every
//! `POST /v1/score` is answered at once with a fixed allow decision that
//! echoes nothing but the shape of Vigie's answer.
//!
//! ```text
//! cargo run --release -p vigie-loadgen --example echo_server -- 127.0.0.1:8099 1
//! vigie replay --url http://127.0.0.1:8099 --file test.csv --rate 20000
//! ```
//! Arguments: listen address (default 127.0.0.1:8099), worker threads
//! (default 1). Runs until killed.
#![allow(clippy::print_stderr, reason = "a command-line example")]

use axum::Router;
use axum::routing::post;

const ANSWER: &str = r#"{"trans_num":"","score":0.01,"decision":"allow","model":"echo","reasons":[],"rules_fired":[],"latency_us":1,"degraded":false}"#;

async fn score(_body: axum::body::Bytes) -> ([(&'static str, &'static str); 1], &'static str) {
    ([("content-type", "application/json")], ANSWER)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8099".into());
    let threads: usize = args.next().map_or(Ok(1), |t| t.parse())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        eprintln!("echo scoring server on http://{addr}/v1/score ({threads} threads)");
        let app = Router::new().route("/v1/score", post(score));
        axum::serve(listener, app).await?;
        Ok(())
    })
}
