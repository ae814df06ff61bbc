"""The Python reference for `vigie train`: scikit-learn and LightGBM trained on
Vigie's own feature files with Vigie's protocol, reported in the columns of
Vigie's comparison table.

    python bench/models_reference.py TRAIN.parquet TEST.parquet \
        [--models logreg,svm,forest,lightgbm[,hgb]] [--json] [--repeats 2]
    python bench/models_reference.py --table RUN.json   # the table of a `vigie train --json` or --json output

Inputs: feature files written by Vigie (`vigie features` / `vigie train`),
rows in time order. The models read Vigie's default "behaviour" feature set
(the 32 columns of BEHAVIOUR below, in that order; `category` is a code
0..13).

Protocol, as crates/train does it:
- validation = the last 20 % of the training rows: cut at n - floor(0.2 n),
  moved forward while the event time equals the previous row's (never
  inside a second); the models are fitted on the rows before the cut;
- each family tries Vigie's candidates (crates/train/src/family.rs) and keeps
  the one with the best validation average precision;
- the decision threshold is the best-F1 threshold on the validation scores
  (over every distinct score, flag when score >= threshold);
- the test file is scored once.
Metrics are computed here exactly as vigie-model's metrics module does
(ties grouped; AP = sum of recall gains times precision; recall at 1 % FPR
= the best recall over distinct thresholds whose FPR <= 1 %; card precision
@100 per day, averaged over days).

Models (2 threads: n_jobs=2, num_threads=2, BLAS/OpenMP pools limited to 2):
- logreg: Pipeline(clip numerics to the 0.1 %/99.9 % training quantiles,
  standardise, one-hot `category` with its 14 levels) + LogisticRegression
  (lbfgs), C = 1 / (l2 * n_fit) so the objective is Vigie's
  (mean log-loss + l2/2 |w|^2); candidates l2 1e-6, l2 1e-3, l2 1e-6 balanced.
- svm: the same pipeline + LinearSVC (squared hinge, primal), Platt-scaled by
  CalibratedClassifierCV(FrozenEstimator(...), method="sigmoid") on the
  validation rows (Vigie calibrates on them too); candidates l2 1e-6, 1e-3
  (--svm-rff adds Vigie's third: 512 random Fourier features, gamma 0.02,
  appended; about 15 GB of memory).
- forest: RandomForestClassifier(100 trees, max_features="sqrt", bootstrap);
  candidates depth 16 / leaves >= 5, and unlimited depth / leaves >= 20.
  `category` is read as a number (scikit-learn forests have no categories).
- lightgbm: lgb.train, binary, max_bin 255, min_data_in_leaf 50, early
  stopping 50 on validation log-loss, `category` categorical; candidates
  lr 0.1/31 leaves/l2 1 (1000 rounds), lr 0.05/63 leaves/feature_fraction 0.8
  (2000 rounds), lr 0.1/15 leaves/l2 10 (1000 rounds).
- hgb (optional): HistGradientBoostingClassifier with the same three settings,
  early stopping on the same validation rows (X_val/y_val); it keeps the last
  50 non-improving iterations, LightGBM and Vigie keep the best iteration.

Timings (the machine is shared: each is repeated, the best kept):
- train s: the chosen candidate is fitted --repeats times (the selection fit
  included); the fastest fit is reported. It includes the preprocessing fit
  (linear), the Dataset binning (LightGBM) and the Platt fit (svm).
- predict p50/p99: --latency-rows rows spread over the test file, one
  predict_proba call per row (LightGBM: Booster.predict on a 1 x 32 array;
  the forest with n_jobs=1, its fastest single-row setting); 3 passes, the
  lowest p50 and the lowest p99 kept.
- batch rows/s: predict_proba on the whole test file, 3 times, the best kept.
"""

import argparse
import json
import os
import pickle
import platform
import sys
import time

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.parquet as pq

BEHAVIOUR = [
    "amount", "log_amount", "category", "hour", "day_of_week", "is_night", "is_weekend",
    "home_merchant_km", "txn_count_10m", "txn_count_1h", "txn_count_24h", "txn_count_7d",
    "txn_count_30d", "amount_sum_10m", "amount_sum_1h", "amount_sum_24h", "amount_sum_7d",
    "amount_sum_30d", "seconds_since_prev", "amount_to_card_mean", "amount_card_zscore",
    "amount_to_category_mean", "amount_category_zscore", "amount_to_max_30d",
    "distinct_merchants_24h", "distinct_categories_24h", "night_count_24h", "category_first_use",
    "prev_merchant_km", "speed_from_prev_kmh", "count_24h_to_daily_mean", "card_night_share",
]
CATEGORY = BEHAVIOUR.index("category")
CATEGORY_LEVELS = 14
VALID_FRACTION = 0.2
ALL_MODELS = ["logreg", "svm", "forest", "lightgbm", "hgb"]
COLUMNS = [
    ("AUC-ROC", "auc_roc", "{:.4f}"), ("AP", "average_precision", "{:.4f}"),
    ("precision", "precision", "{:.4f}"), ("recall", "recall", "{:.4f}"), ("F1", "f1", "{:.4f}"),
    ("threshold", "threshold", "{:.3f}"), ("recall @1% FPR", "recall_at_1pct_fpr", "{:.4f}"),
    ("card precision @100", "card_precision_at_100", "{:.3f}"),
    ("fraud amount caught", "fraud_amount_caught_pct", "{:.1f}%"),
    ("train s", "train_seconds", "{:.1f}"), ("predict p50 us", "predict_us_p50", "{:.2f}"),
    ("p99 us", "predict_us_p99", "{:.2f}"), ("batch rows/s", "batch_rows_per_second", "{:.0f}"),
    ("model bytes", "model_bytes", "{:.0f}"),
]


def say(line):
    print(line, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- data

class Period:
    """Feature matrix, labels and what the metrics need beside them."""

    def __init__(self, frame):
        self.x = np.ascontiguousarray(frame[BEHAVIOUR].to_numpy(np.float32))
        self.y = frame["is_fraud"].to_numpy(np.int8)
        seconds = frame["event_time"].to_numpy("datetime64[s]").astype(np.int64)
        self.seconds = seconds
        self.days = seconds // 86_400
        self.cards = pd.factorize(frame["card_token"])[0].astype(np.int64)
        self.amounts = frame["amount_cents"].to_numpy(np.float64) / 100.0

    def __len__(self):
        return len(self.y)

    def slice(self, start, stop):
        part = object.__new__(Period)
        for name in ("x", "y", "seconds", "days", "cards", "amounts"):
            setattr(part, name, getattr(self, name)[start:stop])
        return part


def read(path, head=None):
    columns = ["event_time", "card_token", "amount_cents", "is_fraud"] + BEHAVIOUR
    frame = pq.read_table(path, columns=columns).to_pandas()
    if head:
        frame = frame.iloc[:head]
    if frame["is_fraud"].isna().any():
        sys.exit(f"{path}: unlabelled rows; training and evaluation need labels")
    return Period(frame)


def split_validation(period, fraction=VALID_FRACTION):
    """Vigie's LabeledSet::split_validation."""
    n = len(period)
    cut = n - min(int(n * min(max(fraction, 0.0), 0.9)), n)
    while 0 < cut < n and period.seconds[cut] == period.seconds[cut - 1]:
        cut += 1
    return period.slice(0, cut), period.slice(cut, n)


# ---------------------------------------------------------------- metrics (vigie-model's)

def ranking(scores, labels):
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], labels[order].astype(np.int64)
    tp, fp = np.cumsum(y), np.cumsum(1 - y)
    ends = np.append(s[1:] != s[:-1], True)
    return s[ends], tp[ends], fp[ends], int(tp[-1]), int(fp[-1])


def roc_auc(scores, labels):
    _, tp, fp, p, n = ranking(scores, labels)
    prev_tp, prev_fp = np.append(0, tp[:-1]), np.append(0, fp[:-1])
    return float(((fp - prev_fp) * (tp + prev_tp)).sum() / (2.0 * p * n))


def average_precision(scores, labels):
    _, tp, fp, p, _ = ranking(scores, labels)
    prev_tp = np.append(0, tp[:-1])
    return float(((tp - prev_tp) / p * (tp / (tp + fp))).sum())


def best_f1_threshold(scores, labels):
    thresholds, tp, fp, p, _ = ranking(scores, labels)
    f1 = 2 * tp / (2 * tp + fp + (p - tp))
    best = int(np.argmax(f1))  # the first (highest) threshold reaching the best F1
    return float(thresholds[best]), float(f1[best])


def recall_at_fpr(scores, labels, max_fpr=0.01):
    _, tp, fp, p, n = ranking(scores, labels)
    ok = np.nonzero(fp / n <= max_fpr)[0]
    return float(tp[ok[-1]] / p) if len(ok) else 0.0


def card_precision_at_k(scores, period, k=100):
    frame = pd.DataFrame({"day": period.days, "card": period.cards, "score": scores,
                          "fraud": period.y == 1})
    cards = frame.groupby(["day", "card"], sort=False).agg(score=("score", "max"),
                                                           fraud=("fraud", "max")).reset_index()
    cards = cards.sort_values(["day", "score", "card"], ascending=[True, False, True])
    top = cards.groupby("day", sort=False).head(k)
    return float(top.groupby("day")["fraud"].mean().mean())


def evaluate(scores, period, threshold):
    y = period.y
    flagged = scores >= threshold
    tp = int((flagged & (y == 1)).sum())
    fp = int((flagged & (y == 0)).sum())
    fn = int((~flagged & (y == 1)).sum())
    fraud = y == 1
    return {
        "auc_roc": roc_auc(scores, y),
        "average_precision": average_precision(scores, y),
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0,
        "threshold": threshold,
        "recall_at_1pct_fpr": recall_at_fpr(scores, y),
        "card_precision_at_100": card_precision_at_k(scores, period),
        "fraud_amount_caught_pct": 100.0 * period.amounts[fraud & flagged].sum()
        / period.amounts[fraud].sum(),
        "flagged": tp + fp,
        "frauds": tp + fn,
    }


# ---------------------------------------------------------------- linear preprocessing

from sklearn.base import BaseEstimator, TransformerMixin  # noqa: E402


class ClipStandardiseOneHot(TransformerMixin, BaseEstimator):
    """Vigie's linear preprocessing (crates/model/src/linear/preprocess.rs):
    numeric columns clipped to the values of rank floor(q (n-1)) and
    ceil((1-q) (n-1)) of the training column (its min and max when those
    coincide), standardised with the mean and population standard deviation
    of the clipped values (scale 0 for a constant); `category` one-hot with
    all 14 levels kept."""

    def __init__(self, clip_quantile=0.001):
        self.clip_quantile = clip_quantile

    def fit(self, x, y=None):
        x = np.asarray(x)
        self.numeric_ = np.array([i for i in range(x.shape[1]) if i != CATEGORY])
        n = len(x)
        low_rank = int(np.floor(self.clip_quantile * (n - 1)))
        high_rank = int(np.ceil((1 - self.clip_quantile) * (n - 1)))
        lows, highs, means, inv_stds = [], [], [], []
        for i in self.numeric_:
            column = x[:, i].astype(np.float32)
            part = np.partition(column, [0, low_rank, high_rank, n - 1])
            low, high = part[low_rank], part[high_rank]
            if low == high:
                low, high = part[0], part[n - 1]
            clipped = np.clip(column, low, high).astype(np.float64)
            mean, std = clipped.mean(), clipped.std()
            lows.append(low), highs.append(high), means.append(mean)
            inv_stds.append(1.0 / std if std > 0 else 0.0)
        self.low_, self.high_ = np.array(lows, np.float64), np.array(highs, np.float64)
        self.mean_, self.inv_std_ = np.array(means), np.array(inv_stds)
        return self

    def transform(self, x):
        x = np.asarray(x)
        numeric = (np.clip(x[:, self.numeric_], self.low_, self.high_) - self.mean_) * self.inv_std_
        codes = x[:, CATEGORY].astype(np.int64)
        onehot = (codes[:, None] == np.arange(CATEGORY_LEVELS)[None, :]).astype(np.float64)
        return np.hstack([numeric, onehot])


# ---------------------------------------------------------------- families

class Fitted:
    """A fitted candidate: score(x) gives fraud probabilities, single(row)
    the probability of one 1 x n_features row."""

    def __init__(self, model, score, single, info="", single_threads=None):
        self.model, self.score, self.single, self.info = model, score, single, info
        # (set n_jobs to this for single rows, then back) for joblib-parallel models
        self.single_threads = single_threads


def logreg_candidates(n_fit, seed, args):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    def make(l2, weight):
        def fit(fit_set, valid):
            model = make_pipeline(ClipStandardiseOneHot(), LogisticRegression(
                C=1.0 / (l2 * n_fit), class_weight=weight, solver="lbfgs", max_iter=2000,
                tol=1e-6))
            model.fit(fit_set.x, fit_set.y)
            its = int(model[-1].n_iter_[0])
            return Fitted(model, lambda x: model.predict_proba(x)[:, 1],
                          lambda row: model.predict_proba(row)[0, 1], f"{its} lbfgs iterations")
        return fit

    return [("l2 1e-6", make(1e-6, None)), ("l2 1e-3", make(1e-3, None)),
            ("l2 1e-6, balanced classes", make(1e-6, "balanced"))]


def svm_candidates(n_fit, seed, args):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator
    from sklearn.kernel_approximation import RBFSampler
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.svm import LinearSVC

    def make(l2, rff=False):
        def fit(fit_set, valid):
            steps = [ClipStandardiseOneHot()]
            if rff:
                steps.append(FeatureUnion([
                    ("linear", FunctionTransformer()),
                    ("fourier", RBFSampler(gamma=0.02, n_components=512, random_state=seed))]))
            svc = make_pipeline(*steps, LinearSVC(C=1.0 / (l2 * n_fit), loss="squared_hinge",
                                                  dual=False, max_iter=10_000))
            svc.fit(fit_set.x, fit_set.y)
            model = CalibratedClassifierCV(FrozenEstimator(svc), method="sigmoid")
            model.fit(valid.x, valid.y)
            its = int(np.max(svc[-1].n_iter_))
            return Fitted(model, lambda x: model.predict_proba(x)[:, 1],
                          lambda row: model.predict_proba(row)[0, 1],
                          f"{its} liblinear iterations")
        return fit

    out = [("l2 1e-6", make(1e-6)), ("l2 1e-3", make(1e-3))]
    if args.svm_rff:
        out.append(("random Fourier features 512 (approximate RBF kernel)", make(1e-6, True)))
    return out


def forest_candidates(n_fit, seed, args):
    from sklearn.ensemble import RandomForestClassifier

    def make(depth, leaf):
        def fit(fit_set, valid):
            model = RandomForestClassifier(n_estimators=100, max_depth=depth, min_samples_leaf=leaf,
                                           max_features="sqrt", bootstrap=True, n_jobs=args.threads,
                                           random_state=seed)
            model.fit(fit_set.x, fit_set.y)
            leaves = sum(t.get_n_leaves() for t in model.estimators_)
            return Fitted(model, lambda x: model.predict_proba(x)[:, 1],
                          lambda row: model.predict_proba(row)[0, 1], f"{leaves} leaves",
                          single_threads=1)  # one thread: the fastest for single rows
        return fit

    return [("100 trees, depth 16", make(16, 5)),
            ("100 trees, unlimited depth, leaves >= 20", make(None, 20))]


def lightgbm_candidates(n_fit, seed, args):
    import lightgbm as lgb

    def make(rounds, **tweak):
        params = {
            "objective": "binary", "learning_rate": 0.1, "num_leaves": 31, "min_data_in_leaf": 50,
            "min_sum_hessian_in_leaf": 1e-3, "lambda_l2": 1.0, "max_bin": 255,
            "num_threads": args.threads, "seed": seed, "verbose": -1, "metric": "binary_logloss",
        }
        params.update(tweak)

        def fit(fit_set, valid):
            train = lgb.Dataset(fit_set.x, fit_set.y, categorical_feature=[CATEGORY],
                                feature_name=BEHAVIOUR, free_raw_data=True)
            check = lgb.Dataset(valid.x, valid.y, reference=train)
            booster = lgb.train(params, train, num_boost_round=rounds, valid_sets=[check],
                                callbacks=[lgb.early_stopping(50, verbose=False)])
            best = booster.best_iteration
            return Fitted(booster, lambda x: booster.predict(x, num_iteration=best),
                          lambda row: booster.predict(row, num_iteration=best)[0],
                          f"{best} trees kept")
        return fit

    return [("lr 0.1, 31 leaves", make(1000)),
            ("lr 0.05, 63 leaves, 80% features",
             make(2000, learning_rate=0.05, num_leaves=63, feature_fraction=0.8)),
            ("lr 0.1, 15 leaves, l2 10", make(1000, num_leaves=15, lambda_l2=10.0))]


def hgb_candidates(n_fit, seed, args):
    from sklearn.ensemble import HistGradientBoostingClassifier

    def make(rounds, **tweak):
        params = dict(learning_rate=0.1, max_iter=rounds, max_leaf_nodes=31, min_samples_leaf=50,
                      l2_regularization=1.0, max_bins=255, categorical_features=[CATEGORY],
                      early_stopping=True, n_iter_no_change=50, scoring="loss", random_state=seed)
        params.update(tweak)

        def fit(fit_set, valid):
            model = HistGradientBoostingClassifier(**params)
            model.fit(fit_set.x, fit_set.y, X_val=valid.x, y_val=valid.y)
            return Fitted(model, lambda x: model.predict_proba(x)[:, 1],
                          lambda row: model.predict_proba(row)[0, 1],
                          f"{model.n_iter_} iterations")
        return fit

    return [("lr 0.1, 31 leaves", make(1000)),
            ("lr 0.05, 63 leaves, 80% features",
             make(2000, learning_rate=0.05, max_leaf_nodes=63, max_features=0.8)),
            ("lr 0.1, 15 leaves, l2 10", make(1000, max_leaf_nodes=15, l2_regularization=10.0))]


FAMILIES = {"logreg": logreg_candidates, "svm": svm_candidates, "forest": forest_candidates,
            "lightgbm": lightgbm_candidates, "hgb": hgb_candidates}


# ---------------------------------------------------------------- timing

def latency(fitted, test, rows, passes=3):
    n = len(test)
    step = max(n // max(rows, 1), 1)
    picked = [np.ascontiguousarray(test.x[i:i + 1]) for i in range(0, n, step)[:rows]]
    single = fitted.single
    threads = None
    if fitted.single_threads is not None:
        threads = fitted.model.get_params()["n_jobs"]
        fitted.model.set_params(n_jobs=fitted.single_threads)
    best50, best99 = float("inf"), float("inf")
    for _ in range(passes):
        times = np.empty(len(picked))
        sink = 0.0
        for j, row in enumerate(picked):
            start = time.perf_counter_ns()
            sink += single(row)
            times[j] = (time.perf_counter_ns() - start) / 1e3
        times.sort()
        pct = lambda q: float(times[min(int(len(times) * q), len(times) - 1)])  # noqa: E731
        best50, best99 = min(best50, pct(0.50)), min(best99, pct(0.99))
    if threads is not None:
        fitted.model.set_params(n_jobs=threads)
    best_batch = float("inf")
    for _ in range(passes):
        start = time.perf_counter()
        fitted.score(test.x)
        best_batch = min(best_batch, time.perf_counter() - start)
    return {"predict_us_p50": best50, "predict_us_p99": best99,
            "batch_rows_per_second": n / max(best_batch, 1e-9)}


def model_bytes(fitted):
    model = fitted.model
    if hasattr(model, "model_to_string"):
        return len(model.model_to_string().encode())
    return len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))


def train_family(name, fit_set, valid, test, args):
    tried, best = [], None
    for label, fit in FAMILIES[name](len(fit_set), args.seed, args):
        start = time.perf_counter()
        fitted = fit(fit_set, valid)
        seconds = time.perf_counter() - start
        valid_scores = fitted.score(valid.x)
        ap = average_precision(valid_scores, valid.y)
        say(f"  {name} [{label}]: validation AP {ap:.4f} ({seconds:.1f} s; {fitted.info})")
        tried.append({"label": label, "valid_average_precision": ap, "train_seconds": seconds,
                      "info": fitted.info})
        if best is None or ap > best[2]:
            best = (label, fitted, ap, valid_scores, seconds, fit)
        else:
            del fitted
    label, fitted, _, valid_scores, seconds, fit = best
    fit_times = [seconds]
    for _ in range(args.repeats - 1):
        start = time.perf_counter()
        fit(fit_set, valid)
        fit_times.append(time.perf_counter() - start)
    threshold, _ = best_f1_threshold(valid_scores, valid.y)
    validation = evaluate(valid_scores, valid, threshold)
    test_scores = fitted.score(test.x)
    result = {"model": name, **evaluate(test_scores, test, threshold)}
    result.update(train_seconds=min(fit_times), train_seconds_all=fit_times,
                  **latency(fitted, test, args.latency_rows), model_bytes=model_bytes(fitted),
                  chosen=label, candidates=tried, validation=validation)
    say(f"{name}: test AP {result['average_precision']:.4f}, F1 {result['f1']:.4f} at threshold "
        f"{threshold:.3f} (chosen on validation); fit {', '.join(f'{t:.1f}' for t in fit_times)} s; "
        f"p99 {result['predict_us_p99']:.1f} us")
    return result


# ---------------------------------------------------------------- output

def table(models, best=None):
    lines = ["| model | " + " | ".join(c[0] for c in COLUMNS) + " |",
             "|---|" + "---|" * len(COLUMNS)]
    for m in models:
        name = m["model"] + (" (best on validation)" if m["model"] == best else "")
        cells = []
        for _, key, fmt in COLUMNS:
            cells.append(fmt.format(m[key]) if m.get(key) is not None else "-")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def versions():
    import lightgbm
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info
    return {"python": platform.python_version(), "numpy": np.__version__,
            "pandas": pd.__version__, "pyarrow": pyarrow.__version__, "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__, "lightgbm": lightgbm.__version__,
            "blas": sorted({f"{p['internal_api']} {p.get('version')} {p.get('architecture', '')}"
                            for p in threadpool_info() if p["user_api"] == "blas"})}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("train", nargs="?")
    parser.add_argument("test", nargs="?")
    parser.add_argument("--models", default="logreg,svm,forest,lightgbm",
                        help=f"comma-separated, among {','.join(ALL_MODELS)}")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeats", type=int, default=2,
                        help="fits of the chosen candidate (the fastest is reported)")
    parser.add_argument("--latency-rows", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--svm-rff", action="store_true",
                        help="also try the SVM on 512 random Fourier features (~15 GB)")
    parser.add_argument("--head", type=int, help="only the first N rows of each file (smoke test)")
    parser.add_argument("--table", metavar="JSON", nargs="+",
                        help="print the table of `vigie train --json` or --json outputs "
                             "(several: their rows in one table) and exit")
    args = parser.parse_args()

    if args.table:
        reports = []
        for path in args.table:
            with open(path) as f:
                reports.append(json.load(f))
        best = reports[0].get("best") if len(reports) == 1 else None
        print(table([m for r in reports for m in r["models"]], best))
        return
    if not (args.train and args.test):
        parser.error("TRAIN and TEST feature files are needed")
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in models if m not in FAMILIES]
    if unknown:
        parser.error(f"unknown model {unknown}: use {','.join(ALL_MODELS)}")

    from threadpoolctl import threadpool_limits
    threadpool_limits(args.threads)
    started = time.perf_counter()
    everything = read(args.train, args.head)
    test = read(args.test, args.head)
    if test.seconds[0] < everything.seconds[-1]:
        sys.exit("the test file starts before the training file ends")
    fit_set, valid = split_validation(everything)
    del everything
    data = {"fit_rows": len(fit_set), "fit_frauds": int(fit_set.y.sum()),
            "valid_rows": len(valid), "valid_frauds": int(valid.y.sum()),
            "test_rows": len(test), "test_frauds": int(test.y.sum())}
    say(f"fitting on {data['fit_rows']} rows ({data['fit_frauds']} frauds), validating on "
        f"{data['valid_rows']} rows ({data['valid_frauds']} frauds), testing on {data['test_rows']} "
        f"rows ({data['test_frauds']} frauds); {len(BEHAVIOUR)} features; {args.threads} threads")
    results = [train_family(m, fit_set, valid, test, args) for m in models]
    best = max(results, key=lambda r: r["validation"]["average_precision"])["model"]
    report = {"models": results, "best": best, "features": BEHAVIOUR, "data": data,
              "threads": args.threads, "repeats": args.repeats,
              "latency_rows": args.latency_rows, "seed": args.seed, "versions": versions(),
              "cpu_count": os.cpu_count(), "seconds": time.perf_counter() - started}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(table(results, best))


if __name__ == "__main__":
    main()
