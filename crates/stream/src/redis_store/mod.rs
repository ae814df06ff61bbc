//! Per-card feature state in Redis: configuration, a small connection pool,
//! the store, its optimistic read-modify-write and its batch operations.

mod atomic;
mod batch;
mod config;
mod pool;
mod store;
mod value;

pub use batch::{LoadedState, LoadedStates};
pub use config::{Atomicity, KeyLayout, RedisConfig};
pub use store::{RedisStateStore, WarmReport};

pub(crate) use pool::Pool;
