//! Requests being decided, by `trans_num`: a second request for a
//! transaction still being decided waits for the first one's decision
//! instead of racing it (the engine would answer it `Duplicate` before the
//! first decision is anywhere to be found).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use vigie_engine::DecisionRecord;
use vigie_types::TransNum;

type Slot = watch::Receiver<Option<Arc<DecisionRecord>>>;

/// The map of decisions in progress.
#[derive(Debug, Default)]
pub struct InFlight {
    entries: Mutex<HashMap<TransNum, Slot>>,
}

/// What [`InFlight::claim`] gives.
#[derive(Debug)]
pub enum Claim<'a> {
    /// Nobody is deciding this transaction: the caller does, and publishes
    /// the decision through the guard (dropping it unpublished releases
    /// the claim, and waiters fall back to the log).
    Owner(OwnerGuard<'a>),
    /// Another request is deciding it: wait for its decision.
    Waiter(Slot),
}

/// The right (and duty) to decide one transaction.
#[derive(Debug)]
pub struct OwnerGuard<'a> {
    map: &'a InFlight,
    trans_num: TransNum,
    sender: watch::Sender<Option<Arc<DecisionRecord>>>,
}

impl OwnerGuard<'_> {
    /// Hands the decision to every waiter.
    pub fn publish(&self, record: Arc<DecisionRecord>) {
        self.sender.send_replace(Some(record));
    }
}

impl Drop for OwnerGuard<'_> {
    fn drop(&mut self) {
        if let Ok(mut entries) = self.map.entries.lock() {
            entries.remove(&self.trans_num);
        }
    }
}

impl InFlight {
    /// Claims `trans_num`, or joins the request that holds it.
    pub fn claim(&self, trans_num: TransNum) -> Claim<'_> {
        let mut entries = match self.entries.lock() {
            Ok(entries) => entries,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(slot) = entries.get(&trans_num) {
            return Claim::Waiter(slot.clone());
        }
        let (sender, receiver) = watch::channel(None);
        entries.insert(trans_num, receiver);
        Claim::Owner(OwnerGuard {
            map: self,
            trans_num,
            sender,
        })
    }

    /// Number of transactions being decided.
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.len())
    }

    /// Whether nothing is being decided.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Waits at most `limit` for the owner's decision; `None` if it gave up
/// (the owner failed) or took too long.
pub async fn wait(mut slot: Slot, limit: Duration) -> Option<Arc<DecisionRecord>> {
    let waited = tokio::time::timeout(limit, slot.wait_for(Option::is_some)).await;
    match waited {
        Ok(Ok(value)) => value.clone(),
        _ => None,
    }
}
