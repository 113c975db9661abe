"""The customer pyramid: value tiers, upgrade potential and the "move X% up" what-if.

Active customers (a purchase in the window of ``period_days`` up to the as-of date) are
ranked by their value in the window (revenue or gross profit; ties by ``customer_id``)
and cut by cumulative share of customers: Top 1% / Big 4% / Medium 15% / Small 80% by
default (a tier holds ranks up to ``ceil(cumulative share x active)``). Below them:
*Inactive* (bought before, not in the window) and *Prospects* (known, never bought).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_core.errors import InvalidParameterError

__all__ = ["TIERS", "VALUE_TIERS", "DEFAULT_SHARES", "assign_tiers", "pyramid_summary", "upgrade_candidates",
           "WhatIf", "what_if", "check_shares", "DEFAULT_WHATIF_PERCENT", "DEFAULT_CLOSENESS"]

VALUE_TIERS: tuple[str, ...] = ("top", "big", "medium", "small")
TIERS: tuple[str, ...] = VALUE_TIERS + ("inactive", "prospect")
DEFAULT_SHARES: tuple[float, ...] = (0.01, 0.04, 0.15, 0.80)
#: The what-if's opening value: move this percent of each tier one tier up.
DEFAULT_WHATIF_PERCENT: int = 10
#: Default closeness for upgrade candidates: percent of the next tier's lowest value.
DEFAULT_CLOSENESS: int = 80
METRICS = ("revenue", "gross_profit")


def check_shares(shares: Sequence[float]) -> tuple[float, ...]:
    """Four positive customer shares (top, big, medium, small) adding up to 1."""
    out = tuple(float(s) for s in shares)
    if len(out) != 4 or any(not 0 < s <= 1 for s in out) or abs(sum(out) - 1) > 1e-6:
        raise InvalidParameterError("tier shares must be four numbers in (0, 1] adding up to 1",
                                    name="tier_shares", value=list(out))
    return out


def _metric(metric: str) -> str:
    if metric not in METRICS:
        raise InvalidParameterError("metric must be revenue or gross_profit", name="metric", value=metric)
    return f"period_{metric}"


def assign_tiers(base: pd.DataFrame, metric: str = "revenue",
                 shares: Sequence[float] = DEFAULT_SHARES) -> pd.Series:
    """The tier of every row of a customer base (sorted by ``customer_id``, as it comes)."""
    shares = check_shares(shares)
    col = _metric(metric)
    active = np.flatnonzero(base["period_frequency"].to_numpy() > 0)
    values = base[col].to_numpy(dtype=np.float64)[active]
    order = active[np.argsort(-values, kind="stable")]  # value desc, ties by customer_id
    n = len(order)
    bounds = np.ceil(np.cumsum(shares) * n - 1e-9).astype(np.int64)
    bounds[-1] = n
    codes = np.where(base["frequency"].to_numpy() > 0, 4, 5).astype(np.int64)  # inactive / prospect
    ranks = np.arange(n)
    codes[order] = np.searchsorted(bounds, ranks, side="right")
    return pd.Series(pd.Categorical.from_codes(codes, categories=list(TIERS)), index=base.index, name="tier")


def pyramid_summary(df: pd.DataFrame) -> pd.DataFrame:
    """One row per tier: customers and shares, value in the window and its shares, value range."""
    g = df.groupby("tier", observed=False)
    out = pd.DataFrame({
        "customers": g.size(),
        "revenue": g["period_revenue"].sum(),
        "gross_profit": g["period_gross_profit"].sum(),
        "min_revenue": g["period_revenue"].min(),
        "average_revenue": g["period_revenue"].mean(),
    }).reindex(list(TIERS)).rename_axis("tier").reset_index()
    out["customers"] = out["customers"].fillna(0).astype(np.int64)
    out[["revenue", "gross_profit"]] = out[["revenue", "gross_profit"]].fillna(0.0)
    n, rev, gp = out["customers"].sum(), out["revenue"].sum(), out["gross_profit"].sum()
    out["customer_share"] = out["customers"] / n if n else 0.0
    out["revenue_share"] = out["revenue"] / rev if rev else np.nan
    out["profit_share"] = out["gross_profit"] / gp if gp else np.nan
    return out


def upgrade_candidates(df: pd.DataFrame, metric: str = "revenue", closeness: float = 0.8) -> pd.DataFrame:
    """Customers of a value tier whose value is at least ``closeness`` x the next tier's
    lowest value, and inactive customers whose lifetime frequency is at least the median
    of Small (worth reactivating). Columns added: next_tier, gap (value still missing)."""
    if not 0 < closeness <= 1:
        raise InvalidParameterError("closeness must be in (0, 1]", name="closeness", value=closeness)
    col = _metric(metric)
    parts = []
    for tier, nxt in zip(VALUE_TIERS[1:], VALUE_TIERS[:-1]):
        floor = df.loc[df["tier"] == nxt, col]
        if floor.empty:
            continue
        threshold = float(floor.min())
        mine = df[(df["tier"] == tier) & (df[col] >= closeness * threshold)]
        parts.append(mine.assign(next_tier=nxt, gap=threshold - mine[col]))
    small = df[df["tier"] == "small"]
    if not small.empty:
        inactive = df[(df["tier"] == "inactive") & (df["frequency"] >= small["frequency"].median())]
        parts.append(inactive.assign(next_tier="small", gap=float(small[col].min()) - inactive[col]))
    if not parts:
        return df.iloc[0:0].assign(next_tier=pd.Series(dtype=object), gap=pd.Series(dtype=float))
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class WhatIf:
    """Moving ``percent`` of each tier one tier up: per-tier effects and the moved customers."""

    percent: float
    by_tier: pd.DataFrame  # tier, next_tier, customers, moved, delta_revenue, delta_profit
    moved: pd.DataFrame  # customer rows that move, with next_tier
    delta_revenue: float
    delta_profit: float
    base_revenue: float
    base_profit: float


def what_if(df: pd.DataFrame, percent: float, metric: str = "revenue") -> WhatIf:
    """Move the ``percent`` highest-value customers of Big, Medium, Small and Inactive one
    tier up; each then brings the average revenue and profit of the tier above.
    (Prospects and Top do not move.)"""
    if not 0 <= percent <= 100:
        raise InvalidParameterError("percent must be between 0 and 100", name="percent", value=percent)
    col = _metric(metric)
    rows, moved_parts = [], []
    for tier, nxt in (("big", "top"), ("medium", "big"), ("small", "medium"), ("inactive", "small")):
        mine = df[df["tier"] == tier]
        above = df[df["tier"] == nxt]
        k = int(round(len(mine) * percent / 100))
        if above.empty or k == 0:
            rows.append((tier, nxt, len(mine), 0, 0.0, 0.0))
            continue
        top_k = mine.iloc[np.argsort(-mine[col].to_numpy(dtype=np.float64), kind="stable")[:k]]
        d_rev = k * float(above["period_revenue"].mean()) - float(top_k["period_revenue"].sum())
        d_gp = k * float(above["period_gross_profit"].mean()) - float(top_k["period_gross_profit"].sum())
        rows.append((tier, nxt, len(mine), k, d_rev, d_gp))
        moved_parts.append(top_k.assign(next_tier=nxt))
    by_tier = pd.DataFrame(rows, columns=["tier", "next_tier", "customers", "moved", "delta_revenue", "delta_profit"])
    moved = pd.concat(moved_parts, ignore_index=True) if moved_parts else df.iloc[0:0].assign(next_tier="")
    return WhatIf(percent, by_tier, moved, float(by_tier["delta_revenue"].sum()), float(by_tier["delta_profit"].sum()),
                  float(df["period_revenue"].sum()), float(df["period_gross_profit"].sum()))
