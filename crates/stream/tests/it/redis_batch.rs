//! The batch operations of the Redis store (`load_many`, `store_many`) and
//! the live-member heartbeat of the leases, against a real Redis.

use std::time::Duration;

use vigie_features::StateStore;
use vigie_stream::{PartitionLeases, RedisStateStore, new_owner_id};
use vigie_testkit::{build_transaction, test_card};
use vigie_types::{Category, Transaction};

use crate::support::{initialised_store, redis_config, redis_url, unique};

fn txn(card: u32, time: i64, id: u128) -> Transaction {
    build_transaction(
        card,
        time,
        1_000 + id as i64,
        Category::Travel,
        1,
        id,
        false,
    )
    .txn
}

#[test]
fn store_many_writes_changed_cards_and_leaves_raced_ones_alone() {
    let Some(test) =
        initialised_store("store_many_writes_changed_cards_and_leaves_raced_ones_alone")
    else {
        return;
    };
    let worker = &test.store;
    let other = RedisStateStore::connect(&test.config).unwrap();
    other.adopt_epoch().unwrap();
    let cards = [test_card(1), test_card(2), test_card(3)];
    worker
        .with_state(&cards[0], &mut |s| {
            s.update(&txn(1, 1_000, 1));
        })
        .unwrap();

    let mut loaded = worker.load_many(&cards).unwrap();
    assert!(loaded[0].existed() && !loaded[1].existed() && !loaded[2].existed());
    assert_eq!(loaded[0].state.amounts.n, 1);
    for (i, item) in loaded.iter_mut().enumerate() {
        item.state.update(&txn(i as u32 + 1, 2_000, 10 + i as u128));
    }
    // Another writer changes card 2 between the read and the write.
    other
        .with_state(&cards[1], &mut |s| {
            s.update(&txn(2, 1_500, 99));
        })
        .unwrap();
    let raced = worker.store_many(&mut loaded).unwrap();
    assert_eq!(raced, vec![cards[1]]);

    let mut after = worker.load_many(&cards).unwrap();
    assert_eq!(after[0].state, loaded[0].state);
    assert_eq!(after[2].state, loaded[2].state);
    assert_eq!(
        after[1].state.amounts.n, 1,
        "the other writer's state was kept"
    );
    assert!(after[1].state.contains(txn(2, 1_500, 99).trans_num));
    // Nothing changed: nothing to write, nothing raced.
    assert!(worker.store_many(&mut after).unwrap().is_empty());
}

#[test]
fn store_many_writes_every_changed_card_when_nobody_raced() {
    let Some(test) = initialised_store("store_many_writes_every_changed_card_when_nobody_raced")
    else {
        return;
    };
    let store = &test.store;
    let cards: Vec<_> = (1..=40).map(test_card).collect();
    let mut loaded = store.load_many(&cards).unwrap();
    for (i, item) in loaded.iter_mut().enumerate() {
        item.state
            .update(&txn(i as u32 + 1, 2_000, 100 + i as u128));
    }
    assert!(store.store_many(&mut loaded).unwrap().is_empty());
    // A batch loaded and dropped without storing leaves the store usable.
    drop(store.load_many(&cards).unwrap());
    let after = store.load_many(&cards).unwrap();
    assert_eq!(after.len(), cards.len());
    for (stored, written) in after.iter().zip(loaded.iter()) {
        assert_eq!(stored.state, written.state);
        assert_eq!(stored.state.amounts.n, 1);
    }
}

#[test]
fn store_many_writes_nothing_into_a_flushed_store() {
    let Some(test) = initialised_store("store_many_writes_nothing_into_a_flushed_store") else {
        return;
    };
    let store = &test.store;
    let mut loaded = store.load_many(&[test_card(7)]).unwrap();
    loaded[0].state.update(&txn(7, 1_000, 1));
    assert!(store.purge_all().unwrap() > 0);
    let err = store.store_many(&mut loaded).unwrap_err();
    assert!(err.is_state_lost(), "{err}");
    assert!(
        store
            .load_many(&[test_card(7)])
            .unwrap_err()
            .is_state_lost()
    );
    let fresh = RedisStateStore::connect(&test.config).unwrap();
    fresh.initialise().unwrap();
    assert_eq!(fresh.load(&test_card(7)).unwrap(), None, "no write landed");
}

#[test]
fn the_heartbeat_counts_live_owners() {
    let Some(url) = redis_url("the_heartbeat_counts_live_owners") else {
        return;
    };
    let config = redis_config(&url);
    let group = unique("members");
    let ttl = Duration::from_secs(5);
    let a = PartitionLeases::connect(&config, &group, new_owner_id(), ttl).unwrap();
    let b = PartitionLeases::connect(&config, &group, new_owner_id(), ttl).unwrap();
    assert_eq!(a.heartbeat().unwrap(), 1);
    assert_eq!(b.heartbeat().unwrap(), 2);
    assert_eq!(a.heartbeat().unwrap(), 2);
    b.leave().unwrap();
    assert_eq!(a.heartbeat().unwrap(), 1);
    a.purge_all().unwrap();
}
