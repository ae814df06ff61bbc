"""Builds a numeric feature matrix from a file in the Kaggle fraudTrain layout,
for comparing Vigie's linear models with scikit-learn on the same features.

    python bench/make_matrix.py /tmp/vdata/train.csv /tmp/linear-data/matrix.csv

Output: a CSV with a header of feature names, one row per transaction in file
(time) order, the last column `is_fraud`. Every per-card feature uses only the
card's transactions up to and including the current one (no look-ahead), so a
time split of the matrix is leak-free. The card number is only used to group
rows and is not written. Categorical columns (codes 0..levels-1): `category`,
`hour`, `dow`.
"""

import sys

import numpy as np
import pandas as pd

HOUR = 3600
DAY = 24 * HOUR


def window_stats(card, t, amt, seconds):
    """Count and amount sum of the card's transactions in (t - seconds, t],
    current included. `card` and `t` must be sorted by (card, t)."""
    key = card.astype(np.int64) * 10**10 + t
    start = np.searchsorted(key, key - seconds, side="right")
    idx = np.arange(len(key))
    cum = np.concatenate([[0.0], np.cumsum(amt)])
    count = idx - start + 1
    total = cum[idx + 1] - cum[start]
    return count, total


def main(src, dst):
    cols = ["trans_date_trans_time", "cc_num", "category", "amt", "gender", "lat",
            "long", "city_pop", "dob", "merch_lat", "merch_long", "is_fraud"]
    df = pd.read_csv(src, usecols=cols, dtype={"cc_num": "int64"})
    ts = pd.to_datetime(df["trans_date_trans_time"], format="%Y-%m-%d %H:%M:%S")
    t = ((ts - ts.min()).dt.total_seconds()).to_numpy(np.int64)
    card = pd.factorize(df["cc_num"])[0]
    amt = df["amt"].to_numpy(np.float64)

    out = pd.DataFrame(index=df.index)
    out["amt"] = amt
    out["log_amt"] = np.log1p(amt)
    out["category"] = pd.Categorical(df["category"]).codes  # alphabetical codes
    hour = ts.dt.hour.to_numpy()
    out["hour"] = hour
    out["night"] = ((hour >= 22) | (hour < 4)).astype(np.int8)
    out["dow"] = ts.dt.day_of_week.to_numpy()
    dob = pd.to_datetime(df["dob"], format="%Y-%m-%d")
    out["age"] = (ts - dob).dt.days / 365.25
    out["gender_m"] = (df["gender"] == "M").astype(np.int8)
    out["log_city_pop"] = np.log1p(df["city_pop"].to_numpy(np.float64))
    lat1, lon1 = np.radians(df["lat"]), np.radians(df["long"])
    lat2, lon2 = np.radians(df["merch_lat"]), np.radians(df["merch_long"])
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    out["distance_km"] = 6371.0 * 2 * np.arcsin(np.sqrt(a))

    # Per-card windows, computed on rows sorted by (card, time) then put back.
    order = np.lexsort((np.arange(len(t)), t, card))
    c_s, t_s, a_s = card[order], t[order], amt[order]
    night_s = out["night"].to_numpy()[order].astype(np.float64)
    feats = {}
    for name, seconds in [("1h", HOUR), ("24h", DAY), ("7d", 7 * DAY)]:
        count, total = window_stats(c_s, t_s, a_s, seconds)
        feats[f"card_count_{name}"] = count
        feats[f"card_amt_sum_{name}"] = total
    feats["card_night_count_24h"] = window_stats(c_s, t_s, night_s, DAY)[1]
    for name, values in feats.items():
        back = np.empty(len(values), dtype=np.float64)
        back[order] = values
        out[name] = back
    out["amt_ratio_24h"] = amt / (out["card_amt_sum_24h"] / out["card_count_24h"])
    out["amt_ratio_7d"] = amt / (out["card_amt_sum_7d"] / out["card_count_7d"])

    # Expanding (past-only) per-card and per-card-category means.
    by_card = pd.Series(amt).groupby(card)
    past_n = by_card.cumcount().to_numpy()
    past_sum = by_card.cumsum().to_numpy() - amt
    past_mean = np.where(past_n > 0, past_sum / np.maximum(past_n, 1), amt)
    out["amt_ratio_card_mean"] = amt / past_mean
    out["log_card_history"] = np.log1p(past_n)
    by_card_cat = pd.Series(amt).groupby([card, out["category"].to_numpy()])
    cat_n = by_card_cat.cumcount().to_numpy()
    cat_sum = by_card_cat.cumsum().to_numpy() - amt
    cat_mean = np.where(cat_n > 0, cat_sum / np.maximum(cat_n, 1), amt)
    out["amt_ratio_card_category_mean"] = amt / cat_mean
    gap = pd.Series(t).groupby(card).diff().fillna(30 * DAY).to_numpy()
    out["log_secs_since_prev"] = np.log1p(gap)

    out["is_fraud"] = df["is_fraud"].to_numpy()
    out.to_csv(dst, index=False, float_format="%.7g")
    print(f"{dst}: {len(out)} rows, {out.shape[1] - 1} features, "
          f"{int(out['is_fraud'].sum())} frauds")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
