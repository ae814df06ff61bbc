//! The duplicate-id index: each `trans_num` seen in a file, with the content
//! fingerprint of the first record that used it.
//!
//! It has one entry per row, so it is larger than the caches and every
//! lookup is a cache miss: that made the collector's `HashMap` (a control
//! byte array beside the entries: two misses per insert) its largest cost.
//! Here an entry is one 24-byte slot, probed linearly, so an insert is
//! usually one miss; and [`IdIndex::touch`] lets the collector load the
//! slot of a row a few rows ahead, so that the CPU overlaps those misses.

use std::hash::BuildHasher;

/// One slot: a `trans_num` (as two words) and its first fingerprint; a
/// fingerprint of 0 marks an empty slot (a real 0 is stored as 1).
#[derive(Clone, Copy, Default)]
struct Slot {
    key: [u64; 2],
    fingerprint: u64,
}

/// `trans_num` -> fingerprint of its first record. Hashed with a randomly
/// seeded foldhash: ids come from the input, so slot positions must not be
/// predictable.
pub(crate) struct IdIndex {
    slots: Vec<Slot>,
    len: usize,
    hasher: foldhash::fast::RandomState,
}

impl IdIndex {
    /// An index sized for `expected` ids (it grows past that).
    pub(crate) fn with_capacity(expected: usize) -> Self {
        Self {
            slots: vec![Slot::default(); slots_for(expected)],
            len: 0,
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    fn home(&self, key: [u64; 2]) -> usize {
        self.hasher.hash_one(key) as usize & (self.slots.len() - 1)
    }

    /// Loads the home slot of `key` without changing anything, so that an
    /// insert that follows finds it in cache. Returns a value that depends
    /// on the load (pass it on to `black_box`).
    pub(crate) fn touch(&self, key: [u64; 2]) -> u64 {
        self.slots[self.home(key)].fingerprint
    }

    /// Records `key` with `fingerprint` if it is new (`None`); otherwise
    /// changes nothing and returns the fingerprint recorded first.
    pub(crate) fn insert(&mut self, key: [u64; 2], fingerprint: u64) -> Option<u64> {
        if (self.len + 1) * 8 > self.slots.len() * 7 {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let slot = &mut self.slots[i];
            if slot.fingerprint == 0 {
                *slot = Slot {
                    key,
                    fingerprint: fingerprint.max(1),
                };
                self.len += 1;
                return None;
            }
            if slot.key == key {
                return Some(slot.fingerprint);
            }
            i = (i + 1) & mask;
        }
    }

    /// Whether `a` and `b` are the same fingerprint as stored.
    pub(crate) fn same(a: u64, b: u64) -> bool {
        a.max(1) == b.max(1)
    }

    fn grow(&mut self) {
        let doubled = vec![Slot::default(); self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, doubled);
        let mask = self.slots.len() - 1;
        for slot in old.into_iter().filter(|s| s.fingerprint != 0) {
            let mut i = self.home(slot.key);
            while self.slots[i].fingerprint != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }
}

/// A power of two with `expected` at most seven eighths full (the size of
/// the standard map's table, so the same memory).
fn slots_for(expected: usize) -> usize {
    (expected.saturating_mul(8) / 7 + 1)
        .next_power_of_two()
        .max(64)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// The index answers like a map that keeps the first value, through
        /// growth (a small start) and colliding keys (few distinct values).
        #[test]
        fn keeps_the_first_fingerprint_of_each_id(
            ops in proptest::collection::vec((0u64..300, 0u64..4, 0u64..5), 0..2_000),
        ) {
            let mut index = IdIndex::with_capacity(1);
            let mut model: HashMap<[u64; 2], u64> = HashMap::new();
            for (a, b, fingerprint) in ops {
                let key = [a, b];
                let expected = model.get(&key).copied();
                model.entry(key).or_insert(fingerprint);
                let got = index.insert(key, fingerprint);
                prop_assert_eq!(got.is_some(), expected.is_some());
                if let (Some(got), Some(expected)) = (got, expected) {
                    prop_assert!(IdIndex::same(got, expected));
                }
            }
            prop_assert_eq!(index.len, model.len());
        }
    }

    #[test]
    fn a_zero_fingerprint_is_a_real_entry() {
        let mut index = IdIndex::with_capacity(4);
        assert_eq!(index.insert([0, 0], 0), None);
        assert!(index.insert([0, 0], 0).is_some_and(|f| IdIndex::same(f, 0)));
        assert_eq!(index.touch([0, 0]), 1);
    }
}
