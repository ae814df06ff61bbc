//! Group commit: the partitions' batches share decision-log transactions.
//!
//! Each decision-log handle has one committer thread. A partition hands its
//! batch (decisions + stream position) to its handle's committer and
//! blocks until the batch is durable. The committer takes every batch
//! waiting at that moment (up to [`GROUP_ROWS`] decisions) and writes them
//! in ONE transaction (`DecisionLog::write_batches`): one commit, hence one
//! disk flush and one set of round trips, for many partitions. While it
//! commits, the next batches queue up and form the next group, so the
//! groups grow with the load and a lone batch is never delayed.
//!
//! Guarantees are those of one batch per transaction: a batch's decisions
//! and its position are committed together (in a group, together with
//! other batches too), and a partition learns of its commit only once it is
//! durable. When a group fails, each of its batches is written again on its
//! own, so a batch the log refuses fails alone and the others go through.

use std::sync::mpsc;
use std::thread::JoinHandle;

use vigie_decisions::{DecisionError, DecisionLog, LoggedDecision, StreamPosition, WriteOutcome};

use crate::error::{Result, WorkerError};

/// Most decisions one group commit carries (more waiting batches go to the
/// next group).
pub(crate) const GROUP_ROWS: usize = 4096;

/// A batch waiting for its commit.
struct Request {
    decisions: Vec<LoggedDecision>,
    position: Option<StreamPosition>,
    reply: mpsc::SyncSender<std::result::Result<WriteOutcome, DecisionError>>,
}

/// The committer threads, one per decision-log handle.
pub(crate) struct Committer {
    queues: Vec<mpsc::Sender<Request>>,
    threads: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Committer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Committer")
            .field("threads", &self.threads.len())
            .finish()
    }
}

impl Committer {
    /// Starts one committer thread per handle.
    pub(crate) fn start(logs: &[DecisionLog]) -> Result<Self> {
        let mut queues = Vec::with_capacity(logs.len());
        let mut threads = Vec::with_capacity(logs.len());
        for (i, log) in logs.iter().enumerate() {
            let (queue, requests) = mpsc::channel();
            let log = log.clone();
            let thread = std::thread::Builder::new()
                .name(format!("vigie-commit-{i}"))
                .spawn(move || run(&log, &requests))
                .map_err(|e| WorkerError::Task(format!("starting a committer: {e}")))?;
            queues.push(queue);
            threads.push(thread);
        }
        Ok(Self { queues, threads })
    }

    /// Commits `decisions` and `position` (of `partition`) in a group
    /// commit; blocks until it is durable or has failed.
    pub(crate) fn commit(
        &self,
        partition: u16,
        decisions: Vec<LoggedDecision>,
        position: Option<StreamPosition>,
    ) -> Result<WriteOutcome> {
        let queue = &self.queues[usize::from(partition) % self.queues.len()];
        let (reply, answer) = mpsc::sync_channel(1);
        let gone = || WorkerError::Task("the committer thread stopped".into());
        queue
            .send(Request {
                decisions,
                position,
                reply,
            })
            .map_err(|_| gone())?;
        Ok(answer.recv().map_err(|_| gone())??)
    }
}

impl Drop for Committer {
    fn drop(&mut self) {
        // Closing the queues ends the threads once they are idle.
        self.queues.clear();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// A committer thread: groups whatever is waiting, commits, answers.
fn run(log: &DecisionLog, requests: &mpsc::Receiver<Request>) {
    while let Ok(first) = requests.recv() {
        let mut rows = first.decisions.len();
        let mut group = vec![first];
        while rows < GROUP_ROWS {
            match requests.try_recv() {
                Ok(next) => {
                    rows += next.decisions.len();
                    group.push(next);
                }
                Err(_) => break,
            }
        }
        commit_group(log, group);
    }
}

fn commit_group(log: &DecisionLog, group: Vec<Request>) {
    let batches: Vec<(&[LoggedDecision], Option<&StreamPosition>)> = group
        .iter()
        .map(|r| (r.decisions.as_slice(), r.position.as_ref()))
        .collect();
    match log.write_batches(&batches) {
        Ok(outcomes) => {
            for (request, outcome) in group.iter().zip(outcomes) {
                // The partition may have given up waiting (it cannot: it
                // blocks), so a failed send is ignored.
                let _ = request.reply.send(Ok(outcome));
            }
        }
        Err(e) if group.len() == 1 => {
            let _ = group[0].reply.send(Err(e));
        }
        Err(e) => {
            tracing::debug!(error = %e, batches = group.len(),
                "a group commit failed: committing its batches one by one");
            for request in &group {
                let written = log.write_batch(&request.decisions, request.position.as_ref());
                let _ = request.reply.send(written);
            }
        }
    }
}
