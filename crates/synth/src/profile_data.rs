//! The numbers behind the spending profiles (see [`crate::profiles`]).
//!
//! Every array follows [`vigie_types::Category::ALL`]: entertainment,
//! food_dining, gas_transport, grocery_net, grocery_pos, health_fitness, home,
//! kids_pets, misc_net, misc_pos, personal_care, shopping_net, shopping_pos,
//! travel. Category weights are relative; amounts are the mean and standard
//! deviation of a gamma distribution, in currency units. Urban profiles follow
//! the reference data set, rural ones the public generator's rural profiles.

/// One profile, as data.
pub(crate) struct Spec {
    /// Range of the customer's whole number of transactions per day.
    pub rate: (u32, u32),
    /// Share of purchases made in the morning (00:00-11:59).
    pub am_share: f64,
    /// Category weights.
    pub weights: [f64; 14],
    /// Mean amount per category.
    pub means: [f64; 14],
    /// Standard deviation of the amount per category.
    pub sds: [f64; 14],
}

const W_URBAN_YOUNG_F: [f64; 14] = [
    7.4, 7.7, 10.7, 4.6, 6.4, 6.7, 6.8, 8.4, 5.2, 6.6, 7.1, 8.7, 10.4, 3.3,
];
const W_URBAN_YOUNG_M: [f64; 14] = [
    7.9, 8.0, 12.7, 4.2, 5.8, 6.7, 6.4, 8.3, 5.3, 6.7, 6.3, 8.2, 9.8, 3.6,
];
const W_URBAN_ADULT_F: [f64; 14] = [
    6.4, 7.1, 3.2, 6.4, 9.6, 6.4, 9.6, 8.7, 4.8, 6.4, 8.0, 9.6, 11.3, 2.3,
];
const W_URBAN_ADULT_M: [f64; 14] = [
    7.5, 7.5, 10.1, 5.3, 10.1, 6.7, 10.1, 7.6, 5.1, 6.7, 5.1, 6.6, 8.5, 3.1,
];
const W_URBAN_SENIOR: [f64; 14] = [
    7.7, 8.1, 9.9, 1.7, 10.2, 5.4, 10.0, 10.0, 3.4, 6.5, 8.0, 5.1, 10.0, 4.0,
];
const W_RURAL_F: [f64; 14] = [
    5.7, 6.3, 14.2, 3.2, 9.5, 5.7, 9.5, 8.5, 4.7, 6.3, 7.9, 6.9, 9.5, 2.2,
];
const W_RURAL_M: [f64; 14] = [
    8.5, 8.1, 4.1, 4.1, 12.2, 7.3, 12.2, 8.9, 2.4, 8.1, 4.1, 8.1, 8.1, 3.7,
];
const W_RURAL_SENIOR: [f64; 14] = [
    7.6, 5.5, 14.0, 0.9, 9.2, 7.7, 9.5, 8.8, 6.2, 3.8, 7.6, 8.1, 7.5, 3.6,
];

const MEAN_URBAN_YOUNG_F: [f64; 14] = [
    60.0, 38.0, 61.0, 48.0, 125.0, 52.0, 54.0, 53.0, 70.0, 60.0, 41.0, 63.0, 69.0, 43.0,
];
const SD_URBAN_YOUNG_F: [f64; 14] = [
    60.0, 48.0, 15.0, 22.0, 40.0, 50.0, 50.0, 50.0, 155.0, 140.0, 50.0, 265.0, 290.0, 390.0,
];
const MEAN_URBAN_YOUNG_M: [f64; 14] = [
    52.0, 32.0, 61.0, 42.0, 67.0, 52.0, 51.0, 51.0, 54.0, 55.0, 36.0, 60.0, 60.0, 53.0,
];
const SD_URBAN_YOUNG_M: [f64; 14] = [
    55.0, 48.0, 15.0, 20.0, 20.0, 50.0, 49.0, 49.0, 153.0, 148.0, 50.0, 324.0, 298.0, 627.0,
];
const MEAN_URBAN_ADULT_F: [f64; 14] = [
    100.0, 60.0, 70.0, 60.0, 200.0, 60.0, 60.0, 60.0, 100.0, 80.0, 55.0, 100.0, 100.0, 60.0,
];
const SD_URBAN_ADULT_F: [f64; 14] = [
    75.0, 40.0, 15.0, 20.0, 20.0, 50.0, 50.0, 50.0, 150.0, 100.0, 50.0, 200.0, 225.0, 600.0,
];
const MEAN_URBAN_ADULT_M: [f64; 14] = [
    60.0, 45.0, 70.0, 50.0, 60.0, 60.0, 60.0, 60.0, 55.0, 60.0, 35.0, 65.0, 60.0, 65.0,
];
const SD_URBAN_ADULT_M: [f64; 14] = [
    75.0, 50.0, 15.0, 20.0, 20.0, 50.0, 50.0, 50.0, 150.0, 150.0, 50.0, 300.0, 290.0, 600.0,
];
const MEAN_URBAN_SENIOR: [f64; 14] = [
    50.0, 80.0, 70.0, 90.0, 90.0, 40.0, 60.0, 80.0, 58.0, 62.0, 45.0, 85.0, 50.0, 70.0,
];
const SD_URBAN_SENIOR: [f64; 14] = [
    75.0, 50.0, 15.0, 20.0, 20.0, 50.0, 50.0, 50.0, 150.0, 150.0, 50.0, 210.0, 195.0, 700.0,
];
const MEAN_RURAL_F: [f64; 14] = [
    50.0, 30.0, 60.0, 50.0, 100.0, 50.0, 50.0, 50.0, 60.0, 50.0, 45.0, 50.0, 50.0, 50.0,
];
const SD_RURAL_F: [f64; 14] = [
    50.0, 50.0, 15.0, 20.0, 20.0, 50.0, 50.0, 50.0, 150.0, 150.0, 50.0, 300.0, 250.0, 600.0,
];
const MEAN_RURAL_M: [f64; 14] = [
    75.0, 60.0, 70.0, 50.0, 100.0, 75.0, 80.0, 50.0, 100.0, 35.0, 75.0, 95.0, 135.0, 500.0,
];
const SD_RURAL_M: [f64; 14] = [
    7.0, 6.0, 5.0, 5.0, 10.0, 2.0, 8.0, 5.0, 20.0, 5.0, 5.0, 10.0, 12.0, 50.0,
];
const MEAN_RURAL_SENIOR: [f64; 14] = [
    50.0, 50.0, 60.0, 50.0, 130.0, 50.0, 50.0, 50.0, 55.0, 50.0, 50.0, 55.0, 57.0, 85.0,
];
const SD_RURAL_SENIOR: [f64; 14] = [
    50.0, 50.0, 15.0, 20.0, 20.0, 50.0, 50.0, 50.0, 120.0, 130.0, 50.0, 150.0, 155.0, 700.0,
];

const fn spec(
    rate: (u32, u32),
    am_share: f64,
    weights: [f64; 14],
    means: [f64; 14],
    sds: [f64; 14],
) -> Spec {
    Spec {
        rate,
        am_share,
        weights,
        means,
        sds,
    }
}

/// The 12 profiles, in [`crate::profiles::profile_index`] order: band (under
/// 25, 25-49, 50+), then gender (F, M), then urban before rural.
pub(crate) const SPECS: [Spec; 12] = [
    // under 25, F, urban
    spec(
        (1, 6),
        0.23,
        W_URBAN_YOUNG_F,
        MEAN_URBAN_YOUNG_F,
        SD_URBAN_YOUNG_F,
    ),
    // under 25, F, rural
    spec((1, 5), 0.20, W_RURAL_F, MEAN_RURAL_F, SD_RURAL_F),
    // under 25, M, urban
    spec(
        (1, 6),
        0.22,
        W_URBAN_YOUNG_M,
        MEAN_URBAN_YOUNG_M,
        SD_URBAN_YOUNG_M,
    ),
    // under 25, M, rural
    spec((1, 4), 0.40, W_RURAL_M, MEAN_RURAL_M, SD_RURAL_M),
    // 25-49, F, urban
    spec(
        (1, 6),
        0.32,
        W_URBAN_ADULT_F,
        MEAN_URBAN_ADULT_F,
        SD_URBAN_ADULT_F,
    ),
    // 25-49, F, rural
    spec((1, 5), 0.30, W_RURAL_F, MEAN_RURAL_F, SD_RURAL_F),
    // 25-49, M, urban
    spec(
        (1, 5),
        0.31,
        W_URBAN_ADULT_M,
        MEAN_URBAN_ADULT_M,
        SD_URBAN_ADULT_M,
    ),
    // 25-49, M, rural
    spec((1, 4), 0.47, W_RURAL_M, MEAN_RURAL_M, SD_RURAL_M),
    // 50+, F, urban
    spec(
        (1, 3),
        0.60,
        W_URBAN_SENIOR,
        MEAN_URBAN_SENIOR,
        SD_URBAN_SENIOR,
    ),
    // 50+, F, rural
    spec(
        (1, 3),
        0.50,
        W_RURAL_SENIOR,
        MEAN_RURAL_SENIOR,
        SD_RURAL_SENIOR,
    ),
    // 50+, M, urban
    spec(
        (1, 3),
        0.60,
        W_URBAN_SENIOR,
        MEAN_URBAN_SENIOR,
        SD_URBAN_SENIOR,
    ),
    // 50+, M, rural
    spec(
        (1, 3),
        0.50,
        W_RURAL_SENIOR,
        MEAN_RURAL_SENIOR,
        SD_RURAL_SENIOR,
    ),
];

/// Fraud category weights per age band (under 25, 25-49, 50+): the counts
/// of fraud rows per category in the reference data.
pub(crate) const FRAUD_WEIGHTS: [[f64; 14]; 3] = [
    [
        21.0, 10.0, 87.0, 26.0, 288.0, 10.0, 8.0, 11.0, 158.0, 33.0, 28.0, 274.0, 94.0, 12.0,
    ],
    [
        114.0, 119.0, 199.0, 37.0, 617.0, 97.0, 154.0, 164.0, 308.0, 131.0, 116.0, 561.0, 315.0,
        48.0,
    ],
    [
        63.0, 24.0, 270.0, 48.0, 769.0, 19.0, 24.0, 20.0, 428.0, 57.0, 40.0, 753.0, 399.0, 51.0,
    ],
];

/// Mean fraud amount per category; entertainment and shopping_pos vary by
/// band (index 0 and 12 are replaced in [`fraud_amounts`]).
const FRAUD_MEAN: [f64; 14] = [
    490.0, 120.0, 10.0, 10.0, 305.0, 20.0, 250.0, 20.0, 800.0, 8.0, 20.0, 1000.0, 830.0, 10.0,
];

/// Standard deviation of fraud amounts (index 0 and 12 by band, see
/// [`fraud_amounts`]).
const FRAUD_SD: [f64; 14] = [
    50.0, 12.0, 2.0, 2.0, 25.0, 2.0, 25.0, 2.0, 80.0, 1.0, 2.0, 100.0, 95.0, 1.0,
];

/// Fraud amount means and standard deviations of an age band.
pub(crate) fn fraud_amounts(band: usize) -> ([f64; 14], [f64; 14]) {
    let (mut means, mut sds) = (FRAUD_MEAN, FRAUD_SD);
    (means[0], sds[0]) = [(490.0, 50.0), (490.0, 50.0), (400.0, 45.0)][band];
    (means[12], sds[12]) = [(800.0, 85.0), (830.0, 95.0), (940.0, 80.0)][band];
    (means, sds)
}
