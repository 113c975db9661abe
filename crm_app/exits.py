"""Cached data and controls of the Churn page (keyed on the data version, never on time)."""

from __future__ import annotations

from datetime import date

import streamlit as st

from crm_core.exits import churn, risk
from crm_core.exits import groups as churn_groups
from crm_core.exits.alive import DEFAULT_THRESHOLD, AliveRule
from crm_core.exits.history import day_number
from crm_core.exits.lost_value import LOST_PROFIT_METHODS
from crm_core.filters import Filters
from crm_core.periods import period_start
from crm_core.store.connection import Store
from crm_core.value import clv

from .context import PageContext, persist
from .warm_cache import warmable

__all__ = ["default_window", "churn_data", "controls", "definition", "lost_method", "alive_rule", "at_risk", "breakdowns"]


@st.cache_data(show_spinner=False, max_entries=16)
@warmable(keep=True)
def default_window(path: str, version: int, as_of: date) -> int:
    return churn.default_window(Store(path), as_of)


def alive_rule(path: str, version: int, as_of: date, filters: Filters,
               threshold: float) -> AliveRule | tuple[str, dict]:
    """The P(alive) rule from the Lifetime value page's cached fit (weeks), or its error."""
    from .value import fitted

    fit = fitted(path, version, as_of, filters, "week", None)
    if fit.model is None:
        return fit.error
    return AliveRule(fit.model.bgnbd.params, 7.0, threshold)


@st.cache_resource(show_spinner=False, max_entries=4)
@warmable(keep=True)
def churn_data(path: str, version: int, as_of: date, filters: Filters, period_days: int, window_days: int,
               years: float | None, threshold: float | None = None, lost_method: str = "years") -> churn.ChurnData:
    """Shared, never copied: callers must not modify it. With ``threshold``, customers without
    explicit events are judged by P(alive); with ``lost_method="clv"`` profit lost is CLV at
    churn (the caller checked that the model fits)."""
    from .value import fitted

    rule = None
    if threshold is not None:
        rule = alive_rule(path, version, as_of, filters, threshold)
        assert isinstance(rule, AliveRule), rule
    model = fitted(path, version, as_of, filters, "week", None).model if lost_method == "clv" else None
    return churn.churn_data(Store(path), as_of, period_days=period_days, window_days=window_days, filters=filters,
                            years=years, alive=rule, clv_model=model)


@st.cache_resource(show_spinner=False, max_entries=4)
@warmable(keep=True)
def profile(path: str, version: int, start: date, filters: Filters, scores: bool):  # -> DataFrame
    """Customers at the period's start: attributes, and with ``scores`` segment and tier
    (shared, not copied)."""
    return churn_groups.profile_at(Store(path), start, filters, scores=scores)


@st.cache_resource(show_spinner=False, max_entries=8)
@warmable(keep=True)
def breakdowns(path: str, version: int, as_of: date, filters: Filters, period_days: int, window_days: int,
               years: float | None, dimension: str, threshold: float | None = None, lost_method: str = "years") -> dict:
    """The per-month and per-group reason tables and the period's churned customers
    (computed once per setting: the events can number millions)."""
    d = churn_data(path, version, as_of, filters, period_days, window_days, years, threshold, lost_method)
    start = period_start(as_of, period_days)
    ev = d.events                 # the period's churns
    if dimension in churn_groups.PROFILE_DIMENSIONS:
        prof = profile(path, version, start, filters, True)
    else:     # attributes and first purchases: the customers churn_data already read
        prof = churn_groups.profile_at(Store(path), start, filters, scores=False, customers=d.customers)
    grouped = churn_groups.with_profile(ev, prof) if dimension in churn_groups.PROFILE_DIMENSIONS else ev
    return {"over_time": d.over_time,
            "by_dimension": churn_groups.by_dimension(grouped, start, as_of, dimension),
            "rates": churn_groups.rates_by_group(d.history, prof, start, as_of, dimension),
            "churned": ev.sort_values("annual_revenue", ascending=False, kind="stable")}


@st.cache_resource(show_spinner=False, max_entries=4)
@warmable(keep=True)
def at_risk(path: str, version: int, as_of: date, filters: Filters, period_days: int, window_days: int,
            years: float | None, threshold: float | None = None,
            lost_method: str = "years"):  # -> DataFrame | tuple
    """Active customers by value at risk; or (message key, params) when the CLV models
    cannot be fitted. Uses the Lifetime value page's cached fit (weeks, margin from data)
    and the page's cached churn data (the same arguments, so never computed twice)."""
    from .value import fitted

    fit = fitted(path, version, as_of, filters, "week", None)
    if fit.model is None:
        return fit.error
    scores = clv.score(fit.model, fit.summary, horizon=365.25 / 7, groups=fit.groups)
    d = churn_data(path, version, as_of, filters, period_days, window_days, years, threshold, lost_method)
    h = d.history
    gone = set(h.customer_ids[h.gone(day_number(as_of))].to_numpy(object))      # churned and not back
    return risk.at_risk(scores, risk.signals(Store(path), as_of, filters), time_unit="week", churned=gone)


def controls(ctx: PageContext, derived: int) -> tuple[int, float | None]:
    """Inactivity window (default: derived from the data) and expected remaining years
    (default: 1 / annual churn rate). Persistent keys ``churn_window``, ``churn_years``."""
    t, ss = ctx.tr, st.session_state
    c1, c2 = st.columns(2)
    auto = c1.toggle(t.t("churn.window_auto", days=t.number(derived)), value=bool(ss.get("churn_window_auto", True)),
                     key="w_churn_window_auto", on_change=persist, args=("churn_window_auto",),
                     help=t.t("churn.window_help"))
    window = derived
    if not auto:
        window = int(c1.number_input(t.t("churn.window"), 7, 3650, int(ss.get("churn_window", derived)), 1,
                                     key="w_churn_window", on_change=persist, args=("churn_window",)))
    years_auto = c2.toggle(t.t("churn.years_auto"), value=bool(ss.get("churn_years_auto", True)),
                           key="w_churn_years_auto", on_change=persist, args=("churn_years_auto",),
                           help=t.t("churn.years_help"))
    years = None
    if not years_auto:
        years = float(c2.number_input(t.t("churn.years"), 0.5, 20.0, float(ss.get("churn_years", 3.0)), 0.5,
                                      key="w_churn_years", on_change=persist, args=("churn_years",)))
    return window, years


def definition(ctx: PageContext, as_of: date) -> float | None:
    """Inactivity or probability alive (with its threshold) for customers without explicit
    events; None = inactivity. Falls back, saying why, when the model cannot be fitted."""
    t, ss = ctx.tr, st.session_state
    c1, c2 = st.columns(2)
    kind = c1.segmented_control(t.t("churn.definition"), ["inactivity", "p_alive"], required=True,
                                default=ss.get("churn_definition", "inactivity"), key="w_churn_definition",
                                on_change=persist, args=("churn_definition",),
                                format_func=lambda k: t.t(f"churn.definition.{k}"), help=t.t("churn.definition_help"))
    if kind != "p_alive":
        return None
    threshold = float(c2.slider(t.t("churn.threshold"), 0.05, 0.95, float(ss.get("churn_threshold", DEFAULT_THRESHOLD)),
                                0.05, key="w_churn_threshold", on_change=persist, args=("churn_threshold",),
                                help=t.t("churn.threshold_help")))
    rule = alive_rule(ctx.store.path, ctx.version, as_of, ctx.filters, threshold)
    if not isinstance(rule, AliveRule):
        key, params = rule
        st.warning(t.t("churn.alive_unavailable") + " " + t.t(key, **params), icon=":material/warning:")
        return None
    return threshold


def lost_method(ctx: PageContext, as_of: date) -> str:
    """How a churned customer's lost profit is valued: annual profit x remaining years, or
    their CLV at the churn (falls back, saying why, when the CLV models cannot be fitted)."""
    t, ss = ctx.tr, st.session_state
    method = st.segmented_control(t.t("churn.lost_method"), list(LOST_PROFIT_METHODS), required=True,
                                  default=ss.get("churn_lost_method", "years"), key="w_churn_lost_method",
                                  on_change=persist, args=("churn_lost_method",),
                                  format_func=lambda m: t.t(f"churn.lost_method.{m}"), help=t.t("churn.lost_method_help"))
    if method != "clv":
        return "years"
    from .value import fitted

    fit = fitted(ctx.store.path, ctx.version, as_of, ctx.filters, "week", None)
    if fit.model is None:
        key, params = fit.error
        st.warning(t.t("churn.clv_unavailable") + " " + t.t(key, **params), icon=":material/warning:")
        return "years"
    return "clv"
