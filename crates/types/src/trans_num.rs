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

/// Marks a byte that is not a hex digit in [`NIBBLE`].
const NOT_HEX: u8 = 0x10;

/// Hex digit value of every byte, or [`NOT_HEX`].
static NIBBLE: [u8; 256] = {
    let mut table = [NOT_HEX; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            c @ b'0'..=b'9' => c - b'0',
            c @ b'a'..=b'f' => c - b'a' + 10,
            c @ b'A'..=b'F' => c - b'A' + 10,
            _ => NOT_HEX,
        };
        b += 1;
    }
    table
};

impl TransNum {
    /// Length of the text form: 32 hex characters.
    pub const TEXT_LEN: usize = 32;

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
        if raw.len() != Self::TEXT_LEN {
            return Err(ValueError::new(
                ValueErrorKind::Length,
                format!(
                    "trans_num '{}' has {} characters, expected 32 hex",
                    excerpt(raw),
                    raw.len()
                ),
            ));
        }
        // A table lookup per character, checked once at the end: branching
        // on digit-or-letter mispredicts on random hex.
        let (mut value, mut invalid) = (0u128, 0u8);
        for &b in raw {
            let nibble = NIBBLE[usize::from(b)];
            invalid |= nibble;
            value = value << 4 | u128::from(nibble & 0xf);
        }
        if invalid & NOT_HEX != 0 {
            return Err(ValueError::new(
                ValueErrorKind::Format,
                format!("trans_num '{}' is not hexadecimal", excerpt(raw)),
            ));
        }
        Ok(Self(value))
    }

    /// Appends the 32 lower-case hex characters to `out`.
    pub fn write_to(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.text());
    }

    /// The 32 lower-case hex characters, on the stack.
    fn text(self) -> [u8; Self::TEXT_LEN] {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0u8; Self::TEXT_LEN];
        for (pair, byte) in text.chunks_exact_mut(2).zip(self.0.to_be_bytes()) {
            pair[0] = HEX[usize::from(byte >> 4)];
            pair[1] = HEX[usize::from(byte & 0xf)];
        }
        text
    }
}

impl fmt::Display for TransNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.text();
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
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
        crate::serde_text::from_text(d, "a transaction id", Self::parse)
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

        /// Any 32 bytes parse exactly when they are all hex digits, to the
        /// value the standard library reads.
        #[test]
        fn parse_agrees_with_from_str_radix(
            bytes in proptest::collection::vec(
                prop_oneof![8 => proptest::sample::select(b"0123456789abcdefABCDEF".to_vec()), 1 => any::<u8>()],
                32,
            ),
        ) {
            let expected = std::str::from_utf8(&bytes)
                .ok()
                .filter(|text| text.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|text| u128::from_str_radix(text, 16).ok());
            prop_assert_eq!(TransNum::parse(&bytes).ok().map(TransNum::as_u128), expected);
        }
    }
}
