//! The background thread of a [`super::BatchWriter`]: gathers batches,
//! writes them, retries failures with backoff, answers flushes.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError};
use std::time::{Duration, Instant};

use super::stats::{Counters, WriterHealth};
use super::{BatchWriterOptions, Shared};
use crate::log::DecisionLog;
use crate::record::LoggedDecision;

/// The first wait after a failed write.
const FIRST_BACKOFF: Duration = Duration::from_millis(20);

/// How long an idle worker sleeps before checking on its own whether every
/// handle is gone (a wake-up normally comes first).
const IDLE_RECHECK: Duration = Duration::from_millis(100);

/// What the handles send to the worker.
pub(super) enum Command {
    /// A decision to log.
    Record(Box<LoggedDecision>),
    /// Write what is queued, then answer.
    Flush(SyncSender<Result<(), String>>),
    /// Write what is queued, then stop.
    Shutdown,
}

/// The worker's state.
pub(super) struct Worker {
    log: DecisionLog,
    options: BatchWriterOptions,
    shared: Arc<Shared>,
    receiver: Receiver<Command>,
    batch: Vec<LoggedDecision>,
    /// When the current batch must be written at the latest.
    deadline: Option<Instant>,
    /// Flushes waiting for the current batch.
    waiters: Vec<SyncSender<Result<(), String>>>,
    /// A batch was given up while stopping: the database is down, give the
    /// rest up at once instead of retrying every batch.
    gave_up: bool,
    /// Failed attempts since the last successful write.
    failures_in_a_row: u64,
}

impl Worker {
    pub(super) fn new(
        log: DecisionLog,
        options: BatchWriterOptions,
        shared: Arc<Shared>,
        receiver: Receiver<Command>,
    ) -> Self {
        Self {
            batch: Vec::with_capacity(options.max_batch),
            log,
            options,
            shared,
            receiver,
            deadline: None,
            waiters: Vec::new(),
            gave_up: false,
            failures_in_a_row: 0,
        }
    }

    /// Runs until shut down (or every handle is dropped), then drains.
    ///
    /// Sleeps (parks) between rounds: until the open batch's deadline, or,
    /// with no open batch, until a submitter wakes it (see
    /// [`super::BatchWriter::submit`]) or [`IDLE_RECHECK`] passes.
    pub(super) fn run(mut self) {
        'run: loop {
            // Take everything queued.
            loop {
                match self.receiver.try_recv() {
                    Ok(Command::Shutdown) | Err(TryRecvError::Disconnected) => break 'run,
                    Ok(command) => self.handle(command),
                    Err(TryRecvError::Empty) => break,
                }
            }
            match self.deadline {
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        self.write();
                        continue;
                    }
                    self.shared
                        .batch_len
                        .store(self.batch.len(), Ordering::SeqCst);
                    // Submitters read `batch_len` after counting their
                    // decision: either they saw this batch's size, or this
                    // sees their decisions (then no sleep).
                    let queued =
                        usize::try_from(self.shared.queued.load(Ordering::SeqCst)).unwrap_or(0);
                    if queued + self.batch.len() < self.options.max_batch {
                        std::thread::park_timeout(deadline - now);
                    }
                }
                None => {
                    self.shared.batch_len.store(0, Ordering::SeqCst);
                    self.shared.idle.store(true, Ordering::SeqCst);
                    // A decision sent before `idle` was visible was not
                    // followed by a wake-up: look once more before sleeping.
                    if self.shared.queued.load(Ordering::SeqCst) <= 0 {
                        std::thread::park_timeout(IDLE_RECHECK);
                    }
                    self.shared.idle.store(false, Ordering::SeqCst);
                }
            }
        }
        // Shutting down: whatever was accepted before is still queued.
        loop {
            match self.receiver.try_recv() {
                Ok(Command::Shutdown) => {}
                Ok(command) => self.handle(command),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        self.write();
        self.shared.counters.set_health(WriterHealth::Stopped);
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Record(decision) => {
                self.shared
                    .counters
                    .queue_depth
                    .fetch_sub(1, Ordering::Relaxed);
                self.shared.queued.fetch_sub(1, Ordering::SeqCst);
                if self.batch.is_empty() {
                    self.deadline = Some(Instant::now() + self.options.max_delay);
                }
                self.batch.push(*decision);
                if self.batch.len() >= self.options.max_batch {
                    self.write();
                }
            }
            Command::Flush(reply) => {
                self.waiters.push(reply);
                self.write();
            }
            Command::Shutdown => {}
        }
    }

    /// Writes the current batch, retrying until it is durable (or, once
    /// shutting down, until `shutdown_attempts` have failed), then answers
    /// the waiting flushes.
    fn write(&mut self) {
        self.deadline = None;
        let outcome = if self.batch.is_empty() {
            Ok(())
        } else {
            self.write_with_retries()
        };
        for waiter in self.waiters.drain(..) {
            let _ = waiter.send(outcome.clone());
        }
    }

    fn write_with_retries(&mut self) -> Result<(), String> {
        let shared = Arc::clone(&self.shared);
        let counters = &shared.counters;
        let mut backoff = FIRST_BACKOFF;
        let mut attempts_while_stopping = 0u32;
        if self.gave_up {
            return Err(self.give_up("an earlier batch could not be written at shutdown"));
        }
        loop {
            let started = Instant::now();
            match self.log.write_batch(&self.batch, None) {
                Ok(outcome) => {
                    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                    counters
                        .last_flush_latency_us
                        .store(micros, Ordering::Relaxed);
                    Counters::add(&counters.written, outcome.inserted.len() as u64);
                    Counters::add(&counters.duplicates, outcome.existing.len() as u64);
                    Counters::add(&counters.batches, 1);
                    counters.set_health(WriterHealth::Healthy);
                    self.failures_in_a_row = 0;
                    self.release_batch();
                    return Ok(());
                }
                Err(err) if !err.is_transient() => {
                    // A refused value: drop the decisions that cannot be
                    // written and try the rest at once.
                    self.drop_invalid(&err.to_string());
                    if self.batch.is_empty() {
                        return Err(format!("decisions refused: {err}"));
                    }
                }
                Err(err) => {
                    Counters::add(&counters.failures, 1);
                    self.failures_in_a_row += 1;
                    tracing::warn!(error = %err, batch = self.batch.len(), "decision log write failed; retrying");
                    counters.set_health(WriterHealth::Retrying {
                        consecutive_failures: self.failures_in_a_row,
                        last_error: err.to_string(),
                    });
                    if self.shared.stopping.load(Ordering::SeqCst) {
                        attempts_while_stopping += 1;
                        if attempts_while_stopping >= self.options.shutdown_attempts {
                            self.gave_up = true;
                            return Err(self.give_up(&err.to_string()));
                        }
                    }
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(self.options.max_backoff);
                }
            }
        }
    }

    /// Drops the current batch at shutdown; returns the error to report.
    fn give_up(&mut self, reason: &str) -> String {
        let lost = self.batch.len();
        tracing::error!(reason, lost, "giving up on decisions at shutdown");
        Counters::add(&self.shared.counters.dropped, lost as u64);
        self.release_batch();
        format!("{lost} decisions not written: {reason}")
    }

    /// Removes the decisions the log refuses on their own (never logging
    /// their content, only their ids).
    fn drop_invalid(&mut self, error: &str) {
        let log = &self.log;
        let mut dropped = Vec::new();
        self.batch.retain(|decision| {
            let valid = log.validate(decision).is_ok();
            if !valid {
                dropped.push(decision.record.trans_num);
            }
            valid
        });
        if dropped.is_empty() {
            // Nothing singled out: give the whole batch up rather than loop.
            dropped.extend(self.batch.iter().map(|d| d.record.trans_num));
            self.batch.clear();
        }
        tracing::error!(
            error,
            count = dropped.len(),
            "decisions refused by the log, dropped"
        );
        Counters::add(&self.shared.counters.dropped, dropped.len() as u64);
        let mut pending = self.shared.pending();
        for trans_num in &dropped {
            pending.remove(trans_num);
        }
    }

    /// The batch is done with: out of `pending`, emptied.
    fn release_batch(&mut self) {
        let mut pending = self.shared.pending();
        for decision in self.batch.drain(..) {
            pending.remove(&decision.record.trans_num);
        }
    }
}
