//! Properties of the metrics on arbitrary inputs, with naive O(n^2)
//! definitions as oracles.

use proptest::prelude::*;
use vigie_model::metrics::{
    RocPoint, average_precision, best_f1_threshold, confusion_at, downsample, log_loss,
    recall_at_fpr, roc_auc, roc_curve,
};

/// Scores on a small integer grid (many ties) and labels with both classes.
fn scored_labels() -> impl Strategy<Value = (Vec<f64>, Vec<u8>)> {
    prop::collection::vec((0i32..12, 0u8..2), 2..120).prop_map(|rows| {
        let mut scores: Vec<f64> = rows.iter().map(|r| f64::from(r.0)).collect();
        let mut labels: Vec<u8> = rows.iter().map(|r| r.1).collect();
        (labels[0], labels[1]) = (0, 1);
        scores.rotate_left(1); // keep scores independent of the forced labels
        labels.rotate_left(1);
        (scores, labels)
    })
}

/// P(score of a positive > score of a negative) + P(tie) / 2, over all pairs.
fn pairwise_auc(scores: &[f64], labels: &[u8]) -> f64 {
    let (mut wins, mut pairs) = (0.0, 0.0);
    for (i, &si) in scores.iter().enumerate() {
        for (j, &sj) in scores.iter().enumerate() {
            if labels[i] == 1 && labels[j] == 0 {
                pairs += 1.0;
                wins += if si > sj {
                    1.0
                } else if si == sj {
                    0.5
                } else {
                    0.0
                };
            }
        }
    }
    wins / pairs
}

/// `sum (R_n - R_{n-1}) P_n` over distinct thresholds, by brute force.
fn naive_ap(scores: &[f64], labels: &[u8]) -> f64 {
    let mut thresholds = scores.to_vec();
    thresholds.sort_by(|a, b| b.total_cmp(a));
    thresholds.dedup();
    let (mut ap, mut previous_recall) = (0.0, 0.0);
    for t in thresholds {
        let c = confusion_at(scores, labels, t).unwrap();
        ap += (c.recall() - previous_recall) * c.precision();
        previous_recall = c.recall();
    }
    ap
}

proptest! {
    #[test]
    fn auc_is_the_pairwise_probability((scores, labels) in scored_labels()) {
        let auc = roc_auc(&scores, &labels).unwrap();
        prop_assert!((0.0..=1.0).contains(&auc));
        prop_assert!((auc - pairwise_auc(&scores, &labels)).abs() < 1e-12);
    }

    #[test]
    fn reversing_scores_gives_one_minus_auc((scores, labels) in scored_labels()) {
        let reversed: Vec<f64> = scores.iter().map(|s| -s).collect();
        let sum = roc_auc(&scores, &labels).unwrap() + roc_auc(&reversed, &labels).unwrap();
        prop_assert!((sum - 1.0).abs() < 1e-12);
    }

    #[test]
    fn ranking_metrics_ignore_monotone_transforms((scores, labels) in scored_labels()) {
        let transformed: Vec<f64> = scores.iter().map(|s| (s / 3.0).exp() * 7.0 - 2.0).collect();
        prop_assert_eq!(roc_auc(&scores, &labels).unwrap(), roc_auc(&transformed, &labels).unwrap());
        prop_assert_eq!(
            average_precision(&scores, &labels).unwrap(),
            average_precision(&transformed, &labels).unwrap()
        );
        prop_assert_eq!(
            best_f1_threshold(&scores, &labels).unwrap().1,
            best_f1_threshold(&transformed, &labels).unwrap().1
        );
    }

    #[test]
    fn ap_matches_its_definition_and_a_perfect_ranking_scores_one(
        (scores, labels) in scored_labels()
    ) {
        let ap = average_precision(&scores, &labels).unwrap();
        prop_assert!((ap - naive_ap(&scores, &labels)).abs() < 1e-12);
        let perfect: Vec<f64> = labels.iter().map(|&l| f64::from(l)).collect();
        prop_assert_eq!(average_precision(&perfect, &labels).unwrap(), 1.0);
        prop_assert_eq!(roc_auc(&perfect, &labels).unwrap(), 1.0);
    }

    #[test]
    fn best_f1_and_recall_at_fpr_match_brute_force(
        (scores, labels) in scored_labels(),
        max_fpr in 0.0f64..1.0,
    ) {
        let mut best_f1: f64 = 0.0;
        let mut best_recall: f64 = 0.0;
        for &t in &scores {
            let c = confusion_at(&scores, &labels, t).unwrap();
            best_f1 = best_f1.max(c.f1());
            if c.fpr() <= max_fpr {
                best_recall = best_recall.max(c.recall());
            }
        }
        let (threshold, f1) = best_f1_threshold(&scores, &labels).unwrap();
        prop_assert_eq!(f1, best_f1);
        prop_assert_eq!(confusion_at(&scores, &labels, threshold).unwrap().f1(), f1);
        prop_assert_eq!(recall_at_fpr(&scores, &labels, max_fpr).unwrap(), best_recall);
    }

    #[test]
    fn log_loss_is_non_negative(
        rows in prop::collection::vec((0.0f64..=1.0, 0u8..2), 1..50)
    ) {
        let (p, y): (Vec<f64>, Vec<u8>) = rows.into_iter().unzip();
        prop_assert!(log_loss(&p, &y).unwrap() >= 0.0);
    }

    #[test]
    fn downsampling_keeps_ends_order_and_the_budget(
        (scores, labels) in scored_labels(),
        max_points in 0usize..12,
    ) {
        let curve = roc_curve(&scores, &labels).unwrap();
        let small = downsample(&curve, max_points);
        prop_assert!(small.len() <= max_points);
        if max_points >= 2 {
            prop_assert!(small.len() >= 2);
            prop_assert_eq!(small.first(), curve.first());
            prop_assert_eq!(small.last(), curve.last());
        }
        // A subsequence of the curve, in order.
        let mut rest = curve.iter();
        for p in &small {
            prop_assert!(rest.any(|q: &RocPoint| q == p));
        }
    }
}
