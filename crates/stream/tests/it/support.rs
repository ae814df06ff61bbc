//! Helpers shared by the tests: service URLs (tests print `skipped:` and pass
//! when a service is not configured), unique names so tests can share one
//! server, and clean-up that runs even when a test fails.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use futures_util::FutureExt;
use vigie_stream::nats::{StreamSettings, Topology, ensure_streams, jetstream_context};
use vigie_stream::{RedisConfig, RedisStateStore};
use vigie_types::{TokenKey, Tokenizer};

/// `VIGIE_TEST_REDIS_URL`, or `None` after printing a skip line.
pub fn redis_url(test: &str) -> Option<String> {
    let url = std::env::var("VIGIE_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("skipped: {test} needs VIGIE_TEST_REDIS_URL");
    }
    url
}

/// `VIGIE_TEST_NATS_URL`, or `None` after printing a skip line.
pub fn nats_url(test: &str) -> Option<String> {
    let url = std::env::var("VIGIE_TEST_NATS_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("skipped: {test} needs VIGIE_TEST_NATS_URL");
    }
    url
}

/// A name no other test (nor another run of this one) uses.
pub fn unique(label: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{label}{}x{}x{:06x}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        getrandom::u32().unwrap() & 0xff_ffff
    )
}

/// A Redis configuration under a unique key prefix.
pub fn redis_config(url: &str) -> RedisConfig {
    let mut config = RedisConfig::new(url);
    config.key_prefix = unique("vigie-test-");
    config
}

/// Deletes a store's keys when dropped, even if the test panicked.
pub struct PurgeOnDrop(pub RedisConfig);

impl Drop for PurgeOnDrop {
    fn drop(&mut self) {
        if let Ok(store) = RedisStateStore::connect(&self.0) {
            let _ = store.purge_all();
        }
    }
}

/// An initialised store under a unique prefix, its configuration (for more
/// connections to it) and the guard that purges its keys.
pub struct TestStore {
    pub store: RedisStateStore,
    pub config: RedisConfig,
    _purge: PurgeOnDrop,
}

/// A [`TestStore`], or `None` (the test skipped) without Redis.
pub fn initialised_store(test: &str) -> Option<TestStore> {
    let config = redis_config(&redis_url(test)?);
    let purge = PurgeOnDrop(config.clone());
    let store = RedisStateStore::connect(&config).unwrap();
    store.initialise().unwrap();
    Some(TestStore {
        store,
        config,
        _purge: purge,
    })
}

/// A fixed token key, so tokens (and partitions) are reproducible.
pub fn tokenizer() -> Tokenizer {
    Tokenizer::new(&TokenKey::new(b"0123456789abcdef0123456789abcdef", 1).unwrap())
}

/// Writes a small synthetic transaction file (Kaggle layout).
pub fn generate_csv(path: &Path, customers: u32, seed: u64) {
    let config = vigie_synth::GenerateConfig {
        customers,
        from: vigie_types::Date::from_ymd(2020, 1, 1).unwrap(),
        to: vigie_types::Date::from_ymd(2020, 1, 20).unwrap(),
        seed,
        scenarios: vigie_types::FraudScenario::ALL.to_vec(),
        ..vigie_synth::GenerateConfig::default()
    };
    let file = std::fs::File::create(path).unwrap();
    vigie_synth::generate(&config, std::io::BufWriter::new(file), &|_| {}).unwrap();
}

/// A NATS test's context: a client, a JetStream context and a topology
/// whose prefix and stream names are unique to the test.
pub struct Nats {
    pub client: async_nats::Client,
    pub js: async_nats::jetstream::Context,
    pub topology: Topology,
}

impl Nats {
    /// A publisher of this test's topology, on its connection.
    pub async fn publisher(
        &self,
        options: vigie_stream::nats::PublishOptions,
    ) -> vigie_stream::Result<vigie_stream::nats::Publisher> {
        vigie_stream::nats::Publisher::new(self.client.clone(), self.topology.clone(), options)
            .await
    }

    /// Transactions stored over all the partitions' streams.
    pub async fn tx_messages(&self) -> u64 {
        let mut total = 0;
        for partition in 0..self.topology.partitions {
            let mut stream = self
                .js
                .get_stream(self.topology.tx_stream(partition))
                .await
                .unwrap();
            total += stream.info().await.unwrap().state.messages;
        }
        total
    }
}

/// Runs `body` against NATS on a fresh runtime, with the topology's
/// streams created first and deleted afterwards (also when `body` panics).
pub fn with_nats<F, Fut>(url: &str, partitions: u16, body: F)
where
    F: FnOnce(Nats) -> Fut,
    Fut: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = vigie_stream::nats::connect(url, "vigie-stream-tests")
            .await
            .unwrap();
        let js = jetstream_context(client.clone(), 1024);
        let id = unique("t");
        let upper = id.to_uppercase();
        let topology = Topology {
            prefix: format!("vigie-test.{id}"),
            partitions,
            tx_stream_stem: format!("VT_{upper}_TX"),
            decisions_stream: format!("VT_{upper}_DECISIONS"),
            dlq_stream: format!("VT_{upper}_DLQ"),
        };
        ensure_streams(&js, &topology, &StreamSettings::default())
            .await
            .unwrap();
        let outcome = AssertUnwindSafe(body(Nats {
            client: client.clone(),
            js: js.clone(),
            topology: topology.clone(),
        }))
        .catch_unwind()
        .await;
        for name in topology.stream_names() {
            let _ = js.delete_stream(name).await;
        }
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    });
}
