//! Per-card feature state in Redis: configuration, a small connection pool,
//! the store and its optimistic read-modify-write.

mod atomic;
mod config;
mod pool;
mod store;

pub use config::{Atomicity, KeyLayout, RedisConfig};
pub use store::{RedisStateStore, WarmReport};

pub(crate) use pool::Pool;
