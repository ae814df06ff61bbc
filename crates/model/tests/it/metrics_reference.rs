//! Metrics on small hand-made cases, against values from scikit-learn 1.9.1
//! (the call is named on each) or computed by hand.

use vigie_model::metrics::{
    ConfusionAt, PrPoint, RocPoint, average_precision, best_f1_threshold, card_precision_at_k,
    confusion_at, fraud_amount_caught, log_loss, pr_curve, recall_at_fpr, roc_auc, roc_curve,
};

/// Ten rows with tied scores (0.8 x2, 0.5 x3), 5 frauds.
const SCORES: [f64; 10] = [0.9, 0.8, 0.8, 0.7, 0.5, 0.5, 0.5, 0.3, 0.2, 0.1];
const LABELS: [u8; 10] = [1, 0, 1, 1, 0, 1, 0, 0, 1, 0];

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12
}

#[test]
fn auc_and_ap_match_scikit_learn_with_ties() {
    // sklearn.metrics.roc_auc_score(LABELS, SCORES) == 0.7
    assert!(close(roc_auc(&SCORES, &LABELS).unwrap(), 0.7));
    // sklearn.metrics.average_precision_score(LABELS, SCORES) == 0.7087301587301587
    assert!(close(
        average_precision(&SCORES, &LABELS).unwrap(),
        0.708_730_158_730_158_7
    ));

    let s2 = [
        3., 1., 2., 2., 5., 0., 4., 4., 1., 3., 2., 0., 5., 1., 2., 3., 4., 0., 1., 2.,
    ];
    let y2 = [1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0];
    // roc_auc_score(y2, s2) == 0.8854166666666666
    assert!(close(roc_auc(&s2, &y2).unwrap(), 0.885_416_666_666_666_6));
    // average_precision_score(y2, s2) == 0.7913461538461539
    assert!(close(
        average_precision(&s2, &y2).unwrap(),
        0.791_346_153_846_153_9
    ));
    // confusion_matrix(y2, s2 >= 3).ravel() == [tn 10, fp 2, fn 2, tp 6]
    let c = confusion_at(&s2, &y2, 3.0).unwrap();
    let expected = ConfusionAt {
        threshold: 3.0,
        tp: 6,
        fp: 2,
        tn: 10,
        fn_: 2,
    };
    assert_eq!(c, expected);
    // precision_score, recall_score, f1_score at >= 3: all 0.75; FPR 2/12.
    assert!(close(c.precision(), 0.75) && close(c.recall(), 0.75) && close(c.f1(), 0.75));
    assert!(close(c.fpr(), 2.0 / 12.0));
}

#[test]
fn curves_match_scikit_learn() {
    // sklearn.metrics.roc_curve(LABELS, SCORES, drop_intermediate=False)
    let expected_roc = [
        (f64::INFINITY, 0.0, 0.0),
        (0.9, 0.0, 0.2),
        (0.8, 0.2, 0.4),
        (0.7, 0.2, 0.6),
        (0.5, 0.6, 0.8),
        (0.3, 0.8, 0.8),
        (0.2, 0.8, 1.0),
        (0.1, 1.0, 1.0),
    ];
    let roc = roc_curve(&SCORES, &LABELS).unwrap();
    assert_eq!(roc.len(), expected_roc.len());
    for (p, &(threshold, fpr, tpr)) in roc.iter().zip(&expected_roc) {
        let RocPoint {
            threshold: t,
            fpr: f,
            tpr: r,
        } = *p;
        assert!(t == threshold && close(f, fpr) && close(r, tpr), "{p:?}");
    }
    // sklearn.metrics.precision_recall_curve(LABELS, SCORES), reversed and
    // without its artificial (recall 0, precision 1) end point.
    let expected_pr = [
        (0.9, 0.2, 1.0),
        (0.8, 0.4, 2.0 / 3.0),
        (0.7, 0.6, 0.75),
        (0.5, 0.8, 4.0 / 7.0),
        (0.3, 0.8, 0.5),
        (0.2, 1.0, 5.0 / 9.0),
        (0.1, 1.0, 0.5),
    ];
    let pr = pr_curve(&SCORES, &LABELS).unwrap();
    assert_eq!(pr.len(), expected_pr.len());
    for (p, &(threshold, recall, precision)) in pr.iter().zip(&expected_pr) {
        let PrPoint {
            threshold: t,
            recall: r,
            precision: q,
        } = *p;
        assert!(
            t == threshold && close(r, recall) && close(q, precision),
            "{p:?}"
        );
    }
}

#[test]
fn threshold_metrics_by_hand() {
    // F1 per distinct threshold (sklearn.metrics.f1_score(LABELS, SCORES >= t)):
    // 0.9: 1/3, 0.8: 1/2, 0.7: 2/3, 0.5: 2/3, 0.3: 8/13, 0.2: 5/7, 0.1: 2/3.
    let (threshold, f1) = best_f1_threshold(&SCORES, &LABELS).unwrap();
    assert_eq!(threshold, 0.2);
    assert!(close(f1, 5.0 / 7.0));
    // Ties on the best F1 go to the highest threshold: flagging the top row
    // (tp 1, fn 1) and flagging all (tp 2, fp 2) both give F1 = 2/3.
    let (threshold, f1) = best_f1_threshold(&[4.0, 3.0, 2.0, 1.0], &[1, 0, 0, 1]).unwrap();
    assert_eq!(threshold, 4.0);
    assert!(close(f1, 2.0 / 3.0));
    // FPR <= 0.2 allows thresholds 0.9, 0.8, 0.7: the best recall is 0.6.
    assert!(close(recall_at_fpr(&SCORES, &LABELS, 0.2).unwrap(), 0.6));
    assert!(close(recall_at_fpr(&SCORES, &LABELS, 0.0).unwrap(), 0.2));
    assert!(close(recall_at_fpr(&SCORES, &LABELS, 1.0).unwrap(), 1.0));
}

#[test]
fn fraud_amount_caught_is_an_amount_weighted_recall() {
    let scores = [0.9, 0.1, 0.8, 0.3, 0.2];
    let labels = [1, 1, 0, 1, 0];
    let amounts = [100.0, 300.0, 50.0, 600.0, 10.0];
    // Frauds: 100 (flagged at 0.25), 300 (missed), 600 (flagged): 700 / 1000.
    let caught = fraud_amount_caught(&scores, &labels, &amounts, 0.25).unwrap();
    assert!(close(caught, 0.7));
    assert!(fraud_amount_caught(&scores, &labels, &[1.0; 4], 0.5).is_err());
    assert!(fraud_amount_caught(&scores, &[0, 0, 0, 0, 0], &amounts, 0.5).is_err());
}

#[test]
fn log_loss_matches_scikit_learn() {
    let probabilities = [0.9, 0.2, 0.6, 0.7, 0.4, 0.5, 0.1, 0.3, 0.45, 0.05];
    // sklearn.metrics.log_loss(LABELS, probabilities) == 0.3711813889204576
    assert!(close(
        log_loss(&probabilities, &LABELS).unwrap(),
        0.371_181_388_920_457_6
    ));
    // log_loss([1, 0, 1], [0.0, 0.0, 1.0]) == 12.014551129705717 (clipped)
    let clipped = log_loss(&[0.0, 0.0, 1.0], &[1, 0, 1]).unwrap();
    assert!((clipped - 12.014_551_129_705_717).abs() < 1e-9);
    assert!(log_loss(&[1.5], &[1]).is_err());
    assert!(log_loss(&[f64::NAN], &[1]).is_err());
}

#[test]
fn card_precision_top_k_by_hand() {
    // (day, card, score, label)
    let rows = [
        (0, 1, 0.9, 0),
        (0, 1, 0.2, 1), // card 1 compromised on day 0, max score 0.9
        (0, 2, 0.8, 0),
        (0, 3, 0.85, 1),
        (0, 4, 0.1, 0),
        (1, 1, 0.3, 0),
        (1, 2, 0.95, 0),
        (2, 5, 0.5, 1), // a day with a single card
    ];
    let scores: Vec<f64> = rows.iter().map(|r| r.2).collect();
    let labels: Vec<u8> = rows.iter().map(|r| r.3).collect();
    let cards: Vec<u64> = rows.iter().map(|r| r.1).collect();
    let days: Vec<i32> = rows.iter().map(|r| r.0).collect();
    let cp = |k| card_precision_at_k(&scores, &labels, &cards, &days, k).unwrap();
    // k = 2: day 0 cards 1, 3 (2/2); day 1 cards 2, 1 (0/2); day 2 card 5 (1/1).
    assert!(close(cp(2), (1.0 + 0.0 + 1.0) / 3.0));
    // k = 3: day 0 cards 1, 3, 2 (2/3); day 1 (0/2); day 2 (1/1).
    assert!(close(cp(3), (2.0 / 3.0 + 0.0 + 1.0) / 3.0));
    // Row order does not matter.
    let mut order: Vec<usize> = (0..rows.len()).rev().collect();
    order.rotate_left(3);
    let pick = |v: &[f64]| order.iter().map(|&i| v[i]).collect::<Vec<_>>();
    let shuffled = card_precision_at_k(
        &pick(&scores),
        &order.iter().map(|&i| labels[i]).collect::<Vec<_>>(),
        &order.iter().map(|&i| cards[i]).collect::<Vec<_>>(),
        &order.iter().map(|&i| days[i]).collect::<Vec<_>>(),
        3,
    )
    .unwrap();
    assert_eq!(shuffled, cp(3));
    // Ties on the card score go to the smaller card id.
    let tie = card_precision_at_k(&[0.5, 0.5], &[0, 1], &[7, 3], &[0, 0], 1).unwrap();
    assert_eq!(tie, 1.0);
    assert!(card_precision_at_k(&scores, &labels, &cards, &days, 0).is_err());
    assert!(card_precision_at_k(&scores, &labels, &cards[1..], &days, 2).is_err());
}

#[test]
fn undefined_metrics_are_errors() {
    assert!(roc_auc(&[0.1, 0.2], &[1, 1]).is_err());
    assert!(roc_auc(&[0.1, 0.2], &[0, 0]).is_err());
    assert!(roc_auc(&[0.1], &[0, 1]).is_err());
    assert!(roc_auc(&[0.1, 0.2], &[0, 2]).is_err());
    assert!(roc_auc(&[f64::NAN, 0.2], &[0, 1]).is_err());
    assert!(average_precision(&[0.1, 0.2], &[0, 0]).is_err());
    assert!(best_f1_threshold(&[], &[]).is_err());
    assert!(recall_at_fpr(&SCORES, &LABELS, 1.5).is_err());
    assert!(confusion_at(&SCORES, &LABELS, f64::NAN).is_err());
    // Infinite scores rank like any other.
    assert_eq!(
        roc_auc(&[f64::NEG_INFINITY, f64::INFINITY], &[0, 1]).unwrap(),
        1.0
    );
}
