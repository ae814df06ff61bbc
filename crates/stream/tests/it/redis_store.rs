//! The Redis state store against a real Redis.

use std::net::TcpListener;
use std::time::Duration;

use proptest::strategy::{Strategy, ValueTree};
use vigie_features::{CardState, FeatureError, MemoryStateStore, Observed, StateStore, observe};
use vigie_stream::{Atomicity, RedisConfig, RedisStateStore, STATE_LOST_TAG, StreamError};
use vigie_testkit::{build_transaction, test_card, transaction_sequence};
use vigie_types::{Category, LabeledTransaction};

use crate::support::{PurgeOnDrop, redis_config, redis_url};

const MODES: [Atomicity; 2] = [Atomicity::Watch, Atomicity::LuaCompareAndSet];

fn sequence(seed_cards: u32, len: usize) -> Vec<LabeledTransaction> {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut longest = Vec::new();
    // A few draws, keeping the longest, so the sequence exercises history.
    for _ in 0..8 {
        let s = transaction_sequence(seed_cards, len)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        if s.len() > longest.len() {
            longest = s;
        }
    }
    longest
}

fn initialised(config: &RedisConfig) -> RedisStateStore {
    let store = RedisStateStore::connect(config).unwrap();
    store.initialise().unwrap();
    store
}

#[test]
fn redis_and_memory_give_bit_identical_features() {
    let Some(url) = redis_url("redis_and_memory_give_bit_identical_features") else {
        return;
    };
    let sequence = sequence(5, 300);
    assert!(sequence.len() > 100);
    for mode in MODES {
        let mut config = redis_config(&url);
        config.atomicity = mode;
        let _cleanup = PurgeOnDrop(config.clone());
        let redis = initialised(&config);
        let memory = MemoryStateStore::default();
        for t in &sequence {
            let (a, b) = (
                observe(&memory, &t.txn).unwrap(),
                observe(&redis, &t.txn).unwrap(),
            );
            match (a, b) {
                (Observed::Fresh(a), Observed::Fresh(b)) => assert!(a.bit_eq(&b), "{mode:?}"),
                other => panic!("{mode:?}: {other:?}"),
            }
        }
        // A second delivery of everything: both stores agree on what is a
        // duplicate (a transaction still in the card's 30-day ring) and on
        // the features of the rest.
        let mut duplicates = 0;
        for t in &sequence {
            match (
                observe(&memory, &t.txn).unwrap(),
                observe(&redis, &t.txn).unwrap(),
            ) {
                (Observed::Fresh(a), Observed::Fresh(b)) => assert!(a.bit_eq(&b), "{mode:?}"),
                (Observed::Duplicate, Observed::Duplicate) => duplicates += 1,
                other => panic!("{mode:?}: {other:?}"),
            }
        }
        assert!(duplicates > sequence.len() / 4, "{duplicates}");
        for card in 0..5 {
            let card = test_card(card);
            assert_eq!(redis.get(&card).unwrap(), memory.get(&card).unwrap());
        }
        assert_eq!(redis.card_count().unwrap(), memory.card_count().unwrap());
    }
}

#[test]
fn concurrent_updates_of_one_card_are_never_lost() {
    let Some(url) = redis_url("concurrent_updates_of_one_card_are_never_lost") else {
        return;
    };
    const THREADS: u32 = 6;
    const EACH: u32 = 40;
    for mode in MODES {
        let mut config = redis_config(&url);
        config.atomicity = mode;
        let _cleanup = PurgeOnDrop(config.clone());
        initialised(&config);
        let workers: Vec<_> = (0..THREADS)
            .map(|w| {
                let config = config.clone();
                std::thread::spawn(move || {
                    // Each thread is its own "process": its own store and
                    // connections.
                    let store = RedisStateStore::connect(&config).unwrap();
                    for i in 0..EACH {
                        let n = w * EACH + i;
                        let t = build_transaction(
                            9,
                            1_600_000_000 + i64::from(n) * 60,
                            1_000 + i64::from(n),
                            Category::ALL[n as usize % Category::ALL.len()],
                            n as usize % 5,
                            u128::from(n) + 1,
                            false,
                        );
                        assert!(matches!(
                            observe(&store, &t.txn).unwrap(),
                            Observed::Fresh(_)
                        ));
                    }
                    store.races_lost()
                })
            })
            .collect();
        let races: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
        let store = RedisStateStore::connect(&config).unwrap();
        let state = store.get(&test_card(9)).unwrap().unwrap();
        let total = THREADS * EACH;
        assert_eq!(state.amounts.n, total, "{mode:?}: {races} races lost");
        assert_eq!(state.recent.len(), total as usize, "{mode:?}");
        for n in 0..total {
            assert!(
                state.contains(vigie_types::TransNum::from_u128(u128::from(n) + 1)),
                "{mode:?}: transaction {n} lost"
            );
        }
        eprintln!("{mode:?}: {races} optimistic races lost and retried");
    }
}

#[test]
fn a_lost_race_reruns_the_update_on_the_fresh_state() {
    let Some(url) = redis_url("a_lost_race_reruns_the_update_on_the_fresh_state") else {
        return;
    };
    for mode in MODES {
        let mut config = redis_config(&url);
        config.atomicity = mode;
        let _cleanup = PurgeOnDrop(config.clone());
        let store = initialised(&config);
        let rival = RedisStateStore::connect(&config).unwrap();
        let card = test_card(4);
        let ours = build_transaction(4, 1_600_000_000, 500, Category::Travel, 1, 1, false);
        let theirs = build_transaction(4, 1_600_000_100, 700, Category::Travel, 2, 2, false);
        let mut seen: Vec<u32> = Vec::new();
        store
            .with_state(&card, &mut |state: &mut CardState| {
                seen.push(state.amounts.n);
                if seen.len() == 1 {
                    // Another process commits between our read and write.
                    rival
                        .with_state(&card, &mut |s| {
                            s.update(&theirs.txn);
                        })
                        .unwrap();
                }
                state.update(&ours.txn);
            })
            .unwrap();
        assert_eq!(
            seen,
            vec![0, 1],
            "{mode:?}: second run sees the rival's update"
        );
        let state = store.get(&card).unwrap().unwrap();
        assert_eq!(state.amounts.n, 2, "{mode:?}");
        assert!(state.contains(ours.txn.trans_num) && state.contains(theirs.txn.trans_num));
        assert!(store.races_lost() >= 1);
    }
}

fn is_state_lost(e: &FeatureError) -> bool {
    matches!(e, FeatureError::Store { reason } if reason.starts_with(STATE_LOST_TAG))
}

#[test]
fn a_flushed_store_is_reported_and_can_be_rebuilt() {
    let Some(url) = redis_url("a_flushed_store_is_reported_and_can_be_rebuilt") else {
        return;
    };
    let sequence = sequence(3, 120);
    let (before, after) = sequence.split_at(sequence.len() / 2);
    for mode in MODES {
        let mut config = redis_config(&url);
        config.atomicity = mode;
        let _cleanup = PurgeOnDrop(config.clone());
        let store = initialised(&config);
        let other_worker = RedisStateStore::connect(&config).unwrap();
        let memory = MemoryStateStore::default();
        for t in before {
            observe(&store, &t.txn).unwrap();
            observe(&memory, &t.txn).unwrap();
        }
        // A flush (of this test's keys only: the server is shared).
        let deleted = RedisStateStore::connect(&config)
            .unwrap()
            .purge_all()
            .unwrap();
        assert!(deleted > 1);
        let err = observe(&store, &after[0].txn).unwrap_err();
        assert!(is_state_lost(&err), "{mode:?}: {err}");
        assert!(matches!(
            store.check(),
            Err(StreamError::StateFlushed { .. })
        ));
        assert!(store.get(&after[0].txn.card).is_err());
        assert!(store.card_count().is_err());
        assert!(other_worker.check().unwrap_err().is_state_lost());
        // Nothing was written into the flushed store.
        assert_eq!(
            RedisStateStore::connect(&config)
                .unwrap()
                .purge_all()
                .unwrap(),
            0
        );

        // Rebuild from the memory copy; workers adopt the new epoch.
        let states: Vec<_> = (0..3)
            .filter_map(|c| {
                memory
                    .get(&test_card(c))
                    .unwrap()
                    .map(|s| (test_card(c), s))
            })
            .collect();
        let report = other_worker.warm_from(states.clone()).unwrap();
        assert_eq!(report.cards, states.len() as u64);
        assert!(
            store.check().is_err(),
            "the old epoch is not adopted silently"
        );
        assert_eq!(store.adopt_epoch().unwrap(), report.epoch);
        for t in after {
            match (
                observe(&memory, &t.txn).unwrap(),
                observe(&store, &t.txn).unwrap(),
            ) {
                (Observed::Fresh(a), Observed::Fresh(b)) => assert!(a.bit_eq(&b)),
                other => panic!("{other:?}"),
            }
        }
    }
}

#[test]
fn a_flush_between_read_and_write_is_not_overwritten() {
    let Some(url) = redis_url("a_flush_between_read_and_write_is_not_overwritten") else {
        return;
    };
    for mode in MODES {
        let mut config = redis_config(&url);
        config.atomicity = mode;
        let _cleanup = PurgeOnDrop(config.clone());
        let store = initialised(&config);
        let flusher = RedisStateStore::connect(&config).unwrap();
        let t = build_transaction(1, 1_600_000_000, 900, Category::MiscPos, 0, 77, false);
        let err = store
            .with_state(&t.txn.card, &mut |state| {
                flusher.purge_all().unwrap();
                state.update(&t.txn);
            })
            .unwrap_err();
        assert!(is_state_lost(&err), "{mode:?}: {err}");
        assert_eq!(flusher.purge_all().unwrap(), 0, "{mode:?}: a write landed");
    }
}

#[test]
fn an_uninitialised_store_refuses_to_score() {
    let Some(url) = redis_url("an_uninitialised_store_refuses_to_score") else {
        return;
    };
    let config = redis_config(&url);
    let _cleanup = PurgeOnDrop(config.clone());
    let store = RedisStateStore::connect(&config).unwrap();
    let t = build_transaction(1, 1_600_000_000, 900, Category::MiscPos, 0, 77, false);
    let err = observe(&store, &t.txn).unwrap_err();
    assert!(is_state_lost(&err), "{err}");
    assert!(matches!(
        store.check(),
        Err(StreamError::StateNotInitialised { .. })
    ));
    assert!(matches!(
        store.adopt_epoch(),
        Err(StreamError::StateNotInitialised { .. })
    ));
    let epoch = store.initialise().unwrap();
    // Initialising again keeps the epoch in force.
    assert_eq!(
        RedisStateStore::connect(&config)
            .unwrap()
            .initialise()
            .unwrap(),
        epoch
    );
    assert!(matches!(
        observe(&store, &t.txn).unwrap(),
        Observed::Fresh(_)
    ));
}

#[test]
fn erasure_deletes_the_card_key() {
    let Some(url) = redis_url("erasure_deletes_the_card_key") else {
        return;
    };
    let config = redis_config(&url);
    let _cleanup = PurgeOnDrop(config.clone());
    let store = initialised(&config);
    for card in 0..3 {
        let t = build_transaction(
            card,
            1_600_000_000,
            900,
            Category::MiscPos,
            0,
            card.into(),
            false,
        );
        observe(&store, &t.txn).unwrap();
    }
    assert_eq!(store.card_count().unwrap(), 3);
    assert!(store.remove(&test_card(1)).unwrap());
    assert!(!store.remove(&test_card(1)).unwrap());
    assert_eq!(store.get(&test_card(1)).unwrap(), None);
    assert_eq!(store.card_count().unwrap(), 2);
    assert!(store.get(&test_card(0)).unwrap().is_some());
}

#[test]
fn a_snapshot_warms_the_store_up() {
    let Some(url) = redis_url("a_snapshot_warms_the_store_up") else {
        return;
    };
    let memory = MemoryStateStore::default();
    for t in sequence(6, 200) {
        observe(&memory, &t.txn).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.bin");
    let cards = memory.save_snapshot(&path).unwrap();
    let config = redis_config(&url);
    let _cleanup = PurgeOnDrop(config.clone());
    let store = RedisStateStore::connect(&config).unwrap();
    let report = store.warm_from_snapshot(&path).unwrap();
    assert_eq!(report.cards, cards);
    assert_eq!(store.epoch(), Some(report.epoch));
    assert_eq!(store.card_count().unwrap(), cards);
    for card in 0..6 {
        assert_eq!(
            store.get(&test_card(card)).unwrap(),
            memory.get(&test_card(card)).unwrap()
        );
    }
    std::fs::write(&path, b"not a snapshot").unwrap();
    assert!(store.warm_from_snapshot(&path).is_err());
}

fn fast_config(url: String) -> RedisConfig {
    let mut config = RedisConfig::new(url);
    config.connect_timeout = Duration::from_millis(300);
    config.io_timeout = Duration::from_millis(300);
    config
}

#[test]
fn an_unreachable_redis_is_an_error_not_a_hang() {
    // A closed port: connection refused.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err =
        RedisStateStore::connect(&fast_config(format!("redis://127.0.0.1:{port}"))).unwrap_err();
    assert!(matches!(err, StreamError::Redis { .. }), "{err}");

    // A server that accepts connections and never answers: the handshake
    // or the PING times out.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://127.0.0.1:{}", silent.local_addr().unwrap().port());
    let err = RedisStateStore::connect(&fast_config(url)).unwrap_err();
    match &err {
        StreamError::Redis { source, .. } => assert!(source.is_timeout(), "{err}"),
        other => panic!("{other}"),
    }
    drop(silent);
}
