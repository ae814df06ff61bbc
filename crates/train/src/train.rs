//! `train`: fit each requested family on the training period, choose its
//! hyper-parameters and decision thresholds on the validation period (the
//! end of the training data), then evaluate it once on the test file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use sha2::{Digest, Sha256};
use vigie_features::{FeatureTable, feature_schema};
use vigie_model::{
    ARTIFACT_FORMAT, ArtifactMeta, DecisionThresholds, Histogram, Model, ModelArtifact, ModelKind,
    Reference, TrainingInfo,
};
use vigie_types::Timestamp;

use crate::analysis::{ErrorAnalysis, analyse_errors};
use crate::data::{FeatureSet, LabeledSet};
use crate::error::{Result, TrainError};
use crate::evaluate::{
    Curves, Metrics, ScenarioRecall, choose_thresholds, curves, evaluate, scenario_recall,
};
use crate::family::{Candidate, Search, candidates, fit};
use crate::latency::{Latency, measure};

/// What to train.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// The training feature file.
    pub train: PathBuf,
    /// The test feature file (later in time than the training file).
    pub test: PathBuf,
    /// Families to train.
    pub kinds: Vec<ModelKind>,
    /// Features the models read.
    pub features: FeatureSet,
    /// Share of the training rows (the most recent) kept for validation.
    pub valid_fraction: f64,
    /// How hard to search hyper-parameters.
    pub search: Search,
    /// Random seed.
    pub seed: u64,
}

/// One candidate's validation result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CandidateScore {
    /// The candidate.
    pub label: String,
    /// Validation average precision (the selection criterion).
    pub valid_average_precision: f64,
    /// Seconds to fit.
    pub train_seconds: f64,
}

/// Everything about one family's trained model.
#[derive(Debug, Clone, Serialize)]
pub struct FamilyResult {
    /// The family.
    pub model: ModelKind,
    /// The test-period metrics at the validation-chosen threshold.
    #[serde(flatten)]
    pub test: Metrics,
    /// Seconds to fit the chosen candidate.
    pub train_seconds: f64,
    /// Prediction speed.
    #[serde(flatten)]
    pub latency: Latency,
    /// Size of the encoded artifact.
    pub model_bytes: u64,
    /// The chosen candidate.
    pub chosen: String,
    /// Every candidate tried, with its validation score.
    pub candidates: Vec<CandidateScore>,
    /// Validation-period metrics of the chosen candidate.
    pub validation: Metrics,
    /// Review and block thresholds.
    pub thresholds: DecisionThresholds,
    /// Test recall per fraud scenario.
    pub scenarios: Vec<ScenarioRecall>,
    /// Where the artifact was written.
    pub artifact: PathBuf,
    /// Its SHA-256.
    pub artifact_sha256: String,
    /// Test curves (for the report).
    #[serde(skip)]
    pub curves: Curves,
    /// The artifact itself.
    #[serde(skip)]
    pub built: Option<ModelArtifact>,
}

/// Data sizes of a training run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataSummary {
    /// Rows used to fit.
    pub fit_rows: u64,
    /// Frauds among them.
    pub fit_frauds: u64,
    /// Validation rows.
    pub valid_rows: u64,
    /// Frauds among them.
    pub valid_frauds: u64,
    /// Test rows.
    pub test_rows: u64,
    /// Frauds among them.
    pub test_frauds: u64,
    /// Training period.
    pub train_period: (String, String),
    /// Where validation starts.
    pub valid_from: String,
    /// Test period.
    pub test_period: (String, String),
    /// SHA-256 of the training feature file.
    pub train_fingerprint: String,
}

/// What `train` produced.
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    /// One entry per family, in the order asked.
    pub models: Vec<FamilyResult>,
    /// The family with the best validation average precision.
    pub best: ModelKind,
    /// Features the models read.
    pub features: Vec<String>,
    /// Which feature set that is.
    pub feature_set: String,
    /// The feature schema hash.
    pub feature_schema_hash: String,
    /// Data sizes and periods.
    pub data: DataSummary,
    /// Error analysis of the best model on the test period.
    pub errors: ErrorAnalysis,
    /// Seconds for the whole run.
    pub seconds: f64,
    /// The seed.
    pub seed: u64,
}

fn period(set: &LabeledSet) -> (String, String) {
    let at = |i: usize| Timestamp::from_seconds(set.times[i]).to_string();
    if set.is_empty() {
        (String::new(), String::new())
    } else {
        (at(0), at(set.len() - 1))
    }
}

fn fingerprint(path: &Path) -> Result<String> {
    let io = |source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = std::io::Read::read(&mut file, &mut buffer).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Reference distributions of the model inputs and of the score, on the
/// validation period (the most recent data the model was chosen on).
fn reference(valid: &LabeledSet, scores: &[f64]) -> Reference {
    let data = &valid.dataset;
    Reference {
        features: (0..data.n_features())
            .map(|f| {
                let values: Vec<f64> = data.column(f).iter().map(|&x| f64::from(x)).collect();
                Histogram::quantiles(&values, 10)
            })
            .collect(),
        score: Histogram::quantiles(scores, 20),
    }
}

/// Trains, selects and evaluates; writes one artifact per family into
/// `out_dir`. `progress` receives a line per step.
pub fn train(config: &TrainConfig, out_dir: &Path, progress: &dyn Fn(&str)) -> Result<TrainReport> {
    let started = Instant::now();
    if config.kinds.is_empty() {
        return Err(TrainError::Config {
            problem: "no model family to train".into(),
        });
    }
    let features = config.features.features();
    let train_table = FeatureTable::read(&config.train)?;
    let test_table = FeatureTable::read(&config.test)?;
    let all = LabeledSet::from_table(&train_table, &features)?;
    let test = LabeledSet::from_table(&test_table, &features)?;
    drop((train_table, test_table));
    if let (Some(last), Some(first)) = (all.times.last(), test.times.first())
        && first < last
    {
        return Err(TrainError::Config {
            problem: format!(
                "the test file starts at {} before the training file ends at {}: the test period must come after training",
                Timestamp::from_seconds(*first),
                Timestamp::from_seconds(*last)
            ),
        });
    }
    let (fit_set, valid) = all.split_validation(config.valid_fraction)?;
    let data = DataSummary {
        fit_rows: fit_set.len() as u64,
        fit_frauds: fit_set.dataset.positives() as u64,
        valid_rows: valid.len() as u64,
        valid_frauds: valid.dataset.positives() as u64,
        test_rows: test.len() as u64,
        test_frauds: test.dataset.positives() as u64,
        train_period: period(&all),
        valid_from: period(&valid).0,
        test_period: period(&test),
        train_fingerprint: fingerprint(&config.train)?,
    };
    drop(all);
    std::fs::create_dir_all(out_dir).map_err(|source| TrainError::Io {
        path: out_dir.to_path_buf(),
        source,
    })?;
    progress(&format!(
        "fitting on {} rows ({} frauds), validating on {} rows from {}, testing on {} rows; {} features",
        data.fit_rows,
        data.fit_frauds,
        data.valid_rows,
        data.valid_from,
        data.test_rows,
        features.len()
    ));
    let mut models = Vec::new();
    for &kind in &config.kinds {
        models.push(train_family(
            kind, config, &fit_set, &valid, &test, &data, out_dir, progress,
        )?);
    }
    let best = models
        .iter()
        .max_by(|a, b| {
            a.validation
                .average_precision
                .total_cmp(&b.validation.average_precision)
        })
        .map_or(config.kinds[0], |m| m.model);
    let errors = models
        .iter()
        .find(|m| m.model == best)
        .and_then(|m| m.built.as_ref())
        .map(|a| analyse_errors(&a.model, &test, a.meta.thresholds.block))
        .transpose()?
        .unwrap_or_default();
    Ok(TrainReport {
        models,
        best,
        features: features.iter().map(|f| f.name().to_string()).collect(),
        feature_set: config.features.label(),
        feature_schema_hash: feature_schema().hash.clone(),
        data,
        errors,
        seconds: started.elapsed().as_secs_f64(),
        seed: config.seed,
    })
}

#[allow(clippy::too_many_arguments)]
fn train_family(
    kind: ModelKind,
    config: &TrainConfig,
    fit_set: &LabeledSet,
    valid: &LabeledSet,
    test: &LabeledSet,
    data: &DataSummary,
    out_dir: &Path,
    progress: &dyn Fn(&str),
) -> Result<FamilyResult> {
    let mut best: Option<(Candidate, Model, Vec<f64>, f64)> = None;
    let mut best_ap = f64::NEG_INFINITY;
    let mut tried = Vec::new();
    for candidate in candidates(kind, config.search, config.seed) {
        let start = Instant::now();
        let model = fit(&candidate, &fit_set.dataset, &valid.dataset)?;
        let seconds = start.elapsed().as_secs_f64();
        let scores = model.predict_probas(&valid.dataset)?;
        let ap = vigie_model::metrics::average_precision(&scores, valid.dataset.labels())?;
        progress(&format!(
            "  {kind} [{}]: validation AP {ap:.4} ({seconds:.1} s)",
            candidate.label
        ));
        tried.push(CandidateScore {
            label: candidate.label.clone(),
            valid_average_precision: ap,
            train_seconds: seconds,
        });
        if best.is_none() || ap > best_ap {
            best_ap = ap;
            best = Some((candidate, model, scores, seconds));
        }
    }
    let Some((candidate, model, valid_scores, train_seconds)) = best else {
        return Err(TrainError::Config {
            problem: format!("no candidate for {kind}"),
        });
    };
    let thresholds = choose_thresholds(&valid_scores, valid)?;
    let validation = evaluate(&valid_scores, valid, thresholds.block)?;
    let test_scores = model.predict_probas(&test.dataset)?;
    let test_metrics = evaluate(&test_scores, test, thresholds.block)?;
    let latency = measure(&model, &test.dataset, 20_000)?;
    let mut metrics = BTreeMap::new();
    for (prefix, m) in [("valid", &validation), ("test", &test_metrics)] {
        for (name, value) in metric_pairs(m) {
            metrics.insert(format!("{prefix}_{name}"), value);
        }
    }
    let meta = ArtifactMeta {
        format: ARTIFACT_FORMAT.into(),
        kind,
        feature_schema: feature_schema().clone(),
        features: model.feature_names().to_vec(),
        thresholds,
        training: TrainingInfo {
            data_fingerprint: data.train_fingerprint.clone(),
            train_rows: data.fit_rows,
            valid_rows: data.valid_rows,
            train_frauds: data.fit_frauds,
            period: data.train_period.clone(),
            valid_from: data.valid_from.clone(),
            params: candidate.params_json(),
            seed: config.seed,
            train_seconds,
            vigie_version: env!("CARGO_PKG_VERSION").into(),
        },
        metrics,
        reference: reference(valid, &valid_scores),
    };
    let artifact = ModelArtifact::new(meta, model)?;
    let bytes = artifact.encode()?;
    let path = out_dir.join(format!("{kind}.vmodel"));
    std::fs::write(&path, &bytes).map_err(|source| TrainError::Io {
        path: path.clone(),
        source,
    })?;
    progress(&format!(
        "{kind}: test AP {:.4}, F1 {:.4} at threshold {:.3} (chosen on validation), p99 {:.1} us",
        test_metrics.average_precision, test_metrics.f1, thresholds.block, latency.predict_us_p99
    ));
    Ok(FamilyResult {
        model: kind,
        scenarios: scenario_recall(&test_scores, test, thresholds.block),
        curves: curves(&test_scores, test, 200)?,
        test: test_metrics,
        train_seconds,
        latency,
        model_bytes: bytes.len() as u64,
        chosen: candidate.label,
        candidates: tried,
        validation,
        thresholds,
        artifact_sha256: ModelArtifact::sha256_of(&bytes),
        artifact: path,
        built: Some(artifact),
    })
}

/// A metrics bundle as name/value pairs (for artifacts and the run tracker).
pub fn metric_pairs(m: &Metrics) -> Vec<(&'static str, f64)> {
    vec![
        ("auc_roc", m.auc_roc),
        ("average_precision", m.average_precision),
        ("precision", m.precision),
        ("recall", m.recall),
        ("f1", m.f1),
        ("threshold", m.threshold),
        ("recall_at_1pct_fpr", m.recall_at_1pct_fpr),
        ("card_precision_at_100", m.card_precision_at_100),
        ("fraud_amount_caught_pct", m.fraud_amount_caught_pct),
    ]
}
