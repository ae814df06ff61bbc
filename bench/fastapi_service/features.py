"""Per-card features computed online, one transaction at a time, from a
history kept in a Python dict: the same code path for training (replaying
the training file in time order) and for serving (one request at a time).

A subset of Vigie's catalogue (crates/features/src/catalogue.rs), with the
same definitions, so the two services do comparable work per request.
"""

from __future__ import annotations

import math
from collections import deque
from datetime import date, datetime

CATEGORIES = [
    "entertainment", "food_dining", "gas_transport", "grocery_net", "grocery_pos",
    "health_fitness", "home", "kids_pets", "misc_net", "misc_pos", "personal_care",
    "shopping_net", "shopping_pos", "travel",
]
CATEGORY_CODE = {name: i for i, name in enumerate(CATEGORIES)}

FEATURES = [
    "amount", "log_amount", "hour", "is_night", "weekday", "category_code", "age_years",
    "log_city_pop", "home_merchant_km", "txn_count_1h", "txn_count_24h", "txn_count_7d",
    "amount_sum_24h", "seconds_since_prev", "amount_to_card_mean", "amount_card_zscore",
    "amount_to_category_mean", "night_count_24h", "category_first_use",
]

HOUR, DAY, WEEK, MONTH = 3600, 86400, 7 * 86400, 30 * 86400


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, a)))


class CardHistory:
    """What is remembered of one card: the last 7 days of events and running
    totals over its whole history (overall and per category)."""

    __slots__ = ("recent", "count", "total", "total_sq", "by_category", "last_time")

    def __init__(self) -> None:
        self.recent: deque = deque()  # (time, amount, night)
        self.count = 0
        self.total = 0.0
        self.total_sq = 0.0
        self.by_category: dict[str, list[float]] = {}  # [count, sum]
        self.last_time: int | None = None


def extract(history: CardHistory | None, txn: dict) -> list[float]:
    """The feature vector of `txn` given the card's history before it."""
    t = int(txn["unix_time"])
    amount = float(txn["amt"])
    when = datetime.fromisoformat(txn["trans_date_trans_time"])
    hour = when.hour
    night = 1.0 if hour >= 22 or hour < 4 else 0.0
    born = date.fromisoformat(txn["dob"])
    age = (when.date() - born).days / 365.25
    category = txn["category"]
    home_km = km(float(txn["lat"]), float(txn["long"]), float(txn["merch_lat"]), float(txn["merch_long"]))
    c1h = c24h = c7d = night24h = 0
    sum24h = 0.0
    since_prev = float(MONTH)
    to_mean = 1.0
    zscore = 0.0
    to_cat_mean = 1.0
    first_use = 1.0
    if history is not None:
        for (when_s, amt, was_night) in history.recent:
            age_s = t - when_s
            if age_s < WEEK:
                c7d += 1
                if age_s < DAY:
                    c24h += 1
                    sum24h += amt
                    night24h += was_night
                    if age_s < HOUR:
                        c1h += 1
        if history.last_time is not None:
            since_prev = float(min(MONTH, max(0, t - history.last_time)))
        if history.count:
            mean = history.total / history.count
            to_mean = amount / mean if mean > 0 else 1.0
            if history.count >= 2:
                var = max(0.0, history.total_sq / history.count - mean * mean)
                zscore = (amount - mean) / max(math.sqrt(var), 1.0)
        cat = history.by_category.get(category)
        if cat is not None:
            first_use = 0.0
            cat_mean = cat[1] / cat[0]
            to_cat_mean = amount / cat_mean if cat_mean > 0 else 1.0
    return [
        amount, math.log1p(amount), float(hour), night, float(when.weekday()),
        float(CATEGORY_CODE.get(category, -1)), age, math.log1p(float(txn["city_pop"])), home_km,
        float(c1h), float(c24h), float(c7d), sum24h, since_prev, to_mean, zscore, to_cat_mean,
        float(night24h), first_use,
    ]


def update(history: CardHistory, txn: dict) -> None:
    """Adds `txn` to the card's history (after its features were taken)."""
    t = int(txn["unix_time"])
    amount = float(txn["amt"])
    hour = int(txn["trans_date_trans_time"][11:13])
    night = 1 if hour >= 22 or hour < 4 else 0
    history.recent.append((t, amount, night))
    while history.recent and t - history.recent[0][0] >= WEEK:
        history.recent.popleft()
    history.count += 1
    history.total += amount
    history.total_sq += amount * amount
    cat = history.by_category.setdefault(txn["category"], [0, 0.0])
    cat[0] += 1
    cat[1] += amount
    history.last_time = t if history.last_time is None else max(history.last_time, t)


def observe(cards: dict, txn: dict) -> list[float]:
    """Features of `txn`, then the card's history updated with it."""
    key = txn["cc_num"]
    history = cards.get(key)
    vector = extract(history, txn)
    if history is None:
        history = cards[key] = CardHistory()
    update(history, txn)
    return vector
