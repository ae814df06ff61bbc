"""LightGBM on the feature CSVs of bench/tree_features.py, with the same
settings as Vigie's `train_trees` example: the reference for training time
and quality of vigie-model's GBDT.

python bench/lightgbm_train.py PREFIX [THREADS]
  (reads PREFIX_train.csv, PREFIX_test.csv; the last 10 % of train rows are
   the validation set; prints train seconds, test AUC and AP)
"""
import sys
import time

import lightgbm as lgb
import numpy as np
import pandas as pd


def roc_auc_score(labels: pd.Series, scores: np.ndarray) -> float:
    """Area under the ROC curve by mid-ranks (ties count half)."""
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    y = labels.to_numpy() == 1
    pos, neg = y.sum(), (~y).sum()
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def average_precision_score(labels: pd.Series, scores: np.ndarray) -> float:
    """Mean precision at each positive, scores descending."""
    y = labels.to_numpy()[np.argsort(-scores, kind="stable")] == 1
    precision = np.cumsum(y) / np.arange(1, len(y) + 1)
    return float(precision[y].mean())


def main() -> None:
    prefix = sys.argv[1]
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    train = pd.read_csv(f"{prefix}_train.csv")
    test = pd.read_csv(f"{prefix}_test.csv")
    cut = len(train) * 9 // 10
    features = [c for c in train.columns if c != "is_fraud"]
    categorical = ["category"] if "category" in features else []
    fit, valid = train.iloc[:cut], train.iloc[cut:]
    params = {
        "objective": "binary", "learning_rate": 0.1, "num_leaves": 31, "min_data_in_leaf": 20,
        "min_sum_hessian_in_leaf": 1e-3, "lambda_l2": 1.0, "max_bin": 255, "num_threads": threads,
        "verbose": -1, "seed": 0, "deterministic": True, "force_col_wise": False,
    }
    start = time.perf_counter()
    dtrain = lgb.Dataset(fit[features], fit["is_fraud"], categorical_feature=categorical)
    dvalid = lgb.Dataset(valid[features], valid["is_fraud"], reference=dtrain)
    booster = lgb.train(params, dtrain, num_boost_round=300, valid_sets=[dvalid])
    secs = time.perf_counter() - start
    scores = booster.predict(test[features], raw_score=True)
    print(f"lightgbm {lgb.__version__} 300 trees x 31 leaves: train {secs:.2f} s "
          f"({len(fit) / secs:.0f} rows/s), test AUC {roc_auc_score(test['is_fraud'], scores):.4f} "
          f"AP {average_precision_score(test['is_fraud'], scores):.4f}")


if __name__ == "__main__":
    main()
