//! Deserialising the checked text types (`TransNum`, `CardToken`,
//! `Timestamp`, `Date`, `Last4`) and merchant names straight from the
//! deserializer's string,
//! without first copying it into a `String`: a scorer decodes every field of
//! every transaction message, and that copy was an allocation per field.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserializer;
use serde::de::{Error, Visitor};

/// Reads a string and checks it with `parse` (borrowed when the input
/// allows, from the deserializer's scratch buffer otherwise).
pub(crate) fn from_text<'de, D, T, E>(
    d: D,
    expecting: &'static str,
    parse: fn(&[u8]) -> Result<T, E>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    E: fmt::Display,
{
    d.deserialize_str(TextVisitor {
        expecting,
        parse,
        value: PhantomData,
    })
}

struct TextVisitor<T, E> {
    expecting: &'static str,
    parse: fn(&[u8]) -> Result<T, E>,
    value: PhantomData<fn() -> T>,
}

impl<T, E: fmt::Display> Visitor<'_> for TextVisitor<T, E> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<R: Error>(self, text: &str) -> Result<T, R> {
        (self.parse)(text.as_bytes()).map_err(R::custom)
    }

    fn visit_bytes<R: Error>(self, bytes: &[u8]) -> Result<T, R> {
        (self.parse)(bytes).map_err(R::custom)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Date, TransNum};

    const ID: &str = "0b242abb623afc578575680df30655b9";

    #[test]
    fn borrowed_escaped_and_owned_strings_all_parse() {
        let plain: TransNum = serde_json::from_str(&format!("\"{ID}\"")).unwrap();
        assert_eq!(plain.to_string(), ID);
        // An escape makes serde_json unescape into its scratch buffer.
        let escaped: TransNum = serde_json::from_str(&format!("\"\\u0030{}\"", &ID[1..])).unwrap();
        assert_eq!(escaped, plain);
        // A `Value` hands over an owned `String`.
        let owned: TransNum = serde_json::from_value(serde_json::Value::String(ID.into())).unwrap();
        assert_eq!(owned, plain);
        let date: Date = serde_json::from_str("\"1968-03-19\"").unwrap();
        assert_eq!(date.to_string(), "1968-03-19");
    }

    #[test]
    fn bad_values_are_errors_naming_what_was_expected() {
        let wrong_type = serde_json::from_str::<TransNum>("42").unwrap_err();
        assert!(
            wrong_type.to_string().contains("expected a transaction id"),
            "{wrong_type}"
        );
        let bad_date = serde_json::from_str::<Date>("\"1968-13-19\"").unwrap_err();
        assert!(!bad_date.to_string().is_empty());
        assert!(serde_json::from_str::<TransNum>("\"T0\"").is_err());
    }
}
