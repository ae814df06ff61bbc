"""Trains the comparison service's model on a Kaggle-layout training CSV.

    python train.py --train fraudTrain.csv --out model_dir [--model hgb|rf|logreg]

Replays the file in event-time order through features.observe (the code the
service runs per request), fits the model on the first 80 % of the rows by
time, picks the thresholds on the last 20 % (block = best F1, review = best
F2, as Vigie does), and saves model.joblib (model, feature names,
thresholds) and state.joblib (the per-card histories at the end of the
training file, to serve the following period warm).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, precision_recall_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import features

TEXT = {"cc_num": str, "zip": str, "trans_num": str}


def read(path: str, max_rows: int | None) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=TEXT, nrows=max_rows)
    frame = frame.drop(columns=[c for c in frame.columns if c.startswith("Unnamed") or c == ""])
    return frame.sort_values(["unix_time"], kind="stable").reset_index(drop=True)


def feature_matrix(frame: pd.DataFrame) -> tuple[np.ndarray, dict]:
    cards: dict = {}
    columns = ["trans_date_trans_time", "cc_num", "category", "amt", "lat", "long", "city_pop",
               "dob", "unix_time", "merch_lat", "merch_long"]
    rows = [features.observe(cards, dict(zip(columns, values)))
            for values in frame[columns].itertuples(index=False, name=None)]
    return np.asarray(rows, dtype=np.float64), cards


def make_model(kind: str):
    if kind == "hgb":
        return HistGradientBoostingClassifier(max_iter=300, learning_rate=0.1, max_leaf_nodes=31,
                                              categorical_features=[features.FEATURES.index("category_code")],
                                              random_state=7)
    if kind == "rf":
        return RandomForestClassifier(n_estimators=100, max_depth=16, n_jobs=-1, random_state=7)
    if kind == "logreg":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=1.0))
    raise SystemExit(f"unknown model {kind}")


def best_threshold(y: np.ndarray, scores: np.ndarray, beta: float) -> float:
    precision, recall, thresholds = precision_recall_curve(y, scores)
    b2 = beta * beta
    f = (1 + b2) * precision * recall / np.maximum(b2 * precision + recall, 1e-12)
    return float(thresholds[int(np.argmax(f[:-1]))])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--model", default="hgb", choices=["hgb", "rf", "logreg"])
    parser.add_argument("--max-rows", type=int)
    args = parser.parse_args()

    started = time.perf_counter()
    frame = read(args.train, args.max_rows)
    x, cards = feature_matrix(frame)
    y = frame["is_fraud"].to_numpy(dtype=np.int8)
    prepared = time.perf_counter() - started
    cut = int(len(frame) * 0.8)
    model = make_model(args.model)
    x_fit = pd.DataFrame(x[:cut], columns=features.FEATURES)
    x_val = pd.DataFrame(x[cut:], columns=features.FEATURES)
    fit_started = time.perf_counter()
    model.fit(x_fit, y[:cut])
    fitted = time.perf_counter() - fit_started
    val_scores = model.predict_proba(x_val)[:, 1]
    block = best_threshold(y[cut:], val_scores, 1.0)
    review = min(block, best_threshold(y[cut:], val_scores, 2.0))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    joblib.dump({"model": model, "features": features.FEATURES, "name": f"sklearn-{args.model}",
                 "review_threshold": review, "block_threshold": block}, out / "model.joblib")
    joblib.dump(cards, out / "state.joblib")
    print(f"{len(frame)} rows ({int(y.sum())} frauds), features {prepared:.1f} s, fit {fitted:.1f} s; "
          f"validation AP {average_precision_score(y[cut:], val_scores):.4f}; "
          f"thresholds review {review:.4f} block {block:.4f}; {len(cards)} cards -> {out}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
