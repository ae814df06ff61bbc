//! What every handler shares: the services the caller hands the server
//! ([`Services`]) and what the server builds around them ([`AppState`]).

use std::sync::Arc;

use vigie_decisions::{BatchWriter, DecisionLog, KeyStore};
use vigie_engine::Engine;
use vigie_registry::Registry;
use vigie_types::Tokenizer;

use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::inflight::InFlight;
use crate::metrics::Metrics;
use crate::seen::SeenFilter;
use crate::transaction::TransactionParser;

/// The services the server runs on, built by the caller (the CLI, the demo,
/// tests).
#[derive(Clone)]
pub struct Services {
    /// The scoring engine, already serving the champion (and challenger).
    pub engine: Arc<Engine>,
    /// The model registry (polled for alias moves; synchronous, so always
    /// called from `spawn_blocking`).
    pub registry: Arc<Registry>,
    /// The decision log (lookups, feedback, fallback writes).
    pub log: DecisionLog,
    /// The batched writer every decision goes through.
    pub writer: BatchWriter,
    /// API keys.
    pub keys: KeyStore,
    /// The card-number tokenizer (the key `vigie ingest` uses).
    pub tokenizer: Tokenizer,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("engine", &self.engine)
            .finish_non_exhaustive()
    }
}

/// The handlers' shared state.
pub struct AppState {
    /// Settings.
    pub config: ServerConfig,
    /// Services.
    pub services: Services,
    /// The ingestion edge's parser, for request bodies.
    pub parser: TransactionParser,
    /// Metrics.
    pub metrics: Metrics,
    /// Transactions being decided.
    pub inflight: InFlight,
    /// Which trans_nums may have a logged decision.
    pub seen: SeenFilter,
    /// Serialises alias synchronisation (the poller and the PUT route), so
    /// an older registry read is never applied after a newer one.
    pub swap_lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The state as handlers receive it.
pub type Shared = Arc<AppState>;

impl AppState {
    /// Builds the state.
    pub fn new(
        config: ServerConfig,
        services: Services,
        seen: SeenFilter,
    ) -> Result<Shared, ServerError> {
        let parser = TransactionParser::new(services.tokenizer.clone())?;
        let state = Self {
            config,
            services,
            parser,
            metrics: Metrics::new(),
            inflight: InFlight::default(),
            seen,
            swap_lock: tokio::sync::Mutex::new(()),
        };
        state.publish_models();
        Ok(Arc::new(state))
    }

    /// Updates the model-info gauge from the engine.
    pub fn publish_models(&self) {
        let champion = self.services.engine.champion();
        let challenger = self.services.engine.challenger();
        let mut models = vec![("champion", &champion.reference)];
        if let Some(c) = &challenger {
            models.push(("challenger", &c.reference));
        }
        self.metrics.set_models(&models);
    }
}

/// Runs blocking work (registry, database) off the async threads.
pub async fn blocking<T, F>(work: F) -> Result<T, ServerError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ServerError::Task(e.to_string()))
}
