//! The worker process: connects, serves `/metrics`, makes sure the card
//! states are usable (adopting or rebuilding them), then holds leases and
//! runs one loop per owned partition until shutdown.
//!
//! Leases: every tick the worker renews what it holds (a lease it fails to
//! renew is dropped at once and its partition loop told to stop), records
//! itself alive, and takes free partitions up to its fair share
//! (partitions / live workers, rounded up), or stops its excess ones
//! (finishing their in-flight batch, then releasing them) when workers join.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use vigie_decisions::DecisionLog;
use vigie_engine::Engine;
use vigie_stream::nats::{connect_with, ensure_streams, frame_limit, jetstream_context};
use vigie_stream::{Lease, PartitionLeases, RedisStateStore, new_owner_id};

use crate::batch::Core;
use crate::commit::Committer;
use crate::config::WorkerConfig;
use crate::error::{Dependency, Result, WorkerError};
use crate::metrics::Metrics;
use crate::partition::{Exit, Shared, pause, run as run_partition};
use crate::rebuild::rebuild;

/// How long the rebuild lock is held at most (a dead rebuilder's lock
/// expires after this).
const REBUILD_LOCK_TTL: Duration = Duration::from_secs(120);

/// A connected worker, ready to run.
pub struct Worker {
    shared: Arc<Shared>,
    leases: Arc<PartitionLeases>,
    rebuild_lock: Arc<PartitionLeases>,
    metrics_addr: Option<std::net::SocketAddr>,
    metrics_task: Option<JoinHandle<()>>,
    rebuilds: u64,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("owner", &self.leases.owner())
            .field("metrics_addr", &self.metrics_addr)
            .finish_non_exhaustive()
    }
}

/// What a worker did, when it stops.
#[derive(Debug, Clone, Serialize)]
pub struct WorkerReport {
    /// Its owner id (host, process, random).
    pub owner: String,
    /// Card-state rebuilds it performed.
    pub rebuilds: u64,
    /// How long it ran.
    pub seconds: f64,
}

/// Why the consuming phase ended.
enum Phase {
    Shutdown,
    StateLost,
}

struct Held {
    lease: Lease,
    stop: watch::Sender<bool>,
    task: JoinHandle<Exit>,
    /// The lease is no longer ours (do not release it).
    lost: bool,
}

impl Worker {
    /// Connects to NATS (creating missing streams), Redis (leases) and
    /// starts the metrics endpoint. `store` must be the engine's store;
    /// `logs` are handles on one decision log (at least one), shared out
    /// among the partitions so their writes run in parallel.
    pub async fn connect(
        config: WorkerConfig,
        engine: Arc<Engine>,
        store: Arc<RedisStateStore>,
        logs: Vec<DecisionLog>,
        metrics: Arc<Metrics>,
        shutdown: watch::Receiver<bool>,
    ) -> Result<Self> {
        config.validate()?;
        if logs.is_empty() {
            return Err(WorkerError::Config("no decision log handle".into()));
        }
        let owner = new_owner_id();
        let name = format!("vigie-worker-{owner}");
        let client = connect_with(&config.nats_url, &name, &config.nats_tls).await?;
        // The server's payload limit, once: it bounds each decision frame.
        let frame_limit = frame_limit(client.server_info().max_payload);
        let js = jetstream_context(client, config.publish_window());
        let streams = ensure_streams(&js, &config.topology, &config.streams).await?;
        for warning in &streams.warnings {
            tracing::warn!("{warning}");
        }
        let (redis, group, ttl) = (
            config.redis.clone(),
            config.group().to_string(),
            config.lease_ttl,
        );
        let owner_for_leases = owner.clone();
        let (leases, rebuild_lock) = tokio::task::spawn_blocking(move || {
            Ok::<_, WorkerError>((
                PartitionLeases::connect(&redis, &group, owner_for_leases.clone(), ttl)?,
                PartitionLeases::connect(
                    &redis,
                    &format!("{group}.rebuild"),
                    owner_for_leases,
                    REBUILD_LOCK_TTL,
                )?,
            ))
        })
        .await
        .map_err(|e| WorkerError::Task(e.to_string()))??;
        let (metrics_addr, metrics_task) = match &config.metrics_addr {
            Some(addr) => {
                let (bound, task) =
                    crate::http::serve(addr, Arc::clone(&metrics), shutdown).await?;
                (Some(bound), Some(task))
            }
            None => (None, None),
        };
        let committer = Committer::start(&logs)?;
        let core = Arc::new(Core {
            engine,
            store,
            logs,
            committer,
            consumer: config.group().to_string(),
            metrics,
        });
        Ok(Self {
            shared: Arc::new(Shared {
                core,
                js,
                config,
                frame_limit,
            }),
            leases: Arc::new(leases),
            rebuild_lock: Arc::new(rebuild_lock),
            metrics_addr,
            metrics_task,
            rebuilds: 0,
        })
    }

    /// Where `/metrics` is served, if it is.
    pub fn metrics_addr(&self) -> Option<std::net::SocketAddr> {
        self.metrics_addr
    }

    /// Runs until `shutdown` turns true: in-flight batches are finished
    /// (published and acknowledged), leases released.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) -> Result<WorkerReport> {
        let started = Instant::now();
        tracing::info!(
            owner = self.leases.owner(),
            group = self.shared.config.group(),
            "worker started"
        );
        while self.ensure_states(&mut shutdown).await {
            match self.consume(&mut shutdown).await {
                Phase::Shutdown => break,
                Phase::StateLost => {
                    tracing::warn!("card states lost: consumption stopped until they are rebuilt");
                }
            }
        }
        let leases = Arc::clone(&self.leases);
        let _ = tokio::task::spawn_blocking(move || leases.leave()).await;
        if let Some(task) = self.metrics_task.take() {
            let _ = task.await;
        }
        let report = WorkerReport {
            owner: self.leases.owner().to_string(),
            rebuilds: self.rebuilds,
            seconds: started.elapsed().as_secs_f64(),
        };
        // Blocking clients (the decision log's) must not be dropped on an
        // async thread.
        let _ = tokio::task::spawn_blocking(move || drop(self)).await;
        Ok(report)
    }

    fn metrics(&self) -> &Metrics {
        &self.shared.core.metrics
    }

    /// Makes sure the card states in Redis are the ones this worker
    /// adopted: adopts a marker another worker wrote, or takes the rebuild
    /// lock and rebuilds. `false` on shutdown.
    async fn ensure_states(&mut self, shutdown: &mut watch::Receiver<bool>) -> bool {
        loop {
            if *shutdown.borrow() {
                return false;
            }
            let store = Arc::clone(&self.shared.core.store);
            let checked = blocking(move || Ok(store.check()?)).await;
            let state_lost = match checked {
                Ok(()) => {
                    self.metrics().set_degraded(Dependency::StateLost, false);
                    self.metrics().set_degraded(Dependency::Redis, false);
                    return true;
                }
                Err(e) => e.dependency() == Dependency::StateLost,
            };
            if !state_lost {
                self.metrics().set_degraded(Dependency::Redis, true);
                pause(shutdown, Duration::from_secs(1)).await;
                continue;
            }
            self.metrics().set_degraded(Dependency::StateLost, true);
            let store = Arc::clone(&self.shared.core.store);
            if let Ok(epoch) = blocking(move || Ok(store.adopt_epoch()?)).await {
                tracing::info!(%epoch, "adopted the card states another worker loaded");
                continue;
            }
            let lock = Arc::clone(&self.rebuild_lock);
            match blocking(move || Ok(lock.try_acquire(0)?)).await {
                Ok(Some(held)) => {
                    tracing::warn!(
                        "no card states in Redis: rebuilding them from the transaction stream"
                    );
                    let outcome = rebuild(&self.shared).await;
                    let lock = Arc::clone(&self.rebuild_lock);
                    let _ = blocking(move || Ok(lock.release(held)?)).await;
                    match outcome {
                        Ok(_) => {
                            self.rebuilds += 1;
                            self.metrics().rebuilt();
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "rebuilding the card states failed; retrying");
                            pause(shutdown, Duration::from_secs(1)).await;
                        }
                    }
                }
                _ => {
                    pause(shutdown, Duration::from_millis(250)).await;
                }
            }
        }
    }

    /// Holds leases and runs partition loops until shutdown or state loss.
    async fn consume(&mut self, shutdown: &mut watch::Receiver<bool>) -> Phase {
        let mut held: BTreeMap<u16, Held> = BTreeMap::new();
        let tick_every = self.shared.config.renew_every().min(Duration::from_secs(1));
        let mut last_renew = Instant::now();
        let mut state_lost = false;
        // The first round claims partitions at once (a worker starting
        // on a backlog does not wait a tick), then one round per tick.
        loop {
            state_lost |= self.reap(&mut held).await;
            if *shutdown.borrow() || state_lost {
                self.stop_all(&mut held).await;
                return if state_lost {
                    Phase::StateLost
                } else {
                    Phase::Shutdown
                };
            }
            if last_renew.elapsed() >= self.shared.config.renew_every() {
                self.renew(&mut held).await;
                last_renew = Instant::now();
            }
            self.balance(&mut held).await;
            let active = held.values().filter(|h| !*h.stop.borrow()).count();
            self.metrics().set_owned(active);
            let _ = tokio::time::timeout(tick_every, shutdown.changed()).await;
        }
    }

    /// Collects finished partition loops and releases their leases;
    /// `true` when one ended because the states are lost.
    async fn reap(&self, held: &mut BTreeMap<u16, Held>) -> bool {
        let finished: Vec<u16> = held
            .iter()
            .filter(|(_, h)| h.task.is_finished())
            .map(|(p, _)| *p)
            .collect();
        let mut state_lost = false;
        for partition in finished {
            if let Some(h) = held.remove(&partition) {
                state_lost |= matches!(h.task.await, Ok(Exit::StateLost));
                self.release(h.lease, h.lost).await;
            }
        }
        state_lost
    }

    async fn release(&self, lease: Lease, lost: bool) {
        if lost {
            return;
        }
        let leases = Arc::clone(&self.leases);
        let partition = lease.partition;
        if let Err(e) = blocking(move || Ok(leases.release(lease)?)).await {
            tracing::warn!(partition, error = %e, "could not release a lease (it will expire)");
        }
    }

    async fn stop_all(&self, held: &mut BTreeMap<u16, Held>) {
        for h in held.values() {
            let _ = h.stop.send(true);
        }
        while let Some((_, h)) = held.pop_first() {
            let _ = h.task.await;
            self.release(h.lease, h.lost).await;
        }
        self.metrics().set_owned(0);
    }

    async fn renew(&self, held: &mut BTreeMap<u16, Held>) {
        for (partition, h) in held.iter_mut().filter(|(_, h)| !h.lost) {
            let leases = Arc::clone(&self.leases);
            let lease = h.lease.clone();
            let renewed = blocking(move || Ok(leases.renew(&lease)?)).await;
            if !matches!(renewed, Ok(true)) {
                tracing::warn!(partition, "lease lost: stopping the partition");
                h.lost = true;
                let _ = h.stop.send(true);
            }
        }
    }

    /// Takes free partitions up to the fair share, or stops the excess.
    async fn balance(&self, held: &mut BTreeMap<u16, Held>) {
        let partitions = self.shared.config.topology.partitions;
        let leases = Arc::clone(&self.leases);
        let Ok(live) = blocking(move || Ok(leases.heartbeat()?)).await else {
            // Redis is unreachable: the leases cannot be renewed either.
            self.metrics().set_degraded(Dependency::Redis, true);
            return;
        };
        self.metrics().set_degraded(Dependency::Redis, false);
        let share = self
            .shared
            .config
            .max_partitions
            .unwrap_or_else(|| usize::from(partitions).div_ceil(live));
        let active: Vec<u16> = held
            .iter()
            .filter(|(_, h)| !*h.stop.borrow())
            .map(|(p, _)| *p)
            .collect();
        if active.len() > share {
            for partition in active.iter().rev().take(active.len() - share) {
                if let Some(h) = held.get(partition) {
                    tracing::info!(partition, "handing the partition over (fair share)");
                    let _ = h.stop.send(true);
                }
            }
            return;
        }
        let wanted = share - active.len();
        if wanted == 0 {
            return;
        }
        let leases = Arc::clone(&self.leases);
        let Ok(taken) = blocking(move || Ok(leases.claim(partitions, wanted)?)).await else {
            return;
        };
        for lease in taken {
            let (stop, stop_rx) = watch::channel(false);
            let partition = lease.partition;
            tracing::info!(partition, fence = lease.fence, "partition taken");
            let task = tokio::spawn(run_partition(Arc::clone(&self.shared), partition, stop_rx));
            held.insert(
                partition,
                Held {
                    lease,
                    stop,
                    task,
                    lost: false,
                },
            );
        }
    }
}

/// Runs blocking Redis work off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| WorkerError::Task(e.to_string()))?
}
