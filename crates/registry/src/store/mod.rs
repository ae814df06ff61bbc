//! The database side of the registry: one portable SQL layer over SQLite and
//! PostgreSQL, the migrations, and the queries (runs, models, audit), each
//! written once for both backends.

pub(crate) mod audit;
pub(crate) mod conn;
pub(crate) mod migrate;
pub(crate) mod models;
pub(crate) mod runs;
