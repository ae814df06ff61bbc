//! Seeded synthetic data for the model tests (no external RNG crate: a
//! SplitMix64 generator is enough and never changes between versions).

use vigie_model::{Dataset, FeatureKind};

/// SplitMix64: small, fast, reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u = self.uniform().max(1e-300);
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

pub fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("f{i}")).collect()
}

/// Rows with numeric features `x_j = scale_j * N(0, 1) + offset_j` and labels
/// drawn from `sigmoid(intercept + w . x)`.
pub fn logistic_data(rows: usize, w: &[f64], intercept: f64, seed: u64) -> Dataset {
    let mut rng = Rng::new(seed);
    let mut columns = vec![Vec::with_capacity(rows); w.len()];
    let mut labels = Vec::with_capacity(rows);
    for _ in 0..rows {
        let mut z = intercept;
        for (j, column) in columns.iter_mut().enumerate() {
            let x = (j as f64 + 1.0) * rng.normal() + j as f64;
            let x = x as f32;
            column.push(x);
            z += w[j] * f64::from(x);
        }
        labels.push(u8::from(rng.uniform() < sigmoid(z)));
    }
    Dataset::new(
        names(w.len()),
        vec![FeatureKind::Numeric; w.len()],
        columns,
        labels,
    )
    .unwrap()
}

/// A mixed dataset: two numeric features (one heavy-tailed) and a
/// categorical one with 5 levels, where level 3 and a high first feature
/// raise the fraud rate (about 3 % frauds overall).
pub fn mixed_data(rows: usize, seed: u64) -> Dataset {
    let mut rng = Rng::new(seed);
    let (mut a, mut b, mut c, mut labels) = (vec![], vec![], vec![], vec![]);
    for _ in 0..rows {
        let x = rng.normal();
        let heavy = (3.0 * rng.normal()).exp(); // log-normal: long right tail
        let level = rng.below(5);
        let z = -4.0 + 1.5 * x + if level == 3 { 2.0 } else { 0.0 };
        a.push(x as f32);
        b.push(heavy as f32);
        c.push(level as f32);
        labels.push(u8::from(rng.uniform() < sigmoid(z)));
    }
    Dataset::new(
        vec!["x".into(), "heavy".into(), "level".into()],
        vec![
            FeatureKind::Numeric,
            FeatureKind::Numeric,
            FeatureKind::Categorical { levels: 5 },
        ],
        vec![a, b, c],
        labels,
    )
    .unwrap()
}

/// Row `i` of `data`.
pub fn row(data: &Dataset, i: usize) -> Vec<f32> {
    let mut out = Vec::new();
    data.row_into(i, &mut out);
    out
}

/// A dataset shaped like Vigie's real matrix: `numeric` numeric features and
/// two categorical ones (14 categories, 24 hours), fraud driven by a few of
/// them.
pub fn wide_data(rows: usize, numeric: usize, seed: u64) -> Dataset {
    let mut rng = Rng::new(seed);
    let mut columns = vec![Vec::with_capacity(rows); numeric + 2];
    let mut labels = Vec::with_capacity(rows);
    for _ in 0..rows {
        let mut z = -5.0;
        for (j, column) in columns.iter_mut().take(numeric).enumerate() {
            let x = rng.normal();
            z += x / (j as f64 + 1.0);
            column.push(x as f32);
        }
        let category = rng.below(14);
        let hour = rng.below(24);
        z += if category == 5 { 1.0 } else { 0.0 } + if hour < 4 { 1.5 } else { 0.0 };
        columns[numeric].push(category as f32);
        columns[numeric + 1].push(hour as f32);
        labels.push(u8::from(rng.uniform() < sigmoid(z)));
    }
    let mut kinds = vec![FeatureKind::Numeric; numeric];
    kinds.push(FeatureKind::Categorical { levels: 14 });
    kinds.push(FeatureKind::Categorical { levels: 24 });
    Dataset::new(names(numeric + 2), kinds, columns, labels).unwrap()
}
