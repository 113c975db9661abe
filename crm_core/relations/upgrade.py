"""Upgrade (up-selling): regular buyers of a category who buy it from its cheaper range.

Definitions (also on the Cross-selling page and in the README), over the period's lines with a
positive amount and a category: a line's unit price = amount / quantity (one unit without a
quantity). A category's **lower third** and **upper third** are the 33rd and 67th percentiles of
its lines' unit prices. A customer's **price level** in a category is the median unit price of
their lines in it. **Regular buyers** have at least ``min_lines`` lines in the category (default
2); **upgrade candidates** are regular buyers whose price level is at or below the lower third:
they buy the category often, from its cheaper range. ``gap`` = upper third / price level: how
many times more the category's upper range costs than what they pay now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from crm_core.errors import InvalidParameterError, NoDataError
from crm_core.filters import Filters
from crm_core.periods import period_start
from crm_core.store.connection import Store

__all__ = ["MIN_LINES", "Upgrade", "upgrade", "summary_table", "candidates"]

MIN_LINES = 2


@dataclass(frozen=True)
class Upgrade:
    """Per customer and category: lines, level, and the category's lower and upper thirds."""

    as_of: date
    period_days: int
    levels: pd.DataFrame


def upgrade(store: Store, as_of: date, *, period_days: int = 365, filters: Filters = Filters(),
            category: str | None = None) -> Upgrade:
    """Every customer's price level per category of the period (``category``: only that one)."""
    if not isinstance(period_days, (int, np.integer)) or not 7 <= period_days <= 3660:
        raise InvalidParameterError("period_days must be 7..3660", name="period_days", value=period_days)
    levels = store.query("upgrade_levels", {"as_of": as_of, "start": period_start(as_of, period_days),
                                            "category": category, **filters.params()}, filtered=filters.active)
    if levels.empty:
        raise NoDataError("no line with a product category in the period", kind="transactions")
    return Upgrade(as_of, period_days, levels)


def _check(min_lines: int) -> None:
    if not isinstance(min_lines, (int, np.integer)) or not 1 <= min_lines <= 1000:
        raise InvalidParameterError("min_lines must be 1..1000", name="min_lines", value=min_lines)


def candidates(up: Upgrade, category: str, *, min_lines: int = MIN_LINES) -> pd.DataFrame:
    """The category's upgrade candidates (customer_id, lines, level, gap), largest gap first."""
    _check(min_lines)
    lv = up.levels
    part = lv[(lv["category"] == category).to_numpy() & (lv["lines"].to_numpy() >= min_lines)
              & (lv["level"].to_numpy(float) <= lv["lower_third"].to_numpy(float))]
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = part["upper_third"].to_numpy(float) / part["level"].to_numpy(float)
    out = part[["customer_id", "lines", "level"]].assign(gap=gap)
    return out.sort_values(["gap", "customer_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


def summary_table(up: Upgrade, *, min_lines: int = MIN_LINES) -> pd.DataFrame:
    """One row per category: buyers, regular_buyers, candidates, lower_third, upper_third,
    median_gap (of the candidates), by candidates."""
    _check(min_lines)
    lv = up.levels
    regular = lv["lines"].to_numpy() >= min_lines
    cand = regular & (lv["level"].to_numpy(float) <= lv["lower_third"].to_numpy(float))
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.where(cand, lv["upper_third"].to_numpy(float) / lv["level"].to_numpy(float), np.nan)
    f = lv.assign(regular=regular, candidate=cand, gap=gap)
    g = f.groupby("category", sort=True)
    out = pd.DataFrame({"buyers": g.size(), "regular_buyers": g["regular"].sum(), "candidates": g["candidate"].sum(),
                        "lower_third": g["lower_third"].first(), "upper_third": g["upper_third"].first(),
                        "median_gap": g["gap"].median()})
    return (out.sort_values(["candidates", "buyers"], ascending=False, kind="stable").rename_axis("category")
            .reset_index())
