//! Values crossing the portable SQL layer: statement parameters ([`Param`],
//! typed so PostgreSQL can bind a NULL), result cells and rows, and their
//! conversion to and from each driver's types.

use postgres::types::{ToSql, Type};

use super::pg_array::PgArray;
use crate::error::{DecisionError, Result};

/// A statement parameter.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
    /// An array, already in the wire format: PostgreSQL only (`unnest`ed
    /// group writes).
    Array(PgArray),
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Self::Int(Some(v))
    }
}
impl From<Option<i64>> for Param {
    fn from(v: Option<i64>) -> Self {
        Self::Int(v)
    }
}
impl From<f64> for Param {
    fn from(v: f64) -> Self {
        Self::Real(Some(v))
    }
}
impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Self::Text(Some(v.to_owned()))
    }
}
impl From<String> for Param {
    fn from(v: String) -> Self {
        Self::Text(Some(v))
    }
}
impl From<Option<&str>> for Param {
    fn from(v: Option<&str>) -> Self {
        Self::Text(v.map(str::to_owned))
    }
}

/// A value read back from a row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// One result row.
#[derive(Debug, Clone)]
pub(crate) struct Row(pub(super) Vec<Cell>);

fn column_error(index: usize, wanted: &str, found: &Cell) -> DecisionError {
    DecisionError::Database {
        backend: "sql",
        message: format!("column {index}: expected {wanted}, found {found:?}"),
    }
}

impl Row {
    fn cell(&self, index: usize) -> &Cell {
        self.0.get(index).unwrap_or(&Cell::Null)
    }

    /// An integer column.
    pub(crate) fn int(&self, index: usize) -> Result<i64> {
        self.opt_int(index)?
            .ok_or_else(|| column_error(index, "an integer", &Cell::Null))
    }

    /// A nullable integer column.
    pub(crate) fn opt_int(&self, index: usize) -> Result<Option<i64>> {
        match self.cell(index) {
            Cell::Null => Ok(None),
            Cell::Int(v) => Ok(Some(*v)),
            other => Err(column_error(index, "an integer", other)),
        }
    }

    /// A non-negative integer column.
    pub(crate) fn uint(&self, index: usize) -> Result<u64> {
        let v = self.int(index)?;
        u64::try_from(v).map_err(|_| column_error(index, "a non-negative integer", &Cell::Int(v)))
    }

    /// A real column (SQLite may hand back an integer-valued real as an integer).
    pub(crate) fn real(&self, index: usize) -> Result<f64> {
        match self.cell(index) {
            Cell::Real(v) => Ok(*v),
            Cell::Int(v) => Ok(*v as f64),
            other => Err(column_error(index, "a real", other)),
        }
    }

    /// A text column.
    pub(crate) fn text(&self, index: usize) -> Result<String> {
        self.opt_text(index)?
            .ok_or_else(|| column_error(index, "text", &Cell::Null))
    }

    /// A nullable text column.
    pub(crate) fn opt_text(&self, index: usize) -> Result<Option<String>> {
        match self.cell(index) {
            Cell::Null => Ok(None),
            Cell::Text(v) => Ok(Some(v.clone())),
            other => Err(column_error(index, "text", other)),
        }
    }
}

pub(super) fn sqlite_params(params: &[Param]) -> Vec<rusqlite::types::Value> {
    use rusqlite::types::Value;
    params
        .iter()
        .map(|p| match p {
            Param::Int(Some(v)) => Value::Integer(*v),
            Param::Real(Some(v)) => Value::Real(*v),
            Param::Text(Some(v)) => Value::Text(v.clone()),
            // Arrays are never sent to SQLite.
            Param::Int(None) | Param::Real(None) | Param::Text(None) | Param::Array(_) => {
                Value::Null
            }
        })
        .collect()
}

pub(super) fn sqlite_cell(value: rusqlite::types::ValueRef<'_>) -> Cell {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(v) => Cell::Int(v),
        ValueRef::Real(v) => Cell::Real(v),
        ValueRef::Text(v) | ValueRef::Blob(v) => {
            Cell::Text(String::from_utf8_lossy(v).into_owned())
        }
    }
}

pub(super) fn pg_params(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| match p {
            Param::Int(v) => v as &(dyn ToSql + Sync),
            Param::Real(v) => v as &(dyn ToSql + Sync),
            Param::Text(v) => v as &(dyn ToSql + Sync),
            Param::Array(v) => v as &(dyn ToSql + Sync),
        })
        .collect()
}

pub(super) fn pg_row(row: &postgres::Row) -> Result<Row> {
    let mut cells = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let ty = column.type_();
        let cell = if *ty == Type::INT8 {
            row.try_get::<_, Option<i64>>(i)?.map(Cell::Int)
        } else if *ty == Type::INT4 {
            row.try_get::<_, Option<i32>>(i)?
                .map(|v| Cell::Int(v.into()))
        } else if *ty == Type::FLOAT8 {
            row.try_get::<_, Option<f64>>(i)?.map(Cell::Real)
        } else if *ty == Type::BOOL {
            row.try_get::<_, Option<bool>>(i)?
                .map(|v| Cell::Int(v.into()))
        } else if *ty == Type::TEXT || *ty == Type::VARCHAR || *ty == Type::NAME {
            row.try_get::<_, Option<String>>(i)?.map(Cell::Text)
        } else {
            return Err(DecisionError::Database {
                backend: "postgres",
                message: format!("column {} has unsupported type {ty}", column.name()),
            });
        };
        cells.push(cell.unwrap_or(Cell::Null));
    }
    Ok(Row(cells))
}

impl From<u64> for Param {
    fn from(v: u64) -> Self {
        Self::Int(Some(saturating_i64(v)))
    }
}

/// A `u64` as the databases' signed 64-bit integer, saturating.
pub(crate) fn saturating_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
