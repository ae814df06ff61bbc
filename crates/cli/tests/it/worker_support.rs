//! A harness for the scorer-worker tests: a unique subject prefix, Redis
//! prefix and consumer group per test, generated transactions with unique
//! `trans_num`s (a random seed), a model file, worker processes (the real
//! `vigie` binary) and the expected outcome computed in-process by the
//! same engine over an in-memory store, in file order.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use vigie_decisions::{DecisionLog, DecisionLogConfig};
use vigie_ingest::{ReadOptions, read_file};
use vigie_stream::{RedisConfig, RedisStateStore};
use vigie_types::{Date, FraudScenario, TokenKey, Tokenizer, TransNum, Transaction};

use crate::support::Vigie;

/// The token key every process of a test uses.
pub const KEY: &str = "worker-test-key-0123456789abcdef";

/// The three services, from the environment.
#[derive(Clone)]
pub struct Services {
    pub nats: String,
    pub redis: String,
    pub database: String,
}

/// The services, or `None` after printing a skip line.
#[allow(clippy::print_stderr)]
pub fn services(test: &str) -> Option<Services> {
    let get = |var: &str| std::env::var(var).ok().filter(|v| !v.is_empty());
    match (
        get("VIGIE_TEST_NATS_URL"),
        get("VIGIE_TEST_REDIS_URL"),
        get("VIGIE_TEST_DATABASE_URL"),
    ) {
        (Some(nats), Some(redis), Some(database)) => Some(Services {
            nats,
            redis,
            database,
        }),
        _ => {
            eprintln!(
                "skipped: {test} needs VIGIE_TEST_NATS_URL, VIGIE_TEST_REDIS_URL and \
                 VIGIE_TEST_DATABASE_URL"
            );
            None
        }
    }
}

fn random() -> u64 {
    let mut bytes = [0u8; 8];
    getrandom_bytes(&mut bytes);
    u64::from_le_bytes(bytes)
}

fn getrandom_bytes(out: &mut [u8]) {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(out)
        .unwrap();
}

/// One test's world.
pub struct Run {
    pub vigie: Vigie,
    pub services: Services,
    pub prefix: String,
    pub redis_prefix: String,
    pub group: String,
    pub partitions: u16,
    pub csv: PathBuf,
    pub model_file: PathBuf,
    /// Accepted transactions, in file order.
    pub txns: Vec<Transaction>,
    /// More environment for the publisher and the workers (TLS files).
    pub extra_env: Vec<(&'static str, String)>,
    workers: Vec<Option<Child>>,
}

impl Run {
    /// Generates about `rows` transactions and the model.
    pub fn new(services: Services, rows: u64, partitions: u16) -> Self {
        let vigie = Vigie::new();
        let tag = format!("w{:012x}", random() & 0xffff_ffff_ffff);
        let csv = vigie.dir.path().join("tx.csv");
        let (from, to) = (
            Date::from_ymd(2020, 3, 1).unwrap(),
            Date::from_ymd(2020, 3, 31).unwrap(),
        );
        let config = vigie_synth::GenerateConfig {
            customers: vigie_synth::GenerateConfig::customers_for_rows(rows, from, to),
            from,
            to,
            seed: random(),
            scenarios: FraudScenario::ALL.to_vec(),
            scenario_column: false,
            max_rows: Some(rows),
        };
        let file = std::fs::File::create(&csv).unwrap();
        vigie_synth::generate(&config, std::io::BufWriter::new(file), &|_| {}).unwrap();
        let tokenizer = Tokenizer::new(&TokenKey::new(KEY.as_bytes(), 1).unwrap());
        let mut txns = Vec::new();
        read_file(
            &csv,
            &tokenizer,
            &ReadOptions::default(),
            &|_| {},
            &mut |batch| {
                txns.extend(batch.accepted.into_iter().map(|a| a.txn.txn));
                Ok(())
            },
        )
        .unwrap();
        let model_file = vigie.dir.path().join("model.vmodel");
        crate::worker_model::write_model(&model_file);
        Self {
            vigie,
            services,
            redis_prefix: format!("vigie-test-{tag}"),
            group: format!("{tag}-scorer"),
            prefix: tag,
            partitions,
            csv,
            model_file,
            txns,
            extra_env: Vec::new(),
            workers: Vec::new(),
        }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![("VIGIE_TOKEN_KEY", KEY.to_string())];
        env.extend(self.extra_env.iter().cloned());
        env
    }

    /// Publishes `file` (default: the generated CSV); returns the JSON report.
    pub fn publish(&self, file: Option<&std::path::Path>) -> serde_json::Value {
        let file = file.unwrap_or(&self.csv).to_str().unwrap().to_string();
        let partitions = self.partitions.to_string();
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let o = self.vigie.run(
            &[
                "stream",
                "publish",
                &file,
                "--nats",
                &self.services.nats,
                "--subject-prefix",
                &self.prefix,
                "--partitions",
                &partitions,
                "--json",
            ],
            &env,
        );
        assert!(o.status.success(), "{}", crate::support::stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    }

    /// Starts a worker process with extra environment; returns its index.
    pub fn spawn_worker(&mut self, extra_env: &[(&str, &str)], extra_args: &[&str]) -> usize {
        let (redis, database) = (self.services.redis.clone(), self.services.database.clone());
        self.spawn_worker_via(&redis, &database, extra_env, extra_args)
    }

    /// [`Self::spawn_worker`] with other Redis and database URLs.
    pub fn spawn_worker_via(
        &mut self,
        redis: &str,
        database: &str,
        extra_env: &[(&str, &str)],
        extra_args: &[&str],
    ) -> usize {
        let index = self.workers.len();
        let log = std::fs::File::create(self.vigie.dir.path().join(format!("worker-{index}.log")))
            .unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigie"));
        cmd.arg("--data-dir")
            .arg(self.vigie.data_dir())
            .args(["stream", "score", "--nats", &self.services.nats])
            .args(["--redis", redis])
            .args(["--redis-prefix", &self.redis_prefix])
            .args(["--database-url", database])
            .arg("--model-file")
            .arg(&self.model_file)
            .args(["--subject-prefix", &self.prefix])
            .args(["--partitions", &self.partitions.to_string()])
            .args(["--group", &self.group])
            .args([
                "--lease-ttl-ms",
                "1500",
                "--fetch-wait-ms",
                "200",
                "--ack-wait",
                "5",
            ])
            .args(extra_args)
            .env_remove("VIGIE_FAULT")
            .envs(self.env())
            .envs(extra_env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log);
        self.workers.push(Some(cmd.spawn().unwrap()));
        index
    }

    /// SIGKILLs worker `index` and reaps it.
    pub fn kill(&mut self, index: usize) {
        if let Some(mut child) = self.workers[index].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether worker `index` has exited; its exit code if so.
    pub fn exited(&mut self, index: usize) -> Option<Option<i32>> {
        let child = self.workers[index].as_mut()?;
        child.try_wait().unwrap().map(|s| s.code())
    }

    /// Waits until worker `index` exits (deadline); its exit code.
    pub fn wait_exit(&mut self, index: usize, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(code) = self.exited(index) {
                self.workers[index] = None;
                return code;
            }
            assert!(
                Instant::now() < deadline,
                "worker {index} did not exit\n{}",
                self.log(index)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERMs worker `index` and waits for its clean exit.
    pub fn terminate(&mut self, index: usize) -> Option<i32> {
        let pid = self.workers[index].as_ref().unwrap().id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        self.wait_exit(index, Duration::from_secs(30))
    }

    /// Worker `index`'s log.
    pub fn log(&self, index: usize) -> String {
        std::fs::read_to_string(self.vigie.dir.path().join(format!("worker-{index}.log")))
            .unwrap_or_default()
    }

    /// The shared decision log.
    pub fn decision_log(&self) -> DecisionLog {
        DecisionLog::open(&DecisionLogConfig {
            data_dir: self.vigie.dir.path().join("log"),
            database_url: Some(self.services.database.clone()),
        })
        .unwrap()
    }

    pub fn trans_nums(&self) -> Vec<TransNum> {
        self.txns.iter().map(|t| t.trans_num).collect()
    }

    /// How many of the test's transactions have a logged decision.
    pub fn decided(&self, log: &DecisionLog) -> usize {
        log.contains_many(&self.trans_nums()).unwrap().len()
    }

    /// Polls until `n` decisions are logged; panics after `within`.
    pub fn wait_decided(&mut self, log: &DecisionLog, n: usize, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let decided = self.decided(log);
            if decided >= n {
                return;
            }
            let logs: Vec<String> = (0..self.workers.len()).map(|i| self.log(i)).collect();
            assert!(
                Instant::now() < deadline,
                "{decided} of {n} decided in time; worker logs:\n{}",
                logs.join("\n---\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn redis_config(&self) -> RedisConfig {
        let mut config = RedisConfig::new(&self.services.redis);
        config.key_prefix.clone_from(&self.redis_prefix);
        config
    }

    pub fn redis_store(&self) -> RedisStateStore {
        let store = RedisStateStore::connect(&self.redis_config()).unwrap();
        let _ = store.adopt_epoch();
        store
    }

    /// Runs `body` against the test's NATS (a JetStream context and the
    /// run's topology) on a runtime of its own.
    pub fn with_jetstream<T, F, Fut>(&self, body: F) -> T
    where
        F: FnOnce(async_nats::jetstream::Context, vigie_stream::nats::Topology) -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let client = async_nats::connect(&self.services.nats).await.unwrap();
            let topology =
                vigie_stream::nats::Topology::new(&self.prefix, self.partitions).unwrap();
            body(async_nats::jetstream::new(client), topology).await
        })
    }

    /// Deletes the test's streams and Redis keys.
    fn clean_up(&mut self) {
        for index in 0..self.workers.len() {
            self.kill(index);
        }
        if let Ok(store) = RedisStateStore::connect(&self.redis_config()) {
            let _ = store.purge_all();
        }
        if let Ok(leases) = vigie_stream::PartitionLeases::connect(
            &self.redis_config(),
            &self.group,
            "cleaner",
            Duration::from_secs(1),
        ) {
            let _ = leases.purge_all();
        }
        if let Ok(leases) = vigie_stream::PartitionLeases::connect(
            &self.redis_config(),
            &format!("{}.rebuild", self.group),
            "cleaner",
            Duration::from_secs(1),
        ) {
            let _ = leases.purge_all();
        }
        let nats = self.services.nats.clone();
        let prefix = self.prefix.clone();
        let partitions = self.partitions;
        if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            runtime.block_on(async move {
                let Ok(client) = async_nats::connect(&nats).await else {
                    return;
                };
                let js = async_nats::jetstream::new(client);
                let topology = vigie_stream::nats::Topology::new(&prefix, partitions).unwrap();
                for stream in topology.stream_names() {
                    let _ = js.delete_stream(stream).await;
                }
            });
        }
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        self.clean_up();
    }
}
