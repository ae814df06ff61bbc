//! The scoring engine: features -> champion (and shadow challenger) ->
//! rules -> decision -> reasons, for one transaction at a time. Shared by
//! the HTTP server and the stream worker; synchronous and lock-light: the
//! serving models sit behind `RwLock<Arc<..>>`, so a hot swap replaces the
//! `Arc` while requests in flight finish with the model they started with.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use vigie_features::{CardState, Feature, FeatureVector, StateStore, describe};
use vigie_types::{CardToken, Transaction};

use crate::decision::{
    Decision, DecisionRecord, Reason, RuleHit, Scored, ShadowScore, StageTimings,
};
use crate::error::{EngineError, Result};
use crate::rules::{RuleInput, RuleSet};
use crate::serving::ServingModel;

/// Which decisions get reasons (exact per-feature contributions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExplainPolicy {
    /// Every decision.
    All,
    /// Review and block decisions (the ones a person acts on); an allowed
    /// transaction's explanation is computed on demand from the logged
    /// features ([`Engine::explain_logged`]).
    Flagged,
}

/// What to do when the card-state store is unavailable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreFailure {
    /// Score without the card's history and flag the decision `degraded`.
    FailOpen,
    /// Refuse to score (the caller answers an error).
    FailClosed,
}

/// Engine settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineOptions {
    /// How many reasons to give (the strongest positive contributions).
    pub reasons: usize,
    /// Which decisions get reasons.
    pub explain: ExplainPolicy,
    /// Behaviour when the state store fails.
    pub store_failure: StoreFailure,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            reasons: 3,
            explain: ExplainPolicy::Flagged,
            store_failure: StoreFailure::FailOpen,
        }
    }
}

/// The scoring engine.
pub struct Engine {
    store: Arc<dyn StateStore>,
    champion: RwLock<Arc<ServingModel>>,
    challenger: RwLock<Option<Arc<ServingModel>>>,
    rules: RwLock<Arc<RuleSet>>,
    options: EngineOptions,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("champion", &self.champion().reference)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

fn poisoned() -> EngineError {
    EngineError::Poisoned
}

fn micros(since: Instant) -> u64 {
    since.elapsed().as_micros() as u64
}

impl Engine {
    /// An engine over `store` serving `champion` (and `challenger` in shadow).
    pub fn new(
        store: Arc<dyn StateStore>,
        champion: ServingModel,
        challenger: Option<ServingModel>,
        rules: RuleSet,
        options: EngineOptions,
    ) -> Self {
        Self {
            store,
            champion: RwLock::new(Arc::new(champion)),
            challenger: RwLock::new(challenger.map(Arc::new)),
            rules: RwLock::new(Arc::new(rules)),
            options,
        }
    }

    /// The model deciding now.
    pub fn champion(&self) -> Arc<ServingModel> {
        self.champion
            .read()
            .map_or_else(|p| Arc::clone(&p.into_inner()), |g| Arc::clone(&g))
    }

    /// The model scoring in shadow, if any.
    pub fn challenger(&self) -> Option<Arc<ServingModel>> {
        self.challenger
            .read()
            .map_or_else(|p| p.into_inner().clone(), |g| g.clone())
    }

    /// Replaces the champion: requests already scoring finish with the old
    /// one, every later request uses the new one. No request fails.
    pub fn set_champion(&self, model: ServingModel) -> Result<()> {
        *self.champion.write().map_err(|_| poisoned())? = Arc::new(model);
        Ok(())
    }

    /// Replaces (or removes) the challenger.
    pub fn set_challenger(&self, model: Option<ServingModel>) -> Result<()> {
        *self.challenger.write().map_err(|_| poisoned())? = model.map(Arc::new);
        Ok(())
    }

    /// Replaces the rules.
    pub fn set_rules(&self, rules: RuleSet) -> Result<()> {
        *self.rules.write().map_err(|_| poisoned())? = Arc::new(rules);
        Ok(())
    }

    /// The state store.
    pub fn store(&self) -> &Arc<dyn StateStore> {
        &self.store
    }

    /// The engine settings.
    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// Forgets a card's history (GDPR erasure).
    pub fn erase_card(&self, card: &CardToken) -> Result<bool> {
        Ok(self.store.remove(card)?)
    }

    /// Decides `txn`: its features from the card's history (which then
    /// includes it), the champion's score, the rules, the decision and its
    /// reasons; the challenger scores it in shadow. The card's state is
    /// read and updated through the engine's store, atomically per card.
    pub fn score(&self, txn: &Transaction) -> Result<Scored> {
        let start = Instant::now();
        let mut outcome = None;
        let stored = self.store.with_state(&txn.card, &mut |state| {
            outcome = Some(self.score_with_state(state, txn, false, start));
        });
        match (stored, outcome) {
            (Ok(()), Some(scored)) => scored,
            (Err(e), _) => match self.options.store_failure {
                StoreFailure::FailClosed => Err(e.into()),
                StoreFailure::FailOpen => {
                    tracing::warn!(error = %e, "state store unavailable: scoring without history");
                    self.score_with_state(&mut CardState::default(), txn, true, start)
                }
            },
            (Ok(()), None) => Err(EngineError::Poisoned),
        }
    }

    /// [`Self::score`] against a state the caller holds (the stream worker
    /// keeps a batch's states in memory and writes them after the batch's
    /// decisions are committed). The state is updated with `txn`; a
    /// `trans_num` it already holds gives [`Scored::Duplicate`].
    pub fn score_with_state(
        &self,
        state: &mut CardState,
        txn: &Transaction,
        degraded: bool,
        start: Instant,
    ) -> Result<Scored> {
        let mut stages = StageTimings::default();
        let Some(features) = state.observe(txn) else {
            return Ok(Scored::Duplicate);
        };
        stages.features_us = micros(start);

        let t = Instant::now();
        let champion = self.champion();
        let mut row = Vec::with_capacity(champion.artifact.model.n_features());
        champion.artifact.select(&features.0, &mut row);
        let score = champion.artifact.model.predict_proba(&row);
        stages.model_us = micros(t);

        let t = Instant::now();
        let challenger = self.challenger().map(|c| {
            let mut row = Vec::with_capacity(c.artifact.model.n_features());
            c.artifact.select(&features.0, &mut row);
            let score = c.artifact.model.predict_proba(&row);
            ShadowScore {
                model: c.reference.clone(),
                score,
                decision: c.thresholds.decide(score),
            }
        });
        stages.challenger_us = micros(t);

        let t = Instant::now();
        let rules = self
            .rules
            .read()
            .map(|g| Arc::clone(&g))
            .map_err(|_| poisoned())?;
        let input = RuleInput {
            txn,
            features: &features,
            score,
        };
        let fired: Vec<RuleHit> = rules
            .fired(&input)
            .map(|r| RuleHit {
                code: r.config.code.clone(),
                action: r.config.action,
                description: r.config.description.clone(),
            })
            .collect();
        let decision = fired
            .iter()
            .map(|r| Decision::from(r.action))
            .fold(champion.thresholds.decide(score), Decision::max);
        stages.rules_us = micros(t);

        let t = Instant::now();
        let reasons = match (self.options.explain, decision) {
            (ExplainPolicy::Flagged, Decision::Allow) => Vec::new(),
            _ => reasons(&champion, &row, &features, self.options.reasons),
        };
        stages.explain_us = micros(t);

        Ok(Scored::Fresh(Box::new(DecisionRecord {
            trans_num: txn.trans_num,
            card: txn.card,
            event_time: txn.event_time,
            amount_cents: txn.amount.cents(),
            score,
            decision,
            model: champion.reference.clone(),
            feature_schema_hash: champion.artifact.meta.feature_schema.hash.clone(),
            thresholds: champion.thresholds,
            reasons,
            rules_fired: fired,
            challenger,
            features: features.0.to_vec(),
            degraded,
            latency_us: micros(start),
            stages,
        })))
    }

    /// Reasons for a logged decision, recomputed from its stored features
    /// with `model` (the same version that decided, for an exact replay).
    pub fn explain_logged(
        model: &ServingModel,
        features: &[f32],
        count: usize,
    ) -> Result<Vec<Reason>> {
        let vector = FeatureVector(features.try_into().map_err(|_| EngineError::FeatureCount {
            expected: vigie_features::FEATURE_COUNT,
            found: features.len(),
        })?);
        let mut row = Vec::new();
        model.artifact.select(&vector.0, &mut row);
        Ok(reasons(model, &row, &vector, count))
    }
}

/// The `count` features that raised the score most, with their sentences.
fn reasons(
    model: &ServingModel,
    row: &[f32],
    features: &FeatureVector,
    count: usize,
) -> Vec<Reason> {
    let explanation = model.artifact.model.explain(row);
    let mut ranked: Vec<(usize, f64)> = explanation
        .contributions
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, c)| *c > 0.0)
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked
        .into_iter()
        .take(count)
        .filter_map(|(i, contribution)| {
            let name = &model.artifact.meta.features[i];
            let feature = Feature::from_name(name)?;
            Some(Reason {
                code: name.clone(),
                feature: name.clone(),
                value: f64::from(row[i]),
                contribution,
                text: describe(feature, features),
            })
        })
        .collect()
}
