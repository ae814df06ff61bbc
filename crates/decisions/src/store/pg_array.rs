//! A PostgreSQL one-dimensional array built in the binary wire format, one
//! element at a time, and sent as a statement parameter as it is.
//!
//! The stream worker's group commit sends its decisions as one array per
//! column (`log/pg_write.rs`). Built as `Vec<Option<String>>` and friends,
//! every text value was first copied into its own `String` and then copied
//! again by the driver's array encoder. Here each value is written once,
//! straight into the bytes that go on the wire.
//!
//! The format (PostgreSQL's `array_recv`): dimensions (1), a has-null flag,
//! the element type's OID, the length and the lower bound (1), then per
//! element its byte length (`-1` for NULL) and its bytes (`int8` and
//! `float8` big-endian, `text` as UTF-8).

use std::convert::Infallible;
use std::error::Error;

use bytes::{BufMut, BytesMut};
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};

/// An array of `int8`, `float8` or `text` in the binary wire format.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PgArray {
    element: Element,
    len: i32,
    has_null: bool,
    body: Vec<u8>,
}

/// The element types the log sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Element {
    /// `bigint`.
    Int8,
    /// `double precision`.
    Float8,
    /// `text`.
    Text,
}

impl Element {
    fn scalar(self) -> Type {
        match self {
            Self::Int8 => Type::INT8,
            Self::Float8 => Type::FLOAT8,
            Self::Text => Type::TEXT,
        }
    }

    /// The array type of this element.
    pub(crate) fn array(self) -> Type {
        match self {
            Self::Int8 => Type::INT8_ARRAY,
            Self::Float8 => Type::FLOAT8_ARRAY,
            Self::Text => Type::TEXT_ARRAY,
        }
    }
}

impl PgArray {
    /// An empty array with room for `bytes` bytes of elements.
    pub(crate) fn with_capacity(element: Element, bytes: usize) -> Self {
        Self {
            element,
            len: 0,
            has_null: false,
            body: Vec::with_capacity(bytes),
        }
    }

    /// Makes room for `bytes` more bytes of elements.
    pub(crate) fn reserve(&mut self, bytes: usize) {
        self.body.reserve(bytes);
    }

    /// Empties the array, keeping its buffer for the next one.
    pub(crate) fn clear(&mut self) {
        self.len = 0;
        self.has_null = false;
        self.body.clear();
    }

    /// Appends `value` with `push`, or a NULL when there is none.
    pub(crate) fn push_opt<T>(&mut self, value: Option<T>, push: impl FnOnce(&mut Self, T)) {
        match value {
            Some(value) => push(self, value),
            None => self.push_null(),
        }
    }

    /// Appends a NULL.
    pub(crate) fn push_null(&mut self) {
        self.body.extend_from_slice(&(-1i32).to_be_bytes());
        self.has_null = true;
        self.len += 1;
    }

    /// Appends an `int8` element (the array must be of `int8`).
    pub(crate) fn push_int(&mut self, value: i64) {
        debug_assert_eq!(self.element, Element::Int8);
        self.push_fixed(value.to_be_bytes());
    }

    /// Appends a `float8` element (the array must be of `float8`).
    pub(crate) fn push_real(&mut self, value: f64) {
        debug_assert_eq!(self.element, Element::Float8);
        self.push_fixed(value.to_bits().to_be_bytes());
    }

    fn push_fixed(&mut self, bytes: [u8; 8]) {
        self.body.extend_from_slice(&8i32.to_be_bytes());
        self.body.extend_from_slice(&bytes);
        self.len += 1;
    }

    /// Appends a `text` element (the array must be of `text`).
    pub(crate) fn push_text(&mut self, value: &str) {
        let Ok(()) = self.push_text_with(|out| {
            out.extend_from_slice(value.as_bytes());
            Ok::<(), Infallible>(())
        });
    }

    /// Appends a `text` element that `write` writes; `write` must write
    /// UTF-8 (a `Display` or a JSON encoder). When it fails, nothing is
    /// appended and its error is returned.
    pub(crate) fn push_text_with<E>(
        &mut self,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<(), E> {
        debug_assert_eq!(self.element, Element::Text);
        let start = self.body.len();
        self.body.extend_from_slice(&0i32.to_be_bytes());
        if let Err(e) = write(&mut self.body) {
            self.body.truncate(start);
            return Err(e);
        }
        let written = self.body.len() - start - 4;
        match i32::try_from(written) {
            Ok(n) => {
                self.body[start..start + 4].copy_from_slice(&n.to_be_bytes());
                self.len += 1;
                Ok(())
            }
            Err(_) => {
                // Over 2 GiB: no PostgreSQL value is that long. Send NULL,
                // which the table's NOT NULL refuses with a clear error.
                self.body.truncate(start);
                self.push_null();
                Ok(())
            }
        }
    }
}

impl ToSql for PgArray {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        if *ty != self.element.array() {
            return Err(format!("an array of {} sent as {ty}", self.element.scalar()).into());
        }
        out.reserve(20 + self.body.len());
        out.put_i32(1);
        out.put_i32(i32::from(self.has_null));
        out.put_u32(self.element.scalar().oid());
        out.put_i32(self.len);
        out.put_i32(1);
        out.extend_from_slice(&self.body);
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        [Type::INT8_ARRAY, Type::FLOAT8_ARRAY, Type::TEXT_ARRAY].contains(ty)
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes the driver's own array encoder sends for `value`.
    fn driver(value: &(dyn ToSql + Sync), ty: &Type) -> Vec<u8> {
        let mut out = BytesMut::new();
        value.to_sql_checked(ty, &mut out).unwrap();
        out.to_vec()
    }

    fn ours(array: &PgArray) -> Vec<u8> {
        driver(array, &array.element.array())
    }

    #[test]
    fn text_arrays_are_what_the_driver_sends() {
        let values = [Some("a"), None, Some(""), Some("décision ✓")];
        let mut array = PgArray::with_capacity(Element::Text, 0);
        for value in values {
            array.push_opt(value, PgArray::push_text);
        }
        assert_eq!(ours(&array), driver(&values.to_vec(), &Type::TEXT_ARRAY));
    }

    #[test]
    fn number_arrays_are_what_the_driver_sends() {
        let ints = [Some(0i64), Some(-1), Some(i64::MAX), None];
        let mut array = PgArray::with_capacity(Element::Int8, 0);
        for value in ints {
            array.push_opt(value, PgArray::push_int);
        }
        assert_eq!(ours(&array), driver(&ints.to_vec(), &Type::INT8_ARRAY));

        let reals = [Some(0.1f64), Some(-0.0), Some(f64::MAX)];
        let mut array = PgArray::with_capacity(Element::Float8, 0);
        for value in reals.into_iter().flatten() {
            array.push_real(value);
        }
        assert_eq!(ours(&array), driver(&reals.to_vec(), &Type::FLOAT8_ARRAY));
    }

    #[test]
    fn a_cleared_array_is_a_new_one_that_keeps_its_buffer() {
        let mut array = PgArray::with_capacity(Element::Text, 0);
        array.push_text("first group");
        array.push_null();
        let capacity = array.body.capacity();
        array.clear();
        array.push_text("second");
        assert_eq!(
            ours(&array),
            driver(&vec![Some("second")], &Type::TEXT_ARRAY)
        );
        assert_eq!(array.body.capacity(), capacity);
    }

    #[test]
    fn a_failed_write_appends_nothing() {
        let mut array = PgArray::with_capacity(Element::Text, 0);
        array.push_text("kept");
        let failed = array.push_text_with(|out| {
            out.extend_from_slice(b"partial");
            Err("refused")
        });
        assert_eq!(failed, Err("refused"));
        assert_eq!(ours(&array), driver(&vec![Some("kept")], &Type::TEXT_ARRAY));
    }

    #[test]
    fn an_array_is_refused_as_another_type() {
        let array = PgArray::with_capacity(Element::Int8, 0);
        let mut out = BytesMut::new();
        assert!(array.to_sql_checked(&Type::TEXT_ARRAY, &mut out).is_err());
        assert!(array.to_sql_checked(&Type::TEXT, &mut out).is_err());
    }
}
