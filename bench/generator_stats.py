#!/usr/bin/env python3
"""Compare two transaction files in the Kaggle fraudTrain/fraudTest layout.

Usage:
    python bench/generator_stats.py A.csv B.csv [--names A B]

Prints Markdown tables, one column per file: fraud rate, transactions per card
per day, amount quantiles per category (legitimate and fraud), the hour-of-day
profile, the category mix, the day-of-week mix and a few customer facts. Used
to calibrate Vigie's generator (crates/synth) against reference data; see
docs/data-generator.md.

Card numbers are read as text and never printed.
"""

import argparse
import sys

import numpy as np
import pandas as pd

COLUMNS = [
    "trans_date_trans_time",
    "cc_num",
    "category",
    "amt",
    "city_pop",
    "dob",
    "is_fraud",
]


def load(path):
    df = pd.read_csv(path, usecols=COLUMNS, dtype={"cc_num": str, "category": "category"})
    df["t"] = pd.to_datetime(df["trans_date_trans_time"], format="%Y-%m-%d %H:%M:%S")
    df["date"] = df["t"].dt.normalize()
    df["hour"] = df["t"].dt.hour
    return df


def pct(x):
    return f"{100.0 * x:.2f} %"


def summary(df):
    """Scalar facts about one file, as formatted strings keyed by row name."""
    out = {}
    legit = df[df.is_fraud == 0]
    fraud = df[df.is_fraud == 1]
    days = (df.date.max() - df.date.min()).days + 1
    out["rows"] = f"{len(df):,}"
    out["cards"] = f"{df.cc_num.nunique():,}"
    out["period (days)"] = f"{days}"
    out["fraud rate"] = pct(df.is_fraud.mean())
    out["frauds per card with fraud"] = f"{fraud.groupby('cc_num').size().mean():.2f}" if len(fraud) else "-"
    out["cards with fraud"] = pct(fraud.cc_num.nunique() / df.cc_num.nunique())

    per_card = df.groupby("cc_num").size() / days
    out["txn/card/day over the period: mean"] = f"{per_card.mean():.2f}"
    out["txn/card/day over the period: p50"] = f"{per_card.quantile(0.5):.2f}"
    out["txn/card/day over the period: p90"] = f"{per_card.quantile(0.9):.2f}"
    per_card_day = df.groupby(["cc_num", "date"]).size()
    out["txn per active card-day: mean"] = f"{per_card_day.mean():.2f}"
    out["txn per active card-day: p50"] = f"{per_card_day.quantile(0.5):.0f}"
    out["txn per active card-day: p90"] = f"{per_card_day.quantile(0.9):.0f}"

    out["legit morning share (00-11h)"] = pct((legit.hour < 12).mean())
    if len(fraud):
        out["fraud morning share (00-11h)"] = pct((fraud.hour < 12).mean())
        night = (fraud.hour >= 22) | (fraud.hour < 4)
        out["fraud at night (22-04h)"] = pct(night.mean())
    out["legit at night (22-04h)"] = pct(((legit.hour >= 22) | (legit.hour < 4)).mean())
    out["legit amount: mean"] = f"{legit.amt.mean():.2f}"
    if len(fraud):
        out["fraud amount: mean"] = f"{fraud.amt.mean():.2f}"

    cards = df.groupby("cc_num").agg(pop=("city_pop", "first"), dob=("dob", "first"))
    out["rural cards (city_pop < 2,500)"] = pct((cards["pop"] < 2500).mean())
    age = (df.date.min() - pd.to_datetime(cards["dob"])).dt.days / 365.25
    out["cardholder age < 25 / 25-50 / 50+"] = " / ".join(
        f"{100.0 * x:.0f}" for x in [(age < 25).mean(), ((age >= 25) & (age < 50)).mean(), (age >= 50).mean()]
    )
    lengths = df.cc_num.drop_duplicates().str.len().value_counts(normalize=True).sort_index()
    out["card number lengths (%)"] = " ".join(f"{k}:{100.0 * v:.0f}" for k, v in lengths.items())
    return out


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


def category_quantiles(df, fraud):
    part = df[df.is_fraud == (1 if fraud else 0)]
    q = part.groupby("category", observed=True).amt.quantile([0.1, 0.5, 0.9]).unstack()
    return q


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--names", nargs=2, default=None, help="column titles (default: file names)")
    args = parser.parse_args()
    names = args.names or [args.a.split("/")[-1], args.b.split("/")[-1]]
    frames = [load(args.a), load(args.b)]

    print("## Overview\n")
    sums = [summary(df) for df in frames]
    keys = list(sums[0].keys()) + [k for k in sums[1] if k not in sums[0]]
    print(table(["statistic"] + names, [[k] + [s.get(k, "-") for s in sums] for k in keys]))

    print("\n## Category mix (% of rows)\n")
    mixes = []
    for df in frames:
        legit = df[df.is_fraud == 0].category.value_counts(normalize=True)
        fraud = df[df.is_fraud == 1].category.value_counts(normalize=True)
        mixes.append((legit, fraud))
    cats = sorted(set(frames[0].category.astype(str)) | set(frames[1].category.astype(str)))
    rows = []
    for c in cats:
        row = [c]
        for legit, fraud in mixes:
            row.append(f"{100.0 * legit.get(c, 0.0):.1f}")
        for legit, fraud in mixes:
            row.append(f"{100.0 * fraud.get(c, 0.0):.1f}")
        rows.append(row)
    print(table(["category"] + [f"legit {n}" for n in names] + [f"fraud {n}" for n in names], rows))

    for fraud in (False, True):
        kind = "fraud" if fraud else "legitimate"
        print(f"\n## Amount quantiles p10 / p50 / p90, {kind} rows\n")
        qs = [category_quantiles(df, fraud) for df in frames]
        rows = []
        for c in cats:
            row = [c]
            for q in qs:
                if c in q.index:
                    row.append(" / ".join(f"{v:.0f}" if v >= 100 else f"{v:.1f}" for v in q.loc[c]))
                else:
                    row.append("-")
            rows.append(row)
        print(table(["category"] + names, rows))

    print("\n## Hour of day (% of legitimate rows; fraud in brackets)\n")
    hists = []
    for df in frames:
        legit = df[df.is_fraud == 0].hour.value_counts(normalize=True)
        fraud = df[df.is_fraud == 1].hour.value_counts(normalize=True)
        hists.append((legit, fraud))
    rows = []
    for h in range(24):
        rows.append([f"{h:02d}"] + [f"{100.0 * l.get(h, 0.0):.1f} ({100.0 * f.get(h, 0.0):.1f})" for l, f in hists])
    print(table(["hour"] + names, rows))

    print("\n## Day of week (% of legitimate rows)\n")
    dows = [df[df.is_fraud == 0].t.dt.day_of_week.value_counts(normalize=True) for df in frames]
    day_names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    print(table(["day"] + names, [[day_names[d]] + [f"{100.0 * w.get(d, 0.0):.1f}" for w in dows] for d in range(7)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
