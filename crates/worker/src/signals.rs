//! Clean shutdown: SIGTERM or SIGINT turns the shutdown flag on; the
//! worker then finishes its in-flight batches, releases its leases and
//! returns.

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

use crate::error::{Result, WorkerError};

/// Spawns a task that sets `shutdown` on the first SIGTERM or SIGINT.
/// Must be called inside a tokio runtime.
pub fn shutdown_on_signals(shutdown: watch::Sender<bool>) -> Result<()> {
    let io = |e: std::io::Error| WorkerError::Config(format!("cannot listen for signals: {e}"));
    let mut term = signal(SignalKind::terminate()).map_err(io)?;
    let mut int = signal(SignalKind::interrupt()).map_err(io)?;
    tokio::spawn(async move {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        tracing::info!(signal = name, "shutting down: finishing in-flight batches");
        let _ = shutdown.send(true);
    });
    Ok(())
}
