//! Card numbers, and the keyed tokens that replace them.
//!
//! PCI DSS 3.5.1.1 requires hashes of card numbers to be keyed: a bare SHA-256
//! of a 16-digit number whose BIN and last four are known is brute-forced in
//! seconds. A [`CardToken`] is `ct<version>_` followed by the hex of
//! HMAC-SHA256(key, digits), where the version names the key, so keys can be
//! rotated and tokens made under each told apart.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{ValueError, ValueErrorKind};

/// Shortest and longest card numbers accepted (ISO/IEC 7812 allows 8 to 19;
/// the payment cards Vigie scores have at least 11).
const MIN_DIGITS: usize = 11;
const MAX_DIGITS: usize = 19;

/// A primary account number: 11 to 19 digits with a valid Luhn check digit.
///
/// It cannot be printed: `Debug` shows only the last four digits, there is no
/// `Display` and no serde. Its memory is wiped when it is dropped. The digits
/// can be read only through [`CardNumber::expose_digits`], whose name makes
/// every use easy to find in review.
pub struct CardNumber {
    digits: [u8; MAX_DIGITS],
    len: u8,
}

impl CardNumber {
    /// Parses a card number made of ASCII digits only.
    ///
    /// Error messages speak of lengths and positions, never of the digits.
    pub fn parse(raw: &[u8]) -> Result<Self, ValueError> {
        if raw.is_empty() {
            return Err(ValueError::new(
                ValueErrorKind::Missing,
                "empty card number",
            ));
        }
        if !raw.iter().all(u8::is_ascii_digit) {
            let looks_scientific = raw.iter().any(|b| matches!(b, b'e' | b'E'))
                && raw
                    .iter()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'e' | b'E' | b'.' | b'+'));
            if looks_scientific {
                return Err(ValueError::new(
                    ValueErrorKind::Scientific,
                    "card number in scientific notation (e.g. 2.70E+15): a spreadsheet kept only a \
                     few significant digits and the number cannot be recovered; re-export the \
                     column as text",
                ));
            }
            return Err(ValueError::new(
                ValueErrorKind::Format,
                format!(
                    "card number contains {} non-digit character(s)",
                    raw.iter().filter(|b| !b.is_ascii_digit()).count()
                ),
            ));
        }
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&raw.len()) {
            return Err(ValueError::new(
                ValueErrorKind::Length,
                format!(
                    "card number has {} digits, expected {MIN_DIGITS} to {MAX_DIGITS}",
                    raw.len()
                ),
            ));
        }
        if !luhn_valid(raw) {
            return Err(ValueError::new(
                ValueErrorKind::Checksum,
                "card number fails the Luhn check (a digit was lost or changed)",
            ));
        }
        let mut digits = [0u8; MAX_DIGITS];
        digits[..raw.len()].copy_from_slice(raw);
        Ok(Self {
            digits,
            len: raw.len() as u8,
        })
    }

    /// Completes `body` (10 to 18 digits) with its Luhn check digit. Used by
    /// the synthetic data generator to make numbers that behave like real ones.
    pub fn with_check_digit(body: &[u8]) -> Result<Self, ValueError> {
        if !(MIN_DIGITS - 1..MAX_DIGITS).contains(&body.len())
            || !body.iter().all(u8::is_ascii_digit)
        {
            return Err(ValueError::new(
                ValueErrorKind::Length,
                "card number body must be 10 to 18 digits",
            ));
        }
        let mut digits = [0u8; MAX_DIGITS];
        digits[..body.len()].copy_from_slice(body);
        // The check digit doubles every second digit counting from the right
        // of the body, starting with the body's last digit.
        let sum: u32 = body
            .iter()
            .rev()
            .enumerate()
            .map(|(i, &b)| luhn_term(b - b'0', i % 2 == 0))
            .sum();
        digits[body.len()] = b'0' + ((10 - sum % 10) % 10) as u8;
        Ok(Self {
            digits,
            len: body.len() as u8 + 1,
        })
    }

    /// The digits, in clear. Call only to tokenise or to write synthetic data.
    pub fn expose_digits(&self) -> &[u8] {
        &self.digits[..usize::from(self.len)]
    }

    /// The last four digits, which may be displayed (PCI DSS 3.4.1).
    pub fn last4(&self) -> Last4 {
        let len = usize::from(self.len);
        let mut last = [0u8; 4];
        last.copy_from_slice(&self.digits[len - 4..len]);
        Last4(last)
    }
}

const fn luhn_term(digit: u8, doubled: bool) -> u32 {
    let d = digit as u32;
    if doubled {
        if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
    } else {
        d
    }
}

/// Whether a string of ASCII digits passes the Luhn check.
fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &b)| luhn_term(b - b'0', i % 2 == 1))
        .sum();
    sum.is_multiple_of(10)
}

impl Drop for CardNumber {
    fn drop(&mut self) {
        self.digits.zeroize();
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardNumber(…{})", self.last4())
    }
}

/// The last four digits of a card number, safe to display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Last4([u8; 4]);

impl Last4 {
    /// Parses exactly four ASCII digits.
    pub fn parse(raw: &[u8]) -> Result<Self, ValueError> {
        match <[u8; 4]>::try_from(raw) {
            Ok(d) if d.iter().all(u8::is_ascii_digit) => Ok(Self(d)),
            _ => Err(ValueError::new(
                ValueErrorKind::Format,
                "expected four digits",
            )),
        }
    }

    /// The four ASCII digits.
    pub fn as_bytes(&self) -> &[u8; 4] {
        &self.0
    }
}

impl fmt::Display for Last4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

/// The secret key behind card tokens, with its version number (1 to 9).
///
/// `Debug` never shows the key; its memory is wiped on drop.
#[derive(Clone)]
pub struct TokenKey {
    material: Zeroizing<Vec<u8>>,
    version: u8,
}

impl TokenKey {
    /// Shortest key material accepted, in bytes.
    pub const MIN_LEN: usize = 32;

    /// Wraps key material (at least 32 bytes; surrounding white space is
    /// ignored) under a version number 1 ..= 9.
    pub fn new(material: &[u8], version: u8) -> Result<Self, ValueError> {
        let trimmed = material.trim_ascii();
        if trimmed.len() < Self::MIN_LEN {
            return Err(ValueError::new(
                ValueErrorKind::Length,
                format!(
                    "card-token key is {} bytes long, at least {} are required",
                    trimmed.len(),
                    Self::MIN_LEN
                ),
            ));
        }
        if !(1..=9).contains(&version) {
            return Err(ValueError::new(
                ValueErrorKind::OutOfRange,
                "card-token key version must be 1 to 9",
            ));
        }
        Ok(Self {
            material: Zeroizing::new(trimmed.to_vec()),
            version,
        })
    }

    /// A fresh random key (256 bits from the operating system, as 64 hex
    /// characters so that it can be stored in a text file).
    pub fn generate(version: u8) -> Result<Self, ValueError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::fill(bytes.as_mut()).map_err(|e| {
            ValueError::new(
                ValueErrorKind::Missing,
                format!("no randomness from the operating system: {e}"),
            )
        })?;
        let text = Zeroizing::new(hex::encode(bytes.as_ref()).into_bytes());
        Self::new(&text, version)
    }

    /// The key material, to be written to a key file and nowhere else.
    pub fn expose_material(&self) -> &[u8] {
        &self.material
    }

    /// The key version, which becomes the digit in `ct<version>_`.
    pub const fn version(&self) -> u8 {
        self.version
    }
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenKey(v{}, redacted)", self.version)
    }
}

/// Turns card numbers into [`CardToken`]s with HMAC-SHA256 under a [`TokenKey`].
///
/// Cheap to clone (the keyed HMAC state is precomputed), so each worker thread
/// can own one.
#[derive(Clone)]
pub struct Tokenizer {
    mac: Hmac<Sha256>,
    version: u8,
}

impl Tokenizer {
    /// Prepares a tokenizer for `key`.
    pub fn new(key: &TokenKey) -> Self {
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose_material())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        Self {
            mac,
            version: key.version,
        }
    }

    /// The token of `card`.
    pub fn tokenize(&self, card: &CardNumber) -> CardToken {
        let mut mac = self.mac.clone();
        mac.update(card.expose_digits());
        let digest: [u8; 32] = mac.finalize().into_bytes().into();
        CardToken {
            version: self.version,
            digest,
        }
    }
}

/// The tokens of the card numbers seen last, for one thread tokenising many
/// rows of fewer cards (a file's rows): a card seen again costs a
/// comparison instead of an HMAC.
///
/// Direct-mapped, [`TokenCache::SLOTS`] slots. A slot keeps the card number
/// its token was computed from and compares it in full before reusing the
/// token, so a card never gets another card's token; the number is wiped
/// when the slot is replaced or the cache dropped, like every
/// [`CardNumber`]. The cache holds no card data that the text being parsed
/// does not already hold in memory.
pub struct TokenCache {
    tokenizer: Tokenizer,
    slots: Vec<Option<(CardNumber, CardToken)>>,
}

impl TokenCache {
    /// Slots in the cache.
    pub const SLOTS: usize = 4096;

    /// An empty cache in front of `tokenizer`.
    pub fn new(tokenizer: Tokenizer) -> Self {
        Self {
            tokenizer,
            slots: (0..Self::SLOTS).map(|_| None).collect(),
        }
    }

    /// The token of `card`: [`Tokenizer::tokenize`]'s, from the cache when
    /// this card was seen last in its slot.
    pub fn tokenize(&mut self, card: &CardNumber) -> CardToken {
        let digits = card.expose_digits();
        // FNV-1a: the slot only spreads cards; equality is checked in full.
        let mut hash: u32 = 0x811c_9dc5;
        for &d in digits {
            hash = (hash ^ u32::from(d)).wrapping_mul(0x0100_0193);
        }
        let slot = &mut self.slots[hash as usize % Self::SLOTS];
        if let Some((seen, token)) = slot
            && seen.expose_digits() == digits
        {
            return *token;
        }
        let token = self.tokenizer.tokenize(card);
        let copy = CardNumber {
            digits: card.digits,
            len: card.len,
        };
        *slot = Some((copy, token));
        token
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenCache({:?})", self.tokenizer)
    }
}

impl fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tokenizer(v{})", self.version)
    }
}

/// A keyed, irreversible stand-in for a card number: `ct1_` + 64 hex digits.
/// It identifies a card across transactions without revealing it.
///
/// `Hash` writes only the digest's first eight bytes, as one `u64`: they are
/// already uniformly random (see [`crate::CardMap`]). Equal tokens have equal
/// prefixes, so this agrees with `Eq`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CardToken {
    version: u8,
    digest: [u8; 32],
}

impl std::hash::Hash for CardToken {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let mut prefix = [0u8; 8];
        prefix.copy_from_slice(&self.digest[..8]);
        state.write_u64(u64::from_le_bytes(prefix));
    }
}

impl CardToken {
    /// Length of the text form.
    pub const TEXT_LEN: usize = 4 + 64;

    /// The version of the key that made this token.
    pub const fn key_version(&self) -> u8 {
        self.version
    }

    /// The 32-byte HMAC digest.
    pub const fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// Parses the text form `ct<version>_<64 hex>`.
    pub fn parse(raw: &[u8]) -> Result<Self, ValueError> {
        let bad = || {
            ValueError::new(
                ValueErrorKind::Format,
                "expected a card token ct<version>_<64 hex>",
            )
        };
        if raw.len() != Self::TEXT_LEN || &raw[..2] != b"ct" || raw[3] != b'_' {
            return Err(bad());
        }
        let version = match raw[2] {
            d @ b'1'..=b'9' => d - b'0',
            _ => return Err(bad()),
        };
        let mut digest = [0u8; 32];
        hex::decode_to_slice(&raw[4..], &mut digest).map_err(|_| bad())?;
        Ok(Self { version, digest })
    }

    /// Appends the text form to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.text());
    }

    /// The text form, `ct<version>_<64 hex>`, on the stack.
    fn text(&self) -> [u8; Self::TEXT_LEN] {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0u8; Self::TEXT_LEN];
        text[..4].copy_from_slice(&[b'c', b't', b'0' + self.version, b'_']);
        for (pair, byte) in text[4..].chunks_exact_mut(2).zip(self.digest) {
            pair[0] = HEX[usize::from(byte >> 4)];
            pair[1] = HEX[usize::from(byte & 0xf)];
        }
        text
    }
}

impl fmt::Display for CardToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // ASCII by construction (a version digit, hex). Written at once: the
        // decision log and the decision records print a token per decision.
        let text = self.text();
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for CardToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardToken({self})")
    }
}

impl FromStr for CardToken {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        Self::parse(s.as_bytes())
    }
}

impl Serialize for CardToken {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CardToken {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::serde_text::from_text(d, "a card token", Self::parse)
    }
}

/// Replaces every stand-alone run of 11 to 19 digits in `text` (one not
/// touching a letter or another digit, so hex identifiers are left alone) with
/// what `replace` returns for it. Used before any raw input is written to a
/// quarantine file or an error message.
pub fn redact_card_numbers<'a>(
    text: &'a str,
    mut replace: impl FnMut(&[u8]) -> String,
) -> Cow<'a, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let before_ok = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
        let after_ok = i == bytes.len() || !bytes[i].is_ascii_alphanumeric();
        if before_ok && after_ok && (MIN_DIGITS..=MAX_DIGITS).contains(&(i - start)) {
            let buf = out.get_or_insert_with(|| String::with_capacity(text.len()));
            buf.push_str(&text[copied..start]);
            buf.push_str(&replace(&bytes[start..i]));
            copied = i;
        }
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut buf) => {
            buf.push_str(&text[copied..]);
            Cow::Owned(buf)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAN: &[u8] = b"4599735407877245080";

    fn key() -> TokenKey {
        TokenKey::new(b"0123456789abcdef0123456789abcdef", 1).unwrap()
    }

    /// The cache gives every card the tokenizer's token, whatever the
    /// order, repeats and slot collisions (more cards than slots).
    #[test]
    fn token_cache_gives_the_tokenizer_s_tokens() {
        let tokenizer = Tokenizer::new(&key());
        let mut cache = TokenCache::new(tokenizer.clone());
        let cards: Vec<CardNumber> = (0..3 * TokenCache::SLOTS as u64)
            .map(|i| {
                // 15 digits, then the Luhn check digit.
                let body = format!("{:015}", 400_000_000_000_000 + i * 7_919);
                let sum: u32 = body
                    .bytes()
                    .rev()
                    .enumerate()
                    .map(|(k, b)| {
                        let d = u32::from(b - b'0');
                        if k % 2 == 0 {
                            (2 * d) % 9 + u32::from(d == 9) * 9
                        } else {
                            d
                        }
                    })
                    .sum();
                let check = (10 - sum % 10) % 10;
                CardNumber::parse(format!("{body}{check}").as_bytes()).unwrap()
            })
            .collect();
        for round in 0..3 {
            for (i, card) in cards.iter().enumerate() {
                if (i + round) % 3 != 0 {
                    assert_eq!(cache.tokenize(card), tokenizer.tokenize(card), "card {i}");
                }
            }
        }
    }

    #[test]
    fn accepts_kaggle_card_numbers() {
        for pan in [
            &b"2703186189652095"[..],
            b"630423337322",
            b"4599735407877245080",
            b"30551643947183",
        ] {
            let card = CardNumber::parse(pan).unwrap();
            assert_eq!(card.expose_digits(), pan);
        }
    }

    #[test]
    fn refuses_damaged_numbers_without_echoing_them() {
        let cases: [(&[u8], ValueErrorKind); 5] = [
            (b"2.70E+15", ValueErrorKind::Scientific),
            (b"2703186189", ValueErrorKind::Length),
            (b"27031861896520951234", ValueErrorKind::Length),
            (b"2703186189652096", ValueErrorKind::Checksum),
            (b"2703-1861-8965-2095", ValueErrorKind::Format),
        ];
        for (raw, kind) in cases {
            let err = CardNumber::parse(raw).unwrap_err();
            assert_eq!(err.kind, kind);
            assert!(!err.message.contains("27031861"), "{}", err.message);
        }
    }

    #[test]
    fn debug_never_prints_the_number() {
        let card = CardNumber::parse(PAN).unwrap();
        let shown = format!("{card:?}");
        assert_eq!(shown, "CardNumber(…5080)");
        assert_eq!(format!("{:?}", key()), "TokenKey(v1, redacted)");
        let tok = Tokenizer::new(&key());
        assert!(!format!("{tok:?}").contains("0123456789abcdef"));
    }

    #[test]
    fn token_is_the_hmac_sha256_with_version_prefix() {
        let token = Tokenizer::new(&key()).tokenize(&CardNumber::parse(PAN).unwrap());
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(b"0123456789abcdef0123456789abcdef").unwrap();
        mac.update(PAN);
        let expected = hex::encode(mac.finalize().into_bytes());
        assert_eq!(token.to_string(), format!("ct1_{expected}"));
        let mut written = Vec::new();
        token.write_to(&mut written);
        assert_eq!(written, token.to_string().into_bytes());
        assert_eq!(CardToken::parse(&written).unwrap(), token);
    }

    #[test]
    fn another_key_gives_other_tokens() {
        let card = CardNumber::parse(PAN).unwrap();
        let a = Tokenizer::new(&key()).tokenize(&card);
        let b =
            Tokenizer::new(&TokenKey::new(b"another key of at least thirty-two bytes", 2).unwrap())
                .tokenize(&card);
        assert_ne!(a.digest(), b.digest());
        assert!(b.to_string().starts_with("ct2_"));
    }

    #[test]
    fn short_keys_are_refused_and_generated_keys_differ() {
        assert!(TokenKey::new(b"short", 1).is_err());
        let (a, b) = (
            TokenKey::generate(1).unwrap(),
            TokenKey::generate(1).unwrap(),
        );
        assert_ne!(a.expose_material(), b.expose_material());
        assert_eq!(a.expose_material().len(), 64);
    }

    #[test]
    fn check_digit_completion_passes_luhn() {
        for body in [
            &b"270318618965209"[..],
            b"63042333732",
            b"459973540787724508",
        ] {
            let card = CardNumber::with_check_digit(body).unwrap();
            assert!(CardNumber::parse(card.expose_digits()).is_ok());
        }
    }

    #[test]
    fn redaction_replaces_only_standalone_long_digit_runs() {
        let line = "0,2019-01-01 00:00:18,2703186189652095,fraud_X,1325376018,0b242abb623afc578575680df30655b9";
        let out = redact_card_numbers(line, |_| "[card]".into());
        assert_eq!(
            out,
            "0,2019-01-01 00:00:18,[card],fraud_X,1325376018,0b242abb623afc578575680df30655b9"
        );
        assert!(matches!(
            redact_card_numbers("no digits here", |_| String::new()),
            Cow::Borrowed(_)
        ));
    }
}
