"""Exit management: who left, when and why, what it cost, and what keeping them is worth.

Definitions (also in the README and on the Churn page):
- A customer with explicit churn events (cancellations, contracts not renewed) is judged
  by those events only: churned at their first event, with its reason.
- Everyone else is judged by inactivity: churned when ``window_days`` pass after a purchase
  with no further purchase (a *lapse*, reason ``unknown``); a later transaction brings
  them back (active again), and a later lapse counts again. The default window is a high
  quantile (90%) of the gaps between customers' consecutive transaction days. Or, by
  probability alive: the window after each purchase is the customer's own, until the
  BG/NBD model's P(alive) falls below a threshold (:mod:`crm_core.exits.alive`).
- Active at a date: first purchase on or before it, not churned at it.
- Churn rate of a period: customers churned in the period / customers active at its start.
  "Churned in the period" is one population everywhere: customers active at its start whose
  first churn in it falls in the period (one row each). The rate, the reasons, the lost profit,
  the break-even, the monthly reason chart and the churned list all count these customers.
- Won back: churned in the period but bought again by the as-of date. They count as churned
  (the rate), but no profit is counted as lost for them (shown apart).
- Lost revenue (profit) of a churned customer not won back: their average annual revenue (gross profit)
  over their life up to the churn; profit lost to churn = annual profit x expected
  remaining years, where a customer staying at an annual churn rate c stays 1 / c years
  on average (capped to 0.5..20 years; a setting).
  Or, with the CLV models, each churned customer's CLV at the churn had they stayed
  (:mod:`crm_core.exits.lost_value`).
- Retention break-even: cutting churn by r points keeps r x active customers, each worth
  the average lost profit per customer lost (lost profit / churned not won back); that
  saving is the most retention may cost.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from crm_core.errors import InvalidParameterError, NoDataError
from crm_core.exits.alive import AliveRule
from crm_core.exits.events import (
    DIMENSIONS,
    _churns,
    _codes,
    _customers,
    _event_rows,
    _events_frame,
    _history,
    _ids,
    _in_period,
    _last_per_customer,
    churn_events,
    churn_history,
)
from crm_core.exits.history import REASONS, ChurnHistory, day_number
from crm_core.exits.lost_value import lost_clv_by_reason
from crm_core.filters import Filters
from crm_core.periods import period_start
from crm_core.store.connection import Store, load_sql
from crm_core.value.clv import ClvModel

__all__ = ["REASONS", "DIMENSIONS", "default_window", "churn_events", "churn_history", "churn_rates", "reason_summary",
           "remaining_years", "lost_value",
           "break_even", "retention_spend", "complaints_vs_churn", "summary", "ChurnData", "churn_data",
           "RESPONSE_BUCKETS", "RESPONSE_HOURS"]

RESPONSE_BUCKETS: tuple[str, ...] = ("none", "within_1d", "1_3d", "3_7d", "over_7d", "unresolved")
#: Upper bounds (hours) of the answered buckets within_1d, 1_3d, 3_7d (over_7d: above the last);
#: the Service page bands each case by the same bounds.
RESPONSE_HOURS: tuple[int, int, int] = (24, 72, 168)
DEFAULT_QUANTILE = 0.9
FALLBACK_WINDOW = 180
SAMPLE_ABOVE_ROWS = 2_000_000   # customer_days rows: above this, gaps of every 20th customer (5%)


def default_window(store: Store, as_of: date, quantile: float = DEFAULT_QUANTILE) -> int:
    """The data's own long silence: the ``quantile`` of gaps between consecutive transaction
    days after a purchase, in whole days (14..730; 180 when there are no repeat customers)."""
    if not 0.5 <= quantile < 1:
        raise InvalidParameterError("quantile must be in [0.5, 1)", name="quantile", value=quantile)
    rows = int(store.scalar("SELECT count(*) FROM customer_days") or 0)
    sample = frozenset({"sample"}) if rows > SAMPLE_ABOVE_ROWS else frozenset()
    gap, n = store.rows(load_sql("churn_gaps", False, sample), {"quantile": quantile, "as_of": as_of})[0]
    if not n or gap is None:
        return FALLBACK_WINDOW
    return int(min(max(np.ceil(gap), 14), 730))


def churn_rates(store: Store, as_of: date, window_days: int, filters: Filters = Filters(), *, freq: str = "month",
                periods: int = 24, history: ChurnHistory | None = None) -> pd.DataFrame:
    """Churn rate per calendar month or quarter (the last, partial one included) for the
    ``periods`` periods up to ``as_of``: start, end, active at start, churned of those, rate."""
    if freq not in ("month", "quarter"):
        raise InvalidParameterError("freq must be month or quarter", name="freq", value=freq)
    if history is None:
        history = churn_history(store, as_of, window_days, filters)
    first = pd.Timestamp(as_of).to_period("M" if freq == "month" else "Q").start_time
    begins = pd.date_range(end=first, periods=periods, freq="MS" if freq == "month" else "QS")
    natural = [b + (pd.offsets.MonthEnd(0) if freq == "month" else pd.offsets.QuarterEnd(0)) for b in begins]
    ends = [min(n, pd.Timestamp(as_of)) for n in natural]
    rows = [history.period(day_number(b - pd.Timedelta(days=1)), day_number(e)) for b, e in zip(begins, ends)]
    active = np.array([r[0] for r in rows])
    churned = np.array([r[1] for r in rows])
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(active > 0, churned / np.maximum(active, 1), np.nan)
    return pd.DataFrame({"start": begins, "end": pd.to_datetime(ends), "active": active, "churned": churned,
                         "churn_rate": rate, "partial": [e < n for e, n in zip(ends, natural)]})


def reason_summary(events: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Per reason (every reason listed, unknown included): customers who churned in
    (start, end] (each once, at their last churn there), share, how many of them were won
    back (bought again by ``end``), and the annual revenue and profit that the others, the
    customers still lost at ``end``, took with them."""
    cols = ["code", "churn_date", "reason", "annual_revenue", "annual_profit"]
    ev = _last_per_customer(_in_period(events, start, end, cols + ["return_date"]))
    back = (ev["return_date"] <= pd.Timestamp(end)).to_numpy()
    lost = ev.loc[~back]
    g = lost.groupby("reason", observed=False)[["annual_revenue", "annual_profit"]].sum().reindex(list(REASONS),
                                                                                                   fill_value=0.0)
    g.insert(0, "customers", ev["reason"].value_counts().reindex(list(REASONS), fill_value=0).to_numpy())
    total = int(g["customers"].sum())
    g.insert(1, "share", g["customers"] / total if total else 0.0)
    g.insert(2, "won_back", ev.loc[back, "reason"].value_counts().reindex(list(REASONS), fill_value=0).to_numpy())
    return g.rename(columns={"annual_revenue": "lost_revenue", "annual_profit": "lost_annual_profit"}) \
        .rename_axis("reason").reset_index()


def remaining_years(annual_rate: float | None) -> float:
    """Expected remaining years of a customer at a constant annual churn rate (1 / rate)."""
    if not annual_rate or annual_rate <= 0:
        return 20.0
    return float(min(max(1.0 / annual_rate, 0.5), 20.0))


def lost_value(customers: int, churn_rate: float, value_per_customer: float) -> tuple[int, float]:
    """Customers lost and the value they take: e.g. 6,600 customers at 5% churn, each worth
    10,000 of revenue, lose 330 customers and 3,300,000."""
    if customers < 0 or not 0 <= churn_rate <= 1:
        raise InvalidParameterError("need customers >= 0 and a churn rate in [0, 1]", name="churn_rate",
                                    value=churn_rate)
    lost = int(round(customers * churn_rate))
    return lost, lost * float(value_per_customer)


def break_even(active: int, reduction_points: float, value_per_customer: float) -> dict[str, float]:
    """Keeping ``reduction_points`` (0.01 = one point) more of ``active`` customers: how many
    stay and the profit they keep, which is the most retention may cost."""
    if not 0 <= reduction_points <= 1:
        raise InvalidParameterError("reduction must be between 0 and 1", name="reduction", value=reduction_points)
    kept = active * reduction_points
    return {"customers_kept": kept, "profit_saved": kept * value_per_customer,
            "break_even_budget": kept * value_per_customer}


def retention_spend(store: Store, start: date, end: date) -> float:
    """What retention and win-back campaigns that started in (start, end] cost."""
    value = store.scalar("SELECT coalesce(sum(CAST(cost AS DOUBLE)), 0) FROM campaigns "
                         "WHERE kind IN ('retention', 'win-back', 'winback') AND start_date > ? AND start_date <= ?",
                         [start, end])
    return float(value or 0.0)


def complaints_vs_churn(store: Store, as_of: date, period_days: int, window_days: int,
                        filters: Filters = Filters(), history: ChurnHistory | None = None,
                        customers: pd.DataFrame | None = None, service: pd.DataFrame | None = None) -> pd.DataFrame:
    """Churn rate over the period for customers active at its start, by whether they
    complained in it and how fast their complaints were answered (mean hours)."""
    start = period_start(as_of, period_days)
    customers = _customers(store, filters) if customers is None else customers
    history = history or churn_history(store, as_of, window_days, filters)
    base = history.base(day_number(start))
    churned = history.churned(day_number(start), day_number(as_of))
    svc = (store.query("churn_service", {"start": start, "as_of": as_of, **filters.params()}, filtered=filters.active)
           if service is None else service)
    # Bucket per customer as an index into RESPONSE_BUCKETS (0 = none), set for complainers only.
    bucket = np.zeros(len(base), np.int8)
    k, u, h = (svc[c].to_numpy(float) for c in ("complaints", "unresolved", "response_hours"))
    bucket[_codes(customers, svc["key"])] = np.select(
        [k == 0, u > 0, *(h <= b for b in RESPONSE_HOURS)], [0, 5, 1, 2, 3], 4).astype(np.int8)
    g = pd.DataFrame({"customers": np.bincount(bucket[base], minlength=len(RESPONSE_BUCKETS)),
                      "churned": np.bincount(bucket[base & churned], minlength=len(RESPONSE_BUCKETS))},
                     index=pd.Index(RESPONSE_BUCKETS))
    with np.errstate(divide="ignore", invalid="ignore"):
        g["churn_rate"] = np.where(g["customers"] > 0, g["churned"] / g["customers"].clip(lower=1), np.nan)
    return g.rename_axis("bucket").reset_index()


@dataclass(frozen=True)
class ChurnData:
    """Everything the Churn page shows for one setting (see :func:`churn_data`)."""

    as_of: date
    window_days: int
    period_days: int
    definition: str            # inactivity | p_alive (customers without explicit events)
    threshold: float | None    # the P(alive) threshold with definition p_alive
    lost_profit_method: str    # years (annual profit x remaining years) | clv (CLV at churn)
    events: pd.DataFrame       # the period's churned customers: one row each, the churn that counts (see below)
    history: ChurnHistory      # every churn up to as_of: codes, days, reasons (rates at any date)
    over_time: pd.DataFrame    # churns per month and reason, the 24 months up to as_of
    monthly: pd.DataFrame
    quarterly: pd.DataFrame
    reasons: pd.DataFrame
    active: int
    churned: int               # of the active, churned in the period = rows of events = sum of reasons
    churn_rate: float | None
    won_back: int              # of the churned, bought again by as_of: churned, but no profit lost
    lost_customers: int        # churned - won_back: the customers whose profit is counted as lost
    annual_rate: float | None
    years: float
    lost_profit: float
    lost_per_customer: float   # lost_profit / lost_customers: what keeping one more customer is worth
    lost_profit_by_reason: pd.DataFrame
    complaints: pd.DataFrame
    retention_spend: float
    customers: pd.DataFrame    # the filtered customers by code (see _customers): the light profile


def churn_data(store: Store, as_of: date, *, period_days: int = 365, window_days: int | None = None,
               filters: Filters = Filters(), years: float | None = None, alive: AliveRule | None = None,
               clv_model: ClvModel | None = None) -> ChurnData:
    """Rates, reasons, lost profit and complaints for churns in the ``period_days`` up to
    ``as_of``. ``window_days`` defaults to :func:`default_window`; ``years`` (expected
    remaining years of a kept customer) to 1 / the annual churn rate; ``alive`` judges
    customers without explicit events by probability alive instead of a fixed window;
    ``clv_model`` values profit lost by each churned customer's CLV at the churn
    (:mod:`crm_core.exits.lost_value`) instead of annual profit x remaining years."""
    if not isinstance(period_days, int) or not 7 <= period_days <= 3660:
        raise InvalidParameterError("period_days must be between 7 and 3660", name="period_days", value=period_days)
    with store.cursor():      # one connection for all the queries below (opening costs ~50 ms each)
        return _churn_data(store, as_of, period_days, window_days, filters, years, alive, clv_model)


def _churn_data(store: Store, as_of: date, period_days: int, window_days: int | None, filters: Filters,
                years: float | None, alive: AliveRule | None, clv_model: ClvModel | None = None) -> ChurnData:
    start = period_start(as_of, period_days)
    params = {"start": start, "as_of": as_of, **filters.params()}
    # The customers and complaints queries (and their pandas work) run beside the window
    # and lapse queries: two cursors on the shared connection, one per core.
    with ThreadPoolExecutor(max_workers=1) as pool:
        side = pool.submit(lambda: (_customers(store, filters),
                                    store.query("churn_service", params, filtered=filters.active),
                                    retention_spend(store, start, as_of)))
        window = default_window(store, as_of) if window_days is None else window_days
        explicit, lapses = _event_rows(store, as_of, window, filters, alive)
        customers, service, spend = side.result()
    ch = _churns(customers, explicit, lapses)
    del explicit, lapses
    ids = _ids(customers)
    history = _history(customers, ch, ids)
    if history.first_day is None or history.first_day > day_number(as_of):
        raise NoDataError("no customer has bought by this date", kind="transactions")
    # The per-churn frame only for the churns that count for the period (the first churn in it of
    # each customer active at its start): the rate's numerator, the reasons, the lost profit
    # and the list are then the same customers. Counts at any other date come from the history.
    events = _events_frame(customers, ch, np.flatnonzero(history.counted(day_number(start), day_number(as_of))),
                           alive, ids)
    del ch
    active, churned = history.period(day_number(start), day_number(as_of))
    won_back = int((events["return_date"] <= pd.Timestamp(as_of)).sum())
    annual_active, annual_churned = history.period(day_number(period_start(as_of, 365)), day_number(as_of))
    annual = annual_churned / annual_active if annual_active else None
    yrs = remaining_years(annual) if years is None else float(years)
    reasons = reason_summary(events, start, as_of)
    if clv_model is None:
        reasons["lost_profit"] = reasons["lost_annual_profit"] * yrs
    else:
        lost_now = events[~(events["return_date"] <= pd.Timestamp(as_of)).to_numpy()]
        reasons["lost_profit"] = lost_clv_by_reason(lost_now, clv_model, start, as_of)["lost_profit"].to_numpy()
    lost_profit = float(reasons["lost_profit"].sum())
    lost_customers = churned - won_back
    return ChurnData(
        as_of=as_of, window_days=int(window), period_days=period_days,
        definition="inactivity" if alive is None else "p_alive", threshold=None if alive is None else alive.threshold,
        lost_profit_method="years" if clv_model is None else "clv",
        events=events, history=history, over_time=history.over_time(as_of),
        monthly=churn_rates(store, as_of, window, filters, freq="month", history=history),
        quarterly=churn_rates(store, as_of, window, filters, freq="quarter", periods=8, history=history),
        reasons=reasons, active=active, churned=churned, won_back=won_back, lost_customers=lost_customers,
        lost_per_customer=lost_profit / lost_customers if lost_customers else 0.0,
        churn_rate=churned / active if active else None, annual_rate=annual, years=yrs,
        lost_profit=lost_profit, lost_profit_by_reason=reasons[["reason", "lost_profit"]],
        complaints=complaints_vs_churn(store, as_of, period_days, window, filters, history, customers, service),
        retention_spend=spend, customers=customers)


def summary(store: Store, as_of: date, *, period_days: int = 365, window_days: int | None = None,
            filters: Filters = Filters(), reduction_points: float = 0.01,
            alive: AliveRule | None = None, clv_model: ClvModel | None = None) -> dict[str, Any]:
    """The CLI's ``churn --json`` document."""
    d = churn_data(store, as_of, period_days=period_days, window_days=window_days, filters=filters, alive=alive,
                   clv_model=clv_model)
    be = break_even(d.active, reduction_points, d.lost_per_customer)
    return {
        "as_of": as_of.isoformat(), "period_days": period_days, "window_days": d.window_days,
        "definition": d.definition, "threshold": d.threshold,
        "active": d.active, "churned": d.churned, "churn_rate": d.churn_rate, "won_back": d.won_back,
        "lost_customers": d.lost_customers,
        "reasons": [{"reason": r.reason, "customers": int(r.customers), "share": float(r.share),
                     "won_back": int(r.won_back), "lost_revenue": float(r.lost_revenue)} for r in d.reasons.itertuples()],
        "lost_profit": d.lost_profit, "lost_profit_per_customer": d.lost_per_customer,
        "lost_profit_method": d.lost_profit_method, "remaining_years": d.years,
        "retention_break_even": be["break_even_budget"], "retention_reduction_points": reduction_points,
        "retention_spend": d.retention_spend,
    }
