"""Monthly activity panel: any customer's totals over any window of months in two lookups.

Built from ``customer_months`` (one row per customer per month with a transaction). Rows
are kept sorted by (customer code, month) with running sums, so the total of a column over
months ``lo..hi`` is a difference of two running sums. The row of (customer, month) is
``start[customer]`` plus the customer's active months up to that month, counted from a
bit mask (64 months a word: 4 MB for 500k customers over 5 years), so a million windows
cost a few fancy-index lookups each: no search, no per-row Python.
Used by the loyalty analysis (before/after windows around enrolment dates).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from crm_core.filters import Filters
from crm_core.store.connection import Store

__all__ = ["COLUMNS", "Panel", "month_index", "months_of", "month_start", "load_panel"]

COLUMNS: tuple[str, ...] = ("revenue", "profit", "purchase_days", "orders", "discounted")
NEVER = np.iinfo(np.int32).max
_POW2 = np.left_shift(np.uint64(1), np.arange(64, dtype=np.uint64))


def month_index(start: date, day: date) -> int:
    """Months from the month of ``start`` to the month of ``day``."""
    return (day.year - start.year) * 12 + day.month - start.month


def months_of(panel: "Panel", dates: pd.Series) -> np.ndarray:
    """The month index (see :func:`month_index`) of each date, counted from the panel's start."""
    ts = pd.to_datetime(dates)
    return ((ts.dt.year - panel.start.year) * 12 + ts.dt.month - panel.start.month).to_numpy(np.int64)


def month_start(start: date, m: int) -> date:
    """The first day of month ``m`` counted from the month of ``start``."""
    y, mo = divmod(start.year * 12 + start.month - 1 + int(m), 12)
    return date(y, mo + 1, 1)


class Panel:
    """Monthly totals per customer code (0..n-1) for months 0..``last_m`` (complete months)."""

    def __init__(self, monthly: pd.DataFrame, n_customers: int, start: date, last_m: int) -> None:
        self.start = start
        self.last_m = int(last_m)
        self.n = int(n_customers)
        code = monthly["code"].to_numpy(np.int32)
        m = monthly["m"].to_numpy(np.int32)
        keep = (m >= 0) & (m <= self.last_m)
        whole = bool(keep.all())
        if not whole:
            code, m = code[keep], m[keep]
        # customer_months is written in (customer_key, month) order, so the rows usually
        # arrive sorted: check (one pass) before paying for a sort.
        same = code[1:] == code[:-1]
        ordered = bool(np.all((code[1:] > code[:-1]) | (same & (m[1:] > m[:-1]))))
        del same
        order = None
        if not ordered:   # usually a few sorted runs (later writes appended): timsort merges runs
            order = np.argsort(code.astype(np.int64) * (self.last_m + 1) + m, kind="stable")
        self._code = code if order is None else code[order]
        self._month = m if order is None else m[order]
        self._start = np.searchsorted(self._code, np.arange(self.n + 1, dtype=np.int32)).astype(np.int64)
        # Active months as bits: 64 months a word, one row of words per customer (4 MB for
        # 500k customers over 5 years), plus the active months in the words before.
        self._words = max((self.last_m + 64) // 64, 1)
        key = self._code.astype(np.int64) * self._words + (self._month >> 6)
        bits = _POW2[self._month & 63]   # a lookup: ten times faster than a uint64 shift here
        masks = np.zeros(self.n * self._words, dtype=np.uint64)
        if len(key):
            first = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
            masks[key[first]] = np.bitwise_or.reduceat(bits, first)
        self._masks = masks.reshape(self.n, self._words)
        counts = np.bitwise_count(self._masks).astype(np.int16)
        self._before = np.cumsum(counts, axis=1, dtype=np.int16) - counts   # active months in earlier words
        self._cum: dict[str, np.ndarray] = {}
        for col in COLUMNS:   # money in float64; counts in int64 running sums (exact)
            values = monthly[col].to_numpy()
            if not whole:
                values = values[keep]
            if order is not None:
                values = values[order]
            if col in ("revenue", "profit"):
                kind = np.float64
            else:   # exact counts; 32 bits while the total fits (half the memory to touch)
                kind = np.int32 if int(values.sum(dtype=np.int64)) < 2**31 - 1 else np.int64
            cum = np.empty(len(values) + 1, dtype=kind)
            cum[0] = 0
            np.cumsum(values, out=cum[1:])
            self._cum[col] = cum
        self._by_month: np.ndarray | None = None
        self._by_first: np.ndarray | None = None
        self._month_bounds = np.zeros(0, dtype=np.int64)
        self.first_m = np.full(self.n, NEVER, dtype=np.int64)
        has = self._start[:-1] < self._start[1:]           # rows sorted by (code, month): first row = first month
        self.first_m[has] = self._month[self._start[:-1][has]]

    def _pos(self, codes: np.ndarray, m: np.ndarray | int) -> np.ndarray:
        """Number of rows with key <= (code, m), m clipped to -1..last_m."""
        m = np.clip(np.asarray(m, dtype=np.int64), -1, self.last_m)
        mm = np.maximum(m, 0)
        w = mm >> 6
        b = (mm & 63).astype(np.uint64)
        low = np.where(b == 63, np.uint64(0xFFFFFFFFFFFFFFFF),
                       np.left_shift(np.uint64(1), np.minimum(b + np.uint64(1), np.uint64(63))) - np.uint64(1))
        if self._words == 1:
            inside = np.bitwise_count(self._masks[codes, 0] & low)
            count = inside.astype(np.int64)
        else:
            count = self._before[codes, w].astype(np.int64) + np.bitwise_count(self._masks[codes, w] & low)
        return self._start[codes] + np.where(m < 0, 0, count)

    def window(self, codes: np.ndarray, lo: np.ndarray | int, hi: np.ndarray | int,
               columns: tuple[str, ...] = COLUMNS) -> dict[str, np.ndarray]:
        """Totals over months ``lo..hi`` (inclusive, clipped to 0..last_m) per code."""
        codes = np.asarray(codes, dtype=np.int64)
        lo = np.maximum(np.asarray(lo, dtype=np.int64), 0)
        hi = np.minimum(np.asarray(hi, dtype=np.int64), self.last_m)
        p_hi = self._pos(codes, hi)
        p_lo = np.minimum(self._pos(codes, lo - 1), p_hi)   # empty windows (hi < lo) sum to 0
        return {c: self._cum[c][p_hi] - self._cum[c][p_lo] for c in columns}

    def prepare(self) -> None:
        """Build the lookup indexes now (before threads share the panel, so none builds
        them twice)."""
        self.by_first_month()
        self.buyers_in(0)

    def by_first_month(self) -> np.ndarray:
        """Customer codes ordered by their first active month (computed once)."""
        if self._by_first is None:
            first = np.minimum(self.first_m, self.last_m + 1).astype(np.int16)   # small ints: radix sort
            self._by_first = np.argsort(first, kind="stable")
        return self._by_first

    def buyers_in(self, m: int) -> np.ndarray:
        """Codes (ascending) of the customers with a purchase day in month ``m``."""
        if self._by_month is None:   # once: a counting sort of the purchase rows by month
            bought = np.flatnonzero(np.diff(self._cum["purchase_days"]) > 0)
            months = self._month[bought].astype(np.int16)
            order = np.argsort(months, kind="stable")               # radix sort; codes stay ascending
            self._by_month = self._code[bought[order]].astype(np.int64)
            counts = np.bincount(months, minlength=self.last_m + 1)[: self.last_m + 1]
            self._month_bounds = np.concatenate([[0], np.cumsum(counts)])
        if not 0 <= m <= self.last_m:
            return np.zeros(0, dtype=np.int64)
        return self._by_month[self._month_bounds[m]:self._month_bounds[m + 1]]

    def running(self, codes: np.ndarray, m: np.ndarray | int, columns: tuple[str, ...] = COLUMNS
                ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Row positions and each code's own running totals through month ``m`` (m < 0:
        zero). Differences of two of these are window totals; see :meth:`window`."""
        codes = np.asarray(codes, dtype=np.int64)
        pos = self._pos(codes, m)
        first = self._start[codes]
        return pos, {c: self._cum[c][pos] - self._cum[c][first] for c in columns}

    def positions(self, codes: np.ndarray, m: np.ndarray | int) -> np.ndarray:
        """Row positions of each code through month ``m``; ``m`` = None-like -1 gives the
        customer's start. Pair two with :meth:`between` for a window total."""
        return self._pos(np.asarray(codes, dtype=np.int64), m)

    def start_positions(self, codes: np.ndarray) -> np.ndarray:
        return self._start[np.asarray(codes, dtype=np.int64)]

    def between(self, column: str, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Total of ``column`` over the rows between positions ``lo`` and ``hi``."""
        cum = self._cum[column]
        return cum[hi] - cum[lo]

    def last_active_before(self, codes: np.ndarray, m: np.ndarray | int) -> np.ndarray:
        """The latest month < ``m`` with a transaction, or -1."""
        codes = np.asarray(codes, dtype=np.int64)
        pos = self._pos(codes, np.asarray(m, dtype=np.int64) - 1) - 1
        ok = pos >= self._start[codes]
        if len(self._month) == 0:
            return np.full(len(codes), -1, dtype=np.int64)
        return np.where(ok, self._month[np.maximum(pos, 0)], -1)


def load_panel(store: Store, start: date, as_of: date, n_customers: int, filters: Filters = Filters()) -> Panel:
    """The panel of the filtered customers by ``customers.customer_key`` (keys below
    ``n_customers``) from the month of ``start``. The last complete month is the
    one before ``as_of``'s month, or ``as_of``'s own month when ``as_of`` is its last day."""
    monthly = store.query("loyalty_monthly", {"start": start, "as_of": as_of, **filters.params()},
                          filtered=filters.active)
    last_m = month_index(start, as_of) - (0 if (as_of + timedelta(days=1)).day == 1 else 1)
    return Panel(monthly, n_customers, start, last_m)
