//! Synthetic datasets with known structure, shared by the integration
//! tests, the benchmarks and the `train_trees` example (included there with
//! `#[path]`), plus a tiny rank-based AUC.

#![allow(dead_code, reason = "each includer uses a subset")]

use vigie_model::{Dataset, FeatureKind};

/// SplitMix64: a seeded stream, the same on every platform.
pub struct Rng(u64);

impl Rng {
    /// A stream for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u = self.uniform().max(1e-300);
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("f{i}")).collect()
}

/// `label = (x0 > 0.5) xor (x1 > 0.3)` on uniform features, plus
/// `noise_features` irrelevant uniform features; `flip` of the labels are
/// flipped at random.
pub fn xor_problem(rows: usize, noise_features: usize, flip: f64, seed: u64) -> Dataset {
    let mut rng = Rng::new(seed);
    let n_features = 2 + noise_features;
    let mut columns = vec![Vec::with_capacity(rows); n_features];
    let mut labels = Vec::with_capacity(rows);
    for _ in 0..rows {
        for column in &mut columns {
            column.push(rng.uniform() as f32);
        }
        let x0 = columns[0][labels.len()];
        let x1 = columns[1][labels.len()];
        let clean = (x0 > 0.5) ^ (x1 > 0.3);
        labels.push(u8::from(clean ^ (rng.uniform() < flip)));
    }
    let kinds = vec![FeatureKind::Numeric; n_features];
    Dataset::new(names(n_features), kinds, columns, labels).unwrap()
}

/// The xor problem with rare positives: a row is positive only if the xor
/// holds and `x2 > 0.99` (about 0.5 % of rows).
pub fn rare_xor_problem(rows: usize, seed: u64) -> Dataset {
    let base = xor_problem(rows, 3, 0.0, seed);
    let labels = (0..rows)
        .map(|r| u8::from(base.labels()[r] == 1 && base.column(2)[r] > 0.99))
        .collect();
    let columns = (0..base.n_features())
        .map(|f| base.column(f).to_vec())
        .collect();
    Dataset::new(
        base.names().to_vec(),
        base.kinds().to_vec(),
        columns,
        labels,
    )
    .unwrap()
}

/// A fraud-like matrix: feature 0 a 14-level category, 1 an amount ratio
/// (log-normal), 2 an hour, 3 a velocity count, the rest noise (some
/// correlated with the amount); about 0.5 % positives driven by amount,
/// night hours, velocity and three categories.
pub fn fraud_like(rows: usize, n_features: usize, seed: u64) -> Dataset {
    assert!(n_features >= 5);
    let mut rng = Rng::new(seed);
    let mut columns = vec![Vec::with_capacity(rows); n_features];
    let mut labels = Vec::with_capacity(rows);
    for _ in 0..rows {
        let category = rng.below(14);
        let log_amount = rng.normal();
        let hour = rng.below(24);
        let velocity = (0.5 + 0.7 * rng.normal()).exp().floor();
        let night = !(4..22).contains(&hour);
        let risky = matches!(category, 2 | 9 | 11);
        let latent = -9.2
            + 1.6 * log_amount
            + 2.5 * f64::from(u8::from(night))
            + 0.35 * velocity.min(12.0)
            + 1.2 * f64::from(u8::from(risky))
            + 0.8 * rng.normal();
        labels.push(u8::from(rng.uniform() < 1.0 / (1.0 + (-latent).exp())));
        columns[0].push(category as f32);
        columns[1].push(log_amount.exp() as f32);
        columns[2].push(hour as f32);
        columns[3].push(velocity as f32);
        for (f, column) in columns.iter_mut().enumerate().skip(4) {
            let value = match f % 3 {
                0 => rng.normal() + 0.3 * log_amount,
                1 => rng.below(50) as f64,
                _ => rng.uniform() * 1000.0,
            };
            column.push(value as f32);
        }
    }
    let mut kinds = vec![FeatureKind::Numeric; n_features];
    kinds[0] = FeatureKind::Categorical { levels: 14 };
    Dataset::new(names(n_features), kinds, columns, labels).unwrap()
}

/// Area under the ROC curve (ties count half), by ranks.
pub fn auc(scores: &[f64], labels: &[u8]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mid_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += mid_rank * order[i..=j].iter().filter(|&&k| labels[k] == 1).count() as f64;
        i = j + 1;
    }
    let pos = labels.iter().filter(|&&l| l == 1).count() as f64;
    let neg = labels.len() as f64 - pos;
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

/// Average precision (area under precision-recall, step-wise).
pub fn average_precision(scores: &[f64], labels: &[u8]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let pos = labels.iter().filter(|&&l| l == 1).count() as f64;
    let (mut tp, mut ap) = (0.0, 0.0);
    for (k, &i) in order.iter().enumerate() {
        if labels[i] == 1 {
            tp += 1.0;
            ap += tp / (k + 1) as f64;
        }
    }
    ap / pos
}
