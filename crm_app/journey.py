"""Cached data and controls of the Lifecycle and Cohorts pages (keyed on the data version).

The lifecycle uses the Churn page's churn definition as set there (the window, or the
probability-alive rule), read from the same persistent session keys, so a customer is
"churned" on both pages alike. The stage rule lives in persistent keys ``lc_new_days``,
``lc_loyal_purchases``, ``lc_risk_factor``.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import streamlit as st

from crm_core.exits.alive import DEFAULT_THRESHOLD, AliveRule
from crm_core.filters import Filters
from crm_core.journey import cohorts as cohort_tables
from crm_core.journey import funnel as funnels
from crm_core.journey import lifecycle as lc
from crm_core.store.connection import Store

from . import exits
from .context import PageContext, persist

__all__ = ["picked_link", "picked_cell", "alive", "churn_setting", "rule", "rule_controls", "grid", "pair", "people", "keyed_people", "cohort_table",
           "cell_people", "cohort_stages", "funnel_rule", "funnel", "stopped_people"]


def picked_link(state: object) -> int | None:
    """The link clicked on a Sankey (its index in the links), from the chart's widget state;
    None when nothing, or a node, is selected."""
    try:
        for group in state["selection"]["selected"]:  # type: ignore[index]
            if group.get("data_type") == "edge" and group["data_indices"]:
                return int(group["data_indices"][0])
    except (KeyError, IndexError, TypeError, ValueError):
        pass
    return None


def picked_cell(state: object) -> int | None:
    """The cell clicked on a heatmap (its index in the series data), or None."""
    try:
        for group in state["selection"]["selected"]:  # type: ignore[index]
            if group["data_indices"]:
                return int(group["data_indices"][0])
    except (KeyError, IndexError, TypeError, ValueError):
        pass
    return None


def churn_setting(ctx: PageContext, as_of: date) -> tuple[int, float | None]:
    """The Churn page's window and P(alive) threshold as chosen there (defaults: the data's
    window, inactivity); the threshold falls back to None when the model cannot be fitted."""
    ss = st.session_state
    derived = exits.default_window(ctx.store.path, ctx.version, as_of)
    window = derived if ss.get("churn_window_auto", True) else int(ss.get("churn_window", derived))
    threshold = None
    if ss.get("churn_definition", "inactivity") == "p_alive":
        threshold = float(ss.get("churn_threshold", DEFAULT_THRESHOLD))
        if not isinstance(exits.alive_rule(ctx.store.path, ctx.version, as_of, ctx.filters, threshold), AliveRule):
            threshold = None
    return window, threshold


def rule() -> lc.LifecycleRule:
    ss, d = st.session_state, lc.LifecycleRule()
    return lc.LifecycleRule(new_days=int(ss.get("lc_new_days", d.new_days)),
                            loyal_purchases=int(ss.get("lc_loyal_purchases", d.loyal_purchases)),
                            risk_factor=float(ss.get("lc_risk_factor", d.risk_factor)))


def rule_controls(ctx: PageContext) -> None:
    """The three numbers of the stage rule, with the definitions they enter."""
    t, r = ctx.tr, rule()
    c = st.columns(3)
    c[0].number_input(t.t("lifecycle.rule.new_days"), 7, 730, r.new_days, 1, key="w_lc_new_days",
                      on_change=persist, args=("lc_new_days",), help=t.t("lifecycle.rule.new_days_help"))
    c[1].number_input(t.t("lifecycle.rule.loyal_purchases"), 2, 1000, r.loyal_purchases, 1,
                      key="w_lc_loyal_purchases", on_change=persist, args=("lc_loyal_purchases",),
                      help=t.t("lifecycle.rule.loyal_purchases_help"))
    c[2].number_input(t.t("lifecycle.rule.risk_factor"), 1.0, 20.0, r.risk_factor, 0.1, format="%.1f",
                      key="w_lc_risk_factor", on_change=persist, args=("lc_risk_factor",),
                      help=t.t("lifecycle.rule.risk_factor_help"))


def alive(path: str, version: int, as_of: date, filters: Filters, threshold: float | None) -> AliveRule | None:
    if threshold is None:
        return None
    found = exits.alive_rule(path, version, as_of, filters, threshold)
    return found if isinstance(found, AliveRule) else None


@st.cache_resource(show_spinner=False, max_entries=4)
def grid(path: str, version: int, as_of: date, filters: Filters, months: int, window: int, r: lc.LifecycleRule,
         threshold: float | None) -> lc.Lifecycle:
    """Stages at the ``months`` month ends up to ``as_of`` (shared, not copied)."""
    return lc.lifecycle(Store(path), lc.month_ends(as_of, months), filters=filters, window_days=window, rule=r,
                        grid=True, alive=alive(path, version, as_of, filters, threshold))


@st.cache_resource(show_spinner=False, max_entries=4)
def pair(path: str, version: int, start: date, as_of: date, filters: Filters, window: int, r: lc.LifecycleRule,
         threshold: float | None) -> lc.Lifecycle:
    """Stages at two dates, for the flows between them (shared, not copied)."""
    return lc.lifecycle(Store(path), (start, as_of), filters=filters, window_days=window, rule=r,
                        alive=alive(path, version, as_of, filters, threshold))


@st.cache_resource(show_spinner=False, max_entries=4)
def people(path: str, version: int, filters: Filters) -> pd.DataFrame:
    """The filtered customers by lifecycle code: id and attributes (shared, not copied)."""
    return lc.people(Store(path), filters)


def keyed_people(path: str, version: int, filters: Filters, keys: np.ndarray) -> pd.DataFrame:
    """The rows of :func:`people` for these customer keys (sorted, all among them)."""
    who = people(path, version, filters)
    pos = np.searchsorted(who["customer_key"].to_numpy(np.int64), keys)
    return who.iloc[pos]


@st.cache_resource(show_spinner=False, max_entries=8)
def cohort_table(path: str, version: int, as_of: date, filters: Filters, by: str, periods: int
                 ) -> cohort_tables.Cohorts:
    return cohort_tables.cohorts(Store(path), as_of, by=by, periods=periods, limit=36, filters=filters)


@st.cache_data(show_spinner=False, max_entries=32)
def cell_people(path: str, version: int, as_of: date, filters: Filters, by: str, periods: int, cohort: str,
                k: int | None) -> pd.DataFrame:
    """The customers behind one cohort cell (``k`` None: the whole cohort), with their cohort."""
    co = cohort_table(path, version, as_of, filters, by, periods)
    keys = cohort_tables.cell_keys(Store(path), co, cohort, k)
    cols = ["customer_id", "region", "channel", "customer_type", "first_purchase"]
    return keyed_people(path, version, filters, keys)[cols].assign(cohort=cohort).reset_index(drop=True)


@st.cache_data(show_spinner=False, max_entries=8)
def cohort_stages(path: str, version: int, as_of: date, filters: Filters, by: str, periods: int, window: int,
                  r: lc.LifecycleRule, threshold: float | None) -> pd.DataFrame:
    """Each cohort's members by lifecycle stage at the table's last period end: a column of the
    Lifecycle page's month grid when it holds that date (the usual case), else computed."""
    co = cohort_table(path, version, as_of, filters, by, periods)
    months = grid(path, version, as_of, filters, 24, window, r, threshold)
    if co.through in months.dates:
        return cohort_tables.cohort_stages(Store(path), co, months, months.dates.index(co.through))
    stages = lc.lifecycle(Store(path), (co.through,), filters=filters, window_days=window, rule=r,
                          alive=alive(path, version, as_of, filters, threshold))
    return cohort_tables.cohort_stages(Store(path), co, stages)


def funnel_rule() -> funnels.FunnelRule:
    """The funnel's loyal step is the Lifecycle page's loyal rule; its lifetime tenure its own."""
    ss = st.session_state
    return funnels.FunnelRule(loyal_purchases=rule().loyal_purchases,
                              lifetime_days=int(ss.get("fn_lifetime_days", funnels.FunnelRule().lifetime_days)))


@st.cache_resource(show_spinner=False, max_entries=8)
def funnel(path: str, version: int, as_of: date, filters: Filters, r: funnels.FunnelRule, by: str, window: int,
           threshold: float | None, known_after: date | None = None) -> funnels.Funnel:
    """The funnel (shared, not copied); ``known_after``: only contacts known after that date. Its
    churn check reads the Lifecycle page's month grid (whose last date is ``as_of``)."""
    months = grid(path, version, as_of, filters, 24, window, rule(), threshold)
    return funnels.funnel(Store(path), as_of, filters=filters, rule=r, by=by, window_days=window,
                          alive=alive(path, version, as_of, filters, threshold), known_after=known_after, life=months)


def stopped_people(path: str, version: int, f: funnels.Funnel, filters: Filters, step: str) -> pd.DataFrame:
    """The contacts who reached ``step`` and not the next, with their attributes."""
    cols = ["customer_id", "region", "channel", "customer_type", "first_purchase"]
    return keyed_people(path, version, filters, f.stopped_at(step))[cols].reset_index(drop=True)
