//! [`BatchWriter`]: decisions are logged off the request path.
//!
//! `submit` puts a decision in a bounded queue and returns at once; a
//! background thread writes the queue in batches of up to `max_batch`
//! decisions, or whatever has arrived `max_delay` after the first one, each
//! batch in one transaction ([`DecisionLog::write_batch`]). When the queue
//! is full `submit` refuses with [`SubmitError::Backpressure`] (the server
//! answers 503 so the client retries) instead of blocking the request or
//! growing without bound.
//!
//! Until its batch is durable a decision is answered by
//! [`BatchWriter::pending`], so an idempotent retry arriving before the
//! flush finds the first decision (look in `pending` first, then in the
//! log: a decision leaves `pending` only once it is durable).
//!
//! The worker thread is woken only when it has something to do: when a
//! decision arrives while it is idle, when a full batch is waiting, for a
//! flush or a shutdown. While a batch is open it sleeps until the batch's
//! deadline, so a busy server pays no thread wake-up per decision.
//!
//! On a database error the batch is kept and retried with exponential
//! backoff (up to `max_backoff`); meanwhile new decisions wait in the queue,
//! which is what bounds the memory. [`BatchWriter::health`] reports the
//! failures. [`BatchWriter::shutdown`] drains the queue and joins the
//! thread; if the database still fails after `shutdown_attempts` tries, the
//! remaining decisions are counted as dropped and an error is returned.

mod stats;
mod worker;

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::thread::{JoinHandle, Thread};
use std::time::Duration;

use vigie_engine::DecisionRecord;
use vigie_types::TransNum;

use self::stats::Counters;
pub use self::stats::{WriterHealth, WriterStats};
use self::worker::{Command, Worker};
use crate::error::{DecisionError, Result, SubmitError};
use crate::log::DecisionLog;
use crate::record::LoggedDecision;

/// How a [`BatchWriter`] batches and retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchWriterOptions {
    /// Write as soon as this many decisions are waiting.
    pub max_batch: usize,
    /// Write at the latest this long after the first decision of a batch arrived.
    pub max_delay: Duration,
    /// Decisions the queue holds before `submit` answers `Backpressure`.
    pub queue_capacity: usize,
    /// The longest wait between two attempts at a failing batch.
    pub max_backoff: Duration,
    /// Attempts at a failing batch, once shutting down, before giving up.
    pub shutdown_attempts: u32,
}

impl Default for BatchWriterOptions {
    fn default() -> Self {
        Self {
            max_batch: 256,
            max_delay: Duration::from_millis(5),
            queue_capacity: 10_000,
            max_backoff: Duration::from_secs(2),
            shutdown_attempts: 3,
        }
    }
}

/// State shared by the writer handles and the background thread.
struct Shared {
    /// Submitted, not yet durable.
    pending: Mutex<HashMap<TransNum, DecisionRecord>>,
    counters: Counters,
    /// Set by `shutdown`: the worker gives up a failing batch after
    /// `shutdown_attempts`.
    stopping: AtomicBool,
    /// Wake-up protocol (see [`BatchWriter::submit`]): decisions sent and
    /// not yet taken by the worker (signed: the worker may take one before
    /// its sender counts it).
    queued: AtomicI64,
    /// The worker has no open batch and is about to sleep (or sleeps)
    /// until woken.
    idle: AtomicBool,
    /// Decisions in the worker's open batch when it went to sleep.
    batch_len: AtomicUsize,
    /// Wake the worker once this many decisions wait.
    max_batch: usize,
}

impl Shared {
    fn pending(&self) -> MutexGuard<'_, HashMap<TransNum, DecisionRecord>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Handles on one background writer. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct BatchWriter {
    handle: Arc<Handle>,
}

struct Handle {
    shared: Arc<Shared>,
    log: DecisionLog,
    sender: SyncSender<Command>,
    /// `true` while submissions are accepted. Submitters hold the read lock
    /// while queueing, so once `shutdown` holds the write lock every
    /// accepted decision is ahead of the shutdown command in the queue.
    open: RwLock<bool>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// The worker thread, to wake it.
    worker: Thread,
}

impl Drop for Handle {
    /// The last handle is gone without `shutdown`: the worker drains what is
    /// queued (the channel is closed) and must not retry a dead database
    /// forever in a detached thread.
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // The channel closes right after this; an idle worker notices it
        // at its next periodic check (`IDLE_RECHECK`).
        self.worker.unpark();
    }
}

impl std::fmt::Debug for BatchWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchWriter")
            .field("stats", &self.stats())
            .finish()
    }
}

impl BatchWriter {
    /// Starts the background writer on `log`.
    pub fn start(log: DecisionLog, options: BatchWriterOptions) -> Result<Self> {
        let options = BatchWriterOptions {
            max_batch: options.max_batch.max(1),
            queue_capacity: options.queue_capacity.max(1),
            shutdown_attempts: options.shutdown_attempts.max(1),
            ..options
        };
        let (sender, receiver) = mpsc::sync_channel(options.queue_capacity);
        let shared = Arc::new(Shared {
            pending: Mutex::new(HashMap::new()),
            counters: Counters::default(),
            stopping: AtomicBool::new(false),
            queued: AtomicI64::new(0),
            idle: AtomicBool::new(false),
            batch_len: AtomicUsize::new(0),
            max_batch: options.max_batch,
        });
        let worker = Worker::new(log.clone(), options, Arc::clone(&shared), receiver);
        let thread = std::thread::Builder::new()
            .name("vigie-decision-writer".into())
            .spawn(move || worker.run())
            .map_err(|e| DecisionError::Writer {
                message: format!("cannot start the writer thread: {e}"),
            })?;
        Ok(Self {
            handle: Arc::new(Handle {
                shared,
                log,
                sender,
                open: RwLock::new(true),
                worker: thread.thread().clone(),
                thread: Mutex::new(Some(thread)),
            }),
        })
    }

    /// Queues a decision for the log; never blocks. A `trans_num` already
    /// pending is accepted and ignored (the first decision stands).
    pub fn submit(&self, decision: LoggedDecision) -> Result<(), SubmitError> {
        let open = self
            .handle
            .open
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        if !*open {
            return Err(SubmitError::Closed);
        }
        let shared = &self.handle.shared;
        let trans_num = decision.record.trans_num;
        match shared.pending().entry(trans_num) {
            Entry::Occupied(_) => {
                Counters::add(&shared.counters.duplicates, 1);
                return Ok(());
            }
            Entry::Vacant(slot) => {
                slot.insert(decision.record.clone());
            }
        }
        match self
            .handle
            .sender
            .try_send(Command::Record(Box::new(decision)))
        {
            Ok(()) => {
                Counters::add(&shared.counters.queue_depth, 1);
                // Wake the worker only when it is idle or a full batch
                // waits; otherwise it is asleep until its open batch's
                // deadline and takes this decision then. SeqCst on `queued`
                // and `idle` (the worker stores `idle` then reads `queued`):
                // either the worker sees this decision before sleeping, or
                // this sees it idle and wakes it.
                let queued = shared.queued.fetch_add(1, Ordering::SeqCst) + 1;
                let waiting =
                    usize::try_from(queued).unwrap_or(0) + shared.batch_len.load(Ordering::SeqCst);
                if shared.idle.load(Ordering::SeqCst) || waiting >= shared.max_batch {
                    self.handle.worker.unpark();
                }
                Ok(())
            }
            Err(refused) => {
                shared.pending().remove(&trans_num);
                Err(match refused {
                    TrySendError::Full(_) => SubmitError::Backpressure,
                    TrySendError::Disconnected(_) => SubmitError::Closed,
                })
            }
        }
    }

    /// The decision submitted for `trans_num` and not yet durable, if any.
    pub fn pending(&self, trans_num: &TransNum) -> Option<DecisionRecord> {
        self.handle.shared.pending().get(trans_num).cloned()
    }

    /// The decision recorded for `trans_num`: the pending one if it is not
    /// durable yet, else the logged one. This is the idempotency lookup of
    /// the HTTP path (pending first, so there is no window where a decision
    /// is in neither place).
    pub fn decision_for(&self, trans_num: &TransNum) -> Result<Option<DecisionRecord>> {
        if let Some(record) = self.pending(trans_num) {
            return Ok(Some(record));
        }
        Ok(self.handle.log.get(trans_num)?.map(|stored| stored.record))
    }

    /// The log this writer writes to.
    pub fn log(&self) -> &DecisionLog {
        &self.handle.log
    }

    /// Waits until every decision submitted before this call is durable
    /// (or was given up, which is an error). Blocks while the database is
    /// failing.
    pub fn flush(&self) -> Result<()> {
        let (reply, answer) = mpsc::sync_channel(1);
        {
            let open = self
                .handle
                .open
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            if !*open {
                return Err(stopped());
            }
            // Woken before and after: a full queue only drains once the
            // worker runs.
            self.handle.worker.unpark();
            self.handle
                .sender
                .send(Command::Flush(reply))
                .map_err(|_| stopped())?;
            self.handle.worker.unpark();
        }
        match answer.recv() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(DecisionError::Writer { message }),
            Err(_) => Err(stopped()),
        }
    }

    /// Whether writes are succeeding.
    pub fn health(&self) -> WriterHealth {
        self.handle.shared.counters.health()
    }

    /// The counters, now.
    pub fn stats(&self) -> WriterStats {
        let shared = &self.handle.shared;
        shared.counters.snapshot(shared.pending().len() as u64)
    }

    /// Stops accepting decisions, writes everything queued and joins the
    /// thread. Later calls (from any clone) return at once. Fails when
    /// decisions had to be dropped because the database kept failing.
    pub fn shutdown(&self) -> Result<WriterStats> {
        let dropped_before = self.stats().dropped;
        {
            let mut open = self
                .handle
                .open
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            if *open {
                *open = false;
                self.handle.shared.stopping.store(true, Ordering::SeqCst);
                // Blocking is fine here: the worker is draining the queue.
                self.handle.worker.unpark();
                let _ = self.handle.sender.send(Command::Shutdown);
                self.handle.worker.unpark();
            }
        }
        let thread = self
            .handle
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            thread.join().map_err(|_| DecisionError::Writer {
                message: "the writer thread panicked".into(),
            })?;
        }
        let stats = self.stats();
        if stats.dropped > dropped_before {
            return Err(DecisionError::Writer {
                message: format!(
                    "{} decisions could not be written before shutdown",
                    stats.dropped - dropped_before
                ),
            });
        }
        Ok(stats)
    }
}

fn stopped() -> DecisionError {
    DecisionError::Writer {
        message: "the writer is shut down".into(),
    }
}
