//! `vigie serve` as a process: trained champion from the registry, a key
//! from `vigie keys`, a decision over HTTP, a graceful stop on SIGTERM with
//! the decision in the log, and the card number nowhere.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Vigie, files_under, stderr, stdout};

fn generate(vigie: &Vigie, name: &str, from: &str, to: &str) -> String {
    let out = vigie.dir.path().join(name);
    let out = out.to_str().unwrap();
    let o = vigie.run(
        &[
            "generate",
            "--customers",
            "60",
            "--scenarios",
            "all",
            "--from",
            from,
            "--to",
            to,
            "--out",
            out,
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    out.to_string()
}

fn train(vigie: &Vigie) {
    let train = generate(vigie, "train.csv", "2020-01-01", "2020-04-30");
    let test = generate(vigie, "test.csv", "2020-05-01", "2020-05-31");
    let o = vigie.run(
        &[
            "train",
            "--train",
            &train,
            "--test",
            &test,
            "--models",
            "logreg",
            "--search",
            "smoke",
            "--promote",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn serve_decides_logs_and_stops_gracefully() {
    let vigie = Vigie::new();
    train(&vigie);
    let o = vigie.run(
        &[
            "keys", "create", "--name", "t", "--role", "scorer", "--json",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let key: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let secret = key["secret"].as_str().unwrap().to_string();

    let mut child = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .arg("--data-dir")
        .arg(vigie.data_dir())
        .args(["--log-format", "json", "serve", "--addr", "127.0.0.1:0"])
        .env_remove("VIGIE_HOME")
        .env_remove("VIGIE_DATABASE_URL")
        .env_remove("VIGIE_DECISIONS_DATABASE_URL")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut log = String::new();
    let addr = loop {
        let line = lines
            .next()
            .expect("serve exited before listening")
            .unwrap();
        log.push_str(&line);
        log.push('\n');
        let entry: Value = serde_json::from_str(&line).unwrap_or_default();
        if let Some(addr) = entry["fields"]["addr"].as_str() {
            break addr.to_string();
        }
    };
    assert!(log.contains("card states warmed from snapshot"), "{log}");

    let card = "4539578763621486";
    let txn = json!({
        "trans_date_trans_time": "2020-06-02 10:00:00", "cc_num": card,
        "merchant": "fraud_Kirlin and Sons", "category": "personal_care", "amt": 2.86,
        "gender": "M", "lat": 33.9659, "long": -80.9355, "city_pop": 333497,
        "dob": "1968-03-19", "trans_num": "0123456789abcdef0123456789abcdef",
        "merch_lat": 33.986391, "merch_long": -81.200714
    });
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut response = agent
        .post(format!("http://{addr}/v1/score"))
        .header("Authorization", format!("Bearer {secret}"))
        .content_type("application/json")
        .send(txn.to_string())
        .unwrap();
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap();
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["model"]["version"], 1);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    for line in lines {
        log.push_str(&line.unwrap());
        log.push('\n');
    }
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{log}");
    assert!(log.contains("decision log flushed"), "{log}");

    let db =
        rusqlite::Connection::open(vigie.data_dir().join("decisions/decisions.sqlite")).unwrap();
    let logged: String = db
        .query_row(
            "SELECT decision FROM decisions WHERE trans_num = ?1",
            ["0123456789abcdef0123456789abcdef"],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(logged, answer["decision"].as_str().unwrap());
    assert!(!log.contains(card));
    for file in files_under(&vigie.data_dir()) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes.windows(card.len()).any(|w| w == card.as_bytes()),
            "{}",
            file.display()
        );
    }
}
