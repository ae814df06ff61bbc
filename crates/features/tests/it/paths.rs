//! The invariant: batch replay and the online path give bit-identical
//! feature vectors, whatever the sharding, batching and input order.

use proptest::prelude::*;
use vigie_testkit::transaction_sequence;

use crate::support::{batch, online, options, split};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn batch_equals_online_for_any_sharding_and_batching(
        sequence in transaction_sequence(6, 160),
        threads in 1usize..4,
        sizes in proptest::collection::vec(1usize..40, 1..5),
        release in 1usize..64,
    ) {
        let expected = online(&sequence);
        // In-order input, lateness 0: frequent releases, ties held back.
        let got = batch(split(&sequence, &sizes), options(threads, 0, release));
        prop_assert_eq!(got.len(), sequence.len());
        for (i, ((txn, v), want)) in got.iter().zip(&expected).enumerate() {
            prop_assert_eq!(txn, &sequence[i]);
            prop_assert!(v.bit_eq(want), "row {}: {:?} != {:?}", i, v.0, want.0);
        }
    }

    #[test]
    fn batch_restores_time_order_of_shuffled_input(
        sequence in transaction_sequence(4, 120),
        seed in any::<u64>(),
        threads in 1usize..3,
    ) {
        let expected = online(&sequence);
        let mut shuffled = sequence.clone();
        // A deterministic shuffle (Fisher-Yates with a xorshift generator).
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let got = batch(split(&shuffled, &[7]), options(threads, i64::MAX / 4, 1 << 20));
        for (i, ((txn, v), want)) in got.iter().zip(&expected).enumerate() {
            prop_assert_eq!(txn, &sequence[i]);
            prop_assert!(v.bit_eq(want), "row {}", i);
        }
    }
}

#[test]
fn input_later_than_the_tolerance_is_an_error() {
    use vigie_features::{FeatureError, Replayer};
    use vigie_testkit::build_transaction;
    use vigie_types::Category;
    let at = |time: i64, id: u128| build_transaction(1, time, 1_000, Category::Home, 0, id, false);
    let mut replayer = Replayer::new(options(1, 3_600, 1));
    let mut released = 0;
    let mut sink = |rows: Vec<vigie_features::FeatureRow>| {
        released += rows.len();
        Ok(())
    };
    // 30 minutes late: within the tolerance, put back in order.
    replayer.push(vec![at(10_000, 1)], &mut sink).unwrap();
    replayer.push(vec![at(8_200, 2)], &mut sink).unwrap();
    // Two hours later: releases both; then one arrives 3 hours late.
    replayer.push(vec![at(20_000, 3)], &mut sink).unwrap();
    let err = replayer.push(vec![at(9_000, 4)], &mut sink).unwrap_err();
    assert_eq!(released, 2);
    assert!(matches!(err, FeatureError::OutOfOrder { .. }), "{err}");
    assert!(err.to_string().contains("--max-lateness"), "{err}");
}
