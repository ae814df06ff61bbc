//! Seeded, portable randomness.
//!
//! Every unit of work draws from its own ChaCha8 stream: one key per purpose
//! (derived from the user's seed) and one stream number per customer, or per
//! customer and day. A day's transactions therefore do not depend on which
//! thread generates them, nor on what was generated before: the output is the
//! same for a seed whatever the number of threads.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What a stream is used for; each purpose has its own key.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Purpose {
    /// Customer attributes (stream = customer).
    Customers = 0,
    /// Which customers get which fraud scenario (one stream).
    Plans = 1,
    /// Per-customer scenario details (stream = customer).
    PlanDetails = 2,
    /// Compromised-merchant events (one stream).
    Events = 3,
    /// A customer's transactions on a day (stream = customer << 32 | day).
    Days = 4,
}

/// The keys of one run.
#[derive(Debug, Clone)]
pub(crate) struct Seeds {
    keys: [[u8; 32]; 5],
}

/// SplitMix64: a fixed, well-mixed expansion of a 64-bit value.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Seeds {
    /// Derives the keys of every purpose from the user's seed.
    pub fn new(seed: u64) -> Self {
        let mut keys = [[0u8; 32]; 5];
        for (purpose, key) in keys.iter_mut().enumerate() {
            let mut state = seed ^ (purpose as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03);
            for chunk in key.chunks_exact_mut(8) {
                chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
            }
        }
        Self { keys }
    }

    /// The stream `stream` of `purpose`.
    pub fn stream(&self, purpose: Purpose, stream: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::from_seed(self.keys[purpose as usize]);
        rng.set_stream(stream);
        rng
    }

    /// The stream of a customer's transactions on day index `day`.
    pub fn day(&self, customer: u32, day: u32) -> ChaCha8Rng {
        self.stream(Purpose::Days, u64::from(customer) << 32 | u64::from(day))
    }
}

/// Draws from a Poisson distribution (Knuth's product of uniforms for small
/// means, a rounded normal approximation above 30).
pub(crate) fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 30.0 {
        // Box-Muller; the normal approximation is excellent at this size.
        let u1: f64 = 1.0 - rng.random::<f64>();
        let u2: f64 = rng.random();
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        return (lambda + z * lambda.sqrt()).round().max(0.0) as u32;
    }
    let limit = (-lambda).exp();
    let mut product: f64 = rng.random();
    let mut k = 0;
    while product > limit {
        k += 1;
        product *= rng.random::<f64>();
    }
    k
}

/// Rounds a coordinate to `decimals` places.
pub(crate) fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a = Seeds::new(7);
        let b = Seeds::new(7);
        assert_eq!(a.day(3, 10).next_u64(), b.day(3, 10).next_u64());
        assert_ne!(a.day(3, 10).next_u64(), a.day(3, 11).next_u64());
        assert_ne!(a.day(3, 10).next_u64(), a.day(4, 10).next_u64());
        assert_ne!(
            a.stream(Purpose::Customers, 1).next_u64(),
            a.stream(Purpose::PlanDetails, 1).next_u64()
        );
        assert_ne!(Seeds::new(8).day(3, 10).next_u64(), a.day(3, 10).next_u64());
    }

    #[test]
    fn poisson_mean_is_right() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for lambda in [0.5, 3.0, 12.0, 45.0] {
            let n = 20_000;
            let mean = (0..n)
                .map(|_| f64::from(poisson(&mut rng, lambda)))
                .sum::<f64>()
                / n as f64;
            assert!(
                (mean - lambda).abs() < 0.05 * lambda + 0.02,
                "{lambda}: {mean}"
            );
        }
    }
}
