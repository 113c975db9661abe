"""Relationship (account) managers: each manager's portfolio of customers, ranked against a
target.

Definitions (also on the Managers page and in the README). A manager's accounts are the
customers (passing the filters) whose ``account_manager`` is that manager; customers
without one are listed as ``(none)``. Over the ``period_days`` up to the as-of date:

- ``accounts``; ``active``: accounts who bought in the period (the Overview's active customers);
- ``revenue``, ``gross_profit`` in the period, ``margin`` = gross profit / revenue;
- ``clv``: the Lifetime value page's 12-month CLV net of cost to serve, summed;
  ``cost_to_serve``: the Profitability page's cost to serve in the period (which includes the
  manager's own annual cost shared by their accounts), summed;
- ``churn_rate``: the Churn page's rate for the accounts: of those active at the period's
  start, the share who churned in it (same window or P(alive) rule), Wilson 95% interval;
- ``complaints`` opened in the period and their ``median_resolution_hours``;
- ``at_risk``: accounts not churned whose probability of being alive is below the Churn page's
  P(alive) threshold (0.5), and their ``value_at_risk`` = sum of (1 - P(alive)) x CLV (the Churn
  page's at-risk column);
- ``target`` (revenue, editable; default: the accounts' revenue in the period before, plus
  ``growth``) and ``attainment`` = revenue / target. Ranked by attainment, then revenue;
  the accounts without a manager come last, unranked.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from crm_core.errors import InvalidParameterError, NoDataError
from crm_core.exits.alive import DEFAULT_THRESHOLD, AliveRule
from crm_core.exits.churn import default_window
from crm_core.exits.events import churn_history
from crm_core.exits.history import day_number
from crm_core.filters import Filters
from crm_core.periods import period_start
from crm_core.relations.intervals import wilson
from crm_core.store.arrow_frames import index_in, take_or
from crm_core.store.connection import Store
from crm_core.value import quadrants

__all__ = ["NO_MANAGER", "COLUMNS", "portfolios", "accounts", "summary"]

NO_MANAGER = "(none)"
COLUMNS: tuple[str, ...] = (
    "manager_id", "name", "region", "accounts", "active", "revenue", "gross_profit", "margin", "clv", "cost_to_serve",
    "churn_base", "churned", "churn_rate", "churn_rate_lo", "churn_rate_hi", "complaints", "median_resolution_hours",
    "at_risk", "value_at_risk", "previous_revenue", "target", "attainment", "rank")


def accounts(store: Store, as_of: date, *, period_days: int = 365, filters: Filters = Filters(),
             values: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per customer passing the filters, in customer_key order (row = churn code), with
    the per-customer figures summed above: customer_key, customer_id, manager_id,
    period_revenue, period_gross_profit, active, previous_revenue, clv, p_alive, cost_to_serve
    (``values``: the Profitability page's value frame, when the caller has it)."""
    df = store.query("manager_accounts", {"as_of": as_of, "start": period_start(as_of, period_days),
                                          "start_2": period_start(as_of, period_days, 2), **filters.params()},
                     filtered=filters.active)
    if values is None:
        values = quadrants.value_frame(store, as_of, period_days, filters).frame
    rows = index_in(df["customer_id"], values["customer_id"])
    for col in ("clv", "p_alive", "cost_to_serve"):
        df[col] = take_or(values[col], rows, np.nan)
    return df


def portfolios(store: Store, as_of: date, *, period_days: int = 365, window_days: int | None = None,
               alive: AliveRule | None = None, filters: Filters = Filters(), values: pd.DataFrame | None = None,
               targets: Mapping[str, float] | None = None, growth: float = 0.05) -> pd.DataFrame:
    """One row per manager (see the module docstring for every column)."""
    if not -0.9 <= growth <= 10:
        raise InvalidParameterError("growth must be -0.9..10", name="growth", value=growth)
    start = period_start(as_of, period_days)
    with store.cursor():
        listed = store.query("manager_list", {}, filtered=False)
        acc = accounts(store, as_of, period_days=period_days, filters=filters, values=values)
        if acc.empty:
            raise NoDataError("no customer is on file", kind="customers")
        window = window_days or default_window(store, as_of)
        history = churn_history(store, as_of, window, filters, alive)
        cases = store.query("manager_cases", {"as_of": as_of, "start": start, **filters.params()},
                            filtered=filters.active)
    if len(history.first) != len(acc):      # both number the filtered customers in key order
        raise AssertionError("the churn history and the accounts disagree on the customers")
    s, e = day_number(start), day_number(as_of)
    in_base = history.base(s)
    churned = in_base & history.churned(s, e)
    not_gone = ~history.gone(e)
    p = acc["p_alive"].to_numpy(float)
    acc["at_risk"] = not_gone & (p < DEFAULT_THRESHOLD)
    acc["value_at_risk"] = np.where(not_gone, (1 - np.nan_to_num(p, nan=1.0)) * np.clip(acc["clv"].fillna(0), 0, None), 0)
    acc["in_base"], acc["churned"] = in_base, churned
    keys = acc["customer_key"].to_numpy(np.int64)
    cases = cases[cases["complaint"].fillna(False).to_numpy(bool)]
    rows = np.searchsorted(keys, cases["customer_key"].to_numpy(np.int64))
    cases = cases.assign(manager_id=acc["manager_id"].to_numpy(object)[rows])
    g = acc.groupby("manager_id", sort=True)
    out = pd.DataFrame({"accounts": g.size(), "active": g["active"].sum(), "revenue": g["period_revenue"].sum(),
                        "gross_profit": g["period_gross_profit"].sum(), "clv": g["clv"].sum(min_count=1),
                        "cost_to_serve": g["cost_to_serve"].sum(min_count=1), "at_risk": g["at_risk"].sum(),
                        "value_at_risk": g["value_at_risk"].sum(), "previous_revenue": g["previous_revenue"].sum(),
                        "churn_base": g["in_base"].sum(), "churned": g["churned"].sum()})
    cg = cases.groupby("manager_id")
    out["complaints"] = cg.size().reindex(out.index).fillna(0).astype(np.int64)
    out["median_resolution_hours"] = cg["resolution_hours"].median().reindex(out.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["margin"] = out["gross_profit"] / out["revenue"].where(out["revenue"] != 0)
        out["churn_rate"] = out["churned"] / out["churn_base"].where(out["churn_base"] > 0)
    out["churn_rate_lo"], out["churn_rate_hi"] = wilson(out["churned"].to_numpy(), out["churn_base"].to_numpy())
    listed = listed.set_index("manager_id")
    out = out.join(listed[["name", "region"]], how="left")
    out = out.reindex(out.index.union(listed.index))          # managers with no account (here) show as zero
    if filters.account_managers:                             # a viewer bound to managers sees only theirs
        out = out[out.index.isin(filters.account_managers)]
    for col in ("accounts", "active", "at_risk", "churn_base", "churned", "complaints"):
        out[col] = out[col].fillna(0).astype(np.int64)
    for col in ("revenue", "gross_profit", "value_at_risk", "previous_revenue"):
        out[col] = out[col].fillna(0.0)
    default = out["previous_revenue"] * (1 + growth)
    given = pd.Series(dict(targets or {}), dtype=float)
    out["target"] = given.reindex(out.index).fillna(default)
    out["attainment"] = out["revenue"] / out["target"].where(out["target"] > 0)
    out = out.rename_axis("manager_id").reset_index()
    out["_none"] = out["manager_id"] == NO_MANAGER
    out = out.sort_values(["_none", "attainment", "revenue", "manager_id"], ascending=[True, False, False, True],
                          na_position="last", kind="stable").reset_index(drop=True)
    out["rank"] = np.where(out["_none"], np.nan, np.cumsum(~out["_none"].to_numpy()))
    return out[list(COLUMNS)]


def _num(v: object) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def summary(store: Store, as_of: date, **kwargs: object) -> dict:
    """The CLI's ``managers --json`` document."""
    t = portfolios(store, as_of, **kwargs)  # type: ignore[arg-type]
    ints = {"accounts", "active", "churn_base", "churned", "complaints", "at_risk", "rank"}
    rows = []
    for r in t.to_dict("records"):
        row = {}
        for k, v in r.items():
            if k in ("manager_id", "name", "region"):
                row[k] = None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
            elif k in ints:
                row[k] = None if pd.isna(v) else int(v)
            elif k not in ("churn_rate_lo", "churn_rate_hi"):
                row[k] = _num(v)
        row["churn_rate_ci"] = [_num(r["churn_rate_lo"]), _num(r["churn_rate_hi"])]
        rows.append(row)
    return {"as_of": as_of.isoformat(), "period_days": kwargs.get("period_days", 365), "managers": rows}
