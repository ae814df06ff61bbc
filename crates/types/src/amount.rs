//! Money as a positive whole number of cents.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ValueError, ValueErrorKind, excerpt};

/// A transaction amount: a positive whole number of cents, at most
/// [`Amount::MAX_CENTS`]. Never a float, so sums are exact and `45.0`, `45.00`
/// and `45` are the same amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Amount(i64);

impl Amount {
    /// The largest amount accepted: 10,000,000.00. Real card transactions stay
    /// far below; anything above is a unit or parsing mistake.
    pub const MAX_CENTS: i64 = 1_000_000_000;

    /// Builds an amount from cents, refusing zero, negatives and the absurd.
    pub fn from_cents(cents: i64) -> Result<Self, ValueError> {
        if cents <= 0 {
            return Err(ValueError::new(
                ValueErrorKind::OutOfRange,
                "amount must be positive",
            ));
        }
        if cents > Self::MAX_CENTS {
            return Err(ValueError::new(
                ValueErrorKind::OutOfRange,
                format!("amount {} is above the 10,000,000.00 limit", Self(cents)),
            ));
        }
        Ok(Self(cents))
    }

    /// The amount in cents.
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// The amount in currency units, as a float (for features and models).
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }

    /// Parses a decimal with at most two digits after the point (`45`, `45.0`,
    /// `82.8`, `107.23`). Exact: no float is involved.
    pub fn parse(raw: &[u8]) -> Result<Self, ValueError> {
        if raw.is_empty() {
            return Err(ValueError::new(ValueErrorKind::Missing, "empty amount"));
        }
        let (whole, frac) = match raw.iter().position(|&b| b == b'.') {
            Some(dot) => (&raw[..dot], &raw[dot + 1..]),
            None => (raw, &[][..]),
        };
        let all_digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
        if whole.is_empty() || whole.len() > 12 || !all_digits(whole) || !all_digits(frac) {
            if raw.first() == Some(&b'-') {
                return Err(ValueError::new(
                    ValueErrorKind::OutOfRange,
                    "amount must be positive",
                ));
            }
            return Err(ValueError::new(
                ValueErrorKind::Format,
                format!(
                    "expected a decimal amount such as 107.23, found '{}'",
                    excerpt(raw)
                ),
            ));
        }
        if frac.len() > 2 {
            return Err(ValueError::new(
                ValueErrorKind::Precision,
                format!("amount '{}' has more than 2 decimals", excerpt(raw)),
            ));
        }
        let mut cents: i64 = 0;
        for &b in whole {
            cents = cents * 10 + i64::from(b - b'0');
        }
        let frac_value = frac
            .iter()
            .fold(0i64, |acc, &b| acc * 10 + i64::from(b - b'0'));
        cents = cents * 100 + frac_value * if frac.len() == 1 { 10 } else { 1 };
        Self::from_cents(cents)
    }

    /// Recovers an amount whose text is a float rendering of a cents value
    /// (`82.80000000000001`, `4.970000000000001`), as left by a float round
    /// trip. Refuses anything that is not within a millionth of a cent of a
    /// whole number of cents: such a value really has more precision.
    pub fn parse_float_noise(raw: &[u8]) -> Result<Self, ValueError> {
        let text = std::str::from_utf8(raw).ok();
        let value: Option<f64> = text.and_then(|t| t.parse().ok());
        let refused = || {
            ValueError::new(
                ValueErrorKind::Precision,
                format!("amount '{}' has more than 2 decimals", excerpt(raw)),
            )
        };
        let value = value.filter(|v| v.is_finite()).ok_or_else(refused)?;
        let cents = value * 100.0;
        let rounded = cents.round();
        if (cents - rounded).abs() > 1e-6 || rounded > Self::MAX_CENTS as f64 {
            return Err(refused());
        }
        Self::from_cents(rounded as i64)
    }

    /// Appends the shortest decimal text of this amount, as the Kaggle files
    /// write it: `45.0`, `82.8`, `107.23`.
    pub fn write_shortest(self, out: &mut Vec<u8>) {
        let mut buf = itoa::Buffer::new();
        out.extend_from_slice(buf.format(self.0 / 100).as_bytes());
        out.push(b'.');
        let frac = self.0 % 100;
        out.push(b'0' + (frac / 10) as u8);
        if frac % 10 != 0 {
            out.push(b'0' + (frac % 10) as u8);
        }
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl TryFrom<i64> for Amount {
    type Error = ValueError;
    fn try_from(cents: i64) -> Result<Self, ValueError> {
        Self::from_cents(cents)
    }
}

impl From<Amount> for i64 {
    fn from(amount: Amount) -> i64 {
        amount.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_kaggle_shapes() {
        assert_eq!(Amount::parse(b"45.0").unwrap().cents(), 4500);
        assert_eq!(Amount::parse(b"82.8").unwrap().cents(), 8280);
        assert_eq!(Amount::parse(b"107.23").unwrap().cents(), 10723);
        assert_eq!(Amount::parse(b"28948.9").unwrap().cents(), 2_894_890);
        assert_eq!(Amount::parse(b"7").unwrap().cents(), 700);
    }

    #[test]
    fn refuses_bad_amounts_with_the_right_kind() {
        let kind = |s: &[u8]| Amount::parse(s).unwrap_err().kind;
        assert_eq!(kind(b""), ValueErrorKind::Missing);
        assert_eq!(kind(b"0.00"), ValueErrorKind::OutOfRange);
        assert_eq!(kind(b"-5.00"), ValueErrorKind::OutOfRange);
        assert_eq!(kind(b"425.3436077233436"), ValueErrorKind::Precision);
        assert_eq!(kind(b"12,50"), ValueErrorKind::Format);
        assert_eq!(kind(b".5"), ValueErrorKind::Format);
        assert_eq!(kind(b"1e3"), ValueErrorKind::Format);
    }

    #[test]
    fn float_noise_is_recovered_but_real_precision_is_not() {
        assert_eq!(
            Amount::parse_float_noise(b"82.80000000000001")
                .unwrap()
                .cents(),
            8280
        );
        assert_eq!(
            Amount::parse_float_noise(b"4.969999999999999")
                .unwrap()
                .cents(),
            497
        );
        assert!(Amount::parse_float_noise(b"425.3436077233436").is_err());
        assert!(Amount::parse_float_noise(b"NaN").is_err());
    }

    proptest! {
        #[test]
        fn shortest_text_round_trips(cents in 1i64..=Amount::MAX_CENTS) {
            let amount = Amount::from_cents(cents).unwrap();
            let mut text = Vec::new();
            amount.write_shortest(&mut text);
            prop_assert_eq!(Amount::parse(&text).unwrap(), amount);
            prop_assert_eq!(Amount::parse(amount.to_string().as_bytes()).unwrap(), amount);
        }
    }
}
