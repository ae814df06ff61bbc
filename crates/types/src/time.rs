//! Zone-less calendar time at one-second resolution.
//!
//! Card transactions in the Kaggle layout carry a local wall-clock time with no
//! zone; Vigie keeps it as such (seconds since 1970-01-01 00:00:00 of that wall
//! clock), so hour-of-day and day-of-week features mean what the cardholder saw.
//! Conversions use Howard Hinnant's `days_from_civil` algorithm: exact over the
//! proleptic Gregorian calendar and free of any time-zone database.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{ValueError, ValueErrorKind, excerpt};

const SECONDS_PER_DAY: i64 = 86_400;

/// A calendar date, stored as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

/// A wall-clock instant at one-second resolution, stored as seconds since
/// 1970-01-01 00:00:00 (no time zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Whether `year` is a Gregorian leap year.
const fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

const fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

fn digits(raw: &[u8]) -> Option<u32> {
    if raw.is_empty() {
        return None;
    }
    raw.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// A hint for the usual ways a date gets damaged on its way to us.
fn shape_hint(raw: &[u8]) -> &'static str {
    if raw.contains(&b'/') {
        " (a spreadsheet-style date: day/month order is ambiguous, re-export as YYYY-MM-DD)"
    } else if raw.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        " (a bare number: an Excel serial date or a unix time?)"
    } else {
        ""
    }
}

impl Date {
    /// Builds a date from its parts, checking that it exists.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<Self, ValueError> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(ValueError::new(
                ValueErrorKind::OutOfRange,
                format!("no such date {year:04}-{month:02}-{day:02}"),
            ));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(ValueError::new(
                ValueErrorKind::OutOfRange,
                format!("no such date {year:04}-{month:02}-{day:02}"),
            ));
        }
        Ok(Self(days_from_civil(year, month, day)))
    }

    /// Builds a date from days since 1970-01-01.
    pub const fn from_days_since_epoch(days: i32) -> Self {
        Self(days)
    }

    /// Days since 1970-01-01.
    pub const fn days_since_epoch(self) -> i32 {
        self.0
    }

    /// Parses `YYYY-MM-DD` exactly.
    pub fn parse(raw: &[u8]) -> Result<Self, ValueError> {
        if raw.is_empty() {
            return Err(ValueError::new(ValueErrorKind::Missing, "empty date"));
        }
        if raw.len() != 10 || raw[4] != b'-' || raw[7] != b'-' {
            return Err(ValueError::new(
                ValueErrorKind::Format,
                format!(
                    "expected YYYY-MM-DD, found '{}'{}",
                    excerpt(raw),
                    shape_hint(raw)
                ),
            ));
        }
        match (digits(&raw[0..4]), digits(&raw[5..7]), digits(&raw[8..10])) {
            (Some(y), Some(m), Some(d)) => Self::from_ymd(y as i32, m, d),
            _ => Err(ValueError::new(
                ValueErrorKind::Format,
                format!("expected YYYY-MM-DD, found '{}'", excerpt(raw)),
            )),
        }
    }

    /// The (year, month, day) of this date.
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }

    /// Day of the week, 0 = Monday ... 6 = Sunday.
    pub const fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (3).
        (self.0 as i64 + 3).rem_euclid(7) as u32
    }

    /// Midnight at the start of this date.
    pub const fn at_midnight(self) -> Timestamp {
        Timestamp(self.0 as i64 * SECONDS_PER_DAY)
    }

    /// The date `days` later (or earlier when negative).
    pub const fn add_days(self, days: i32) -> Self {
        Self(self.0 + days)
    }

    /// Whole years from `self` (a birth date) to `on`, as a person counts age.
    pub fn years_until(self, on: Date) -> i32 {
        let (by, bm, bd) = self.ymd();
        let (y, m, d) = on.ymd();
        let mut years = y - by;
        if (m, d) < (bm, bd) {
            years -= 1;
        }
        years
    }

    /// Appends `YYYY-MM-DD` to `out`.
    pub fn write_to(self, out: &mut Vec<u8>) {
        let (y, m, d) = self.ymd();
        push_padded(out, y.unsigned_abs(), 4);
        out.push(b'-');
        push_padded(out, m, 2);
        out.push(b'-');
        push_padded(out, d, 2);
    }
}

/// Appends `value` as exactly `width` digits (values are always below 10^width here).
fn push_padded(out: &mut Vec<u8>, mut value: u32, width: usize) {
    let mut buf = [b'0'; 10];
    for slot in buf[..width].iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
    out.extend_from_slice(&buf[..width]);
}

impl Timestamp {
    /// Builds a timestamp from seconds since 1970-01-01 00:00:00.
    pub const fn from_seconds(seconds: i64) -> Self {
        Self(seconds)
    }

    /// Seconds since 1970-01-01 00:00:00.
    pub const fn seconds(self) -> i64 {
        self.0
    }

    /// Microseconds since 1970-01-01 00:00:00 (the Parquet timestamp unit).
    pub const fn micros(self) -> i64 {
        self.0 * 1_000_000
    }

    /// Builds a timestamp from a date and a time of day.
    pub fn from_date_hms(
        date: Date,
        hour: u32,
        minute: u32,
        second: u32,
    ) -> Result<Self, ValueError> {
        if hour > 23 || minute > 59 || second > 59 {
            return Err(ValueError::new(
                ValueErrorKind::OutOfRange,
                format!("no such time {hour:02}:{minute:02}:{second:02}"),
            ));
        }
        Ok(Self(
            date.at_midnight().0 + i64::from(hour * 3600 + minute * 60 + second),
        ))
    }

    /// Parses `YYYY-MM-DD HH:MM:SS` (or with a `T` separator) exactly.
    pub fn parse(raw: &[u8]) -> Result<Self, ValueError> {
        if raw.is_empty() {
            return Err(ValueError::new(ValueErrorKind::Missing, "empty date-time"));
        }
        let shaped = raw.len() == 19
            && raw[4] == b'-'
            && raw[7] == b'-'
            && (raw[10] == b' ' || raw[10] == b'T')
            && raw[13] == b':'
            && raw[16] == b':';
        if !shaped {
            return Err(ValueError::new(
                ValueErrorKind::Format,
                format!(
                    "expected YYYY-MM-DD HH:MM:SS, found '{}'{}",
                    excerpt(raw),
                    shape_hint(raw)
                ),
            ));
        }
        let date = Date::parse(&raw[..10])?;
        match (
            digits(&raw[11..13]),
            digits(&raw[14..16]),
            digits(&raw[17..19]),
        ) {
            (Some(h), Some(m), Some(s)) => Self::from_date_hms(date, h, m, s),
            _ => Err(ValueError::new(
                ValueErrorKind::Format,
                format!("expected YYYY-MM-DD HH:MM:SS, found '{}'", excerpt(raw)),
            )),
        }
    }

    /// The calendar date of this instant.
    pub const fn date(self) -> Date {
        Date(self.0.div_euclid(SECONDS_PER_DAY) as i32)
    }

    /// Seconds since midnight, 0 ..= 86_399.
    pub const fn second_of_day(self) -> u32 {
        self.0.rem_euclid(SECONDS_PER_DAY) as u32
    }

    /// Hour of the day, 0 ..= 23.
    pub const fn hour(self) -> u32 {
        self.second_of_day() / 3600
    }

    /// The instant `seconds` later.
    pub const fn add_seconds(self, seconds: i64) -> Self {
        Self(self.0 + seconds)
    }

    /// Appends `YYYY-MM-DD HH:MM:SS` to `out`.
    pub fn write_to(self, out: &mut Vec<u8>) {
        self.date().write_to(out);
        let sod = self.second_of_day();
        out.push(b' ');
        push_padded(out, sod / 3600, 2);
        out.push(b':');
        push_padded(out, sod / 60 % 60, 2);
        out.push(b':');
        push_padded(out, sod % 60, 2);
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::with_capacity(10);
        self.write_to(&mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::with_capacity(19);
        self.write_to(&mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::serde_text::from_text(d, "a timestamp, YYYY-MM-DD HH:MM:SS", Self::parse)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::serde_text::from_text(d, "a date, YYYY-MM-DD", Self::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_instants() {
        let t = Timestamp::parse(b"2019-01-01 00:00:18").unwrap();
        assert_eq!(t.seconds(), 1_546_300_818);
        assert_eq!(t.to_string(), "2019-01-01 00:00:18");
        assert_eq!(t.date().weekday(), 1, "2019-01-01 was a Tuesday");
        assert_eq!(Timestamp::parse(b"2020-02-29T23:59:59").unwrap().hour(), 23);
    }

    #[test]
    fn refuses_impossible_and_foreign_shapes() {
        for bad in [
            &b"2019-02-29 00:00:00"[..],
            b"2019-13-01 00:00:00",
            b"2019-01-01 24:00:00",
            b"01/01/2019 00:00",
            b"44003.50972",
            b"2019-01-01",
            b"",
        ] {
            assert!(
                Timestamp::parse(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let err = Timestamp::parse(b"8/3/2020 6:18").unwrap_err();
        assert!(err.message.contains("spreadsheet"), "{}", err.message);
    }

    #[test]
    fn age_counts_birthdays() {
        let born = Date::parse(b"1988-03-09").unwrap();
        assert_eq!(born.years_until(Date::parse(b"2019-03-08").unwrap()), 30);
        assert_eq!(born.years_until(Date::parse(b"2019-03-09").unwrap()), 31);
    }

    proptest! {
        #[test]
        fn civil_round_trip(days in -700_000i32..2_900_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }

        #[test]
        fn text_round_trip(seconds in 0i64..4_102_444_800) {
            let t = Timestamp::from_seconds(seconds);
            prop_assert_eq!(Timestamp::parse(t.to_string().as_bytes()).unwrap(), t);
        }
    }
}
