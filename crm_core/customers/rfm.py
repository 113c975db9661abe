"""RFM scores and named segments, the segment table and the R x F grid.

Scores come from :func:`crm_core.customers.base.customer_base` (quintile cut points on the
values by default; equal values, equal scores). Segments follow the widely used R x F map on a 1-5 scale
(the 10-segment map popularised by Martin's RFM notebook, with *Lost* split from
*Hibernating* at R = 1). With 3 or 4 score bins a score is first placed on the 1-5
scale: ``1 + round((score - 1) * 4 / (bins - 1))``. The map is a setting: any scheme of
rules that covers each of the 25 (R, F) cells exactly once is accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from crm_core.customers.base import customer_base
from crm_core.errors import InvalidParameterError
from crm_core.filters import Filters
from crm_core.store.connection import Store

__all__ = ["SEGMENTS", "ACTIONS", "SegmentRule", "DEFAULT_SCHEME", "scheme_grid", "to_five", "assign_segments",
           "rfm", "segment_summary", "rf_grid", "SchemeError"]

#: Display order: best first.
SEGMENTS: tuple[str, ...] = ("champions", "loyal", "potential_loyalist", "new", "promising", "need_attention",
                             "about_to_sleep", "at_risk", "cant_lose", "hibernating", "lost")

#: The suggested action per segment (a catalogue key ``action.<code>``).
ACTIONS: dict[str, str] = {
    "champions": "reward", "loyal": "upsell", "potential_loyalist": "membership", "new": "onboard",
    "promising": "nurture", "need_attention": "personal_offer", "about_to_sleep": "reactivate",
    "at_risk": "win_back", "cant_lose": "win_back_personal", "hibernating": "reengage", "lost": "let_go",
}


class SchemeError(InvalidParameterError):
    """A segment scheme that leaves an (R, F) cell uncovered or covers one twice."""


@dataclass(frozen=True)
class SegmentRule:
    """Segment ``segment`` holds the cells with r_min <= R <= r_max and f_min <= F <= f_max (1-5 scale)."""

    segment: str
    r_min: int
    r_max: int
    f_min: int
    f_max: int


DEFAULT_SCHEME: tuple[SegmentRule, ...] = (
    SegmentRule("champions", 5, 5, 4, 5),
    SegmentRule("loyal", 3, 4, 4, 5),
    SegmentRule("potential_loyalist", 4, 5, 2, 3),
    SegmentRule("new", 5, 5, 1, 1),
    SegmentRule("promising", 4, 4, 1, 1),
    SegmentRule("need_attention", 3, 3, 3, 3),
    SegmentRule("about_to_sleep", 3, 3, 1, 2),
    SegmentRule("at_risk", 1, 2, 3, 4),
    SegmentRule("cant_lose", 1, 2, 5, 5),
    SegmentRule("hibernating", 2, 2, 1, 2),
    SegmentRule("lost", 1, 1, 1, 2),
)


def scheme_grid(scheme: Sequence[SegmentRule] = DEFAULT_SCHEME) -> np.ndarray:
    """5 x 5 array of segment indexes (into :data:`SEGMENTS`), ``grid[r-1, f-1]``.

    Raises :class:`SchemeError` naming the first cell left out or covered twice.
    """
    grid = np.full((5, 5), -1, dtype=np.int64)
    for rule in scheme:
        if rule.segment not in SEGMENTS:
            raise SchemeError(f"unknown segment {rule.segment!r}", name="segment", value=rule.segment)
        for v in (rule.r_min, rule.r_max, rule.f_min, rule.f_max):
            if not 1 <= int(v) <= 5:
                raise SchemeError(f"score bounds must be 1-5, got {v}", name="scheme", value=v)
        for r in range(int(rule.r_min), int(rule.r_max) + 1):
            for f in range(int(rule.f_min), int(rule.f_max) + 1):
                if grid[r - 1, f - 1] >= 0:
                    raise SchemeError(f"cell R={r} F={f} is in two segments", name="scheme", value=f"R{r}F{f}")
                grid[r - 1, f - 1] = SEGMENTS.index(rule.segment)
    missing = np.argwhere(grid < 0)
    if len(missing):
        r, f = missing[0] + 1
        raise SchemeError(f"cell R={r} F={f} is in no segment", name="scheme", value=f"R{r}F{f}")
    return grid


def to_five(scores: np.ndarray, bins: int) -> np.ndarray:
    """Place scores 1..bins on the 1-5 scale of the scheme."""
    return (1 + np.rint((scores - 1) * 4 / (bins - 1))).astype(np.int64)


def assign_segments(base: pd.DataFrame, bins: int = 5,
                    scheme: Sequence[SegmentRule] = DEFAULT_SCHEME) -> pd.Series:
    """The segment of each row of a customer base (missing for customers who never bought)."""
    grid = scheme_grid(scheme)
    buyers = base["r_score"].notna().to_numpy() & base["f_score"].notna().to_numpy()
    r = to_five(base["r_score"].to_numpy(dtype=np.float64, na_value=1.0), bins)
    f = to_five(base["f_score"].to_numpy(dtype=np.float64, na_value=1.0), bins)
    codes = np.where(buyers, grid[r - 1, f - 1], -1)
    cat = pd.Categorical.from_codes(codes, categories=list(SEGMENTS))
    return pd.Series(cat, index=base.index, name="segment")


def rfm(store: Store, as_of: date, filters: Filters = Filters(), *, bins: int = 5,
        scheme: Sequence[SegmentRule] = DEFAULT_SCHEME, period_days: int | None = None) -> pd.DataFrame:
    """The customer base as of ``as_of`` with its RFM ``segment`` (one row per customer)."""
    base = customer_base(store, as_of, filters, bins=bins, period_days=period_days)
    base["segment"] = assign_segments(base, bins, scheme)
    return base


def segment_summary(df: pd.DataFrame) -> pd.DataFrame:
    """One row per segment (all of :data:`SEGMENTS`, empty ones with zeros), buyers only.

    Columns: segment, customers, customer_share, revenue, revenue_share, gross_profit,
    profit_share, average_order_value, recency_days (mean), frequency (mean), action.
    (numpy bincount over the segment codes: ~10x faster than a groupby at 500k rows.)
    """
    codes = pd.Categorical(df["segment"], categories=list(SEGMENTS)).codes
    buyer = codes >= 0
    k = len(SEGMENTS)

    def total(col: str) -> np.ndarray:
        values = df[col].to_numpy(dtype=np.float64, na_value=0.0)[buyer]
        return np.bincount(codes[buyer], weights=values, minlength=k)

    customers = np.bincount(codes[buyer], minlength=k).astype(np.int64)
    out = pd.DataFrame({"segment": list(SEGMENTS), "customers": customers, "revenue": total("revenue"),
                        "gross_profit": total("gross_profit"), "orders": total("orders").astype(np.int64)})
    with np.errstate(divide="ignore", invalid="ignore"):
        out["recency_days"] = np.where(customers > 0, total("recency_days") / customers, np.nan)
        out["frequency"] = np.where(customers > 0, total("frequency") / customers, np.nan)
    n, rev, gp = out["customers"].sum(), out["revenue"].sum(), out["gross_profit"].sum()
    out["customer_share"] = out["customers"] / n if n else 0.0
    out["revenue_share"] = out["revenue"] / rev if rev else np.nan
    out["profit_share"] = out["gross_profit"] / gp if gp else np.nan
    purchases = pd.Series(total("frequency"), index=out.index)        # purchase days: one definition of an order
    out["average_order_value"] = out["revenue"] / purchases.where(purchases > 0)
    out["action"] = out["segment"].map(ACTIONS)
    return out[["segment", "customers", "customer_share", "revenue", "revenue_share", "gross_profit",
                "profit_share", "average_order_value", "recency_days", "frequency", "action"]]


def rf_grid(df: pd.DataFrame, bins: int = 5, scheme: Sequence[SegmentRule] = DEFAULT_SCHEME) -> pd.DataFrame:
    """One row per (r_score, f_score) cell, all bins x bins cells: customers, revenue, and
    the segment the scheme gives the cell."""
    buyer = df["r_score"].notna().to_numpy() & df["f_score"].notna().to_numpy()
    r = df["r_score"].to_numpy(dtype=np.float64, na_value=1.0)[buyer].astype(np.int64)
    f = df["f_score"].to_numpy(dtype=np.float64, na_value=1.0)[buyer].astype(np.int64)
    cell = (r - 1) * bins + (f - 1)
    revenue = df["revenue"].to_numpy(dtype=np.float64, na_value=0.0)[buyer]
    rr, ff = np.divmod(np.arange(bins * bins), bins)
    grid = scheme_grid(scheme)
    segment = [SEGMENTS[i] for i in grid[to_five(rr + 1, bins) - 1, to_five(ff + 1, bins) - 1]]
    return pd.DataFrame({"r_score": rr + 1, "f_score": ff + 1,
                         "customers": np.bincount(cell, minlength=bins * bins).astype(np.int64),
                         "revenue": np.bincount(cell, weights=revenue, minlength=bins * bins),
                         "segment": segment})
