//! Vigie's open-loop load generator (layer L4): replays a Kaggle-layout
//! transaction file against a scoring endpoint (`POST /v1/score`) at a fixed
//! rate and reports throughput, latency percentiles, errors by kind and the
//! decisions against the file's labels.
//!
//! Open loop means the schedule does not wait for the server: request `i`
//! is due at `t0 + i / rate` and its latency is measured from that intended
//! time, so time spent queued in the client or the server is counted (no
//! coordinated omission). Bodies are encoded before the clock starts; keep-
//! alive HTTP/1.1 connections (hyper) run on one thread; histograms are
//! HdrHistogram. See docs/replay.md.
//!
//! ```no_run
//! use vigie_loadgen::{ReplayOptions, replay};
//! let options = ReplayOptions::new("http://127.0.0.1:8080", "test.csv", 1000.0);
//! let report = replay(&options, |p| eprintln!("{} sent, p99 {} us", p.sent, p.p99_us))?;
//! println!("{}", serde_json::to_string(&report)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The transaction file holds card numbers in clear (a front end sends
//! them): nothing here logs a body or quotes a field value in an error.

mod client;
mod error;
mod options;
mod report;
mod run;
mod stats;
mod workload;

pub use error::{ReplayError, Result};
pub use options::{DEFAULT_PATH, ReplayOptions, Target};
pub use report::{Confusion, Decision, Decisions, LatencySummary, Progress, ReplayReport};
pub use run::{PROGRESS_EVERY, replay, replay_workload};
pub use workload::{Request, Workload};
