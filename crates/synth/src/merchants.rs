//! The merchants: a fixed pool of names per category.
//!
//! Names imitate the Kaggle files (`fraud_Rippin, Kub and Mann`,
//! `fraud_Lind-Buckridge`, `fraud_Herzog Ltd`): the `fraud_` prefix is an
//! artefact of the public generator, not a label. The pool is the same for
//! every seed, like the public generator's static merchant file.

use std::collections::HashSet;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vigie_types::Category;

use crate::names::LAST;

/// Merchants per category.
pub(crate) const PER_CATEGORY: usize = 50;

/// Seed of the merchant pool (fixed: merchants do not change with the seed).
const POOL_SEED: u64 = 0x5EED_0F4D_4552;

const COMPANY_SUFFIXES: &[&str] = &["Ltd", "Inc", "LLC", "Group", "PLC", "and Sons"];

/// Every merchant name, `PER_CATEGORY` per category in [`Category::ALL`] order.
#[derive(Debug, Clone)]
pub(crate) struct Merchants {
    names: Vec<String>,
}

impl Merchants {
    /// Builds the pool.
    pub fn new() -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(POOL_SEED);
        let mut seen = HashSet::new();
        let mut names = Vec::with_capacity(PER_CATEGORY * Category::ALL.len());
        while names.len() < PER_CATEGORY * Category::ALL.len() {
            let name = company_name(&mut rng);
            if seen.insert(name.clone()) {
                names.push(name);
            }
        }
        Self { names }
    }

    /// The global index of merchant `i` (0 .. PER_CATEGORY) of `category`.
    pub fn index(category: Category, i: usize) -> u16 {
        (category.index() * PER_CATEGORY + i) as u16
    }

    /// A random merchant of `category`, as a global index.
    pub fn pick(category: Category, rng: &mut ChaCha8Rng) -> u16 {
        Self::index(category, rng.random_range(0..PER_CATEGORY))
    }

    /// The name of a merchant.
    pub fn name(&self, index: u16) -> &str {
        &self.names[usize::from(index)]
    }
}

fn company_name(rng: &mut ChaCha8Rng) -> String {
    let mut last = || LAST[rng.random_range(0..LAST.len())];
    let (a, b, c) = (last(), last(), last());
    match rng.random_range(0..10) {
        0..=3 => format!("fraud_{a}, {b} and {c}"),
        4..=6 => format!("fraud_{a}-{b}"),
        _ => {
            let suffix = COMPANY_SUFFIXES[rng.random_range(0..COMPANY_SUFFIXES.len())];
            format!("fraud_{a} {suffix}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_is_fixed_unique_and_prefixed() {
        let a = Merchants::new();
        let b = Merchants::new();
        assert_eq!(a.names, b.names);
        assert_eq!(a.names.len(), 700);
        assert!(a.names.iter().all(|n| n.starts_with("fraud_")));
        let unique: HashSet<_> = a.names.iter().collect();
        assert_eq!(unique.len(), 700);
        assert_eq!(Merchants::index(Category::Travel, 49), 699);
    }
}
