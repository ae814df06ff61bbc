"""Per-card features from Kaggle-layout CSVs, written as numeric CSVs, so that
Vigie's trees (`cargo run --release -p vigie-model --example train_trees`)
and LightGBM (`bench/lightgbm_train.py`) train on exactly the same matrix.

A stand-in until the feature engine exists: every feature uses only the
card's past (windows closed on the left), computed over train and test
together in time order, then split back.

python bench/tree_features.py TRAIN.csv TEST.csv OUT_PREFIX
  -> OUT_PREFIX_train.csv, OUT_PREFIX_test.csv (label column `is_fraud`,
     `category` is a categorical code 0..13)
"""
import sys
import time

import numpy as np
import pandas as pd

COLUMNS = ["trans_date_trans_time", "cc_num", "category", "amt", "gender", "lat", "long",
           "city_pop", "dob", "merch_lat", "merch_long", "is_fraud"]


def features(df: pd.DataFrame) -> pd.DataFrame:
    df = df.sort_values(["ts"], kind="stable").reset_index(drop=True)
    out = pd.DataFrame(index=df.index)
    out["category"] = df["category"].astype("category").cat.codes.astype(np.int32)
    out["amt"] = df["amt"]
    out["hour"] = df["ts"].dt.hour
    out["weekday"] = df["ts"].dt.weekday
    out["age"] = (df["ts"] - df["dob"]).dt.days / 365.25
    out["gender"] = (df["gender"] == "M").astype(np.int32)
    out["city_pop"] = df["city_pop"]
    lat1, lon1, lat2, lon2 = (np.radians(df[c]) for c in ["lat", "long", "merch_lat", "merch_long"])
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    out["dist_km"] = 6371.0 * 2 * np.arcsin(np.sqrt(a))

    g = df.groupby("cc_num", sort=False)
    out["secs_since_prev"] = (df["ts"] - g["ts"].shift(1)).dt.total_seconds().fillna(1e9)
    out["card_count"] = g.cumcount()
    prev_sum = g["amt"].cumsum() - df["amt"]
    out["amt_over_card_mean"] = (df["amt"] / (prev_sum / out["card_count"]).replace(0, np.nan)).fillna(1.0)
    cat_prev = df.groupby(["cc_num", "category"], sort=False)["amt"]
    cat_count = cat_prev.cumcount()
    out["amt_over_card_cat_mean"] = (df["amt"] / ((cat_prev.cumsum() - df["amt"]) / cat_count)).replace(
        [np.inf, -np.inf], np.nan).fillna(1.0)
    out["card_cat_share"] = (cat_count / out["card_count"].replace(0, np.nan)).fillna(0.0)

    indexed = df.set_index("ts")
    for window in ["1h", "24h", "7D"]:
        rolled = indexed.groupby("cc_num", sort=True)["amt"].rolling(window, closed="left")
        stats = pd.DataFrame({"count": rolled.count(), "sum": rolled.sum()})
        # groupby-rolling returns rows sorted by card, in file order within a card
        order = df.sort_values(["cc_num", "ts"], kind="stable").index
        out.loc[order, f"n_{window}"] = stats["count"].fillna(0).to_numpy()
        out.loc[order, f"sum_{window}"] = stats["sum"].fillna(0).to_numpy()
    out["amt_over_mean_7d"] = (df["amt"] / (out["sum_7D"] / out["n_7D"]).replace(0, np.nan)).fillna(1.0)
    night = ((out["hour"] >= 22) | (out["hour"] < 4)).astype(np.int32)
    out["night"] = night
    out["night_share_24h"] = 0.0
    rolled_night = (indexed.assign(night=night.to_numpy()).groupby("cc_num", sort=True)["night"]
                    .rolling("24h", closed="left").sum())
    order = df.sort_values(["cc_num", "ts"], kind="stable").index
    out.loc[order, "night_share_24h"] = (rolled_night.fillna(0).to_numpy()
                                         / np.maximum(out.loc[order, "n_24h"].to_numpy(), 1))
    out["is_fraud"] = df["is_fraud"]
    out["is_test"] = df["is_test"]
    return out


def main() -> None:
    train_path, test_path, prefix = sys.argv[1:4]
    start = time.perf_counter()
    parts = []
    for path, is_test in [(train_path, 0), (test_path, 1)]:
        part = pd.read_csv(path, usecols=COLUMNS)
        part["is_test"] = is_test
        parts.append(part)
    df = pd.concat(parts, ignore_index=True)
    df["ts"] = pd.to_datetime(df["trans_date_trans_time"])
    df["dob"] = pd.to_datetime(df["dob"])
    out = features(df)
    for name, flag in [("train", 0), ("test", 1)]:
        part = out[out["is_test"] == flag].drop(columns=["is_test"])
        part.to_csv(f"{prefix}_{name}.csv", index=False, float_format="%.6g")
        print(f"{prefix}_{name}.csv: {len(part)} rows x {part.shape[1] - 1} features, "
              f"{int(part['is_fraud'].sum())} frauds")
    print(f"features in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
