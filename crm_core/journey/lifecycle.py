"""Lifecycle stages: where each customer stands at a date, how many stand where month by
month, and who moved from which stage to which between two dates.

Stages of a *known* customer (known since their sign-up or first purchase, whichever is
earlier) at a date ``d``, the first that applies in this order:

- ``churned``: lapsed or exited by ``d`` and not back (the Churn page's definition, the
  same churn history: explicit exit events, else ``window_days`` without a purchase);
- ``won_back``: bought again, after a churn, within the ``new_days`` up to ``d``;
- ``new``: first purchase within the ``new_days`` up to ``d``;
- ``at_risk``: a repeat buyer whose days since the last purchase exceed ``risk_factor``
  times their own usual gap between purchase days (the "days overdue" signal of the
  Churn page's at-risk list);
- ``loyal``: at least ``loyal_purchases`` purchase days so far;
- ``active``: every other customer who has bought;
- ``prospect``: known, never bought.

So the stages partition the known customers at every date. The rule (``new_days``,
``loyal_purchases``, ``risk_factor``) is a :class:`LifecycleRule`, editable on the page and
in the CLI. The state at each date comes from the derived ``customer_days`` (one query for
all dates, see ``sql/lifecycle_state.sql``); churns from :func:`crm_core.exits.events.churn_history`.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from crm_core.errors import InvalidParameterError, NoDataError
from crm_core.exits.alive import AliveRule
from crm_core.exits.churn import default_window
from crm_core.exits.events import _churns, _codes, _column, _customers, _event_rows
from crm_core.exits.history import NEVER, ChurnHistory, day_number
from crm_core.filters import Filters
from crm_core.store.connection import Store

__all__ = [
    "FLOW_START",
    "STAGES",
    "Lifecycle",
    "LifecycleRule",
    "flow_customers",
    "flows",
    "lifecycle",
    "month_ends",
    "people",
    "stage_sizes",
    "stages_at",
    "summary",
]

#: The stages in the order a customer passes through them (and the charts show them).
STAGES: tuple[str, ...] = ("prospect", "new", "active", "loyal", "at_risk", "churned", "won_back")
#: Code of customers not yet known at a date (the flows' extra source: they become known later).
NOT_KNOWN = -1
#: Flow source of customers who were not yet known at the first date.
FLOW_START = "not_known"
_CODE = {s: i for i, s in enumerate(STAGES)}


@dataclass(frozen=True)
class LifecycleRule:
    """The editable part of the stage definitions (see the module docstring)."""

    new_days: int = 90
    loyal_purchases: int = 4
    risk_factor: float = 1.5

    def __post_init__(self) -> None:
        if not isinstance(self.new_days, (int, np.integer)) or not 7 <= self.new_days <= 730:
            raise InvalidParameterError("new_days must be 7..730", name="new_days", value=self.new_days)
        if not isinstance(self.loyal_purchases, (int, np.integer)) or not 2 <= self.loyal_purchases <= 1000:
            raise InvalidParameterError("loyal_purchases must be 2..1000", name="loyal_purchases",
                                        value=self.loyal_purchases)
        if not 1.0 <= float(self.risk_factor) <= 20.0:
            raise InvalidParameterError("risk_factor must be 1..20", name="risk_factor", value=self.risk_factor)


@dataclass(frozen=True)
class Lifecycle:
    """Stages of the filtered customers at ``dates``: ``stage[c, i]`` is the stage code
    (index into STAGES; NOT_KNOWN before the customer was known) of customer ``c`` (row of
    the filtered customers in customer_key order, ``keys[c]``) at ``dates[i]``."""

    dates: tuple[date, ...]
    window_days: int
    rule: LifecycleRule
    keys: np.ndarray
    stage: np.ndarray

    def sizes(self) -> pd.DataFrame:
        """Customers per stage (columns, every stage) at each date (rows)."""
        counts = np.stack([np.bincount(self.stage[:, i][self.stage[:, i] >= 0], minlength=len(STAGES))
                           for i in range(len(self.dates))]) if len(self.dates) else np.zeros((0, len(STAGES)))
        return pd.DataFrame(counts.astype(np.int64), index=pd.DatetimeIndex(pd.to_datetime(list(self.dates)), name="date"),
                            columns=pd.Index(list(STAGES), name="stage"))


def month_ends(as_of: date, months: int) -> tuple[date, ...]:
    """The last days of the ``months`` calendar months up to ``as_of`` (the last is ``as_of``)."""
    if not 1 <= months <= 120:
        raise InvalidParameterError("months must be 1..120", name="months", value=months)
    first = pd.Timestamp(as_of).to_period("M") - (months - 1)
    ends = [(first + k).end_time.date() for k in range(months)]
    ends[-1] = as_of
    return tuple(ends)


def _fill(stage: np.ndarray, code: np.ndarray | None, lo: np.ndarray, hi: np.ndarray, value: int) -> None:
    """Set ``stage[code, lo:hi] = value`` for every row (date indexes). ``code`` None: one
    interval per customer, row c for customer c (a mask over the whole matrix); else any
    number per customer, expanded to the cells they cover."""
    if code is None:
        cols = np.arange(stage.shape[1], dtype=np.int64)
        stage[(cols >= lo[:, None]) & (cols < hi[:, None])] = value
        return
    width = np.clip(hi.astype(np.int64) - lo, 0, None)
    cells = np.repeat(np.asarray(code, np.int64), width)
    cols = np.arange(len(cells), dtype=np.int64) + np.repeat(lo.astype(np.int64) - (np.cumsum(width) - width), width)
    stage[cells, cols] = value


def _ranges(stage: np.ndarray, code: np.ndarray | None, start: np.ndarray, stop: np.ndarray, days: np.ndarray,
            value: int) -> None:
    """Set ``stage[code, i] = value`` for the dates ``days[i]`` in [start, stop) of each row."""
    _fill(stage, code, np.searchsorted(days, start, "left"), np.searchsorted(days, stop, "left"), value)


def _state(store: Store, dates: tuple[date, ...], filters: Filters, grid: bool) -> pa.Table:
    return store.arrow("lifecycle_state", {"dates": list(dates), **filters.params()}, filtered=filters.active,
                       options=frozenset({"grid" if grid else "dates"}))


def _repeat_stages(stage: np.ndarray, spans: pa.Table, keys: np.ndarray, first: np.ndarray, days: np.ndarray,
                   rule: LifecycleRule) -> None:
    """Loyal and at risk, from the repeat buyers' spans (see ``sql/lifecycle_state.sql``): a
    span's purchase days and last purchase hold on its dates ``lo..hi-1``; a customer is
    overdue on those after last + risk_factor x their usual gap."""
    key = spans.column("key").to_numpy()
    dense = len(keys) > 0 and keys[0] == 0 and keys[-1] == len(keys) - 1   # no filter: key = code
    code = key if dense else _codes(pd.DataFrame({"customer_key": keys}), key)
    lo, hi = spans.column("lo").to_numpy(), spans.column("hi").to_numpy()
    pdays = spans.column("purchase_days").to_numpy()
    loyal = pdays >= rule.loyal_purchases
    _fill(stage, code[loyal], lo[loyal], hi[loyal], _CODE["loyal"])
    last = _column(spans, "last_purchase", np.int32).astype(np.float64)
    due = last + rule.risk_factor * (last - first[code]) / (pdays - 1)
    _fill(stage, code, np.maximum(lo, np.searchsorted(days, due, "right")), hi, _CODE["at_risk"])


def lifecycle(store: Store, dates: tuple[date, ...] | list[date], *, filters: Filters = Filters(),
              window_days: int | None = None, rule: LifecycleRule = LifecycleRule(), grid: bool = False,
              alive: AliveRule | None = None) -> Lifecycle:
    """Every filtered customer's stage at each of ``dates`` (sorted, at most 120). ``grid``:
    the dates are :func:`month_ends` (faster). ``window_days`` defaults to the Churn page's
    (:func:`crm_core.exits.churn.default_window` at the last date); ``alive`` judges churn by
    probability alive instead, as the Churn page can."""
    dates = tuple(dates)
    if not dates or len(dates) > 120 or any(b <= a for a, b in zip(dates, dates[1:])):
        raise InvalidParameterError("dates must be 1..120 increasing dates", name="dates", value=len(dates))
    as_of = dates[-1]
    with store.cursor():
        window = default_window(store, as_of) if window_days is None else int(window_days)
        with ThreadPoolExecutor(max_workers=1) as pool:   # the state query beside the churn queries
            state = pool.submit(_state, store, dates, filters, grid)
            cust = store.arrow("lifecycle_customers", filters.params(), filtered=filters.active)
            keys = cust.column("customer_key").to_numpy().astype(np.int64)
            first = _column(cust, "first_purchase", np.int32)
            known = _column(cust, "known_since", np.int32)
            ch = _churns(pd.DataFrame({"customer_key": keys}), *_event_rows(store, as_of, window, filters, alive))
            history = ChurnHistory(ch.code, ch.churn, ch.back, ch.reason, first, pd.RangeIndex(len(keys)))
            rows = state.result()
    days = np.array([day_number(d) for d in dates], np.int32)
    n = len(keys)
    stage = np.full((n, len(days)), NOT_KNOWN, np.int8)
    never = np.full(n, NEVER + 1, np.int32)
    _ranges(stage, None, known, never, days, _CODE["prospect"])
    _ranges(stage, None, first, never, days, _CODE["active"])
    _repeat_stages(stage, rows, keys, first, days, rule)
    del rows
    _ranges(stage, None, first, first + rule.new_days, days, _CODE["new"])
    ok = history.valid
    c, churn, back = history.code[ok], history.churn_raw[ok], history.back_raw[ok]
    _ranges(stage, c, back, back + rule.new_days, days, _CODE["won_back"])
    _ranges(stage, c, churn, back, days, _CODE["churned"])
    return Lifecycle(dates=dates, window_days=window, rule=rule, keys=keys, stage=stage)


def stage_sizes(store: Store, as_of: date, *, months: int = 24, filters: Filters = Filters(),
                window_days: int | None = None, rule: LifecycleRule = LifecycleRule()) -> pd.DataFrame:
    """Customers per stage at the end of each of the ``months`` months up to ``as_of``."""
    lc = lifecycle(store, month_ends(as_of, months), filters=filters, window_days=window_days, rule=rule, grid=True)
    return lc.sizes()


def people(store: Store, filters: Filters = Filters()) -> pd.DataFrame:
    """The filtered customers by code (row c is ``Lifecycle.keys[c]``): id, first purchase,
    region, channel, customer type; for the lists behind the stages and flows."""
    return _customers(store, filters)


_LIST_COLUMNS = ["customer_id", "region", "channel", "customer_type", "first_purchase"]


def stages_at(lc: Lifecycle, who: pd.DataFrame, i: int = -1) -> pd.DataFrame:
    """The known customers at ``lc.dates[i]`` with their stage (``who``: :func:`people`)."""
    col = lc.stage[:, i]
    rows = np.flatnonzero(col >= 0)
    out = who.iloc[rows][_LIST_COLUMNS]
    return out.assign(stage=pd.Categorical.from_codes(col[rows], list(STAGES))).reset_index(drop=True)


def flows(lc: Lifecycle, a: int = 0, b: int = -1) -> pd.DataFrame:
    """Customers moving from each stage at ``dates[a]`` (or ``not_known``) to each stage at
    ``dates[b]``: source, target, customers (only pairs with customers; the customers known
    at ``dates[b]``, so the targets add up to its stage sizes and the sources to the sizes at
    ``dates[a]`` plus the newly known)."""
    s0, s1 = lc.stage[:, a].astype(np.int64), lc.stage[:, b].astype(np.int64)
    keep = s1 >= 0
    k = len(STAGES) + 1
    counts = np.bincount((s0[keep] + 1) * k + (s1[keep] + 1), minlength=k * k).reshape(k, k)
    names = [FLOW_START, *STAGES]
    src, dst = np.nonzero(counts)
    return pd.DataFrame({"source": [names[s] for s in src], "target": [names[d] for d in dst],
                         "customers": counts[src, dst].astype(np.int64)})


def flow_customers(lc: Lifecycle, who: pd.DataFrame, source: str, target: str, a: int = 0, b: int = -1
                   ) -> pd.DataFrame:
    """The customers behind one flow of :func:`flows` (``who``: :func:`people`)."""
    names = [FLOW_START, *STAGES]
    if source not in names or target not in STAGES:
        raise InvalidParameterError("unknown stage", name="stage", value=f"{source}->{target}")
    s0, s1 = lc.stage[:, a].astype(np.int64), lc.stage[:, b].astype(np.int64)
    rows = np.flatnonzero((s0 == names.index(source) - 1) & (s1 == _CODE[target]))
    return who.iloc[rows][_LIST_COLUMNS].assign(stage_before=source, stage=target).reset_index(drop=True)


def summary(store: Store, as_of: date, *, months: int = 24, filters: Filters = Filters(),
            window_days: int | None = None, rule: LifecycleRule = LifecycleRule()) -> dict:
    """The CLI's ``lifecycle --json`` document: the stages at ``as_of`` and month by month."""
    lc = lifecycle(store, month_ends(as_of, months), filters=filters, window_days=window_days, rule=rule, grid=True)
    sizes = lc.sizes()
    if int(sizes.iloc[-1].sum()) == 0:
        raise NoDataError("no customer is known by this date", kind="customers")
    last = sizes.iloc[-1]
    return {
        "as_of": as_of.isoformat(), "window_days": lc.window_days,
        "rule": {"new_days": rule.new_days, "loyal_purchases": rule.loyal_purchases, "risk_factor": rule.risk_factor},
        "customers": int(last.sum()),
        "stages": [{"stage": s, "customers": int(last[s])} for s in STAGES],
        "months": [{"month": d.strftime("%Y-%m"), **{s: int(row[s]) for s in STAGES}}
                   for d, row in sizes.iterrows()],
    }
