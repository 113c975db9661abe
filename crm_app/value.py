"""Settings, controls and cached data shared by the Lifetime value and Quadrants pages.

Settings live in persistent session keys (``clv_unit``, ``clv_horizon``, ``clv_discount``,
``clv_margin``, ``cts_*``), so the cost-to-serve assumptions made on the Quadrants page
also drive the net CLV on the Lifetime value page, and the other way round.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from crm_core.errors import CrmError, ModelFitError
from crm_core.filters import Filters
from crm_core.store.connection import Store
from crm_core.value import clv, costs, quadrants

from . import data
from .context import PageContext, persist
from .warm_cache import warmable

__all__ = ["ValueSettings", "ValueData", "Fitted", "settings", "fitted", "quadrant_frame", "value_data", "validation", "clv_controls", "cost_editor",
           "show_fit_error", "HORIZON_MONTHS", "HOLDOUT_WEEKS"]

HORIZON_MONTHS = (6, 12, 24, 36, 60)
HOLDOUT_WEEKS = (13, 26, 39, 52)


@dataclass(frozen=True)
class ValueSettings:
    """Everything the value pages' numbers depend on (hashable: a cache key)."""

    as_of: date
    filters: Filters
    period_days: int = 365
    time_unit: str = "week"
    horizon_months: int = 12
    annual_discount: float = 0.10
    margin: float | None = None
    costs: costs.CostAssumptions = costs.CostAssumptions()

    @property
    def horizon(self) -> float:
        return self.horizon_months * clv.MONTH_DAYS / clv.UNIT_DAYS[self.time_unit]


@dataclass(frozen=True)
class ValueData:
    frame: pd.DataFrame                 # one row per customer: window profit, cost to serve, CLV
    result: clv.ClvResult | None
    error: tuple[str, dict[str, Any]] | None   # (message key, params) when the models could not be fitted


def settings(ctx: PageContext, unit_costs: tuple[tuple[str, float], ...],
             state: Mapping[str, Any] | None = None) -> ValueSettings:
    """The value pages' settings from the session (``state``: another mapping, e.g. ``{}``
    for the defaults a first visitor sees)."""
    ss = st.session_state if state is None else state
    margin = None if ss.get("clv_margin_auto", True) else float(ss.get("clv_margin", 30.0)) / 100
    include = tuple(c for c in costs.COST_COMPONENTS if c in ss.get("cts_include", costs.COST_COMPONENTS))
    assumptions = costs.CostAssumptions(use_recorded=bool(ss.get("cts_recorded", True)),
                                        unit_costs=tuple(ss.get("cts_unit_costs", unit_costs)),
                                        return_cost=float(ss.get("cts_return_cost", 10.0)), include=include,
                                        order_cost=float(ss.get("cts_order_cost", 0.0)),
                                        loyalty_operating=bool(ss.get("cts_loyalty_operating", False)))
    return ValueSettings(as_of=ctx.as_of, filters=ctx.filters, period_days=ctx.period_days,  # type: ignore[arg-type]
                         time_unit=ss.get("clv_unit", "week"), horizon_months=int(ss.get("clv_horizon", 12)),
                         annual_discount=float(ss.get("clv_discount", 10.0)) / 100, margin=margin, costs=assumptions)


@st.cache_data(show_spinner=False, max_entries=8)
def unit_costs(path: str, version: int) -> tuple[tuple[str, float], ...]:
    return costs.default_unit_costs(Store(path))


@dataclass(frozen=True)
class Fitted:
    summary: pd.DataFrame
    groups: clv.Groups | None
    model: clv.ClvModel | None
    error: tuple[str, dict[str, Any]] | None


@st.cache_resource(show_spinner=False, max_entries=4)
@warmable(keep=True)
def fitted(path: str, version: int, as_of: date, filters: Filters, time_unit: str, margin: float | None) -> Fitted:
    """The CLV models fitted on everything up to ``as_of`` (independent of costs, horizon
    and discounting, so changing those never refits)."""
    summary = clv.clv_summary(Store(path), as_of, filters=filters, time_unit=time_unit)  # type: ignore[arg-type]
    groups = clv.Groups.of(summary) if len(summary) else None
    try:
        model = clv.fit_models(summary, time_unit=time_unit, calibration_end=as_of, margin=margin, groups=groups)
    except ModelFitError as err:
        return Fitted(summary, groups, None, (err.message_key, dict(err.params)))
    return Fitted(summary, groups, model, None)


@st.cache_data(show_spinner=False, max_entries=16)
def margin_basis(path: str, version: int, as_of: date) -> costs.MarginBasis:
    """Whether the gross profit rests on recorded costs or on the assumed margin."""
    return costs.margin_basis(Store(path), as_of)


@st.cache_resource(show_spinner=False, max_entries=4)
@warmable(keep=True)
def quadrant_frame(path: str, version: int, as_of: date, period_days: int, filters: Filters,
                   assumptions: costs.CostAssumptions) -> pd.DataFrame:
    return quadrants.quadrant_frame(Store(path), as_of, period_days, filters, assumptions)


@st.cache_resource(show_spinner=False, max_entries=4)
@warmable(keep=True)
def value_data(path: str, version: int, s: ValueSettings) -> ValueData:
    """Window profit, cost to serve and net CLV per customer: the cached fit scored with
    each customer's cost to serve per purchase in the window. Shared, never copied:
    callers must not modify the frames."""
    frame = quadrant_frame(path, version, s.as_of, s.period_days, s.filters, s.costs)
    fit = fitted(path, version, s.as_of, s.filters, s.time_unit, s.margin)
    if fit.model is None:
        return ValueData(frame.assign(clv=float("nan"), p_alive=float("nan")), None, fit.error)
    framed, scores = quadrants.score_with_costs(frame, fit.summary, fit.model, horizon=s.horizon,
                                                annual_discount=s.annual_discount, groups=fit.groups)
    result = clv.ClvResult(fit.model, scores, clv.calibration_fit(fit.model, fit.summary),
                           settings={"horizon": s.horizon, "annual_discount": s.annual_discount})
    return ValueData(framed, result, None)


@st.cache_resource(show_spinner=False, max_entries=4)
def validation(path: str, version: int, s: ValueSettings, holdout_weeks: int) -> ValueData:
    """The same models fitted up to ``holdout_weeks`` before the as-of date and checked
    against what customers actually bought after it."""
    cal_end = s.as_of - timedelta(weeks=holdout_weeks)
    try:
        result = clv.run_clv(Store(path), cal_end, holdout_end=s.as_of, filters=s.filters,
                             time_unit=s.time_unit, horizon=s.horizon,  # type: ignore[arg-type]
                             annual_discount=s.annual_discount, margin=s.margin)
    except ModelFitError as err:
        return ValueData(pd.DataFrame(), None, (err.message_key, dict(err.params)))
    return ValueData(pd.DataFrame(), result, None)


def show_fit_error(ctx: PageContext, error: tuple[str, dict[str, Any]]) -> None:
    """A model that cannot be fitted: say why, in the user's language."""
    key, params = error
    reason = params.get("reason", "generic")
    st.warning(ctx.tr.t(f"clv.fit_error.{reason}", **{k: v for k, v in params.items() if k != "reason"}),
               icon=":material/warning:")


def clv_controls(ctx: PageContext) -> None:
    """Time unit, horizon, discount rate and margin (persistent keys)."""
    t, ss = ctx.tr, st.session_state
    c1, c2, c3, c4 = st.columns([1, 1, 1, 1.4])
    c1.segmented_control(t.t("clv.time_unit"), ["week", "day"], default=ss.get("clv_unit", "week"), key="w_clv_unit",
                         on_change=persist, args=("clv_unit",), format_func=lambda u: t.t(f"unit.{u}_plural"),
                         required=True, help=t.t("clv.time_unit_help"))
    c2.selectbox(t.t("clv.horizon"), HORIZON_MONTHS, index=HORIZON_MONTHS.index(int(ss.get("clv_horizon", 12))),
                 format_func=lambda m: t.t("clv.months", n=m), key="w_clv_horizon", on_change=persist,
                 args=("clv_horizon",))
    c3.number_input(t.t("clv.discount"), 0.0, 50.0, float(ss.get("clv_discount", 10.0)), 1.0, format="%.1f",
                    key="w_clv_discount", on_change=persist, args=("clv_discount",), help=t.t("clv.discount_help"))
    with c4:
        auto = st.toggle(t.t("clv.margin_auto"), value=bool(ss.get("clv_margin_auto", True)), key="w_clv_margin_auto",
                         on_change=persist, args=("clv_margin_auto",))
        if not auto:
            st.number_input(t.t("clv.margin"), -100.0, 100.0, float(ss.get("clv_margin", 30.0)), 1.0, format="%.1f",
                            key="w_clv_margin", on_change=persist, args=("clv_margin",))


def cost_editor(ctx: PageContext, defaults: tuple[tuple[str, float], ...]) -> None:
    """The cost-to-serve assumptions: recorded vs unit costs, unit cost per contact type,
    return handling cost, and which components count. Applied with one button."""
    t, ss = ctx.tr, st.session_state
    with st.expander(t.t("cts.assumptions"), icon=":material/tune:"):
        st.caption(t.t("cts.definition"))
        with st.form(key="cts_form", border=False):
            recorded = st.toggle(t.t("cts.use_recorded"), value=bool(ss.get("cts_recorded", True)))
            table = pd.DataFrame(list(ss.get("cts_unit_costs", defaults)), columns=["type", "unit_cost"])
            edited = st.data_editor(table, hide_index=True, num_rows="fixed", disabled=["type"], key="w_cts_table",
                                    column_config={"type": st.column_config.TextColumn(t.t("cts.type")),
                                                   "unit_cost": st.column_config.NumberColumn(
                                                       t.t("cts.unit_cost", currency=data.base_currency(ctx)),
                                                       min_value=0.0, step=0.5, format="%.2f")})
            c = st.columns(2)
            order = c[0].number_input(t.t("cts.order_cost", currency=data.base_currency(ctx)), 0.0, 10_000.0,
                                      float(ss.get("cts_order_cost", 0.0)), 0.5, help=t.t("cts.order_cost_help"))
            ret = c[1].number_input(t.t("cts.return_cost", currency=data.base_currency(ctx)), 0.0, 10_000.0,
                                    float(ss.get("cts_return_cost", 10.0)), 1.0)
            operating = st.toggle(t.t("cts.loyalty_operating"), value=bool(ss.get("cts_loyalty_operating", False)),
                                  help=t.t("cts.loyalty_operating_help"))
            include = st.multiselect(t.t("cts.include"), list(costs.COST_COMPONENTS),
                                     default=list(ss.get("cts_include", costs.COST_COMPONENTS)),
                                     format_func=lambda c: t.t(f"cts.component.{c}"))
            if st.form_submit_button(t.t("cts.apply"), icon=":material/check:"):
                try:
                    pairs = tuple((str(r.type), float(r.unit_cost)) for r in edited.itertuples())
                    costs.CostAssumptions(use_recorded=recorded, unit_costs=pairs, return_cost=float(ret),
                                          include=tuple(include), order_cost=float(order),
                                          loyalty_operating=bool(operating))
                except (CrmError, TypeError, ValueError):
                    st.error(t.t("cts.invalid"), icon=":material/error:")
                else:
                    ss.cts_recorded, ss.cts_unit_costs, ss.cts_return_cost = recorded, pairs, float(ret)
                    ss.cts_include = tuple(include)
                    ss.cts_order_cost, ss.cts_loyalty_operating = float(order), bool(operating)
