//! The transaction identifier.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{ValueError, ValueErrorKind, excerpt};

/// A transaction's unique identifier: 32 hexadecimal characters (128 bits),
/// kept as a number so it is compact, `Copy` and cheap to hash. It prints in
/// lower case, as in the Kaggle files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransNum(u128);

impl TransNum {
    /// Builds an identifier from its 128-bit value.
    pub const fn from_u128(value: u128) -> Self {
        Self(value)
    }

    /// The 128-bit value.
    pub const fn as_u128(self) -> u128 {
        self.0
    }

    /// Parses exactly 32 hexadecimal characters (either case).
    pub fn parse(raw: &[u8]) -> Result<Self, ValueError> {
        if raw.is_empty() {
            return Err(ValueError::new(ValueErrorKind::Missing, "empty trans_num"));
        }
        if raw.len() != 32 {
            return Err(ValueError::new(
                ValueErrorKind::Length,
                format!(
                    "trans_num '{}' has {} characters, expected 32 hex",
                    excerpt(raw),
                    raw.len()
                ),
            ));
        }
        let mut value: u128 = 0;
        for &b in raw {
            let nibble = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => {
                    return Err(ValueError::new(
                        ValueErrorKind::Format,
                        format!("trans_num '{}' is not hexadecimal", excerpt(raw)),
                    ));
                }
            };
            value = value << 4 | u128::from(nibble);
        }
        Ok(Self(value))
    }

    /// Appends the 32 lower-case hex characters to `out`.
    pub fn write_to(self, out: &mut Vec<u8>) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for shift in (0..32).rev() {
            out.push(HEX[((self.0 >> (shift * 4)) & 0xf) as usize]);
        }
    }
}

impl fmt::Display for TransNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl FromStr for TransNum {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        Self::parse(s.as_bytes())
    }
}

impl Serialize for TransNum {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TransNum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(text.as_bytes()).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_kaggle_ids() {
        let t = TransNum::parse(b"0b242abb623afc578575680df30655b9").unwrap();
        assert_eq!(t.to_string(), "0b242abb623afc578575680df30655b9");
        assert_eq!(
            TransNum::parse(b"T0").unwrap_err().kind,
            ValueErrorKind::Length
        );
        assert_eq!(
            TransNum::parse(b"0b242abb623afc578575680df30655bz")
                .unwrap_err()
                .kind,
            ValueErrorKind::Format
        );
    }

    proptest! {
        #[test]
        fn hex_round_trip(v in any::<u128>()) {
            let t = TransNum::from_u128(v);
            let mut out = Vec::new();
            t.write_to(&mut out);
            prop_assert_eq!(String::from_utf8(out.clone()).unwrap(), t.to_string());
            prop_assert_eq!(TransNum::parse(&out).unwrap(), t);
        }
    }
}
