"""Every churn up to a date, as arrays and as a frame: the explicit exit events and the
inactivity (or P(alive)) lapses from the store, joined to the customers' attributes.

:mod:`crm_core.exits.churn` turns them into rates, reasons and lost profit; the history
(:mod:`crm_core.exits.history`) counts active bases and churns at any date from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_core.errors import InvalidParameterError
from crm_core.exits.alive import AliveRule
from crm_core.exits.history import NEVER, REASONS, ChurnHistory, day_numbers
from crm_core.filters import Filters
from crm_core.store.connection import Store

__all__ = ["DIMENSIONS", "churn_events", "churn_history"]

DIMENSIONS: tuple[str, ...] = ("region", "channel", "customer_type")


def _check_window(window_days: int) -> None:
    if not isinstance(window_days, (int, np.integer)) or not 7 <= window_days <= 3650:
        raise InvalidParameterError("the inactivity window must be 7..3650 days", name="window_days",
                                    value=window_days)


def _customers(store: Store, filters: Filters) -> pd.DataFrame:
    """The filtered customers by code (row i has code i, in customer_key order): key, id,
    first purchase, attributes."""
    df = store.query("churn_customers", filters.params(), filtered=filters.active)
    for col in DIMENSIONS:
        df[col] = df[col].astype("category")
    return df


def _codes(customers: pd.DataFrame, keys: np.ndarray) -> np.ndarray:
    """The codes (rows of :func:`_customers`) of these customer keys (all among them): one
    gather through a dense key -> row table (keys are small integers)."""
    known = customers["customer_key"].to_numpy(np.int64)
    row = np.zeros(int(known.max(initial=-1)) + 1, dtype=np.int64)
    row[known] = np.arange(len(known))
    return row[np.asarray(keys, np.int64)]


def _column(table: pa.Table, name: str, dtype: Any) -> np.ndarray:
    """One result column as numpy: dates as int32 day numbers (NULL: NEVER), decimals as floats."""
    col = table.column(name)
    if pa.types.is_date(col.type):
        col = pc.fill_null(col.cast(pa.int32()), NEVER)
    elif pa.types.is_decimal(col.type):
        col = col.cast(pa.float64())
    return np.asarray(col.to_numpy(), dtype=dtype)


@dataclass(frozen=True)
class _Churns:
    """Every churn as columns: the explicit events, then the lapses (in customer order)."""

    n_explicit: int
    code: np.ndarray          # customer code (int64)
    churn: np.ndarray         # churn day number (int32)
    back: np.ndarray          # return day number (int32, NEVER: not back)
    reason: np.ndarray        # REASONS index (int8)
    detail: np.ndarray        # index into details (int32, -1: none)
    details: list[str]
    revenue: np.ndarray       # lifetime totals at the churn
    profit: np.ndarray
    purchase_days: np.ndarray


def _churns(cust: pd.DataFrame, explicit: pa.Table, lapses: pa.Table) -> _Churns:
    n_exp, n_lap = explicit.num_rows, lapses.num_rows

    def both(name: str, dtype: Any) -> np.ndarray:
        return np.concatenate([_column(explicit, name, dtype), _column(lapses, name, dtype)])

    reason = explicit.column("reason").to_pandas()
    head = pd.Categorical(reason.where(reason.isin(REASONS), "unknown"), categories=list(REASONS)).codes
    detail = explicit.column("reason_detail").to_pandas()
    details = sorted({str(v) for v in detail.dropna()})
    return _Churns(
        n_explicit=n_exp,
        code=_codes(cust, both("key", np.int64)),
        churn=both("churn_date", np.int32),
        back=np.concatenate([np.full(n_exp, NEVER, np.int32), _column(lapses, "return_date", np.int32)]),
        reason=np.concatenate([head.astype(np.int8), np.full(n_lap, REASONS.index("unknown"), np.int8)]),
        detail=np.concatenate([pd.Categorical(detail, categories=details).codes.astype(np.int32),
                               np.full(n_lap, -1, np.int32)]),
        details=details, revenue=both("revenue", np.float64), profit=both("gross_profit", np.float64),
        purchase_days=both("purchase_days", np.int32))


def _event_rows(store: Store, as_of: date, window_days: int, filters: Filters,
                alive: AliveRule | None) -> tuple[pa.Table, pa.Table]:
    """The explicit events and the lapses, by customer key (see the two SQL files)."""
    _check_window(window_days)
    params = {"as_of": as_of, "window_days": int(window_days), **filters.params()}
    explicit = store.arrow("churn_explicit", params, filtered=filters.active)
    if alive is None:
        lapses = store.arrow("churn_lapses", params, filtered=filters.active)
    else:
        lapses = store.arrow("churn_lapses_alive", {**params, **alive.sql_params()}, filtered=filters.active)
    return explicit, lapses


def _ids(cust: pd.DataFrame) -> pd.CategoricalDtype:
    """The customers' ids as a categorical type (code i = customer i), built once per load."""
    return pd.CategoricalDtype(pd.Index(cust["customer_id"]))


def _dates(days: np.ndarray) -> np.ndarray:
    out = days.astype(np.int64).astype("datetime64[D]").astype("datetime64[ns]")
    out[days >= NEVER] = np.datetime64("NaT")
    return out


def _events_frame(cust: pd.DataFrame, ch: _Churns, rows: np.ndarray | None, alive: AliveRule | None,
                  ids: pd.CategoricalDtype | None = None) -> pd.DataFrame:
    """The churns ``rows`` (all when None) as a frame with the customers' attributes."""
    pick = (lambda a: a) if rows is None else (lambda a: a[rows])
    code, churn = pick(ch.code), pick(ch.churn)
    explicit = pick(np.arange(len(ch.code)) < ch.n_explicit)
    cols: dict[str, Any] = {
        "customer_id": pd.Categorical.from_codes(code, dtype=ids or _ids(cust)),
        "code": code,
        "churn_date": _dates(churn),
        "reason": pd.Categorical.from_codes(pick(ch.reason), list(REASONS)),
        "reason_detail": pd.Categorical.from_codes(pick(ch.detail), ch.details),
        "method": pd.Categorical.from_codes((~explicit).astype(np.int8),
                                            ["explicit", "inactivity" if alive is None else "p_alive"]),
        "return_date": _dates(pick(ch.back)),
    }
    for col in DIMENSIONS:
        cols[col] = pd.Categorical.from_codes(cust[col].cat.codes.to_numpy()[code], cust[col].cat.categories)
    first = day_numbers(cust["first_purchase"].to_numpy())[code]
    tenure = np.where(first < NEVER, churn - first, 0).clip(min=0)
    years = np.maximum(tenure, 30.0) / 365.25
    revenue = pick(ch.revenue)
    cols["tenure_days"] = tenure.astype(np.int64)
    cols["purchase_days"] = pick(ch.purchase_days)
    cols["revenue"] = revenue
    cols["annual_revenue"] = revenue / years
    cols["annual_profit"] = pick(ch.profit) / years
    return pd.DataFrame(cols, copy=False)   # the arrays are ours: no copy per column


def churn_events(store: Store, as_of: date, window_days: int, filters: Filters = Filters(),
                 customers: pd.DataFrame | None = None, alive: AliveRule | None = None) -> pd.DataFrame:
    """Every churn up to ``as_of``: customer_id, code, churn_date, reason, reason_detail,
    method (explicit / inactivity / p_alive), return_date (NaT unless they came back), region,
    channel, customer_type, tenure_days, purchase_days (distinct days bought on), revenue
    (lifetime), annual_revenue and annual_profit at the churn. With ``alive``, lapses come
    from the probability alive (``window_days`` then applies to customers without a repeat
    purchase only; see :mod:`crm_core.exits.alive`)."""
    cust = _customers(store, filters) if customers is None else customers
    return _events_frame(cust, _churns(cust, *_event_rows(store, as_of, window_days, filters, alive)), None, alive)


def _history(cust: pd.DataFrame, ch: _Churns, ids: pd.CategoricalDtype | None = None) -> ChurnHistory:
    return ChurnHistory(ch.code, ch.churn, ch.back, ch.reason, day_numbers(cust["first_purchase"].to_numpy()),
                        (ids or _ids(cust)).categories)


def churn_history(store: Store, as_of: date, window_days: int, filters: Filters = Filters(),
                  alive: AliveRule | None = None) -> ChurnHistory:
    """Every churn up to ``as_of`` as customer codes, day numbers and reasons (see
    :class:`~crm_core.churn_history.ChurnHistory`)."""
    cust = _customers(store, filters)
    return _history(cust, _churns(cust, *_event_rows(store, as_of, window_days, filters, alive)))


def _in_period(events: pd.DataFrame, start: date, end: date, columns: list[str] | None = None) -> pd.DataFrame:
    d = events["churn_date"]
    mask = ((d > pd.Timestamp(start)) & (d <= pd.Timestamp(end))).to_numpy()
    return events.loc[mask, columns] if columns else events[mask]


def _last_per_customer(events: pd.DataFrame) -> pd.DataFrame:
    """Each customer's last churn among ``events`` (ties: the later row), in customer
    order. The churn frames come in runs sorted by customer and date (explicit events,
    then lapses), so a stable sort of the integer codes suffices; dates out of order
    within a customer fall back to sorting by both."""
    code = events["code"].to_numpy(np.int64)
    when = events["churn_date"].to_numpy()
    order = np.argsort(code, kind="stable")
    c = code[order]
    same = c[1:] == c[:-1]
    if np.any(same & (when[order[1:]] < when[order[:-1]])):
        order = np.lexsort((when, code))
        c = code[order]
    last = order[np.append(c[1:] != c[:-1], True)] if len(c) else order
    return events.iloc[last]


