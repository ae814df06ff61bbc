//! The scoring double and the fixture files.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use tokio::sync::watch;

/// How the double answers.
#[derive(Clone, Default)]
pub struct Behaviour {
    /// Answer 500 to rows whose index is a multiple of this.
    pub fail_every: Option<u64>,
    /// Delay the answer to this row index by this long.
    pub stall: Option<(u64, Duration)>,
    /// Hold every answer until the value turns true.
    pub hold: Option<watch::Receiver<bool>>,
}

/// What the double saw.
#[derive(Default)]
pub struct Seen {
    /// Row indexes (from the trans_num) in arrival order.
    pub rows: Vec<u64>,
    /// `Authorization` headers received.
    pub authorization: Vec<String>,
    /// Bodies that were not a JSON object with 21 fields.
    pub malformed: u64,
}

#[derive(Clone)]
struct App {
    behaviour: Behaviour,
    seen: Arc<Mutex<Seen>>,
}

/// A running double: its URL and what it saw.
pub struct Double {
    pub url: String,
    pub seen: Arc<Mutex<Seen>>,
}

impl Double {
    pub fn rows(&self) -> Vec<u64> {
        self.seen.lock().unwrap().rows.clone()
    }
}

/// The double's decision rule: amounts above 500 are blocked, above 200
/// reviewed.
pub fn decision_for(amount: f64) -> &'static str {
    if amount > 500.0 {
        "block"
    } else if amount > 200.0 {
        "review"
    } else {
        "allow"
    }
}

async fn score(
    State(app): State<App>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> (StatusCode, String) {
    let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let row = value["trans_num"]
        .as_str()
        .and_then(|t| u64::from_str_radix(t, 16).ok())
        .unwrap_or(u64::MAX);
    {
        let mut seen = app.seen.lock().unwrap();
        seen.rows.push(row);
        if value.as_object().map(|o| o.len()) != Some(21) {
            seen.malformed += 1;
        }
        if let Some(auth) = headers.get("authorization") {
            seen.authorization
                .push(auth.to_str().unwrap_or("").to_string());
        }
    }
    if let Some(mut hold) = app.behaviour.hold.clone() {
        // Bounded so a failing test still ends.
        let _ = tokio::time::timeout(Duration::from_secs(30), hold.wait_for(|open| *open)).await;
    }
    if let Some((stalled, delay)) = app.behaviour.stall
        && row == stalled
    {
        tokio::time::sleep(delay).await;
    }
    if app
        .behaviour
        .fail_every
        .is_some_and(|n| row.is_multiple_of(n))
    {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"error":{"code":"internal"}}"#.into(),
        );
    }
    let amount = value["amt"].as_f64().unwrap_or(0.0);
    let answer = serde_json::json!({
        "trans_num": value["trans_num"],
        "score": 0.5,
        "decision": decision_for(amount),
        "model": "double",
        "reasons": [],
        "rules_fired": [],
        "latency_us": 42,
        "degraded": false,
    });
    (StatusCode::OK, answer.to_string())
}

/// Starts the double on a free loopback port, on a thread of its own.
pub fn start(behaviour: Behaviour) -> Double {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let app = App {
        behaviour,
        seen: Arc::clone(&seen),
    };
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let router = Router::new()
                .route("/v1/score", post(score))
                .with_state(app);
            axum::serve(listener, router).await.unwrap();
        });
    });
    Double {
        url: format!("http://{addr}"),
        seen,
    }
}

const HEADER: &str = ",trans_date_trans_time,cc_num,merchant,category,amt,first,last,gender,street,city,state,zip,lat,long,city_pop,job,dob,trans_num,unix_time,merch_lat,merch_long,is_fraud";

/// A fixture row: its index is its trans_num (hex), time order is index order.
pub struct FixtureRow {
    pub index: u64,
    pub amount: f64,
    pub is_fraud: bool,
}

/// `count` rows: amounts cycle so that every decision occurs, every 7th row
/// is a fraud.
pub fn rows(count: u64) -> Vec<FixtureRow> {
    (0..count)
        .map(|index| FixtureRow {
            index,
            amount: [12.5, 250.0, 900.75, 45.0][(index % 4) as usize],
            is_fraud: index % 7 == 3,
        })
        .collect()
}

/// Writes `rows` in the given order to a CSV file in the Kaggle layout.
pub fn write_csv(dir: &tempfile::TempDir, rows: &[FixtureRow]) -> PathBuf {
    let path = dir.path().join("transactions.csv");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(out, "{HEADER}").unwrap();
    for (line, row) in rows.iter().enumerate() {
        let seconds = 1_577_836_800 + row.index * 60;
        writeln!(
            out,
            "{line},2020-01-01 00:{:02}:00,4{:015},\"fraud_Kub, and Sons\",misc_net,{},Ann,Lee,F,0043 Henry Plaza,Elk,NC,2865,36.0788,-81.1781,3495,\"Psychologist, counselling\",1988-03-09,{:032x},{seconds},36.011293,-82.048315,{}",
            row.index % 60,
            row.index,
            row.amount,
            row.index,
            u8::from(row.is_fraud)
        )
        .unwrap();
    }
    out.flush().unwrap();
    path
}
