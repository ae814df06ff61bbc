//! The accumulator every request outcome is recorded into.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Deserialize;

use crate::report::{Confusion, Decision, Decisions, LatencySummary, Progress};

/// Largest latency tracked exactly (longer ones are clamped): one hour.
const MAX_TRACKED_US: u64 = 3_600_000_000;

/// Why a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ErrorKind {
    /// No connection could be opened.
    Connect,
    /// The connection failed while sending or receiving.
    Io,
    /// No complete answer within the timeout.
    Timeout,
    /// Due while the in-flight cap was reached: not sent.
    InFlightCap,
    /// A non-2xx answer.
    HttpStatus,
    /// A 2xx answer without a readable decision.
    BadAnswer,
}

impl ErrorKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Io => "io",
            Self::Timeout => "timeout",
            Self::InFlightCap => "in_flight_cap",
            Self::HttpStatus => "http_status",
            Self::BadAnswer => "bad_answer",
        }
    }
}

/// The part of a scoring answer the generator reads.
#[derive(Debug, Deserialize)]
pub(crate) struct Answer {
    pub decision: Decision,
    #[serde(default)]
    pub latency_us: Option<f64>,
}

/// What happened to one request.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// An HTTP answer: status and, for a 2xx, the parsed body (or why not).
    Answered {
        status: u16,
        answer: Option<Result<Answer, ()>>,
    },
    /// No answer.
    Failed(ErrorKind),
}

/// Timing of one sent request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub intended: Instant,
    pub written: Instant,
    pub finished: Instant,
}

/// Counters and histograms of a run.
pub(crate) struct Stats {
    warmup_end: Instant,
    latency: Histogram<u64>,
    service: Histogram<u64>,
    send_lag: Histogram<u64>,
    server: Histogram<u64>,
    statuses: BTreeMap<u16, u64>,
    errors: BTreeMap<ErrorKind, u64>,
    decisions: Decisions,
    confusion: Confusion,
    sent: u64,
    answered: u64,
    scored: u64,
    returned: u64,
    not_sent: u64,
    warmup_excluded: u64,
    last_answer: Option<Instant>,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_TRACKED_US, 3)
        .unwrap_or_else(|_| unreachable!("constant bounds within hdrhistogram's limits"))
}

fn micros(from: Instant, to: Instant) -> u64 {
    u64::try_from(to.saturating_duration_since(from).as_micros()).unwrap_or(u64::MAX)
}

impl Stats {
    pub(crate) fn new(warmup_end: Instant) -> Self {
        Self {
            warmup_end,
            latency: histogram(),
            service: histogram(),
            send_lag: histogram(),
            server: histogram(),
            statuses: BTreeMap::new(),
            errors: BTreeMap::new(),
            decisions: Decisions::default(),
            confusion: Confusion::default(),
            sent: 0,
            answered: 0,
            scored: 0,
            returned: 0,
            not_sent: 0,
            warmup_excluded: 0,
            last_answer: None,
        }
    }

    /// A request is about to be written.
    pub(crate) fn record_sent(&mut self) {
        self.sent += 1;
    }

    /// A request that failed before being written (no connection, or due
    /// while the in-flight cap was reached).
    pub(crate) fn record_not_sent(&mut self, kind: ErrorKind) {
        *self.errors.entry(kind).or_default() += 1;
        self.not_sent += 1;
    }

    /// A sent request ended with `outcome`.
    pub(crate) fn record(&mut self, timing: Timing, outcome: Outcome, is_fraud: Option<bool>) {
        self.returned += 1;
        let (status, answer) = match outcome {
            Outcome::Failed(kind) => {
                *self.errors.entry(kind).or_default() += 1;
                return;
            }
            Outcome::Answered { status, answer } => (status, answer),
        };
        self.answered += 1;
        self.last_answer = Some(timing.finished);
        *self.statuses.entry(status).or_default() += 1;
        let measured = timing.intended >= self.warmup_end;
        if measured {
            self.latency
                .saturating_record(micros(timing.intended, timing.finished));
            self.service
                .saturating_record(micros(timing.written, timing.finished));
            self.send_lag
                .saturating_record(micros(timing.intended, timing.written));
        } else {
            self.warmup_excluded += 1;
        }
        match answer {
            None => *self.errors.entry(ErrorKind::HttpStatus).or_default() += 1,
            Some(Err(())) => *self.errors.entry(ErrorKind::BadAnswer).or_default() += 1,
            Some(Ok(answer)) => {
                self.scored += 1;
                self.decisions.count(answer.decision);
                if let Some(label) = is_fraud {
                    self.confusion.count(label, answer.decision);
                }
                if let Some(server_us) = answer.latency_us.filter(|us| us.is_finite())
                    && measured
                {
                    self.server
                        .saturating_record(server_us.max(0.0).round() as u64);
                }
            }
        }
    }

    pub(crate) fn answered(&self) -> u64 {
        self.answered
    }

    pub(crate) fn sent(&self) -> u64 {
        self.sent
    }

    pub(crate) fn error_total(&self) -> u64 {
        self.errors.values().sum()
    }

    /// A progress snapshot (throughput is filled in by the caller).
    pub(crate) fn progress(
        &self,
        elapsed: Duration,
        planned: u64,
        released: u64,
        labelled: bool,
    ) -> Progress {
        Progress {
            elapsed,
            planned,
            sent: self.sent,
            answered: self.answered,
            in_flight: self.sent - self.returned,
            waiting: released.saturating_sub(self.sent + self.not_sent),
            errors: self.error_total(),
            throughput: 0.0,
            p50_us: self.latency.value_at_quantile(0.5),
            p99_us: self.latency.value_at_quantile(0.99),
            decisions: self.decisions,
            confusion: labelled.then_some(self.confusion),
        }
    }

    pub(crate) fn last_answer(&self) -> Option<Instant> {
        self.last_answer
    }

    pub(crate) fn scored(&self) -> u64 {
        self.scored
    }

    pub(crate) fn statuses(&self) -> BTreeMap<String, u64> {
        self.statuses
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect()
    }

    pub(crate) fn errors(&self) -> BTreeMap<String, u64> {
        self.errors
            .iter()
            .map(|(k, v)| (k.name().to_string(), *v))
            .collect()
    }

    pub(crate) fn latency(&self) -> LatencySummary {
        LatencySummary::of(&self.latency)
    }

    pub(crate) fn service(&self) -> LatencySummary {
        LatencySummary::of(&self.service)
    }

    pub(crate) fn send_lag(&self) -> LatencySummary {
        LatencySummary::of(&self.send_lag)
    }

    pub(crate) fn server(&self) -> Option<LatencySummary> {
        (!self.server.is_empty()).then(|| LatencySummary::of(&self.server))
    }

    pub(crate) fn decisions(&self) -> Decisions {
        self.decisions
    }

    pub(crate) fn confusion(&self) -> Confusion {
        self.confusion
    }

    pub(crate) fn warmup_excluded(&self) -> u64 {
        self.warmup_excluded
    }
}
