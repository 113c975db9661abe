"""Cohorts: customers grouped by when (or how) they first bought, followed period by period.

A customer's cohort is the month ('YYYY-MM') or quarter ('YYYY-Qn') of their first purchase,
or an attribute: acquisition channel, region, or the category they spent most on at their
first purchase. Period k = 0, 1, ... counts months (quarters for quarterly cohorts) from
the period of the customer's own first purchase. Only whole periods are counted: the table
runs ``through`` the last period end on or before the as-of date (a month still under way
would show falling retention that is only the month not being over).

For each cohort and k:
- ``eligible``: members whose period k has ended by ``through`` (for month and quarter
  cohorts all members or none; for attribute cohorts the members old enough);
- ``buyers``: eligible members with a purchase day in period k;
- retention = buyers / eligible; revenue per customer = net revenue in period k / eligible;
  the cumulative revenue per customer adds those up over k.
So every cell is at most its cohort's size, and k = 0 is 100% (the first purchase).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from crm_core.errors import InvalidParameterError, NoDataError
from crm_core.filters import Filters
from crm_core.journey.lifecycle import STAGES, Lifecycle
from crm_core.store.connection import Store

__all__ = ["BY", "Cohorts", "cell_keys", "cohort_stages", "cohorts", "period_end", "summary"]

BY: tuple[str, ...] = ("month", "quarter", "channel", "region", "category")
_TIME = ("month", "quarter")


def period_end(as_of: date, period: str = "month") -> date:
    """The last day of the last whole month (quarter) on or before ``as_of``."""
    p = pd.Timestamp(as_of).to_period("M" if period == "month" else "Q")
    end = p.end_time.date()
    return end if end <= as_of else (p - 1).end_time.date()


@dataclass(frozen=True)
class Cohorts:
    """A cohort table (see the module docstring). Frames are cohort x k (columns 0..periods-1)."""

    by: str
    period: str                  # month | quarter
    through: date
    filters: Filters
    sizes: pd.Series             # members per cohort (index: cohort, in display order)
    eligible: pd.DataFrame
    buyers: pd.DataFrame         # NaN where no member is eligible
    revenue: pd.DataFrame        # net revenue of the eligible members in period k

    def retention(self) -> pd.DataFrame:
        """Share of the eligible members buying in period k (NaN: not observed yet)."""
        return self.buyers / self.eligible.where(self.eligible > 0)

    def revenue_per_customer(self) -> pd.DataFrame:
        return self.revenue / self.eligible.where(self.eligible > 0)

    def cumulative_revenue_per_customer(self) -> pd.DataFrame:
        per = self.revenue_per_customer()
        return per.cumsum(axis=1).where(per.notna())

    def params(self) -> dict:
        return {"through": self.through, "by": self.by, **self.filters.params()}


def _check(by: str, periods: int, limit: int | None) -> None:
    if by not in BY:
        raise InvalidParameterError("cohorts are by month, quarter, channel, region or category", name="by", value=by)
    if not 1 <= periods <= 120:
        raise InvalidParameterError("periods must be 1..120", name="periods", value=periods)
    if limit is not None and not 1 <= limit <= 1000:
        raise InvalidParameterError("cohorts must be 1..1000", name="cohorts", value=limit)


def _options(by: str) -> frozenset[str]:
    """The SQL options: the period ("month" or "quarter") and, by category, the first category."""
    return frozenset({"quarter" if by == "quarter" else "month"} | ({"category"} if by == "category" else set()))


def cohorts(store: Store, as_of: date, *, by: str = "month", periods: int = 36, limit: int | None = 36,
            filters: Filters = Filters()) -> Cohorts:
    """The cohort table through the last whole period up to ``as_of``: ``periods`` periods
    per cohort and, for month and quarter cohorts, the ``limit`` latest cohorts (None: all)."""
    _check(by, periods, limit)
    period = "quarter" if by == "quarter" else "month"
    through = period_end(as_of, period)
    params = {"through": through, "by": by, "periods": periods, **filters.params()}
    df = store.query("cohort_matrix", params, filtered=filters.active, options=_options(by))
    ages = df[df["part"] == "age"]
    if ages.empty:
        raise NoDataError("no customer had bought by this date", kind="transactions")
    sizes = ages.groupby("cohort")["buyers"].sum().astype(np.int64)
    if by in _TIME:
        index = sizes.index.sort_values()[-(limit or len(sizes)):]
    else:
        index = pd.Index(sorted(sizes.index, key=lambda c: (-int(sizes[c]), str(c))))
    index = pd.Index(list(index), name="cohort")
    cols = pd.RangeIndex(periods, name="k")
    by_age = ages.pivot_table(index="cohort", columns="k", values="buyers", aggfunc="sum") \
        .reindex(index=index, columns=cols).fillna(0).to_numpy()
    eligible = by_age[:, ::-1].cumsum(axis=1)[:, ::-1].astype(np.int64)   # members with age >= k
    cells = df[df["part"] == "cell"]
    grid = lambda v: cells.pivot_table(index="cohort", columns="k", values=v, aggfunc="sum") \
        .reindex(index=index, columns=cols).fillna(0).to_numpy(float)
    seen = eligible > 0
    frame = lambda a: pd.DataFrame(a, index=index, columns=cols)
    return Cohorts(by=by, period=period, through=through, filters=filters,
                   sizes=sizes.reindex(index).rename("customers"), eligible=frame(eligible),
                   buyers=frame(np.where(seen, grid("buyers"), np.nan)),
                   revenue=frame(np.where(seen, grid("revenue"), np.nan)))


def cell_keys(store: Store, co: Cohorts, cohort: str, k: int | None = None) -> np.ndarray:
    """customer_key of a cohort's members (``k`` None) or of those who bought in its period k."""
    if cohort not in co.sizes.index:
        raise InvalidParameterError("unknown cohort", name="cohort", value=cohort)
    res = store.arrow("cohort_cell", {**co.params(), "cohort": cohort, "k": -1 if k is None else int(k)},
                      filtered=True, options=_options(co.by))
    return res.column("customer_key").to_numpy().astype(np.int64)


def cohort_stages(store: Store, co: Cohorts, lc: Lifecycle, i: int = -1) -> pd.DataFrame:
    """Members of each cohort by lifecycle stage at ``lc.dates[i]`` (cohort x stage): where
    each cohort stands now. Its rows add up to the cohort sizes when ``lc`` covers the same
    customers and ``lc.dates[i]`` is on or after ``through``."""
    members = store.arrow("cohort_members", co.params(), filtered=co.filters.active, options=_options(co.by))
    keys = members.column("customer_key").to_numpy().astype(np.int64)
    cohort = co.sizes.index.get_indexer(members.column("cohort").to_pandas())   # -1: a cohort not in the table
    n = len(lc.keys)
    pos = np.minimum(np.searchsorted(lc.keys, keys), max(n - 1, 0))
    stage = lc.stage[pos, i].astype(np.int64) if n else np.full(len(keys), -1)
    ok = (cohort >= 0) & (stage >= 0) & (lc.keys[pos] == keys if n else False)
    nc, ns = len(co.sizes), len(STAGES)
    counts = np.bincount(cohort[ok].astype(np.int64) * ns + stage[ok], minlength=nc * ns).reshape(nc, ns)
    return pd.DataFrame(counts, index=co.sizes.index, columns=pd.Index(list(STAGES), name="stage"))


def summary(store: Store, as_of: date, *, by: str = "month", periods: int = 36, limit: int | None = None,
            filters: Filters = Filters()) -> dict:
    """The CLI's ``cohorts --json`` document."""
    co = cohorts(store, as_of, by=by, periods=periods, limit=limit, filters=filters)
    ret, rpc = co.retention(), co.revenue_per_customer()

    def observed(row: pd.Series) -> list[float]:
        return [float(v) for v in row.dropna()]

    return {
        "as_of": as_of.isoformat(), "through": co.through.isoformat(), "by": by, "period": co.period,
        "cohorts": [{"cohort": c, "customers": int(co.sizes[c]), "retention": observed(ret.loc[c]),
                     "revenue_per_customer": observed(rpc.loc[c])} for c in co.sizes.index],
    }
