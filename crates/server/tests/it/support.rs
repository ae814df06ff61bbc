//! A real server on 127.0.0.1:0 over a temporary data directory (registry,
//! decision log, keys), with small models trained in milliseconds, and a
//! blocking HTTP client.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vigie_decisions::{
    BatchWriter, BatchWriterOptions, DecisionLog, DecisionLogConfig, KeyStore, Role,
};
use vigie_engine::rules::RuleSet;
use vigie_engine::{Engine, EngineOptions, ServingModel};
use vigie_features::{Feature, Kind, MemoryStateStore, StateStore, feature_schema};
use vigie_model::{
    ARTIFACT_FORMAT, ArtifactMeta, Dataset, DecisionThresholds, FeatureKind, Gbdt, GbdtParams,
    Histogram, Model, ModelArtifact, ModelKind, Reference, TrainingInfo,
};
use vigie_registry::{Actor, AliasName, ModelName, NewVersion, Registry, RegistryConfig};
use vigie_server::{AuthMode, Limits, ServerConfig, ServerHandle, Services, load_version};
use vigie_types::{TokenKey, Tokenizer};

/// The registered model's name.
pub const MODEL: &str = "card-fraud";

/// The bytes of a small GBDT artifact; `trees` varies the model. Random
/// features and labels: the tests need a real model, not a good one.
pub fn artifact(trees: usize) -> Vec<u8> {
    type Trained = Vec<(usize, Vec<u8>)>;
    static CACHE: OnceLock<Mutex<Trained>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some((_, bytes)) = cache.lock().unwrap().iter().find(|(t, _)| *t == trees) {
        return bytes.clone();
    }
    let bytes = train(trees);
    cache.lock().unwrap().push((trees, bytes.clone()));
    bytes
}

fn train(trees: usize) -> Vec<u8> {
    let schema = feature_schema();
    let rows = 400;
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut kinds = Vec::new();
    let mut columns = Vec::new();
    for feature in Feature::ALL {
        let (kind, column): (FeatureKind, Vec<f32>) = match feature.kind() {
            Kind::Numeric => (
                FeatureKind::Numeric,
                (0..rows).map(|_| (next() * 100.0) as f32).collect(),
            ),
            Kind::Categorical { levels } => (
                FeatureKind::Categorical { levels },
                (0..rows)
                    .map(|_| (next() * f64::from(levels)).floor() as f32)
                    .collect(),
            ),
        };
        kinds.push(kind);
        columns.push(column);
    }
    // Label: fraud when the first feature is high, plus noise.
    let labels = (0..rows)
        .map(|i| u8::from(columns[0][i] > 60.0 || next() < 0.1))
        .collect();
    let data = Dataset::new(schema.names.clone(), kinds, columns, labels).unwrap();
    let params = GbdtParams {
        n_trees: trees,
        min_data_in_leaf: 5,
        ..GbdtParams::default()
    };
    let gbdt = Gbdt::fit(&data, None, &params).unwrap();
    let meta = ArtifactMeta {
        format: ARTIFACT_FORMAT.into(),
        kind: ModelKind::Gbdt,
        feature_schema: schema.clone(),
        features: schema.names.clone(),
        thresholds: DecisionThresholds {
            review: 0.3,
            block: 0.7,
        },
        training: TrainingInfo {
            data_fingerprint: String::new(),
            train_rows: data.n_rows() as u64,
            valid_rows: 0,
            train_frauds: data.positives() as u64,
            period: (String::new(), String::new()),
            valid_from: String::new(),
            params: Value::Null,
            seed: 0,
            train_seconds: 0.0,
            vigie_version: "test".into(),
        },
        metrics: Default::default(),
        reference: Reference {
            features: (0..data.n_features())
                .map(|f| {
                    let v: Vec<f64> = data.column(f).iter().map(|&x| f64::from(x)).collect();
                    Histogram::quantiles(&v, 10)
                })
                .collect(),
            score: Histogram::quantiles(&[0.5], 10),
        },
    };
    ModelArtifact::new(meta, Model::Gbdt(gbdt))
        .unwrap()
        .encode()
        .unwrap()
}

/// Registers a version of [`MODEL`] with `trees` trees; returns its number.
pub fn register(registry: &Registry, trees: usize) -> u64 {
    let bytes = artifact(trees);
    let stored = registry.store_artifact(&bytes).unwrap();
    let new = NewVersion {
        model: ModelName::parse(MODEL).unwrap(),
        run_id: None,
        artifact: stored,
        feature_schema_hash: feature_schema().hash.clone(),
        description: format!("{trees} trees"),
    };
    registry
        .register_version(&new, &Actor::user("test").unwrap())
        .unwrap()
        .version
}

/// Points `alias` at `version` (as another process would, through the CLI).
pub fn set_alias(registry: &Registry, alias: &str, version: u64) {
    registry
        .set_alias(
            &ModelName::parse(MODEL).unwrap(),
            &AliasName::parse(alias).unwrap(),
            version,
            &Actor::user("test").unwrap(),
        )
        .unwrap();
}

/// A running server and what it runs on.
pub struct TestServer {
    pub base: String,
    pub store: Arc<MemoryStateStore>,
    pub tokenizer: Tokenizer,
    pub registry: Arc<Registry>,
    pub log: DecisionLog,
    pub keys: KeyStore,
    pub scorer: String,
    pub analyst: String,
    pub admin: String,
    handle: Option<ServerHandle>,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

/// Server settings for tests: small limits, fast polling.
pub fn test_config() -> ServerConfig {
    ServerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        model: MODEL.into(),
        auth: AuthMode::Keys,
        limits: Limits {
            body_bytes: 64 * 1024,
            batch_size: 20,
            request_timeout: Duration::from_secs(10),
            duplicate_wait: Duration::from_secs(5),
        },
        poll_interval: Duration::from_millis(50),
    }
}

impl TestServer {
    /// A server whose champion is version 1 (3 trees).
    pub fn start() -> Self {
        Self::start_with(test_config())
    }

    /// A server with `config`.
    pub fn start_with(config: ServerConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open(&RegistryConfig {
            data_dir: dir.path().to_path_buf(),
            ..RegistryConfig::default()
        })
        .unwrap();
        let v1 = register(&registry, 3);
        set_alias(&registry, "champion", v1);
        let champion: ServingModel = load_version(
            &registry,
            &registry
                .version(&ModelName::parse(MODEL).unwrap(), v1)
                .unwrap(),
        )
        .unwrap();
        let log = DecisionLog::open(&DecisionLogConfig {
            data_dir: dir.path().to_path_buf(),
            database_url: None,
        })
        .unwrap();
        let writer = BatchWriter::start(log.clone(), BatchWriterOptions::default()).unwrap();
        let keys = KeyStore::new(&log, Duration::from_secs(1));
        let secret = |name: &str, role| keys.create(name, role).unwrap().1.expose().to_string();
        let (scorer, analyst, admin) = (
            secret("scorer", Role::Scorer),
            secret("analyst", Role::Analyst),
            secret("admin", Role::Admin),
        );
        let store = Arc::new(MemoryStateStore::default());
        let tokenizer = Tokenizer::new(&TokenKey::new(&[b's'; 32], 1).unwrap());
        let engine = Engine::new(
            Arc::clone(&store) as Arc<dyn StateStore>,
            champion,
            None,
            RuleSet::defaults().unwrap(),
            EngineOptions::default(),
        );
        let registry = Arc::new(registry);
        let services = Services {
            engine: Arc::new(engine),
            registry: Arc::clone(&registry),
            log: log.clone(),
            writer,
            keys: keys.clone(),
            tokenizer: tokenizer.clone(),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let handle = runtime
            .block_on(vigie_server::spawn(config, services))
            .unwrap();
        Self {
            base: format!("http://{}", handle.local_addr),
            store,
            tokenizer,
            registry,
            log,
            keys,
            scorer,
            analyst,
            admin,
            handle: Some(handle),
            runtime,
            _dir: dir,
        }
    }

    /// A request; answers (status, JSON body or the text as a JSON string).
    pub fn call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&str>,
    ) -> (u16, Value) {
        call(&self.base, method, path, key, body)
    }

    /// Polls `condition` until it holds or `limit` passes.
    pub fn wait_until(&self, limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if condition() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        condition()
    }

    /// How many transactions the card's history holds.
    pub fn history_len(&self, card: &str) -> u64 {
        let number = vigie_types::CardNumber::parse(card.as_bytes()).unwrap();
        let token = self.tokenizer.tokenize(&number);
        self.store
            .get(&token)
            .unwrap()
            .map_or(0, |state| u64::from(state.amounts.n))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            let _ = self.runtime.block_on(handle.shutdown());
        }
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// One HTTP request against `base`.
pub fn call(
    base: &str,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&str>,
) -> (u16, Value) {
    let url = format!("{base}{path}");
    let agent = agent();
    let auth = key.map(|k| format!("Bearer {k}"));
    let response = match method {
        "GET" => {
            let mut request = agent.get(&url);
            if let Some(auth) = &auth {
                request = request.header("Authorization", auth);
            }
            request.call()
        }
        _ => {
            let mut request = match method {
                "POST" => agent.post(&url),
                "PUT" => agent.put(&url),
                other => panic!("method {other}"),
            };
            if let Some(auth) = &auth {
                request = request.header("Authorization", auth);
            }
            request
                .content_type("application/json")
                .send(body.unwrap_or("{}"))
        }
    };
    let mut response = response.unwrap();
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// A card number with a valid Luhn digit, distinct per `n`.
pub fn card_number(n: u64) -> String {
    let body = format!("4{:014}", n % 100_000_000_000_000);
    let card = vigie_types::CardNumber::with_check_digit(body.as_bytes()).expect("15 digits");
    String::from_utf8(card.expose_digits().to_vec()).expect("ASCII digits")
}

/// A trans_num no other test uses.
pub fn trans_num() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!(
        "{:016x}{:08x}{:08x}",
        u64::from(std::process::id()),
        n,
        0xabcd_u32
    )
}

/// A transaction in the Kaggle layout.
pub fn transaction(card: &str, trans_num: &str, minute: u32, amount: f64) -> Value {
    json!({
        "trans_date_trans_time": format!("2020-06-21 {:02}:{:02}:00", 10 + minute / 60, minute % 60),
        "cc_num": card,
        "merchant": "fraud_Kirlin and Sons",
        "category": "personal_care",
        "amt": amount,
        "gender": "M",
        "lat": 33.9659,
        "long": -80.9355,
        "city_pop": 333497,
        "dob": "1968-03-19",
        "trans_num": trans_num,
        "merch_lat": 33.986391,
        "merch_long": -81.200714,
    })
}
