//! Point-in-time correctness: a transaction's features never depend on its
//! own label, on any label, or on anything that happens after it.

use proptest::prelude::*;
use vigie_testkit::transaction_sequence;
use vigie_types::{Amount, Category, Label, LabeledTransaction};

use crate::support::{batch, online, options, split};

fn flip(label: Option<Label>) -> Option<Label> {
    match label {
        Some(Label::Fraud) => Some(Label::Legit),
        _ => Some(Label::Fraud),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn labels_and_later_transactions_never_change_features(
        sequence in transaction_sequence(4, 120),
        cut in any::<prop::sample::Index>(),
        drop_every in 1usize..4,
        extra_cents in 1i64..100_000,
    ) {
        let k = cut.index(sequence.len());
        let before = online(&sequence);
        // Every label flipped; everything after row k changed: amounts,
        // categories, merchants and labels, some rows dropped, one added at
        // the very end. Times and ids of the kept rows do not move, so rows
        // 0..=k keep their places in the replay order.
        let mut changed: Vec<LabeledTransaction> = Vec::new();
        for (i, t) in sequence.iter().enumerate() {
            let mut t = t.clone();
            t.label = flip(t.label);
            if i > k {
                if i % drop_every == 0 && i != sequence.len() - 1 {
                    continue;
                }
                t.txn.amount = Amount::from_cents(t.txn.amount.cents() + extra_cents).unwrap();
                t.txn.category = Category::ALL[(t.txn.category.index() + 3) % 14];
                t.txn.merchant = format!("{}-changed", t.txn.merchant).into();
            }
            changed.push(t);
        }
        let mut late = sequence[k].clone();
        late.txn.trans_num = vigie_types::TransNum::from_u128(u128::MAX);
        late.txn.event_time = sequence.last().unwrap().txn.event_time.add_seconds(1);
        changed.push(late);

        let after = online(&changed);
        for i in 0..=k {
            prop_assert!(after[i].bit_eq(&before[i]), "row {} changed", i);
        }
        // The batch path agrees, row for row.
        let replayed = batch(split(&changed, &[5, 11]), options(2, 0, 3));
        for i in 0..=k {
            prop_assert!(replayed[i].1.bit_eq(&before[i]), "batch row {} changed", i);
        }
    }
}
