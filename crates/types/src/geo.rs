//! Points on the Earth and the distance between them.

use serde::{Deserialize, Serialize};

use crate::error::{ValueError, ValueErrorKind, excerpt};

/// A latitude / longitude pair in degrees, both finite and in range.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    lat: f64,
    lon: f64,
}

const EARTH_RADIUS_KM: f64 = 6371.0088;

impl GeoPoint {
    /// Builds a point, refusing non-finite or out-of-range coordinates.
    pub fn new(lat: f64, lon: f64) -> Result<Self, ValueError> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(ValueError::new(
                ValueErrorKind::OutOfRange,
                format!("latitude {lat} is outside -90..90"),
            ));
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(ValueError::new(
                ValueErrorKind::OutOfRange,
                format!("longitude {lon} is outside -180..180"),
            ));
        }
        Ok(Self { lat, lon })
    }

    /// Latitude in degrees.
    pub const fn lat(self) -> f64 {
        self.lat
    }

    /// Longitude in degrees.
    pub const fn lon(self) -> f64 {
        self.lon
    }
}

impl GeoPoint {
    /// Parses a latitude and a longitude from their texts.
    pub fn parse(lat: &[u8], lon: &[u8]) -> Result<Self, ValueError> {
        Self::new(Self::parse_coordinate(lat)?, Self::parse_coordinate(lon)?)
    }

    /// Parses one coordinate as written in data files (`39.450497999999996`):
    /// a finite decimal number, range not checked (see [`GeoPoint::new`]).
    pub fn parse_coordinate(raw: &[u8]) -> Result<f64, ValueError> {
        if raw.is_empty() {
            return Err(ValueError::new(ValueErrorKind::Missing, "empty coordinate"));
        }
        std::str::from_utf8(raw)
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
            .filter(|v| v.is_finite())
            .ok_or_else(|| {
                ValueError::new(
                    ValueErrorKind::Format,
                    format!("expected a decimal coordinate, found '{}'", excerpt(raw)),
                )
            })
    }
}

/// Great-circle distance in kilometres (haversine formula).
pub fn haversine_km(a: GeoPoint, b: GeoPoint) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_checks() {
        assert!(GeoPoint::new(90.0, 180.0).is_ok());
        assert!(GeoPoint::new(90.1, 0.0).is_err());
        assert!(GeoPoint::new(0.0, -180.5).is_err());
        assert!(GeoPoint::new(f64::NAN, 0.0).is_err());
        assert!(GeoPoint::parse(b"39.450497999999996", b"-109.960431").is_ok());
        assert_eq!(
            GeoPoint::parse(b"", b"1").unwrap_err().kind,
            ValueErrorKind::Missing
        );
    }

    #[test]
    fn paris_to_new_york() {
        let paris = GeoPoint::new(48.8566, 2.3522).unwrap();
        let nyc = GeoPoint::new(40.7128, -74.0060).unwrap();
        let d = haversine_km(paris, nyc);
        assert!((d - 5837.0).abs() < 10.0, "{d}");
        assert_eq!(haversine_km(paris, paris), 0.0);
    }
}
