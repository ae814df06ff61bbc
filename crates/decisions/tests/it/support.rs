//! Test logs on either backend: a temporary data directory, and for
//! PostgreSQL a fresh schema (dropped at the end) selected through the
//! connection URL's `options=-csearch_path=...`, so tests run in parallel
//! in the shared `test` database.

use std::time::{Duration, Instant};

use vigie_decisions::{DecisionLog, DecisionLogConfig, DecisionSource, LoggedDecision};
use vigie_engine::rules::RuleAction;
use vigie_engine::{Decision, DecisionRecord, ModelRef, Reason, RuleHit, ShadowScore, Thresholds};
use vigie_types::{CardToken, Timestamp, TransNum};

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `sqlite::<name>` and `postgres::<name>` tests from `fn <name>(Backend)`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name($crate::support::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name($crate::support::Backend::Postgres) } )*
        }
    };
}
pub(crate) use on_both_backends;

/// A PostgreSQL schema owned by one test.
struct PgSchema {
    base_url: String,
    name: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.base_url, postgres::NoTls) {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

/// A decision log location for one test.
pub struct TestLog {
    pub config: DecisionLogConfig,
    pub backend: Backend,
    _dir: tempfile::TempDir,
    _schema: Option<PgSchema>,
}

pub fn random_u64() -> u64 {
    getrandom::u64().unwrap()
}

impl TestLog {
    /// A fresh location, or `None` (after printing `skipped: ...`) when the
    /// backend is PostgreSQL and `VIGIE_TEST_DATABASE_URL` is not set.
    pub fn new(backend: Backend) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let (database_url, schema) = match backend {
            Backend::Sqlite => (None, None),
            Backend::Postgres => {
                let Some(base_url) = std::env::var("VIGIE_TEST_DATABASE_URL")
                    .ok()
                    .filter(|u| !u.is_empty())
                else {
                    println!("skipped: VIGIE_TEST_DATABASE_URL not set");
                    return None;
                };
                let name = format!("t_decisions_{:016x}", random_u64());
                let mut admin = postgres::Client::connect(&base_url, postgres::NoTls)
                    .expect("VIGIE_TEST_DATABASE_URL is set but PostgreSQL is unreachable");
                admin
                    .batch_execute(&format!("CREATE SCHEMA {name}"))
                    .unwrap();
                let sep = if base_url.contains('?') { '&' } else { '?' };
                // application_name: lets a test find (and kill) this log's connections.
                let url = format!(
                    "{base_url}{sep}options=-csearch_path%3D{name}&application_name={name}"
                );
                (Some(url), Some(PgSchema { base_url, name }))
            }
        };
        Some(Self {
            config: DecisionLogConfig {
                data_dir: dir.path().join("decisions"),
                database_url,
            },
            backend,
            _dir: dir,
            _schema: schema,
        })
    }

    /// Terminates every PostgreSQL connection of this test (as a server
    /// restart would); returns how many there were.
    #[allow(dead_code, reason = "used by some test modules only")]
    pub fn kill_postgres_connections(&self) -> usize {
        let schema = self._schema.as_ref().expect("a PostgreSQL test log");
        let mut admin = postgres::Client::connect(&schema.base_url, postgres::NoTls).unwrap();
        admin
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                &[&schema.name],
            )
            .unwrap()
            .len()
    }

    /// Opens the log (a new pair of connections each call).
    pub fn open(&self) -> DecisionLog {
        DecisionLog::open(&self.config).unwrap()
    }

    /// Runs raw SQL on the database, bypassing the API.
    pub fn raw_sql(&self, sql: &str) {
        match &self.config.database_url {
            None => {
                let conn = self.sqlite();
                conn.execute_batch(sql).unwrap();
            }
            Some(url) => {
                let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
                client.batch_execute(sql).unwrap();
            }
        }
    }

    /// A raw connection to the SQLite file.
    pub fn sqlite(&self) -> rusqlite::Connection {
        let conn =
            rusqlite::Connection::open(self.config.data_dir.join(DecisionLogConfig::SQLITE_FILE))
                .unwrap();
        conn.busy_timeout(Duration::from_secs(30)).unwrap();
        conn
    }

    /// SQL making every insert into `table` fail while `when` holds
    /// (`NEW.<column> ...`), and the SQL that undoes it.
    pub fn failing_trigger(&self, table: &str, when: &str) -> (String, String) {
        match self.backend {
            Backend::Sqlite => (
                format!(
                    "CREATE TRIGGER fail_{table} BEFORE INSERT ON {table} WHEN {when}
                     BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
                ),
                format!("DROP TRIGGER fail_{table};"),
            ),
            Backend::Postgres => (
                format!(
                    "CREATE FUNCTION fail_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
                     BEGIN RAISE EXCEPTION 'injected failure'; END $$;
                     CREATE TRIGGER fail_{table} BEFORE INSERT ON {table}
                     FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION fail_{table}();"
                ),
                format!("DROP TRIGGER fail_{table} ON {table}; DROP FUNCTION fail_{table}();"),
            ),
        }
    }
}

/// A random transaction id.
pub fn trans_num() -> TransNum {
    TransNum::from_u128(u128::from(random_u64()) << 64 | u128::from(random_u64()))
}

/// A random card.
pub fn card() -> CardToken {
    vigie_testkit::test_card(getrandom::u32().unwrap())
}

/// A full decision record (challenger, reasons, rules, features).
pub fn record(trans_num: TransNum, card: CardToken, score: f64) -> DecisionRecord {
    let thresholds = Thresholds {
        review: 0.3,
        block: 0.8,
    };
    DecisionRecord {
        trans_num,
        card,
        event_time: Timestamp::from_seconds(1_577_836_800 + (random_u64() % 1_000_000) as i64),
        amount_cents: 12_345,
        score,
        decision: thresholds.decide(score),
        model: ModelRef {
            name: "fraud-gbdt".into(),
            version: 3,
        },
        feature_schema_hash: "fs1:0123abcd".into(),
        thresholds,
        reasons: vec![Reason {
            code: "amount_vs_card_mean".into(),
            feature: "amount_vs_card_mean".into(),
            value: 7.25,
            contribution: 1.0 / 3.0,
            text: "The amount is 7 times the card's usual amount.".into(),
        }],
        rules_fired: vec![RuleHit {
            code: "R_NIGHT_BIG".into(),
            action: RuleAction::Review,
            description: "big amount at night".into(),
        }],
        challenger: Some(ShadowScore {
            model: ModelRef {
                name: "fraud-logreg".into(),
                version: 1,
            },
            score: score / 2.0,
            decision: Decision::Allow,
        }),
        features: vec![0.1, f32::MAX, -3.5e-7, 1.0 / 3.0],
        degraded: false,
        latency_us: 420,
        stages: Default::default(),
    }
}

/// A decision of the HTTP path.
pub fn logged(record: DecisionRecord) -> LoggedDecision {
    LoggedDecision::new(record, DecisionSource::Http)
}

/// `n` fresh decisions on one card.
pub fn decisions(n: usize, card: CardToken) -> Vec<LoggedDecision> {
    (0..n)
        .map(|i| {
            logged(record(
                trans_num(),
                card,
                (i as f64 + 0.5) / (n as f64 + 1.0),
            ))
        })
        .collect()
}

/// Polls `condition` until it holds or `within` has passed.
#[allow(dead_code, reason = "used by the batch tests")]
pub fn wait_until(within: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The tables of the decision log.
pub const TABLES: [&str; 6] = [
    "decisions",
    "stream_positions",
    "feedback",
    "feedback_history",
    "api_keys",
    "erasures",
];

impl TestLog {
    /// The `decisions` columns named in `columns` (comma-separated) of
    /// `trans_num`'s row, each as text (`NULL`, an integer, a float's
    /// `Debug` form, or the text itself), the same way on both backends.
    pub fn decision_columns(&self, columns: &str, trans_num: &TransNum) -> Vec<String> {
        let sql = format!("SELECT {columns} FROM decisions WHERE trans_num = $1");
        let id = trans_num.to_string();
        match &self.config.database_url {
            None => {
                use rusqlite::types::Value;
                let conn = self.sqlite();
                let mut stmt = conn.prepare(&sql).unwrap();
                let width = stmt.column_count();
                stmt.query_row([&id], |row| {
                    Ok((0..width)
                        .map(|i| match row.get::<_, Value>(i).unwrap() {
                            Value::Null => "NULL".to_owned(),
                            Value::Integer(v) => v.to_string(),
                            Value::Real(v) => format!("{v:?}"),
                            Value::Text(v) => v,
                            Value::Blob(v) => format!("{v:?}"),
                        })
                        .collect())
                })
                .unwrap()
            }
            Some(url) => {
                use postgres::types::Type;
                let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
                let row = client.query_one(&sql, &[&id]).unwrap();
                (0..row.len())
                    .map(|i| {
                        let ty = row.columns()[i].type_();
                        let text = if *ty == Type::INT8 {
                            row.get::<_, Option<i64>>(i).map(|v| v.to_string())
                        } else if *ty == Type::FLOAT8 {
                            row.get::<_, Option<f64>>(i).map(|v| format!("{v:?}"))
                        } else {
                            row.get::<_, Option<String>>(i)
                        };
                        text.unwrap_or_else(|| "NULL".to_owned())
                    })
                    .collect()
            }
        }
    }

    /// Every row of every table, as text (to search for a value anywhere).
    pub fn all_rows_text(&self) -> String {
        let mut out = String::new();
        match &self.config.database_url {
            None => {
                let conn = self.sqlite();
                for table in TABLES {
                    let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
                    let width = stmt.column_count();
                    let mut rows = stmt.query([]).unwrap();
                    while let Some(row) = rows.next().unwrap() {
                        for i in 0..width {
                            let value: rusqlite::types::Value = row.get(i).unwrap();
                            out.push_str(&format!("{value:?}|"));
                        }
                        out.push('\n');
                    }
                }
            }
            Some(url) => {
                let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
                for table in TABLES {
                    for row in client
                        .query(&format!("SELECT t::text FROM {table} t"), &[])
                        .unwrap()
                    {
                        out.push_str(row.get::<_, &str>(0));
                        out.push('\n');
                    }
                }
            }
        }
        out
    }

    /// The bytes of every file of the SQLite database (main file, WAL, ...).
    pub fn sqlite_file_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(&self.config.data_dir).unwrap() {
            bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
        }
        bytes
    }
}

/// Whether `needle` occurs in `haystack`.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
