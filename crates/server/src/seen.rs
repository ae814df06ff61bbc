//! Which `trans_num`s may have a logged decision: a Bloom filter loaded from
//! the decision log at start-up and fed by every decision made here.
//!
//! The card state cannot vouch alone that a transaction is new (it forgets
//! after 30 days or 512 events, and a restarted embedded server only has the
//! snapshot's history), so an unknown `trans_num` would need a decision-log
//! read on every request. The filter answers "certainly never decided" for
//! almost every new transaction without touching the database; only a
//! possible duplicate (a real one, or a false positive, about 1 % at the
//! sized capacity) is looked up. No false negatives: a `trans_num` is added
//! before its decision can be asked for again.

use std::sync::atomic::{AtomicU64, Ordering};

use vigie_types::TransNum;

/// Bits per expected entry (with 7 probes: about 1 % false positives).
const BITS_PER_ENTRY: usize = 10;
/// Probes per entry.
const PROBES: u64 = 7;
/// Smallest filter: room for a million decisions (1.25 MB).
const MIN_ENTRIES: usize = 1 << 20;

/// A lock-free Bloom filter over `trans_num`s.
#[derive(Debug)]
pub struct SeenFilter {
    words: Vec<AtomicU64>,
    bits: u64,
}

impl SeenFilter {
    /// A filter for `known` (the log's `trans_num`s) with room for as many
    /// again, and at least a million.
    pub fn with_known(known: &[TransNum]) -> Self {
        let entries = (known.len() * 2).max(MIN_ENTRIES);
        let words = (entries * BITS_PER_ENTRY).div_ceil(64);
        let filter = Self {
            words: (0..words).map(|_| AtomicU64::new(0)).collect(),
            bits: (words * 64) as u64,
        };
        for trans_num in known {
            filter.insert(*trans_num);
        }
        filter
    }

    /// Records `trans_num`.
    pub fn insert(&self, trans_num: TransNum) {
        for bit in self.probes(trans_num) {
            self.words[(bit / 64) as usize].fetch_or(1 << (bit % 64), Ordering::Release);
        }
    }

    /// `false`: certainly never inserted; `true`: maybe.
    pub fn may_contain(&self, trans_num: TransNum) -> bool {
        self.probes(trans_num).all(|bit| {
            self.words[(bit / 64) as usize].load(Ordering::Acquire) & (1 << (bit % 64)) != 0
        })
    }

    /// Double hashing over the id's two halves (ids are random 128-bit
    /// values, so their bits are already uniform; the multiply mixes
    /// anyway, for ids that are not).
    fn probes(&self, trans_num: TransNum) -> impl Iterator<Item = u64> + '_ {
        let id = trans_num.as_u128();
        let h1 = (id as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let h2 = ((id >> 64) as u64).wrapping_mul(0xc2b2_ae3d_27d4_eb4f) | 1;
        (0..PROBES).map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) % self.bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> TransNum {
        TransNum::from_u128(n.wrapping_mul(0x2545_f491_4f6c_dd1d_9e37_79b9_7f4a_7c15))
    }

    #[test]
    fn everything_inserted_is_found_and_few_others_are() {
        let known: Vec<TransNum> = (0..200_000).map(id).collect();
        let filter = SeenFilter::with_known(&known[..100_000]);
        for t in &known[100_000..150_000] {
            filter.insert(*t);
        }
        assert!(known[..150_000].iter().all(|t| filter.may_contain(*t)));
        let false_positives = known[150_000..]
            .iter()
            .filter(|t| filter.may_contain(**t))
            .count();
        // 150,000 entries in a filter sized for a million: far under 1 %.
        assert!(
            false_positives < 500,
            "{false_positives} false positives in 50,000"
        );
    }

    #[test]
    fn an_empty_filter_contains_nothing() {
        let filter = SeenFilter::with_known(&[]);
        assert!(!(0..10_000).any(|n| filter.may_contain(id(n))));
    }
}
