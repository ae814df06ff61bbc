"""scikit-learn reference for Vigie's linear models: the same matrix, splits,
preprocessing idea and metrics as `crates/model/examples/train_linear.rs`.

    python bench/linear_reference.py /tmp/linear-data/matrix.csv --categorical category,hour,dow \
        [--class-weight balanced|none] [--random-features DIMS,GAMMA] [--skip-cv]

Splits, in file (time) order: first 85 % of rows = training part, rest = test;
the last 15 % of the training part = validation (SVM calibration and the F1
threshold), the models are fitted on the rest. Preprocessing, fitted on the
fit rows only: numeric features clipped to their 0.1 % / 99.9 % quantiles
(the full range when those coincide) then standardised; categorical features
one-hot encoded. C = 1 / (l2 * n_fit) with Vigie's default l2 = 1e-6, so
both sides minimise the same objective (liblinear also penalises the SVM
intercept; Vigie does not).

Models (class_weight="balanced" unless --class-weight none):
LogisticRegression, and LinearSVC (squared hinge) calibrated by
CalibratedClassifierCV(FrozenEstimator(svc), method="sigmoid") on the
validation rows, the same protocol as Vigie's Platt scaling. Also
CalibratedClassifierCV(LinearSVC(...), cv=5), scikit-learn's usual recipe
(5 random folds of the fit rows, an average of 5 calibrated SVMs).
"""

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.kernel_approximation import RBFSampler
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (average_precision_score, confusion_matrix, log_loss,
                             precision_recall_curve, roc_auc_score, roc_curve)
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC

L2 = 1e-6
CLIP_QUANTILE = 0.001


class Preprocess:
    def fit(self, frame, categorical):
        self.numeric = [c for c in frame.columns if c not in categorical]
        self.categorical = categorical
        x = frame[self.numeric].to_numpy(np.float64)
        n = len(x)
        srt = np.sort(x, axis=0)
        lo = srt[int(np.floor(CLIP_QUANTILE * (n - 1)))]
        hi = srt[int(np.ceil((1 - CLIP_QUANTILE) * (n - 1)))]
        same = lo == hi
        lo[same], hi[same] = srt[0][same], srt[-1][same]
        self.lo, self.hi = lo, hi
        self.scaler = StandardScaler().fit(np.clip(x, lo, hi))
        levels = [np.arange(int(frame[c].max()) + 1) for c in categorical]
        self.onehot = OneHotEncoder(categories=levels, handle_unknown="ignore",
                                    sparse_output=False).fit(frame[categorical])
        return self

    def transform(self, frame):
        x = np.clip(frame[self.numeric].to_numpy(np.float64), self.lo, self.hi)
        return np.hstack([self.scaler.transform(x), self.onehot.transform(frame[self.categorical])])


def best_f1_threshold(scores, labels):
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-300), 0)
    best = int(np.argmax(f1[:-1]))
    return thresholds[best], f1[best]


def report(name, seconds, valid_scores, y_valid, test_scores, test_proba, y_test):
    threshold, valid_f1 = best_f1_threshold(valid_scores, y_valid)
    tn, fp, fn, tp = confusion_matrix(y_test, test_scores >= threshold).ravel()
    f1 = 2 * tp / (2 * tp + fp + fn)
    fpr, tpr, _ = roc_curve(y_test, test_scores)
    recall_1pct = tpr[fpr <= 0.01].max()
    print(f"{name:<28} train {seconds:>6.2f} s  AUC {roc_auc_score(y_test, test_scores):.4f}  "
          f"AP {average_precision_score(y_test, test_scores):.4f}  F1@valid-threshold {f1:.4f} "
          f"(P {tp / max(tp + fp, 1):.3f} R {tp / (tp + fn):.3f}; valid F1 {valid_f1:.4f})  "
          f"recall@1%FPR {recall_1pct:.4f}  log-loss {log_loss(y_test, test_proba):.5f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--categorical", default="")
    parser.add_argument("--skip-cv", action="store_true", help="skip the 5-fold CalibratedClassifierCV")
    parser.add_argument("--class-weight", choices=["balanced", "none"], default="balanced")
    parser.add_argument("--random-features", metavar="DIMS,GAMMA",
                        help="append RBFSampler features (random_state=0) to the linear ones")
    args = parser.parse_args()
    categorical = [c for c in args.categorical.split(",") if c]

    frame = pd.read_csv(args.path)
    y = frame.pop("is_fraud").to_numpy()
    n = len(frame)
    train_end = n * 85 // 100
    fit_end = train_end * 85 // 100
    fit, valid, test = frame.iloc[:fit_end], frame.iloc[fit_end:train_end], frame.iloc[train_end:]
    y_fit, y_valid, y_test = y[:fit_end], y[fit_end:train_end], y[train_end:]
    pre = Preprocess().fit(fit, categorical)
    x_fit, x_valid, x_test = pre.transform(fit), pre.transform(valid), pre.transform(test)
    started = time.perf_counter()
    if args.random_features:
        dims, gamma = args.random_features.split(",")
        rff = RBFSampler(gamma=float(gamma), n_components=int(dims), random_state=0).fit(x_fit)
        x_fit, x_valid, x_test = (np.hstack([x, rff.transform(x)]) for x in (x_fit, x_valid, x_test))
    transform_seconds = time.perf_counter() - started
    c = 1.0 / (L2 * len(x_fit))
    weight = None if args.class_weight == "none" else "balanced"
    print(f"{args.path}: {x_fit.shape[1]} encoded columns; fit {len(x_fit)} rows "
          f"({y_fit.sum()} frauds), validation {len(x_valid)}, test {len(x_test)}; C = {c:.4f}; "
          f"random features in {transform_seconds:.1f} s (not counted below)")

    t = time.perf_counter()
    logistic = LogisticRegression(C=c, class_weight=weight, max_iter=1000).fit(x_fit, y_fit)
    seconds = time.perf_counter() - t
    z = x_fit @ logistic.coef_[0] + logistic.intercept_[0]
    w = np.ones(len(y_fit)) if weight is None else np.where(
        y_fit == 1, len(y_fit) / (2 * y_fit.sum()), len(y_fit) / (2 * (len(y_fit) - y_fit.sum())))
    objective = (w * (np.logaddexp(0, z) - y_fit * z)).sum() / w.sum() + 0.5 * L2 * (logistic.coef_ ** 2).sum()
    print(f"  LogisticRegression: {logistic.n_iter_[0]} iterations, objective {objective:.10f}")
    report("sklearn LogisticRegression", seconds, logistic.decision_function(x_valid), y_valid,
           logistic.decision_function(x_test), logistic.predict_proba(x_test)[:, 1], y_test)

    t = time.perf_counter()
    svc = LinearSVC(C=c, class_weight=weight, max_iter=10000).fit(x_fit, y_fit)
    calibrated = CalibratedClassifierCV(FrozenEstimator(svc), method="sigmoid").fit(x_valid, y_valid)
    seconds = time.perf_counter() - t
    report("sklearn LinearSVC + Platt", seconds, svc.decision_function(x_valid), y_valid,
           svc.decision_function(x_test), calibrated.predict_proba(x_test)[:, 1], y_test)

    if not args.skip_cv:
        t = time.perf_counter()
        cv = CalibratedClassifierCV(LinearSVC(C=c, class_weight=weight, max_iter=10000),
                                    method="sigmoid", cv=5).fit(x_fit, y_fit)
        seconds = time.perf_counter() - t
        valid_p, test_p = cv.predict_proba(x_valid)[:, 1], cv.predict_proba(x_test)[:, 1]
        report("sklearn LinearSVC CalCV(5)", seconds, valid_p, y_valid, test_p, test_p, y_test)


if __name__ == "__main__":
    main()
