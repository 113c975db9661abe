"""The per-customer layer: one row per customer as of a date. Every page builds on it."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_core.errors import InvalidParameterError
from crm_core.filters import Filters
from crm_core.periods import period_params
from crm_core.store.arrow_frames import arrow_to_frame
from crm_core.store.connection import Store

__all__ = ["customer_base", "CUSTOMER_BASE_COLUMNS", "WINDOW_COLUMNS", "filter_options", "add_scores", "score_columns",
           "value_tiles"]

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
    Scores run 1..``bins`` (higher is better) from cut points on the values among
    customers who bought (:func:`value_tiles`): equal values, equal scores. Customers who
    never bought have null scores.
    """
    if bins not in (3, 4, 5):
        raise InvalidParameterError("bins must be 3, 4 or 5", name="bins", value=bins)
    if period_days is not None and not 1 <= period_days <= 3660:
        raise InvalidParameterError("period_days must be between 1 and 3660", name="period_days", value=period_days)
    window = period_days is not None
    params = {"as_of": as_of, "period_days": period_days, **filters.params(),
              **(period_params(as_of, period_days) if period_days else {})}
    options = frozenset({"window"}) if window else frozenset()
    order = store.arrow("customer_base_order", params, filtered=filters.active, options=options)
    if order.column("customer_key").null_count:   # keys are given at every load; never expected
        df = arrow_to_frame(store.arrow("customer_base", params, filtered=filters.active, options=options),
                            categorical=ATTRIBUTE_COLUMNS)
    else:
        row = store.arrow("customer_base_words", params, filtered=filters.active).to_pylist()[0]
        words = {name: list(row[name] or []) for name in ATTRIBUTE_COLUMNS}
        profile = store.arrow("customer_base_profile", {**params, **{f"w_{k}": v for k, v in words.items()}},
                              filtered=filters.active, options=options)
        return _assemble(order, profile, store.arrow("customer_base_state", params, filtered=filters.active,
                                                     options=options), words, bins)
    add_scores(df, bins)
    return df[list(CUSTOMER_BASE_COLUMNS + (WINDOW_COLUMNS if window else ()))]


#: Per-customer totals that are zero (not missing) for a customer who never bought.
_ZERO_WHEN_NO_STATE = frozenset({"frequency", "orders", "revenue", "gross_profit", "returns", *WINDOW_COLUMNS})
_MS_PER_DAY = 86_400_000


def _assemble(order: pa.Table, profile: pa.Table, state: pa.Table, words: dict[str, list[str]],
              bins: int) -> pd.DataFrame:
    """customer_base.sql's result (as :func:`arrow_to_frame` makes it) from its three parts,
    placed by customer_key onto the sorted rows of ``order``: only ids and keys go through
    the database's sort, the text attributes come as numbers into ``words`` (their sorted
    values: the categories), and the rest is numpy scattering (a join and sort carrying
    every text column took 1.7 s of a 3.5 s customer base at 5M customers), scored by
    :func:`score_columns`. The frame is made once from its columns (a column set at a time
    was copied again: 0.4 s at 5M)."""
    keys = order.column("customer_key").to_numpy()
    n = len(keys)
    columns: dict[str, Any] = {"customer_id": arrow_to_frame(order.select(["customer_id"]))["customer_id"]}
    at = np.full(int(max(keys.max(initial=-1), profile.column("customer_key").to_numpy().max(initial=-1),
                         state.column("customer_key").to_numpy().max(initial=-1))) + 1, -1, dtype=np.int64)
    at[keys] = np.arange(n)
    for part, zero in ((profile, frozenset()), (state, _ZERO_WHEN_NO_STATE)):
        dest = at[part.column("customer_key").to_numpy()]   # each part row's row in order (-1: not there)
        sel = None if bool((dest >= 0).all()) else np.flatnonzero(dest >= 0)
        if sel is not None:
            dest = dest[sel]
        for name in part.column_names[1:]:
            attribute = name.removesuffix("_code")
            if attribute in ATTRIBUTE_COLUMNS:
                got = pc.fill_null(part.column(name), -1).to_numpy().astype(np.int32, copy=False)
                codes = np.full(n, -1, dtype=np.int32)
                codes[dest] = got if sel is None else got[sel]
                dtype = pd.CategoricalDtype(pd.Index(np.asarray(words[attribute], dtype=object), dtype=object))
                columns[attribute] = pd.Categorical.from_codes(codes, dtype=dtype, validate=False)
            else:
                columns[name] = _placed(part.column(name), dest, sel, n, name in zero)
    columns.update(score_columns(columns["frequency"], columns["recency_days"], columns["revenue"], bins))
    names = [c for c in (*CUSTOMER_BASE_COLUMNS, *WINDOW_COLUMNS) if c in columns]
    return pd.DataFrame({c: columns[c] for c in names}, copy=False)


def _placed(col: pa.ChunkedArray, dest: np.ndarray, sel: np.ndarray | None, n: int, zero: bool) -> Any:
    """An ``n``-row column with the part's values (rows ``sel``, all when None) at rows
    ``dest``, with the dtype :func:`arrow_to_frame` would give: dates as datetime64[ms],
    integers with gaps as Int64, floats with gaps as NaN; with ``zero``, gaps are 0."""
    is_date = pa.types.is_date32(col.type)
    data = col.cast(pa.int32()) if is_date else col
    values = pc.fill_null(data, pa.scalar(0, data.type)).to_numpy(zero_copy_only=False) if col.null_count \
        else data.to_numpy()
    valid = pc.is_valid(data).to_numpy(zero_copy_only=False) if col.null_count else None
    if sel is not None:
        values = values[sel]
        valid = None if valid is None else valid[sel]
    out = np.zeros(n, dtype=values.dtype)
    out[dest] = values
    if len(dest) == n and valid is None:          # every row has a value
        ok = None
    else:
        ok = np.zeros(n, dtype=bool)
        ok[dest] = True if valid is None else valid
    if is_date:
        ms = out.astype(np.int64) * _MS_PER_DAY
        return (ms if ok is None else np.where(ok, ms, np.iinfo(np.int64).min)).view("datetime64[ms]")
    if ok is None or zero or bool(ok.all()):
        return out                                 # gaps (if any) are 0 already
    if np.issubdtype(out.dtype, np.integer):
        return pd.arrays.IntegerArray(out.astype(np.int64), ~ok)
    return np.where(ok, out, np.nan)


def value_tiles(values: np.ndarray, bins: int, *, descending: bool = False) -> np.ndarray:
    """Scores 1..``bins`` from cut points on the values: equal values always get the same
    score, higher values a score at least as high (descending: lower values). The cuts sit at
    the boundaries between distinct values nearest to the equal-share positions k·n/bins,
    each one past the last and leaving enough boundaries for the rest, so every score is
    used whenever there are at least ``bins`` distinct values; bins are then as equal as the
    ties allow (a value held by 60% of customers fills one bin). With fewer distinct values
    than bins, the values spread over the scale (two values: 1 and ``bins``)."""
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    v = -values if descending else values
    group, counts = _groups(v)
    d = len(counts)
    if d == 1:
        return np.full(n, (bins + 1) // 2, dtype=np.int64)
    if d <= bins:
        score_of = 1 + np.rint(np.arange(d) * (bins - 1) / (d - 1)).astype(np.int64)
        return score_of[group]
    starts = np.cumsum(counts)[:-1]            # sorted position where group j + 1 begins
    cuts = np.empty(bins - 1, dtype=np.int64)  # index j into starts: groups > j are above the cut
    prev = -1
    for k in range(1, bins):
        lo, hi = prev + 1, len(starts) - (bins - k)       # leave a boundary for each cut still to place
        target = k * n / bins
        j = lo + int(np.searchsorted(starts[lo:hi + 1], target))
        if j > hi or (j > lo and target - starts[j - 1] <= starts[j] - target):
            j -= 1
        j = min(max(j, lo), hi)
        cuts[k - 1] = prev = j
    score_of = 1 + np.searchsorted(cuts + 1, np.arange(d), side="right")
    return score_of[group].astype(np.int64)


def _groups(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(each value's rank among the distinct values, each distinct value's count): as
    ``np.unique(v, return_inverse=True, return_counts=True)``, by counting for whole numbers
    in a range not much wider than their number (days, purchase counts: no sort)."""
    if np.issubdtype(v.dtype, np.integer) and len(v):
        lo = int(v.min())
        span = int(v.max()) - lo + 1
        if span <= 4 * len(v) + 1024:
            offset = (v - lo).astype(np.intp, copy=False)
            full = np.bincount(offset, minlength=span)
            present = full > 0
            return (np.cumsum(present) - 1)[offset], full[present]
    _, group, counts = np.unique(v, return_inverse=True, return_counts=True)
    return group.reshape(-1), counts


def add_scores(df: pd.DataFrame, bins: int) -> None:
    """R, F and M scores 1..``bins`` among buyers (higher is better: more recent, more
    purchase days, more revenue), in place, by :func:`value_tiles`: customers who behave
    alike score alike, whatever their ids. Non-buyers get null."""
    for col, score in score_columns(df["frequency"], df["recency_days"], df["revenue"], bins).items():
        df[col] = score


def score_columns(frequency: Any, recency_days: Any, revenue: Any, bins: int) -> dict[str, pd.arrays.IntegerArray]:
    """The columns :func:`add_scores` sets, from the three measures (Series or arrays)."""
    buyers = np.flatnonzero(np.asarray(frequency) > 0)
    out = {}
    for col, values, descending in (("r_score", recency_days, True), ("f_score", frequency, False),
                                    ("m_score", revenue, False)):
        score = np.zeros(len(frequency), dtype=np.int64)
        score[buyers] = value_tiles(_buyer_values(values, buyers), bins, descending=descending)
        out[col] = pd.arrays.IntegerArray(score, score == 0)  # 0 = not a buyer -> <NA>
    return out


def _buyer_values(values: Any, buyers: np.ndarray) -> np.ndarray:
    """The buyers' values: whole numbers stay integers when none is missing (then
    :func:`value_tiles` counts instead of sorting); anything else as float64."""
    array = values.array if isinstance(values, pd.Series) else values
    if isinstance(array, pd.arrays.IntegerArray):
        if not np.asarray(array.isna())[buyers].any():
            return array.to_numpy(dtype=np.int64, na_value=0)[buyers]
        return array.to_numpy(dtype=np.float64, na_value=np.nan)[buyers]
    array = np.asarray(array)
    return array[buyers] if np.issubdtype(array.dtype, np.integer) else array[buyers].astype(np.float64, copy=False)


def filter_options(store: Store) -> dict[str, list[str]]:
    """Distinct values for each global filter, for the sidebar."""
    rows = store.rows("""SELECT 'regions', list(DISTINCT region ORDER BY region) FROM stg_customers
                         UNION ALL SELECT 'channels', list(DISTINCT channel ORDER BY channel) FROM stg_customers
                         UNION ALL SELECT 'customer_types', list(DISTINCT customer_type ORDER BY customer_type)
                         FROM stg_customers""")
    return {k: list(v or []) for k, v in rows}
