//! A tiny seeded random number generator (SplitMix64) for the tree trainers.
//!
//! Invariant: the stream depends only on the seed, on every platform and
//! whatever the number of threads, so training is reproducible. Streams for
//! sub-tasks (a tree of a forest, a boosting round) are derived with
//! [`SplitMix64::derive`], never shared between threads.

/// SplitMix64 (Steele, Lea and Flood, 2014): 64 bits of state, passes
/// BigCrush, and any seed (including 0) is fine.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// An independent generator for sub-task `index` of the task seeded with
    /// `seed` (e.g. tree `index` of a forest).
    pub(crate) fn derive(seed: u64, index: u64) -> Self {
        let mut mixer = Self::new(seed ^ index.wrapping_mul(0xA076_1D64_78BD_642F));
        Self::new(mixer.next_u64() ^ index)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in `[0, 1)` with 53 random bits.
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform index in `0..n` (`n > 0`), by Lemire's multiply-shift
    /// (bias below 2^-32 for the sizes used here).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// `k` distinct indices of `0..n`, sorted ascending (partial
    /// Fisher-Yates on a scratch copy of `0..n`).
    pub(crate) fn choose_sorted(
        &mut self,
        n: usize,
        k: usize,
        scratch: &mut Vec<usize>,
    ) -> Vec<usize> {
        scratch.clear();
        scratch.extend(0..n);
        let k = k.min(n);
        for i in 0..k {
            let j = i + self.below(n - i);
            scratch.swap(i, j);
        }
        let mut chosen = scratch[..k].to_vec();
        chosen.sort_unstable();
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_derived_streams_differ() {
        let a: Vec<u64> = (0..4).map(|_| SplitMix64::new(7).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut x = SplitMix64::derive(7, 0);
        let mut y = SplitMix64::derive(7, 1);
        assert_ne!(x.next_u64(), y.next_u64());
    }

    #[test]
    fn below_and_choose_stay_in_range() {
        let mut rng = SplitMix64::new(1);
        let mut counts = [0usize; 5];
        for _ in 0..5000 {
            counts[rng.below(5)] += 1;
        }
        assert!(
            counts.iter().all(|&c| (800..1200).contains(&c)),
            "{counts:?}"
        );
        let mut scratch = Vec::new();
        let chosen = rng.choose_sorted(10, 4, &mut scratch);
        assert_eq!(chosen.len(), 4);
        assert!(chosen.windows(2).all(|w| w[0] < w[1]) && chosen[3] < 10);
        let unit = rng.next_f64();
        assert!((0.0..1.0).contains(&unit));
    }
}
