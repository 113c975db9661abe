"""Overview metrics: headline KPIs with change, monthly trend, the Pareto (80/20) curve.

Definitions (also shown in the app's help):
- period: the ``period_days`` days ending on ``as_of``; "previous" is the same span before.
- customers: known at the period's end (signed up or bought by then).
- active customers: bought in the period.  revenue / gross profit: net of returns.
- repeat-purchase rate: share of active customers who bought on two or more days.
- lapse rate: share of customers active in the previous period who did not buy in
  this one, or who had an exit (churn) event in it. A quick signal from purchases alone,
  and deliberately not called churn: the churn rate (:mod:`crm_core.exits.churn`) is the
  share of customers active at the period's start who churned during it.
- a change against the previous period is given only when the data cover that period
  (the first purchase is on or before its start); otherwise there is nothing to compare.
- average order value: revenue / purchases, a purchase being one customer's purchases of one
  day (same-day lines combined, returns netted: as in the CLV model). The same definition
  on every page (customer base, segments, micro-segments).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd

from crm_core.errors import InvalidParameterError, NoDataError
from crm_core.filters import Filters
from crm_core.periods import period_params, period_start
from crm_core.store.arrow_frames import arrow_to_frame
from crm_core.store.connection import Store

__all__ = [
    "KPI_NAMES",
    "KpiValues",
    "Kpis",
    "ParetoResult",
    "Headline",
    "PARETO_METRICS",
    "kpis",
    "headline",
    "trend",
    "pareto",
    "pareto_from_values",
    "default_as_of",
    "summary",
]

KPI_NAMES: tuple[str, ...] = (
    "customers", "active_customers", "revenue", "gross_profit", "repeat_rate", "lapse_rate", "average_order_value",
)
PERIOD_CHOICES: tuple[int, ...] = (30, 90, 182, 365)
#: The metrics a Pareto curve ranks customers by.
PARETO_METRICS: tuple[str, ...] = ("revenue", "gross_profit")


@dataclass(frozen=True)
class KpiValues:
    customers: int
    active_customers: int
    revenue: float
    gross_profit: float
    repeat_rate: float | None
    lapse_rate: float | None
    average_order_value: float | None


@dataclass(frozen=True)
class Kpis:
    as_of: date
    period_days: int
    current: KpiValues
    previous: KpiValues
    first_date: date | None = None    # the first transaction: how far back the data go

    def covered(self, name: str) -> bool:
        """Whether the data cover what the previous period's ``name`` needs: the whole previous
        period (and for the lapse rate, the period before it, its base)."""
        if self.first_date is None:
            return False
        periods = 3 if name == "lapse_rate" else 2
        return self.first_date <= period_start(self.as_of, self.period_days, periods) + timedelta(days=1)

    def change(self, name: str) -> float | None:
        """Relative change for amounts and counts; difference in points for rates. None when
        there is nothing to compare: a value is missing, or the data do not cover the
        previous period (a change against a period before the first purchase is not news)."""
        if not self.covered(name):
            return None
        cur, prev = getattr(self.current, name), getattr(self.previous, name)
        if cur is None or prev is None:
            return None
        if name.endswith("_rate"):
            return cur - prev
        return None if prev == 0 else (cur - prev) / abs(prev)


def _check_period(period_days: int) -> None:
    if not isinstance(period_days, int) or not 1 <= period_days <= 3650:
        raise InvalidParameterError("period_days must be between 1 and 3650", name="period_days", value=period_days)


def _values(row: pd.Series) -> KpiValues:
    active, purchases = int(row.active_customers), int(row.purchases)
    base = int(row.lapse_base) if pd.notna(row.lapse_base) else 0
    return KpiValues(
        customers=int(row.customers), active_customers=active, revenue=float(row.revenue),
        gross_profit=float(row.gross_profit),
        repeat_rate=(int(row.repeaters) / active) if active else None,
        lapse_rate=(int(row.lapsed) / base) if base else None,
        average_order_value=(float(row.revenue) / purchases) if purchases else None,
    )


def _kpi_params(as_of: date, filters: Filters, period_days: int) -> dict[str, Any]:
    return {"as_of": as_of, "period_days": period_days, **filters.params(), **period_params(as_of, period_days)}


def _kpis_from(store: Store, df: pd.DataFrame, as_of: date, period_days: int) -> Kpis:
    by_p = df.set_index("p")
    first = store.date_range()[0]
    first = None if first is None else pd.Timestamp(first).date()
    return Kpis(as_of, period_days, _values(by_p.loc[0]), _values(by_p.loc[1]), first)


def kpis(store: Store, as_of: date, filters: Filters = Filters(), period_days: int = 365) -> Kpis:
    """Headline KPIs for the period ending ``as_of`` and for the period before it."""
    _check_period(period_days)
    df = store.query("overview_kpis", _kpi_params(as_of, filters, period_days), filtered=filters.active)
    return _kpis_from(store, df, as_of, period_days)


def trend(store: Store, as_of: date, filters: Filters = Filters(), months: int = 24) -> pd.DataFrame:
    """Monthly revenue, gross profit, active customers and orders; the last month may be partial."""
    if not 1 <= months <= 240:
        raise InvalidParameterError("months must be between 1 and 240", name="months", value=months)
    since = (pd.Timestamp(as_of).to_period("M") - (months - 1)).to_timestamp().date()
    month_before = pd.Timestamp(as_of).to_period("M").to_timestamp().date() - timedelta(days=1)
    df = store.query("overview_trend", {"as_of": as_of, "since": since, "month_before": month_before,
                                        **filters.params()}, filtered=filters.active)
    df["month"] = pd.to_datetime(df["month"])
    month_end = (pd.Timestamp(as_of) + pd.offsets.MonthEnd(0)).date()
    df["partial"] = (df["month"].dt.to_period("M") == pd.Timestamp(as_of).to_period("M")) & (as_of != month_end)
    return df


@dataclass(frozen=True)
class ParetoResult:
    """The cumulative-value curve and its two headline numbers."""

    metric: str
    customers: int
    total: float
    customer_share_for_80pct: float | None
    top20_share: float | None
    curve: pd.DataFrame  # rank, customer_share, value_share (downsampled)


@dataclass(frozen=True)
class Headline:
    """The Overview's headline figures: the KPIs and the Pareto curve of each metric."""

    kpis: Kpis
    pareto: dict[str, ParetoResult]   # "revenue", "gross_profit"


def _check_metric(metric: str) -> None:
    if metric not in PARETO_METRICS:
        raise InvalidParameterError("metric must be revenue or gross_profit", name="metric", value=metric)


def headline(store: Store, as_of: date, filters: Filters = Filters(), period_days: int = 365,
             points: int = 200) -> Headline:
    """:func:`kpis` and both :func:`pareto` curves from one query: the curves' values (each
    buyer's revenue and gross profit in the period) are the differences of running totals
    the KPIs read anyway, so the Overview scans each period end once, not twice."""
    _check_period(period_days)
    table = store.arrow("overview_kpis", _kpi_params(as_of, filters, period_days), filtered=filters.active,
                        options=frozenset({"values"}))
    lists = {m: table.column(f"{m}_values")[0] for m in PARETO_METRICS}   # (row p = 0: ORDER BY p)
    df = arrow_to_frame(table.drop_columns([f"{m}_values" for m in PARETO_METRICS]))
    curves = {m: pareto_from_values(np.asarray(cell.values.to_numpy(zero_copy_only=False), dtype=np.float64)
                                    if cell.is_valid else np.empty(0), m, points) for m, cell in lists.items()}
    return Headline(_kpis_from(store, df, as_of, period_days), curves)


def pareto(store: Store, as_of: date, filters: Filters = Filters(), period_days: int = 365,
           metric: Literal["revenue", "gross_profit"] = "revenue", points: int = 200) -> ParetoResult:
    """Customers ranked by value in the period; share of customers making 80% of it (the
    curve of :func:`headline`)."""
    _check_period(period_days)
    _check_metric(metric)
    return headline(store, as_of, filters, period_days, points).pareto[metric]


def pareto_from_values(values: np.ndarray, metric: str = "revenue", points: int = 200) -> ParetoResult:
    """Rank values descending; the curve keeps about ``points`` ranks plus the first,
    the last, the top-20% rank and the first rank reaching 80% of the total."""
    n = len(values)
    if n == 0:
        empty = pd.DataFrame({"rank": [], "customer_share": [], "value_share": [], "v": []})
        return ParetoResult(metric, 0, 0.0, None, None, empty)
    v = np.sort(values)[::-1]
    cum = np.cumsum(v)
    total = float(cum[-1])
    rank = np.arange(1, n + 1)
    k20 = -(-2 * n // 10)  # ceil(0.2 n)
    top20 = float(cum[k20 - 1] / total) if total else None
    reach = np.flatnonzero(cum >= 0.8 * total) if total > 0 else np.array([], dtype=np.int64)
    share80 = float(rank[reach[0]] / n) if len(reach) else None
    step = max(1, n // max(10, min(points, 5000)))
    keep = (rank % step == 0) | (rank == 1) | (rank == n) | (rank == k20)
    if len(reach):
        keep[reach[0]] = True
    curve = pd.DataFrame({"rank": rank[keep], "customer_share": rank[keep] / n,
                          "value_share": cum[keep] / total if total else np.full(int(keep.sum()), np.nan),
                          "v": v[keep]})
    return ParetoResult(metric, n, total, share80, top20, curve)


def default_as_of(store: Store) -> date:
    """The latest transaction date (never the wall clock): what "now" means for the data."""
    last = store.date_range()[1]
    if last is None:
        raise NoDataError("the database holds no transactions", kind="transactions")
    return last if isinstance(last, date) else pd.Timestamp(last).date()


def summary(store: Store, as_of: date | None = None, filters: Filters = Filters(),
            period_days: int = 365) -> dict[str, Any]:
    """The Overview KPIs as plain JSON-ready data (the CLI's ``summary --json``)."""
    as_of = as_of or default_as_of(store)
    k = kpis(store, as_of, filters, period_days)

    def clean(v: KpiValues) -> dict[str, Any]:
        return {key: (round(val, 6) if isinstance(val, float) else val) for key, val in asdict(v).items()}

    return {"as_of": as_of.isoformat(), "period_days": period_days, **clean(k.current),
            "previous": {"as_of": period_start(as_of, period_days).isoformat(), **clean(k.previous),
                         "covered": k.covered("revenue")}}
