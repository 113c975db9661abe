"""Every churn of the filtered customers as a few integer arrays, for counts over any period.

Churn rates need, for every month of two years and every group, who was active at a
period's start and who of them churned in it. That depends on each customer's whole churn
history, but only on customers, dates and reasons; so the history is kept as customer
codes, int32 day numbers (days since 1970) and reason codes (a few bytes per churn), and
the per-churn frame with attributes and money is built only for the churns of the period
shown (:mod:`crm_core.exits.churn`). On a million churns that is the difference between tens
and hundreds of megabytes of fresh memory, which is most of the time on this kind of
machine.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

__all__ = ["REASONS", "NEVER", "day_number", "day_numbers", "ChurnHistory", "month_reason_counts"]

REASONS: tuple[str, ...] = ("price", "product", "service", "market", "technology", "social", "other", "unknown")
#: "No such date" as a day number (no return yet, never bought): later than any real day.
NEVER = np.iinfo(np.int32).max // 2


def day_number(d: date | pd.Timestamp) -> int:
    """A date as days since 1970-01-01."""
    return int(np.datetime64(pd.Timestamp(d).date(), "D").astype(np.int64))


def day_numbers(values: object) -> np.ndarray:
    """Dates (datetime64 or NaT) as int32 day numbers; missing dates become :data:`NEVER`."""
    d = np.asarray(values).astype("datetime64[D]")
    out = d.view(np.int64).astype(np.int32)
    out[np.isnat(d)] = NEVER
    return out


def month_reason_counts(days: np.ndarray, reasons: np.ndarray, as_of: date, months: int = 24,
                        eligible: np.ndarray | None = None) -> pd.DataFrame:
    """Churns per calendar month (rows: the ``months`` months up to ``as_of``) and reason
    (columns: every reason), from day numbers and reason codes (indexes into REASONS; -1 is
    not counted): counts per day and reason, summed over each month's days. With
    ``eligible`` (the day from which each churn counts, see :class:`ChurnHistory`), only
    churns eligible by the eve of their month count, as in that month's churn rate."""
    start = (pd.Timestamp(as_of).to_period("M") - (months - 1)).start_time
    index = pd.date_range(start, periods=months, freq="MS", name="month")
    lo, hi = day_number(start), day_number(as_of)
    keep = (days >= lo) & (days <= hi) & (reasons >= 0)
    if eligible is not None:
        month_eve = day_numbers(days.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]")) - 1
        keep &= eligible <= month_eve
    per_day = np.bincount((days[keep] - lo).astype(np.int64) * len(REASONS) + reasons[keep].astype(np.int64),
                          minlength=(hi - lo + 1) * len(REASONS)).reshape(hi - lo + 1, len(REASONS))
    bounds = np.array([day_number(m) - lo for m in index])     # each month's first day
    return pd.DataFrame(np.add.reduceat(per_day, bounds, axis=0), index=index,
                        columns=pd.Index(list(REASONS), name="reason"))


def _cumulative(days: np.ndarray, origin: int, span: int) -> np.ndarray:
    """How many of ``days`` (NEVER excluded) fall on or before each day origin..origin+span-1."""
    d = days[days < NEVER].astype(np.int64) - origin
    return np.cumsum(np.bincount(np.clip(d, 0, span - 1), minlength=span))


class ChurnHistory:
    """All churns up to a date. A churn in (start, end] counts for a period when its
    customer was active at ``start`` (bought by then; not churned, or back since) and it is
    the customer's first churn in the period; both follow from the customer's previous
    churn, so each churn has one day from which it counts (``eligible``: the latest of the
    first purchase and the previous churn and return), and a period only looks at its own
    churns.

    ``code``: customer code of each churn (row of ``customer_ids``); ``churn``/``back``:
    churn and return day numbers (``back`` NEVER: not back); ``reason``: REASONS index;
    ``first``: each customer's first purchase day (NEVER: never bought)."""

    def __init__(self, code: np.ndarray, churn: np.ndarray, back: np.ndarray, reason: np.ndarray,
                 first: np.ndarray, customer_ids: pd.Index) -> None:
        code = np.asarray(code, np.int64)
        churn, back = np.asarray(churn, np.int32), np.asarray(back, np.int32)
        self.first, self.code, self.churn_raw, self.back_raw = np.asarray(first, np.int32), code, churn, back
        self.reason = np.asarray(reason, np.int8)
        self.customer_ids = customer_ids
        # An exit dated before the customer's first purchase (or of a customer who never
        # bought) ends nothing: it never counts, and the customer is active from their first
        # purchase on. (Such rows come from exit files that disagree with the purchases.)
        self.valid = churn >= self.first[code]
        keep = np.flatnonzero(self.valid)
        code, churn, back = code[keep], churn[keep], back[keep]
        # The previous churn of the same customer: the queries return runs sorted by (code,
        # date), so the stable sort is near-linear; sort fully only when dates are out of order.
        by_customer = np.argsort(code, kind="stable")
        c_sorted = code[by_customer]
        same = c_sorted[1:] == c_sorted[:-1]
        del c_sorted
        if np.any(same & (churn[by_customer[1:]] < churn[by_customer[:-1]])):
            by_customer = np.lexsort((churn, code))
        eligible = self.first[code]
        later, earlier = by_customer[1:][same], by_customer[:-1][same]
        del same
        eligible[later] = np.maximum(eligible[later], np.maximum(churn[earlier], back[earlier]))
        del later, earlier, by_customer
        self.eligible_raw = np.full(len(self.code), NEVER, np.int32)    # per churn as given; NEVER: never counts
        self.eligible_raw[keep] = eligible
        low = int(churn.min()) if len(churn) else 0
        span = int(churn.max()) - low if len(churn) else 0
        order = (np.argsort((churn - low).astype(np.uint16), kind="stable") if span < 65_535   # radix sort
                 else np.argsort(churn, kind="stable"))
        self.churn = churn[order]
        self.eligible = eligible[order]
        # Running counts per day (first purchases, churns, returns on or before each day): a
        # period's active base is three lookups. Days before all of them count nothing.
        known = [a[a < NEVER] for a in (self.first, churn, back)]
        self._origin = min((int(a.min()) for a in known if len(a)), default=0)
        self._span = max((int(a.max()) for a in known if len(a)), default=0) - self._origin + 1
        self._firsts, self._churns, self._backs = (_cumulative(a, self._origin, self._span)
                                                   for a in (self.first, churn, back))

    def _count(self, running: np.ndarray, day: int) -> int:
        i = day - self._origin
        return 0 if i < 0 else int(running[min(i, self._span - 1)])

    @property
    def first_day(self) -> int | None:
        """The first purchase of anyone (None: nobody bought)."""
        bought = self.first[self.first < NEVER]
        return int(bought.min()) if len(bought) else None

    @classmethod
    def from_events(cls, events: pd.DataFrame, first: np.ndarray, customer_ids: pd.Index | None = None
                    ) -> ChurnHistory:
        """From a frame with code, churn_date, return_date (and reason) and first purchases
        (datetime64 by code)."""
        reason = (pd.Categorical(events["reason"], categories=list(REASONS)).codes if "reason" in events
                  else np.full(len(events), REASONS.index("unknown"), np.int8))
        ids = pd.RangeIndex(len(first)) if customer_ids is None else customer_ids
        return cls(events["code"].to_numpy(np.int64), day_numbers(events["churn_date"].to_numpy()),
                   day_numbers(events["return_date"].to_numpy()), reason, day_numbers(first), ids)

    def __len__(self) -> int:
        return len(self.code)

    def period(self, start: int, end: int) -> tuple[int, int]:
        """(customers active at day ``start``, how many of them churned in (start, end])."""
        active = self._count(self._firsts, start) - self._count(self._churns, start) + self._count(self._backs, start)
        lo, hi = np.searchsorted(self.churn, [start, end], side="right")
        return active, int((self.eligible[lo:hi] <= start).sum())

    def counted(self, start: int, end: int) -> np.ndarray:
        """Mask over the churns (in the order given): those that count for the period
        (start, end], i.e. the first churn in it of a customer active at ``start``. Its size
        is :meth:`period`'s churned count; the period's reasons, lost profit and lists are
        these churns, so they add up to the rate's numerator."""
        return (self.churn_raw > start) & (self.churn_raw <= end) & (self.eligible_raw <= start)

    def gone(self, day: int) -> np.ndarray:
        """Mask of customers churned at ``day`` and not back by then."""
        out = np.zeros(len(self.first), bool)
        out[self.code[self.valid & (self.churn_raw <= day) & (self.back_raw > day)]] = True
        return out

    def base(self, start: int) -> np.ndarray:
        """Mask of customers active at day ``start``."""
        return (self.first <= start) & ~self.gone(start)

    def churned(self, start: int, end: int) -> np.ndarray:
        """Mask of customers with a churn in (start, end]."""
        hit = np.zeros(len(self.first), bool)
        hit[self.code[self.valid & (self.churn_raw > start) & (self.churn_raw <= end)]] = True
        return hit

    def over_time(self, as_of: date, months: int = 24) -> pd.DataFrame:
        """Churns per month and reason that count for their month (see :meth:`counted`): each
        month's row adds up to that month's churned count in the monthly churn rate."""
        return month_reason_counts(self.churn_raw, self.reason, as_of, months, eligible=self.eligible_raw)
