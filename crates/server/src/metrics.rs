//! Prometheus metrics (`GET /metrics`, text exposition format), with the
//! lean `prometheus-client` crate: request counts by route and outcome,
//! latency histograms per request and per decision stage, decisions by
//! outcome, the models served, and the decision log's queue and failures.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use vigie_engine::DecisionRecord;

/// Labels of a request counter.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The route template (`/v1/decisions/{trans_num}`), `unmatched` otherwise.
    pub route: String,
    /// The HTTP method.
    pub method: String,
    /// `ok` or the error code answered.
    pub outcome: String,
}

/// Labels naming a route.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// The route template.
    pub route: String,
}

/// Labels naming a decision stage.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StageLabels {
    /// `features`, `model`, `challenger`, `rules`, `explain` or `total`.
    pub stage: &'static str,
}

/// Labels naming a decision.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DecisionLabels {
    /// `allow`, `review` or `block`.
    pub decision: &'static str,
}

/// Labels naming a served model.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ModelLabels {
    /// `champion` or `challenger`.
    pub alias: &'static str,
    /// Registered model name.
    pub model: String,
    /// Version number.
    pub version: String,
}

/// Labels naming a refusal reason.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    /// The ingestion reason code.
    pub reason: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 5 µs .. ~5 s in 21 doubling buckets.
    Histogram::new(exponential_buckets(5e-6, 2.0, 21))
}

/// Every metric the server exports.
pub struct Metrics {
    registry: Registry,
    /// Requests by route, method and outcome.
    pub requests: Family<RequestLabels, Counter>,
    /// Request latency by route, seconds.
    pub request_seconds: HistogramFamily<RouteLabels>,
    /// Decision latency per stage, seconds.
    pub stage_seconds: HistogramFamily<StageLabels>,
    /// Decisions by outcome.
    pub decisions: Family<DecisionLabels, Counter>,
    /// Replays answered with the first decision.
    pub duplicates: Counter,
    /// Transactions refused by the ingestion checks, by reason.
    pub rejected: Family<ReasonLabels, Counter>,
    /// 1 for each model served (champion, challenger).
    pub model_info: Family<ModelLabels, Gauge>,
    /// Model swaps applied.
    pub model_swaps: Counter,
    /// Decisions waiting to be written to the decision log.
    pub log_queue_depth: Gauge,
    /// Decision-log write failures (retried by the writer).
    pub log_failures: Gauge<u64, AtomicU64>,
    /// Decisions written to the log.
    pub log_written: Gauge<u64, AtomicU64>,
    /// The stage histograms of `stage_seconds`, in [`STAGES`] order.
    stages: Vec<Histogram>,
}

/// The decision stages, in the order `observe_decision` records them.
const STAGES: [&str; 6] = [
    "features",
    "model",
    "challenger",
    "rules",
    "explain",
    "total",
];

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric under the `vigie_` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("vigie");
        let requests = Family::default();
        registry.register(
            "http_requests",
            "HTTP requests by route, method and outcome (ok or the error code)",
            requests.clone(),
        );
        let request_seconds: HistogramFamily<RouteLabels> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            request_seconds.clone(),
        );
        let stage_seconds: HistogramFamily<StageLabels> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "decision_stage_duration_seconds",
            "Decision latency per stage (features, model, challenger, rules, explain, total)",
            stage_seconds.clone(),
        );
        let decisions = Family::default();
        registry.register("decisions", "Decisions by outcome", decisions.clone());
        let duplicates = Counter::default();
        registry.register(
            "duplicate_requests",
            "Requests for a trans_num already decided, answered with the first decision",
            duplicates.clone(),
        );
        let rejected = Family::default();
        registry.register(
            "rejected_transactions",
            "Transactions refused by the ingestion checks, by reason code",
            rejected.clone(),
        );
        let model_info = Family::default();
        registry.register(
            "model_info",
            "1 for each model served, by alias, name and version",
            model_info.clone(),
        );
        let model_swaps = Counter::default();
        registry.register(
            "model_swaps",
            "Champion or challenger changes applied without restart",
            model_swaps.clone(),
        );
        let log_queue_depth = Gauge::default();
        registry.register(
            "decision_log_queue_depth",
            "Decisions accepted but not yet written to the decision log",
            log_queue_depth.clone(),
        );
        let log_failures = Gauge::<u64, AtomicU64>::default();
        registry.register(
            "decision_log_failures",
            "Failed decision-log writes since start (each is retried)",
            log_failures.clone(),
        );
        let log_written = Gauge::<u64, AtomicU64>::default();
        registry.register(
            "decision_log_written",
            "Decisions written to the decision log since start",
            log_written.clone(),
        );
        let stages = STAGES
            .iter()
            .map(|&stage| stage_seconds.get_or_create(&StageLabels { stage }).clone())
            .collect();
        Self {
            stages,
            registry,
            requests,
            request_seconds,
            stage_seconds,
            decisions,
            duplicates,
            rejected,
            model_info,
            model_swaps,
            log_queue_depth,
            log_failures,
            log_written,
        }
    }

    /// Counts a fresh decision and its stage latencies.
    pub fn observe_decision(&self, record: &DecisionRecord) {
        self.decisions
            .get_or_create(&DecisionLabels {
                decision: record.decision.as_str(),
            })
            .inc();
        let s = record.stages;
        let micros = [
            s.features_us,
            s.model_us,
            s.challenger_us,
            s.rules_us,
            s.explain_us,
            record.latency_us,
        ];
        // The six histograms were looked up once at start (`stages`): no
        // label hashing or family lock per decision.
        for (histogram, us) in self.stages.iter().zip(micros) {
            histogram.observe(us as f64 / 1e6);
        }
    }

    /// Records which models are served (replacing the previous ones).
    pub fn set_models(&self, models: &[(&'static str, &vigie_engine::ModelRef)]) {
        self.model_info.clear();
        for (alias, model) in models {
            self.model_info
                .get_or_create(&ModelLabels {
                    alias,
                    model: model.name.clone(),
                    version: model.version.to_string(),
                })
                .set(1);
        }
    }

    /// The text exposition of every metric.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::with_capacity(16 * 1024);
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}
