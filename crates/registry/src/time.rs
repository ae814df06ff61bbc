//! Wall-clock instants as Unix milliseconds (UTC), printed as RFC 3339.
//!
//! The registry stores times as integers so both backends agree to the
//! millisecond; this module turns them into text without a time-zone database.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A UTC instant in milliseconds since the Unix epoch. Serialises as
/// RFC 3339 text (`2026-01-31T12:00:00.000Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcMillis(pub i64);

impl UtcMillis {
    /// Now, from the system clock.
    pub fn now() -> Self {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Self(millis)
    }

    /// The civil date and time: (year, month, day, hour, minute, second, millisecond).
    pub fn civil(self) -> (i64, u32, u32, u32, u32, u32, u32) {
        let secs = self.0.div_euclid(1000);
        let millis = self.0.rem_euclid(1000) as u32;
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400) as u32;
        let (y, m, d) = civil_from_days(days);
        (y, m, d, rem / 3600, rem / 60 % 60, rem % 60, millis)
    }

    /// `YYYYMMDDTHHMMSSZ`, the form AWS request signing uses.
    pub fn amz_date(self) -> String {
        let (y, mo, d, h, mi, s, _) = self.civil();
        format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
    }
}

impl fmt::Display for UtcMillis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s, ms) = self.civil();
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
    }
}

impl serde::Serialize for UtcMillis {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(UtcMillis(0).to_string(), "1970-01-01T00:00:00.000Z");
        // 2020-02-29T23:59:59.999Z, a leap day.
        assert_eq!(
            UtcMillis(1_583_020_799_999).to_string(),
            "2020-02-29T23:59:59.999Z"
        );
        assert_eq!(UtcMillis(1_369_353_600_000).amz_date(), "20130524T000000Z");
        assert_eq!(UtcMillis(-1).to_string(), "1969-12-31T23:59:59.999Z");
    }
}
