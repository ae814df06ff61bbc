//! State stores, the state codec and snapshots.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use vigie_features::{CardState, MemoryStateStore, Observed, StateStore, codec, extract, observe};
use vigie_testkit::{build_transaction, test_card, transaction_sequence};
use vigie_types::Category;

fn states_of(sequence: &[vigie_types::LabeledTransaction]) -> MemoryStateStore {
    let store = MemoryStateStore::default();
    for t in sequence {
        observe(&store, &t.txn).unwrap();
    }
    store
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn codec_round_trips_and_refuses_every_truncation(sequence in transaction_sequence(3, 120)) {
        let store = states_of(&sequence);
        for card in 0..3 {
            let Some(state) = store.get(&test_card(card)).unwrap() else { continue };
            let bytes = codec::encode(&state);
            prop_assert_eq!(&codec::decode(&bytes).unwrap(), &state);
            for cut in 0..bytes.len() {
                prop_assert!(codec::decode(&bytes[..cut]).is_err());
            }
        }
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = codec::decode(&bytes);
        let mut versioned = bytes;
        versioned.insert(0, 1);
        let _ = codec::decode(&versioned);
    }
}

#[test]
fn a_transaction_is_applied_once() {
    let store = MemoryStateStore::default();
    let t = build_transaction(1, 1_600_000_000, 4_200, Category::Travel, 2, 77, false);
    assert!(matches!(
        observe(&store, &t.txn).unwrap(),
        Observed::Fresh(_)
    ));
    let once = store.get(&t.txn.card).unwrap().unwrap();
    assert_eq!(observe(&store, &t.txn).unwrap(), Observed::Duplicate);
    assert_eq!(store.get(&t.txn.card).unwrap().unwrap(), once);
    assert_eq!(once.amounts.n, 1);
    let mut direct = CardState::default();
    assert!(direct.update(&t.txn));
    assert!(!direct.update(&t.txn));
    assert_eq!(direct, once);
}

#[test]
fn snapshot_round_trips_and_erasure_forgets_a_card() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let sequence = transaction_sequence(4, 200)
        .new_tree(&mut runner)
        .unwrap()
        .current();
    let store = states_of(&sequence);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.bin");
    let cards = store.save_snapshot(&path).unwrap();
    assert_eq!(cards, store.card_count().unwrap());
    assert!(cards > 0);
    let loaded = MemoryStateStore::load_snapshot(&path).unwrap();
    for card in 0..4 {
        assert_eq!(
            loaded.get(&test_card(card)).unwrap(),
            store.get(&test_card(card)).unwrap()
        );
    }
    // The next transaction gets the same features from either store.
    let next = build_transaction(0, 1_900_000_000, 999, Category::Home, 1, 1 << 100, false);
    let state = loaded.get(&test_card(0)).unwrap().unwrap_or_default();
    assert!(extract(&state, &next.txn).bit_eq(&vigie_features::peek(&store, &next.txn).unwrap()));

    let known = sequence[0].txn.card;
    assert!(loaded.remove(&known).unwrap());
    assert!(loaded.get(&known).unwrap().is_none());
    assert!(!loaded.remove(&known).unwrap());

    std::fs::write(&path, b"not a snapshot at all").unwrap();
    assert!(MemoryStateStore::load_snapshot(&path).is_err());
}

#[test]
fn state_memory_is_bounded_whatever_the_history() {
    let mut state = CardState::default();
    for i in 0..5_000u32 {
        let t = build_transaction(
            3,
            1_600_000_000 + i64::from(i) * 30,
            100,
            Category::Home,
            0,
            u128::from(i),
            false,
        );
        state.update(&t.txn);
        assert!(state.recent.len() <= vigie_features::MAX_EVENTS);
    }
    assert_eq!(state.recent.len(), vigie_features::MAX_EVENTS);
    assert_eq!(state.amounts.n, 5_000);
    // A month later, the ring empties but the running statistics remain.
    let later = build_transaction(
        3,
        1_600_000_000 + 40 * 86_400,
        100,
        Category::Home,
        0,
        1 << 90,
        false,
    );
    state.update(&later.txn);
    assert_eq!(state.recent.len(), 1);
    assert_eq!(state.amounts.n, 5_001);
}

/// A card state with three events, encoded, and the offset of its events.
fn encoded_three_events() -> (Vec<u8>, usize) {
    let mut state = CardState::default();
    for (i, time) in [1_600_000_000, 1_600_000_100, 1_600_000_200]
        .into_iter()
        .enumerate()
    {
        let t = build_transaction(1, time, 1_000, Category::Travel, i, 10 + i as u128, false);
        assert!(state.update(&t.txn));
    }
    let bytes = codec::encode(&state);
    let events = bytes.len() - 3 * 34;
    assert_eq!(codec::decode(&bytes).unwrap(), state);
    (bytes, events)
}

fn decode_error(bytes: &[u8]) -> String {
    match codec::decode(bytes) {
        Err(vigie_features::FeatureError::StateDecode { reason }) => reason,
        other => panic!("expected a decoding error, got {other:?}"),
    }
}

#[test]
fn decoding_checks_every_event_field() {
    let (good, events) = encoded_three_events();
    let second = events + 34;
    let corrupt = |at: usize, with: &[u8]| {
        let mut bytes = good.clone();
        bytes[at..at + with.len()].copy_from_slice(with);
        decode_error(&bytes)
    };
    assert_eq!(corrupt(second + 33, &[2]), "bad night flag");
    assert_eq!(corrupt(second + 32, &[200]), "unknown event category");
    assert_eq!(corrupt(second + 16, &f32::NAN.to_le_bytes()), "non-finite");
    assert_eq!(
        corrupt(second + 20, &f32::INFINITY.to_le_bytes()),
        "non-finite"
    );
    // The second event before the first: out of order.
    assert_eq!(
        corrupt(second, &1_599_999_999i64.to_le_bytes()),
        "events out of order or out of range"
    );
    // The last event after the state's latest time.
    assert_eq!(
        corrupt(second + 34, &1_600_000_201i64.to_le_bytes()),
        "events out of order or out of range"
    );
    let mut longer = good.clone();
    longer.push(0);
    assert_eq!(decode_error(&longer), "trailing bytes");
    assert_eq!(decode_error(&good[..good.len() - 1]), "truncated");
}
