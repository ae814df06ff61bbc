//! Places in the continental United States: states (approximate boxes,
//! population weights, zip ranges) and invented city names.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// A state as a box around its centre, shrunk so that points stay inland.
pub(crate) struct State {
    /// Postal abbreviation.
    pub abbr: &'static str,
    lat: f64,
    lon: f64,
    half_lat: f64,
    half_lon: f64,
    /// Population in millions (drawing weight).
    weight: f64,
    zip: (u32, u32),
}

const fn st(
    abbr: &'static str,
    lat: f64,
    lon: f64,
    half_lat: f64,
    half_lon: f64,
    weight: f64,
    zip: (u32, u32),
) -> State {
    State {
        abbr,
        lat,
        lon,
        half_lat,
        half_lon,
        weight,
        zip,
    }
}

/// The 48 contiguous states and DC.
pub(crate) const STATES: [State; 49] = [
    st("AL", 32.8, -86.8, 1.5, 1.0, 5.0, (35004, 36925)),
    st("AZ", 34.3, -111.7, 2.0, 2.0, 7.3, (85001, 86556)),
    st("AR", 34.9, -92.4, 1.2, 1.5, 3.0, (71601, 72959)),
    st("CA", 36.5, -119.5, 2.5, 1.5, 39.5, (90001, 96162)),
    st("CO", 39.0, -105.5, 1.5, 2.8, 5.8, (80001, 81658)),
    st("CT", 41.6, -72.7, 0.3, 0.6, 3.6, (6001, 6928)),
    st("DE", 39.0, -75.5, 0.4, 0.2, 1.0, (19701, 19980)),
    st("DC", 38.9, -77.03, 0.04, 0.04, 0.7, (20001, 20599)),
    st("FL", 28.6, -81.9, 1.8, 0.9, 21.5, (32003, 34997)),
    st("GA", 32.7, -83.4, 1.5, 1.2, 10.7, (30002, 31999)),
    st("ID", 44.4, -114.6, 2.0, 1.0, 1.8, (83201, 83877)),
    st("IL", 40.0, -89.2, 2.2, 1.0, 12.7, (60001, 62999)),
    st("IN", 39.9, -86.3, 1.4, 0.8, 6.8, (46001, 47997)),
    st("IA", 42.0, -93.5, 1.0, 2.4, 3.2, (50001, 52809)),
    st("KS", 38.5, -98.4, 1.1, 2.9, 2.9, (66002, 67954)),
    st("KY", 37.5, -85.3, 0.6, 2.0, 4.5, (40003, 42788)),
    st("LA", 31.0, -92.0, 1.0, 1.3, 4.6, (70001, 71497)),
    st("ME", 45.3, -69.2, 1.2, 1.0, 1.4, (3901, 4992)),
    st("MD", 39.2, -76.8, 0.3, 0.8, 6.2, (20601, 21930)),
    st("MA", 42.3, -71.8, 0.3, 1.0, 7.0, (1001, 2791)),
    st("MI", 43.8, -84.7, 1.5, 1.2, 10.1, (48001, 49971)),
    st("MN", 46.3, -94.3, 2.2, 2.0, 5.7, (55001, 56763)),
    st("MS", 32.7, -89.7, 1.8, 0.8, 3.0, (38601, 39776)),
    st("MO", 38.4, -92.5, 1.5, 2.3, 6.2, (63001, 65899)),
    st("MT", 47.0, -109.6, 1.6, 5.0, 1.1, (59001, 59937)),
    st("NE", 41.5, -99.8, 1.0, 3.5, 2.0, (68001, 69367)),
    st("NV", 39.3, -116.6, 2.2, 1.8, 3.1, (88901, 89883)),
    st("NH", 43.7, -71.6, 0.9, 0.4, 1.4, (3031, 3897)),
    st("NJ", 40.2, -74.6, 0.8, 0.3, 9.3, (7001, 8989)),
    st("NM", 34.4, -106.1, 2.2, 2.0, 2.1, (87001, 88439)),
    st("NY", 42.9, -75.5, 1.0, 2.5, 20.2, (10001, 14975)),
    st("NC", 35.5, -79.4, 0.6, 3.0, 10.4, (27006, 28909)),
    st("ND", 47.4, -100.5, 0.9, 3.0, 0.8, (58001, 58856)),
    st("OH", 40.3, -82.8, 1.4, 1.5, 11.8, (43001, 45999)),
    st("OK", 35.5, -97.5, 0.9, 2.5, 4.0, (73001, 74966)),
    st("OR", 43.9, -120.6, 1.7, 2.8, 4.2, (97001, 97920)),
    st("PA", 40.9, -77.8, 0.8, 2.4, 13.0, (15001, 19640)),
    st("RI", 41.7, -71.5, 0.2, 0.15, 1.1, (2801, 2940)),
    st("SC", 33.9, -80.9, 0.8, 1.3, 5.1, (29001, 29945)),
    st("SD", 44.4, -100.2, 1.2, 3.0, 0.9, (57001, 57799)),
    st("TN", 35.8, -86.4, 0.4, 3.0, 6.9, (37010, 38589)),
    st("TX", 31.2, -99.3, 3.5, 4.0, 29.1, (75001, 79999)),
    st("UT", 39.3, -111.7, 1.8, 1.5, 3.3, (84001, 84791)),
    st("VT", 44.0, -72.7, 0.8, 0.4, 0.6, (5001, 5907)),
    st("VA", 37.5, -78.8, 0.7, 2.5, 8.6, (20101, 24658)),
    st("WA", 47.4, -120.5, 1.0, 3.0, 7.7, (98001, 99403)),
    st("WV", 38.6, -80.6, 0.9, 1.2, 1.8, (24701, 26886)),
    st("WI", 44.6, -89.9, 1.8, 1.5, 5.9, (53001, 54990)),
    st("WY", 43.0, -107.5, 1.7, 3.0, 0.6, (82001, 83128)),
];

/// Draws a state, weighted by population.
pub(crate) fn pick_state(rng: &mut ChaCha8Rng) -> &'static State {
    let total: f64 = STATES.iter().map(|s| s.weight).sum();
    let mut u = rng.random::<f64>() * total;
    for s in &STATES {
        if u < s.weight {
            return s;
        }
        u -= s.weight;
    }
    &STATES[STATES.len() - 1]
}

/// Draws a state uniformly (for far-away places, where population matters less).
pub(crate) fn pick_any_state(rng: &mut ChaCha8Rng) -> &'static State {
    &STATES[rng.random_range(0..STATES.len())]
}

impl State {
    /// A point inside the state's box, as (lat, lon).
    pub fn point(&self, rng: &mut ChaCha8Rng) -> (f64, f64) {
        let lat = self.lat + rng.random_range(-1.0..1.0) * self.half_lat;
        let lon = self.lon + rng.random_range(-1.0..1.0) * self.half_lon;
        (lat, lon)
    }

    /// A zip code in the state's range.
    pub fn zip(&self, rng: &mut ChaCha8Rng) -> u32 {
        rng.random_range(self.zip.0..=self.zip.1)
    }
}

const CITY_STEMS: &[&str] = &[
    "Oak", "Maple", "Cedar", "Pine", "Elm", "Ash", "Willow", "Spring", "River", "Lake", "Rock",
    "Stone", "Green", "Fair", "Clear", "Bright", "Glen", "Wood", "Brook", "Mill", "Red", "White",
    "Black", "Silver", "Gold", "Pleasant", "Mount", "Sun", "Bay", "Harbor", "Prairie", "Bluff",
    "Hazel", "Bear", "Eagle", "Fox", "Deer", "Hunting", "Cold", "Sandy", "Marsh", "Wheat", "Clay",
];

const CITY_ENDINGS: &[&str] = &[
    "ville",
    "ton",
    "field",
    "wood",
    "dale",
    "ford",
    "burg",
    "port",
    "view",
    " Springs",
    " Falls",
    " City",
    " Valley",
    " Creek",
    " Hills",
    " Grove",
    " Ridge",
    " Lake",
    " Junction",
    " Center",
    "brook",
    "haven",
    "land",
    " Park",
    " Heights",
];

const CITY_PREFIXES: &[&str] = &[
    "North ", "South ", "East ", "West ", "New ", "Fort ", "Port ",
];

/// Invents a town name ("Cedarville", "North Rock Falls", "Fort Mason").
pub(crate) fn city_name(rng: &mut ChaCha8Rng, last_names: &[&str]) -> String {
    let mut name = String::new();
    if rng.random_bool(0.15) {
        name.push_str(CITY_PREFIXES[rng.random_range(0..CITY_PREFIXES.len())]);
    }
    if rng.random_bool(0.25) {
        name.push_str(last_names[rng.random_range(0..last_names.len())]);
        if rng.random_bool(0.5) {
            name.push_str(CITY_ENDINGS[rng.random_range(0..CITY_ENDINGS.len())]);
        }
    } else {
        name.push_str(CITY_STEMS[rng.random_range(0..CITY_STEMS.len())]);
        name.push_str(CITY_ENDINGS[rng.random_range(0..CITY_ENDINGS.len())]);
    }
    name
}
