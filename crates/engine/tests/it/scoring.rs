//! Scoring: decisions, duplicates, rules, hot swap, explanations, degraded
//! mode.

use std::sync::Arc;

use vigie_engine::{
    Decision, Engine, EngineOptions, ExplainPolicy, Scored, StoreFailure,
    rules::{RuleSet, RulesConfig},
};
use vigie_features::{CardState, FeatureError, MemoryStateStore, StateStore};
use vigie_types::CardToken;

use crate::support::{model, rows};

fn engine(options: EngineOptions) -> Engine {
    Engine::new(
        Arc::new(MemoryStateStore::default()),
        model(1, 30),
        Some(model(2, 10)),
        RuleSet::defaults().unwrap(),
        options,
    )
}

fn fresh(scored: Scored) -> vigie_engine::DecisionRecord {
    match scored {
        Scored::Fresh(record) => *record,
        Scored::Duplicate => panic!("unexpected duplicate"),
    }
}

#[test]
fn decisions_follow_scores_thresholds_and_replay_features() {
    let engine = engine(EngineOptions {
        explain: ExplainPolicy::All,
        ..EngineOptions::default()
    });
    let mut flagged = 0;
    for row in rows().iter().take(4_000) {
        let record = fresh(engine.score(&row.txn.txn).unwrap());
        // The engine's features are the batch replay's, bit for bit.
        assert_eq!(record.features, row.features.0.to_vec());
        let by_score = record.thresholds.decide(record.score);
        assert!(record.decision >= by_score);
        if record.rules_fired.is_empty() {
            assert_eq!(record.decision, by_score);
        }
        if record.decision != Decision::Allow {
            flagged += 1;
        }
        let challenger = record.challenger.as_ref().unwrap();
        assert_eq!(challenger.model.version, 2);
        assert_eq!(record.model.version, 1);
        assert!(record.reasons.len() <= 3);
        assert!(
            record
                .reasons
                .windows(2)
                .all(|w| w[0].contribution >= w[1].contribution)
        );
        assert!(
            record
                .reasons
                .iter()
                .all(|r| r.contribution > 0.0 && !r.text.is_empty())
        );
    }
    assert!(flagged > 0, "the model flags some transactions");
}

#[test]
fn a_transaction_is_decided_once() {
    let engine = engine(EngineOptions::default());
    let t = &rows()[10].txn.txn;
    fresh(engine.score(t).unwrap());
    assert_eq!(engine.score(t).unwrap(), Scored::Duplicate);
}

#[test]
fn flagged_policy_explains_flagged_decisions_and_logged_ones_replay_exactly() {
    let engine = engine(EngineOptions::default());
    let mut explained = 0;
    for row in rows().iter() {
        let record = fresh(engine.score(&row.txn.txn).unwrap());
        let replayed = Engine::explain_logged(&engine.champion(), &record.features, 3).unwrap();
        if record.decision == Decision::Allow {
            assert!(record.reasons.is_empty());
        } else {
            assert_eq!(record.reasons, replayed);
            explained += 1;
        }
        // Re-scoring the logged features with the same model gives the same score.
        let champion = engine.champion();
        let mut row = Vec::new();
        champion.artifact.select(&record.features, &mut row);
        assert_eq!(
            champion.artifact.model.predict_proba(&row).to_bits(),
            record.score.to_bits()
        );
    }
    assert!(explained > 0);
    assert!(Engine::explain_logged(&engine.champion(), &[0.0; 3], 3).is_err());
}

#[test]
fn rules_add_to_the_model() {
    let engine = engine(EngineOptions::default());
    let t = &rows()[20].txn.txn;
    let text = format!(
        "[lists]\nstolen = [\"{}\"]\n[[rule]]\ncode = \"stolen_card\"\naction = \"block\"\nwhen = \"card in stolen\"\n",
        t.card
    );
    engine
        .set_rules(RulesConfig::from_toml(&text).unwrap().build().unwrap())
        .unwrap();
    let record = fresh(engine.score(t).unwrap());
    assert_eq!(record.decision, Decision::Block);
    assert_eq!(record.rules_fired.len(), 1);
    assert_eq!(record.rules_fired[0].code, "stolen_card");
}

#[test]
fn hot_swap_under_concurrent_scoring_fails_nothing() {
    let engine = Arc::new(engine(EngineOptions::default()));
    let replacement = model(3, 20);
    let rows = rows();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..3)
            .map(|w| {
                let engine = Arc::clone(&engine);
                scope.spawn(move || {
                    let mut versions = Vec::new();
                    for row in rows.iter().skip(w).step_by(3).take(2_000) {
                        versions.push(fresh(engine.score(&row.txn.txn).unwrap()).model.version);
                    }
                    versions
                })
            })
            .collect();
        engine.set_champion(replacement).unwrap();
        for w in workers {
            let versions = w.join().unwrap();
            assert_eq!(versions.len(), 2_000);
            assert!(versions.iter().all(|v| *v == 1 || *v == 3));
        }
    });
    let later = fresh(engine.score(&rows[rows.len() - 1].txn.txn).unwrap());
    assert_eq!(later.model.version, 3);
}

/// A store that always fails, as an unreachable Redis would.
struct Broken;

impl StateStore for Broken {
    fn with_state(
        &self,
        _: &CardToken,
        _: &mut dyn FnMut(&mut CardState),
    ) -> vigie_features::Result<()> {
        Err(FeatureError::Store {
            reason: "connection refused".into(),
        })
    }
    fn get(&self, _: &CardToken) -> vigie_features::Result<Option<CardState>> {
        Err(FeatureError::Store {
            reason: "connection refused".into(),
        })
    }
    fn remove(&self, _: &CardToken) -> vigie_features::Result<bool> {
        Err(FeatureError::Store {
            reason: "connection refused".into(),
        })
    }
    fn card_count(&self) -> vigie_features::Result<u64> {
        Err(FeatureError::Store {
            reason: "connection refused".into(),
        })
    }
}

#[test]
fn an_unavailable_store_degrades_or_refuses_as_configured() {
    let t = &rows()[5].txn.txn;
    let open = Engine::new(
        Arc::new(Broken),
        model(1, 10),
        None,
        RuleSet::default(),
        EngineOptions::default(),
    );
    let record = fresh(open.score(t).unwrap());
    assert!(record.degraded);
    let closed = Engine::new(
        Arc::new(Broken),
        model(1, 10),
        None,
        RuleSet::default(),
        EngineOptions {
            store_failure: StoreFailure::FailClosed,
            ..EngineOptions::default()
        },
    );
    assert!(closed.score(t).is_err());
}
