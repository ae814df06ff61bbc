//! What a replay measured: the live [`Progress`] and the final
//! [`ReplayReport`] (serialisable as one JSON object).

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// A scoring decision as answered by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Let the payment through.
    Allow,
    /// Let it through, queue it for an analyst.
    Review,
    /// Refuse the payment.
    Block,
}

/// Answers by decision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Decisions {
    /// `allow` answers.
    pub allow: u64,
    /// `review` answers.
    pub review: u64,
    /// `block` answers.
    pub block: u64,
}

impl Decisions {
    pub(crate) fn count(&mut self, decision: Decision) {
        match decision {
            Decision::Allow => self.allow += 1,
            Decision::Review => self.review += 1,
            Decision::Block => self.block += 1,
        }
    }
}

/// Decisions against the file's `is_fraud` labels (scored requests only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Confusion {
    /// Scored transactions labelled fraud.
    pub frauds: u64,
    /// Frauds answered `review` or `block`.
    pub caught: u64,
    /// Frauds answered `block`.
    pub blocked: u64,
    /// Scored transactions labelled legitimate.
    pub legitimate: u64,
    /// Legitimate transactions answered `review` or `block`.
    pub false_positives: u64,
    /// Legitimate transactions answered `block`.
    pub false_blocks: u64,
}

impl Confusion {
    pub(crate) fn count(&mut self, is_fraud: bool, decision: Decision) {
        let flagged = decision != Decision::Allow;
        let blocked = decision == Decision::Block;
        if is_fraud {
            self.frauds += 1;
            self.caught += u64::from(flagged);
            self.blocked += u64::from(blocked);
        } else {
            self.legitimate += 1;
            self.false_positives += u64::from(flagged);
            self.false_blocks += u64::from(blocked);
        }
    }
}

/// Percentiles of a latency distribution, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Values recorded.
    pub count: u64,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    #[serde(rename = "p99_9")]
    pub p999: u64,
    /// Largest value.
    pub max: u64,
}

impl LatencySummary {
    pub(crate) fn of(histogram: &Histogram<u64>) -> Self {
        if histogram.is_empty() {
            return Self::default();
        }
        Self {
            count: histogram.len(),
            mean: histogram.mean(),
            p50: histogram.value_at_quantile(0.50),
            p90: histogram.value_at_quantile(0.90),
            p99: histogram.value_at_quantile(0.99),
            p999: histogram.value_at_quantile(0.999),
            max: histogram.max(),
        }
    }
}

/// A snapshot of a running replay, handed to the progress callback about
/// every 500 ms and once at the end.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    /// Since the clock started.
    pub elapsed: Duration,
    /// Requests the run will schedule.
    pub planned: u64,
    /// Requests written to a connection so far.
    pub sent: u64,
    /// Requests that got an HTTP answer (any status).
    pub answered: u64,
    /// Requests sent and not yet answered or failed.
    pub in_flight: u64,
    /// Requests due but not sent yet (waiting for a free connection).
    pub waiting: u64,
    /// Failed requests of every kind (see [`ReplayReport::errors`]).
    pub errors: u64,
    /// Answers per second over the last interval.
    pub throughput: f64,
    /// Median latency so far, from the intended send time, µs.
    pub p50_us: u64,
    /// 99th percentile so far, µs.
    pub p99_us: u64,
    /// Answers by decision so far.
    pub decisions: Decisions,
    /// Decisions against the labels so far, when the file has `is_fraud`.
    pub confusion: Option<Confusion>,
}

/// The result of a replay.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    /// The target URL.
    pub url: String,
    /// The transaction file.
    pub file: String,
    /// Requests per second asked for.
    pub requested_rate: f64,
    /// Answers per second achieved: `answered / duration_s`.
    pub achieved_rate: f64,
    /// From the start of the clock to the last answer, seconds.
    pub duration_s: f64,
    /// Requests scheduled (rows, limited by `limit` and `rate * duration`).
    pub planned: u64,
    /// Requests written to a connection.
    pub sent: u64,
    /// Requests that got an HTTP answer (any status).
    pub answered: u64,
    /// 2xx answers carrying a decision.
    pub scored: u64,
    /// HTTP answers by status code.
    pub statuses: BTreeMap<String, u64>,
    /// Failures by kind: `connect`, `io`, `timeout`, `in_flight_cap` (due
    /// while the cap was reached: never sent), `http_status` (a non-2xx
    /// answer), `bad_answer` (a 2xx whose body has no decision).
    pub errors: BTreeMap<String, u64>,
    /// Sum of `errors`.
    pub error_total: u64,
    /// Latency of answered requests from their intended send time
    /// (`t0 + i / rate`): includes waiting for a connection, so queueing is
    /// not hidden (no coordinated omission).
    pub latency_us: LatencySummary,
    /// From the actual write to the answer: what a closed-loop client would
    /// report. Shown for comparison only.
    pub service_time_us: LatencySummary,
    /// How late requests were written compared with their intended time
    /// (pacing precision plus waiting for a free connection).
    pub send_lag_us: LatencySummary,
    /// The `latency_us` the server reported in its answers, when it did.
    pub server_latency_us: Option<LatencySummary>,
    /// Answers by decision.
    pub decisions: Decisions,
    /// Decisions against `is_fraud`, when the file has it.
    pub confusion: Option<Confusion>,
    /// Answers left out of the percentiles because they were due during
    /// the warm-up.
    pub warmup_excluded: u64,
    /// Keep-alive connections used.
    pub connections: usize,
    /// The file was not in time order and was sorted before sending.
    pub resorted: bool,
}
