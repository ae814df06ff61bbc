"""A straightforward pandas implementation of Vigie's feature catalogue
(docs/features.md), the reference `vigie features` is timed against.

python bench/features_pandas.py FILE.csv [--compare VIGIE_FEATURES.parquet] [--rows N]

It reads the Kaggle-layout CSV, sorts by (event time, trans_num), computes
every feature per card with groupby / rolling / expanding (and a Python
function where pandas has no vectorised form: distinct merchants and
categories in 24 h, largest amount in 30 days), and prints the time. With
--compare it checks every feature against Vigie's output, row by row.
"""
import argparse
import sys
import time

import numpy as np
import pandas as pd

WINDOWS = {"10m": 600, "1h": 3600, "24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400}
RETENTION = 30 * 86400
CATEGORIES = sorted([
    "entertainment", "food_dining", "gas_transport", "grocery_net", "grocery_pos",
    "health_fitness", "home", "kids_pets", "misc_net", "misc_pos", "personal_care",
    "shopping_net", "shopping_pos", "travel",
])


def haversine_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(x, dtype=float)) for x in (lat1, lon1, lat2, lon2))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.minimum(np.sqrt(h), 1.0))


def previous_rows(window_apply):
    """A rolling().apply function over the window minus its last row (the
    current transaction)."""
    return lambda x: window_apply(x[:-1]) if len(x) > 1 else np.nan


def features(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["t"] = pd.to_datetime(df["trans_date_trans_time"])
    # Sorted by card, then (time, trans_num): every groupby(card) result below
    # comes out in this same row order.
    df = df.sort_values(["cc_num", "t", "trans_num"], kind="mergesort").reset_index(drop=True)
    secs = df["t"].astype("datetime64[s]").astype("int64")
    df["secs"] = secs
    out = pd.DataFrame(index=df.index)
    amt = df["amt"].astype(float)
    out["amount"] = amt
    out["log_amount"] = np.log1p(amt)
    out["category"] = df["category"].map({c: i for i, c in enumerate(CATEGORIES)}).astype(float)
    hour = df["t"].dt.hour
    out["hour"] = hour
    out["day_of_week"] = df["t"].dt.day_of_week
    night = ((hour >= 22) | (hour < 4)).astype(int)
    out["is_night"] = night
    out["is_weekend"] = (df["t"].dt.day_of_week >= 5).astype(int)
    out["home_merchant_km"] = haversine_km(df["lat"], df["long"], df["merch_lat"], df["merch_long"])
    dob = pd.to_datetime(df["dob"])
    age = df["t"].dt.year - dob.dt.year
    before_birthday = (df["t"].dt.month < dob.dt.month) | (
        (df["t"].dt.month == dob.dt.month) & (df["t"].dt.day < dob.dt.day))
    out["age_years"] = age - before_birthday.astype(int)
    out["gender_male"] = (df["gender"] == "M").astype(int)
    out["log_city_pop"] = np.log1p(df["city_pop"].astype(float))

    card = df["cc_num"]
    g = df.assign(amt_c=amt, one=1.0).set_index("t").groupby(card.values)
    # Rolling windows over (t - w, t], current row included, then removed.
    for name, w in WINDOWS.items():
        r = g.rolling(f"{w}s", closed="right")
        out[f"txn_count_{name}"] = r["one"].sum().values - 1
        out[f"amount_sum_{name}"] = np.round(r["amt_c"].sum().values - amt.values, 2)
    # Previous transaction within 30 days.
    prev_secs = df.groupby(card)["secs"].shift()
    since = secs - prev_secs
    recent = since < RETENTION
    out["seconds_since_prev"] = np.where(recent, since, RETENTION).astype(float)
    plat = df.groupby(card)["merch_lat"].shift().astype(np.float32).astype(float)
    plon = df.groupby(card)["merch_long"].shift().astype(np.float32).astype(float)
    km = np.where(recent, haversine_km(plat.fillna(0), plon.fillna(0), df["merch_lat"], df["merch_long"]), 0.0)
    out["prev_merchant_km"] = km
    out["speed_from_prev_kmh"] = km / (np.maximum(out["seconds_since_prev"], 60) / 3600.0)
    # Running statistics over the whole history, before the transaction.
    by_card = amt.groupby(card)
    mean = by_card.transform(lambda s: s.expanding().mean().shift())
    sd = by_card.transform(lambda s: s.expanding().std().shift())
    n = df.groupby(card).cumcount()
    out["amount_to_card_mean"] = np.where(n > 0, amt / mean, 1.0)
    out["amount_card_zscore"] = np.where(n >= 2, (amt - mean) / np.maximum(sd.fillna(0), 1.0), 0.0)
    by_cat = amt.groupby([card, df["category"]])
    cmean = by_cat.transform(lambda s: s.expanding().mean().shift())
    csd = by_cat.transform(lambda s: s.expanding().std().shift())
    cn = df.groupby([card, df["category"]]).cumcount()
    out["amount_to_category_mean"] = np.where(cn > 0, amt / cmean, 1.0)
    out["amount_category_zscore"] = np.where(cn >= 2, (amt - cmean) / np.maximum(csd.fillna(0), 1.0), 0.0)
    # Largest amount and distinct merchants / categories: no vectorised form.
    codes_m = df["merchant"].astype("category").cat.codes.astype(float)
    codes_c = out["category"]
    frame = pd.DataFrame({"t": df["t"], "amt": amt, "m": codes_m, "c": codes_c, "night": night.astype(float)})
    gg = frame.set_index("t").groupby(card.values)
    mx = gg["amt"].rolling("30D", closed="right").apply(previous_rows(np.max), raw=True).values
    dm = gg["m"].rolling("1D", closed="right").apply(previous_rows(lambda x: len(set(x))), raw=True).values
    dc = gg["c"].rolling("1D", closed="right").apply(previous_rows(lambda x: len(set(x))), raw=True).values
    nn = gg["night"].rolling("1D", closed="right").sum().values
    out["amount_to_max_30d"] = np.where(np.isnan(mx), 1.0, amt.values / mx)
    out["distinct_merchants_24h"] = np.nan_to_num(dm)
    out["distinct_categories_24h"] = np.nan_to_num(dc)
    out["night_count_24h"] = nn - night.values
    out["category_first_use"] = (cn == 0).astype(int)
    first = df.groupby(card)["secs"].transform("min")
    seen = (secs - first) / 86400.0
    out["card_seen_days"] = seen
    daily = n / np.maximum(seen, 1.0)
    out["count_24h_to_daily_mean"] = (out["txn_count_24h"] + 1) / (daily + 1)
    night_before = df.assign(night=night).groupby(card)["night"].cumsum() - night
    out["card_night_share"] = np.where(n > 0, night_before / np.maximum(n, 1), 0.0)
    out["trans_num"] = df["trans_num"].values
    out["event_time"] = df["t"].values
    out["amount_cents"] = np.round(amt.values * 100).astype("int64")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--compare")
    ap.add_argument("--rows", type=int)
    args = ap.parse_args()
    start = time.perf_counter()
    df = pd.read_csv(args.file, nrows=args.rows, dtype={"cc_num": str})
    read = time.perf_counter() - start
    feats = features(df)
    total = time.perf_counter() - start
    print(f"pandas {pd.__version__} features: {len(feats)} rows, read {read:.2f} s, total {total:.2f} s")
    if args.compare:
        vigie = pd.read_parquet(args.compare)
        if args.rows:
            raise SystemExit("--compare needs the whole file (no --rows)")
        vigie["event_time"] = vigie["event_time"].astype(feats["event_time"].dtype)
        keys = ["trans_num", "event_time", "amount_cents"]
        merged = feats.merge(vigie, on=keys, suffixes=("_pandas", "_vigie"))
        assert len(merged) == len(feats) == len(vigie), (len(merged), len(feats), len(vigie))
        worst = 0
        for name in [c for c in feats.columns if c not in keys]:
            a = merged[f"{name}_pandas"].astype(float).values
            b = merged[f"{name}_vigie"].astype(float).values
            bad = ~np.isclose(a, b, rtol=1e-4, atol=1e-3)
            worst = max(worst, int(bad.sum()))
            status = "ok" if not bad.any() else f"{int(bad.sum())} rows differ, e.g. pandas {a[bad][:3]} vigie {b[bad][:3]}"
            print(f"  {name:26s} {status}")
        sys.exit(1 if worst else 0)


if __name__ == "__main__":
    main()
