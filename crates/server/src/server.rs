//! Starting and stopping the server: [`spawn`] binds, starts the hot-swap
//! poller and serves until [`ServerHandle::shutdown`]; [`serve`] does the
//! same until a future completes (Ctrl-C / SIGTERM in the CLI). Shutdown is
//! graceful: the listener closes, requests in flight finish, then the
//! decision log is flushed.

use std::future::Future;
use std::net::SocketAddr;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{AuthMode, ServerConfig};
use crate::error::ServerError;
use crate::routes::router;
use crate::seen::SeenFilter;
use crate::state::{AppState, Services, Shared, blocking};
use crate::swap;

/// A running server.
#[derive(Debug)]
pub struct ServerHandle {
    /// Where it listens (the real port when `:0` was asked for).
    pub local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<(), ServerError>>,
    state: Shared,
}

impl ServerHandle {
    /// The server's shared state (metrics, services), for embedding callers.
    pub fn state(&self) -> &Shared {
        &self.state
    }

    /// Stops accepting connections, lets requests in flight finish, flushes
    /// the decision log and waits for all of it.
    pub async fn shutdown(self) -> Result<(), ServerError> {
        self.stop.send_replace(true);
        self.task
            .await
            .map_err(|e| ServerError::Task(e.to_string()))?
    }

    /// Waits until the server stops by itself (it only does on error).
    pub async fn wait(self) -> Result<(), ServerError> {
        self.task
            .await
            .map_err(|e| ServerError::Task(e.to_string()))?
    }
}

/// Binds `config.addr` and serves in the background.
pub async fn spawn(config: ServerConfig, services: Services) -> Result<ServerHandle, ServerError> {
    let listener = TcpListener::bind(config.addr).await?;
    let local_addr = listener.local_addr()?;
    if config.auth == AuthMode::Disabled {
        tracing::warn!(
            "AUTHENTICATION IS DISABLED (--no-auth): anyone who can reach {local_addr} can score, \
             read decisions and move model aliases; use this for local demos only"
        );
    }
    let poll_interval = config.poll_interval;
    let log = services.log.clone();
    let known = blocking(move || log.all_trans_nums())
        .await?
        .map_err(|e| ServerError::Startup(format!("reading the decision log: {e}")))?;
    tracing::info!(decisions = known.len(), "decision log indexed");
    let state = AppState::new(config, services, SeenFilter::with_known(&known))?;
    let (stop, stopped) = watch::channel(false);
    let poller = tokio::spawn(swap::poll(state.clone(), poll_interval, stopped.clone()));
    let app = router(state.clone());
    let task_state = state.clone();
    let task = tokio::spawn(async move {
        let mut stopped = stopped;
        // TCP_NODELAY: an answer is one write; never hold it back waiting
        // for the client's ACK of the previous one (Nagle).
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY not set");
            }
        });
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await;
        poller.abort();
        let writer = task_state.services.writer.clone();
        let flushed = blocking(move || writer.flush()).await;
        served?;
        flushed?.map_err(|e| ServerError::Startup(format!("final decision-log flush: {e}")))?;
        tracing::info!("server stopped; decision log flushed");
        Ok(())
    });
    let champion = state.services.engine.champion().reference.clone();
    tracing::info!(
        addr = %local_addr,
        model = %champion.name,
        version = champion.version,
        "serving (API docs at http://{local_addr}/docs)"
    );
    Ok(ServerHandle {
        local_addr,
        stop,
        task,
        state,
    })
}

/// Serves until `shutdown` completes, then stops gracefully.
pub async fn serve(
    config: ServerConfig,
    services: Services,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServerError> {
    let handle = spawn(config, services).await?;
    shutdown.await;
    tracing::info!("shutting down: finishing requests in flight");
    handle.shutdown().await
}
