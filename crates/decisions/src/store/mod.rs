//! The database side: one portable SQL layer over SQLite and PostgreSQL and
//! the migrations, written once for both backends.

pub(crate) mod conn;
pub(crate) mod migrate;
pub(crate) mod pg_array;
pub(crate) mod values;
