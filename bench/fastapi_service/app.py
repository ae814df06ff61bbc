"""The comparison scoring service: FastAPI + scikit-learn, built the way the
original Python project served its model.

POST /v1/score takes one transaction (pydantic model of the Kaggle fields),
computes per-card features from a history kept in a Python dict (warmed
with state.joblib from train.py), builds a one-row pandas DataFrame, calls
predict_proba, decides by threshold and answers the same JSON fields as
Vigie: trans_num, score, decision, model, reasons, rules_fired, latency_us,
degraded.

    VIGIE_BENCH_MODEL_DIR=model_dir uvicorn app:app --port 8090 --workers 1

With several workers each process keeps its own card dict: a card's history
is split across them (the per-card features become wrong), which is the
reason Vigie keeps card state in one shared store.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import joblib
import pandas as pd
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

import features

MODEL_DIR = Path(os.environ.get("VIGIE_BENCH_MODEL_DIR", "model"))
BUNDLE = joblib.load(MODEL_DIR / "model.joblib")
MODEL = BUNDLE["model"]
COLUMNS = BUNDLE["features"]
REVIEW = BUNDLE["review_threshold"]
BLOCK = BUNDLE["block_threshold"]
NAME = BUNDLE["name"]
state_file = MODEL_DIR / "state.joblib"
CARDS: dict = joblib.load(state_file) if state_file.exists() else {}

app = FastAPI(title="fraud scoring (FastAPI + scikit-learn)")


class Transaction(BaseModel):
    """One transaction, Kaggle field names; the label is not sent."""

    model_config = ConfigDict(extra="forbid")

    trans_date_trans_time: str
    cc_num: str
    merchant: str
    category: str
    amt: float
    first: str
    last: str
    gender: str
    street: str
    city: str
    state: str
    zip: str
    lat: float
    long: float
    city_pop: int
    job: str
    dob: str
    trans_num: str
    unix_time: int
    merch_lat: float
    merch_long: float


def reasons_for(vector: list[float]) -> list[str]:
    row = dict(zip(COLUMNS, vector))
    reasons = []
    if row["amount_to_card_mean"] >= 3:
        reasons.append(f"amount {row['amount_to_card_mean']:.1f}x the card's usual amount")
    if row["is_night"]:
        reasons.append("made at night")
    if row["txn_count_24h"] >= 5:
        reasons.append(f"{int(row['txn_count_24h'])} card transactions in the last 24 hours")
    return reasons


@app.post("/v1/score")
async def score(txn: Transaction) -> dict:
    started = time.perf_counter()
    vector = features.observe(CARDS, txn.model_dump())
    frame = pd.DataFrame([vector], columns=COLUMNS)
    probability = float(MODEL.predict_proba(frame)[0, 1])
    decision = "block" if probability >= BLOCK else "review" if probability >= REVIEW else "allow"
    return {
        "trans_num": txn.trans_num,
        "score": probability,
        "decision": decision,
        "model": NAME,
        "reasons": reasons_for(vector) if decision != "allow" else [],
        "rules_fired": [],
        "latency_us": int((time.perf_counter() - started) * 1e6),
        "degraded": False,
    }


@app.get("/health")
async def health() -> dict:
    return {"status": "ok", "cards": len(CARDS)}
