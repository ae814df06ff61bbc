//! The online path: one transaction at a time, through a [`StateStore`].
//! It calls exactly the functions the batch replay calls.

use vigie_types::Transaction;

use crate::error::Result;
use crate::extract::extract;
use crate::store::StateStore;
use crate::vector::FeatureVector;

/// What observing a transaction gave.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Observed {
    /// A new transaction: its features (from the history before it), and the
    /// card's state now includes it.
    Fresh(FeatureVector),
    /// This `trans_num` was already applied to the card: nothing changed, and
    /// the caller should answer with what it decided the first time.
    Duplicate,
}

/// Computes `txn`'s features from its card's history, then adds it to that
/// history, atomically for the card.
pub fn observe(store: &dyn StateStore, txn: &Transaction) -> Result<Observed> {
    let mut observed = Observed::Duplicate;
    // A store may run the closure more than once (an optimistic retry after
    // another writer won): each run decides afresh from the state it sees.
    store.with_state(&txn.card, &mut |state| {
        observed = match state.observe(txn) {
            Some(features) => Observed::Fresh(features),
            None => Observed::Duplicate,
        };
    })?;
    Ok(observed)
}

/// The features `txn` would get now, without adding it to the history (for
/// "what if" scoring and explanations of a past decision's inputs).
pub fn peek(store: &dyn StateStore, txn: &Transaction) -> Result<FeatureVector> {
    Ok(match store.get(&txn.card)? {
        Some(state) => extract(&state, txn),
        None => extract(&crate::state::CardState::default(), txn),
    })
}
