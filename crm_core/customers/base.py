"""The per-customer layer: one row per customer as of a date. Every page builds on it."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from crm_core.errors import InvalidParameterError
from crm_core.filters import Filters
from crm_core.store.arrow_frames import arrow_to_frame
from crm_core.store.connection import Store

__all__ = ["customer_base", "CUSTOMER_BASE_COLUMNS", "WINDOW_COLUMNS", "filter_options", "add_scores", "ntile",
           "rank_tiles"]

CUSTOMER_BASE_COLUMNS: tuple[str, ...] = (
    "customer_id", "region", "channel", "customer_type", "industry", "signup_date", "account_manager",
    "first_purchase", "last_purchase", "frequency", "orders", "revenue", "gross_profit", "returns",
    "recency_days", "tenure_days", "average_order_value", "r_score", "f_score", "m_score",
)
WINDOW_COLUMNS: tuple[str, ...] = ("period_frequency", "period_revenue", "period_gross_profit")
#: Text attributes returned as categoricals (sorted categories, missing stays missing): a
#: few distinct values over many customers, grouped and filtered on by every page.
ATTRIBUTE_COLUMNS: tuple[str, ...] = ("region", "channel", "customer_type", "industry", "account_manager")


def customer_base(store: Store, as_of: date, filters: Filters = Filters(), *, bins: int = 5,
                  period_days: int | None = None) -> pd.DataFrame:
    """One row per customer known by ``as_of``: recency, frequency, monetary, dates, scores;
    the text attributes (:data:`ATTRIBUTE_COLUMNS`) as categoricals.

    With ``period_days``, the ``period_*`` columns add the same measures over the
    ``period_days`` days up to ``as_of`` (the active window).
    Scores run 1..``bins`` (higher is better) by rank among customers who bought;
    ties are broken by ``customer_id`` so results are reproducible. Customers who
    never bought have null scores.
    """
    if bins not in (3, 4, 5):
        raise InvalidParameterError("bins must be 3, 4 or 5", name="bins", value=bins)
    if period_days is not None and not 1 <= period_days <= 3660:
        raise InvalidParameterError("period_days must be between 1 and 3660", name="period_days", value=period_days)
    window = period_days is not None
    table = store.arrow("customer_base", {"as_of": as_of, "period_days": period_days, **filters.params()},
                        filtered=filters.active, options=frozenset({"window"}) if window else frozenset())
    df = arrow_to_frame(table, categorical=ATTRIBUTE_COLUMNS)
    add_scores(df, bins)
    return df[list(CUSTOMER_BASE_COLUMNS + (WINDOW_COLUMNS if window else ()))]


def ntile(n_rows: int, bins: int) -> np.ndarray:
    """SQL ``ntile(bins)`` for positions 0..n_rows-1: the first ``n_rows % bins`` tiles
    get one row more than the others."""
    q, r = divmod(n_rows, bins)
    pos = np.arange(n_rows)
    big = r * (q + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        tile = np.where(pos < big, pos // (q + 1), r + (pos - big) // max(q, 1))
    return (tile + 1).astype(np.int64)


def rank_tiles(values: np.ndarray, bins: int, *, descending: bool = False) -> np.ndarray:
    """``ntile(bins)`` of each value's position in a stable sort (ties in row order;
    descending = the exact reverse of the ascending order), 1..``bins``.

    Values that are whole cents (money rounded in SQL, day counts) become unique integer
    keys (value, row), and the ``bins - 1`` tile boundaries are found by ``np.partition``
    and looked up with ``searchsorted``: linear time, about twice as fast as the stable sort
    on half a million rows. Other values take the stable sort."""
    n = len(values)
    tiles = ntile(n, bins)
    if n == 0:
        return tiles
    cents = np.round(values * 100.0)
    span = float(cents.max() - cents.min()) if np.isfinite(cents).all() else np.inf
    if not (np.array_equal(cents / 100.0, values) and (span + 1) * n < 2.0 ** 62):
        order = np.argsort(values, kind="stable")
        if descending:
            order = order[::-1]
        out = np.empty(n, dtype=np.int64)
        out[order] = tiles
        return out
    c = (cents - cents.min()).astype(np.int64)
    pos = np.arange(n, dtype=np.int64)
    key = (int(c.max()) - c) * n + (n - 1 - pos) if descending else c * n + pos   # unique, in sort order
    starts = np.flatnonzero(np.diff(tiles)) + 1            # first sorted position of tiles 2..bins
    if not len(starts):
        return tiles
    bounds = np.partition(key, starts)[starts]
    return np.searchsorted(bounds, key, side="right").astype(np.int64) + 1


def add_scores(df: pd.DataFrame, bins: int) -> None:
    """R, F and M scores 1..``bins`` by rank among buyers (higher is better), in place.

    ``df`` must be sorted by ``customer_id``: a stable sort on the value then breaks ties
    by ``customer_id`` (recency: more recent first ranks higher; ties to the larger id,
    so the order is the exact reverse of the ascending one). Non-buyers get null.
    """
    buyers = np.flatnonzero(df["frequency"].to_numpy() > 0)
    for col, key, descending in (("r_score", "recency_days", True), ("f_score", "frequency", False),
                                 ("m_score", "revenue", False)):
        values = df[key].to_numpy(dtype=np.float64, na_value=np.nan)[buyers]
        score = np.zeros(len(df), dtype=np.int64)
        score[buyers] = rank_tiles(values, bins, descending=descending)
        df[col] = pd.arrays.IntegerArray(score, score == 0)  # 0 = not a buyer -> <NA>


def filter_options(store: Store) -> dict[str, list[str]]:
    """Distinct values for each global filter, for the sidebar."""
    rows = store.rows("""SELECT 'regions', list(DISTINCT region ORDER BY region) FROM stg_customers
                         UNION ALL SELECT 'channels', list(DISTINCT channel ORDER BY channel) FROM stg_customers
                         UNION ALL SELECT 'customer_types', list(DISTINCT customer_type ORDER BY customer_type)
                         FROM stg_customers""")
    return {k: list(v or []) for k, v in rows}
