"""Customers at risk: active customers ranked by the value they would take if they left.

value at risk = (1 - probability still active) x CLV, both from the BG/NBD + Gamma-Gamma
models (see :mod:`crm_core.value.clv`), for customers who have not churned (see
:mod:`crm_core.exits.churn`). The signals shown beside each customer say why:
- days overdue: days since the last purchase minus the customer's own mean gap between
  purchases (positive: later than usual);
- falling frequency: purchases in the last ``recent_days`` against the customer's own
  average for such a span (a ratio; below 0.5 is flagged);
- complaints in the last ``recent_days`` and service cases still open.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from crm_core.errors import InvalidParameterError
from crm_core.filters import Filters
from crm_core.store.connection import Store

__all__ = ["RISK_COLUMNS", "at_risk", "signals"]

RISK_COLUMNS: tuple[str, ...] = (
    "customer_id", "region", "channel", "customer_type", "value_at_risk", "p_alive", "clv", "days_overdue",
    "frequency_ratio", "complaints", "open_cases", "recency_days",
)


def signals(store: Store, as_of: date, filters: Filters = Filters(), recent_days: int = 90) -> pd.DataFrame:
    """Per customer who bought by ``as_of``: recent and lifetime purchase days, recent
    complaints and open service cases."""
    if not 7 <= recent_days <= 730:
        raise InvalidParameterError("recent_days must be 7..730", name="recent_days", value=recent_days)
    return store.query("risk_signals", {"as_of": as_of, "recent_days": recent_days, **filters.params()},
                       filtered=filters.active)


def at_risk(scores: pd.DataFrame, sig: pd.DataFrame, *, time_unit: str, churned: set[str] | None = None,
            recent_days: int = 90) -> pd.DataFrame:
    """Active customers ranked by value at risk, with their signals.

    ``scores`` are CLV scores (customer_id, p_alive, clv, x, t_x, T in ``time_unit``);
    ``churned`` the customers who have already churned (left out).
    """
    unit = {"day": 1.0, "week": 7.0}[time_unit]
    left = scores[["customer_id", "p_alive", "clv", "x", "t_x", "T"]]
    a, b = left["customer_id"].to_numpy(), sig["customer_id"].to_numpy()
    # Both come from the store in customer_id order: then the rows line up and a string join
    # of half a million ids (~0.7 s) is not needed. Sorted by id, ties in value at risk then
    # keep id order with a one-key stable sort.
    aligned = len(a) == len(b) and bool((a == b).all()) and bool((a[1:] >= a[:-1]).all())
    if aligned:
        df = pd.concat([left.reset_index(drop=True), sig.drop(columns="customer_id").reset_index(drop=True)], axis=1)
    else:
        df = left.merge(sig, on="customer_id", how="inner")
    if churned:
        ids = df["customer_id"].to_numpy(object)
        df = df[np.fromiter((v not in churned for v in ids), bool, len(ids))]
    x = df["x"].to_numpy(float)
    recency = (df["T"].to_numpy(float) - df["t_x"].to_numpy(float)) * unit      # days since the last purchase
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.where(x > 0, df["t_x"].to_numpy(float) * unit / np.maximum(x, 1), np.nan)
        tenure = df["T"].to_numpy(float) * unit
        expected_recent = df["purchase_days"].to_numpy(float) * recent_days / np.maximum(tenure, recent_days)
        ratio = np.where(expected_recent > 0, df["recent_purchases"].to_numpy(float) / expected_recent, np.nan)
    out = df.assign(
        value_at_risk=(1 - df["p_alive"].to_numpy(float)) * np.clip(df["clv"].to_numpy(float), 0, None),
        recency_days=np.round(recency).astype(np.int64),
        days_overdue=np.round(recency - gap),
        frequency_ratio=ratio,
    )
    out = (out.sort_values("value_at_risk", ascending=False, kind="stable") if aligned
           else out.sort_values(["value_at_risk", "customer_id"], ascending=[False, True], kind="stable"))
    return out[list(RISK_COLUMNS)].reset_index(drop=True)
