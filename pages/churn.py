"""Exit management: churn rate, reasons, profit lost, the retention break-even, complaints."""

from __future__ import annotations

import streamlit as st

from crm_app import exits
from crm_app.context import page_context, require_data
from crm_app.router import ensure_router
from crm_app.widgets import chart, customer_list
from crm_core.charts.churn import (
    complaints_figure,
    dimension_bars,
    reason_area,
    reason_bars,
    reason_donut,
    trend_figure,
)
from crm_core.exits import churn
from crm_core.exits import groups as churn_groups

ensure_router()
ctx = page_context()
t = ctx.tr
st.title(t.t("page.churn"))
as_of = require_data(ctx)
derived = exits.default_window(ctx.store.path, ctx.version, as_of)
threshold = exits.definition(ctx, as_of)
window, years = exits.controls(ctx, derived)
method = exits.lost_method(ctx, as_of)
d = exits.churn_data(ctx.store.path, ctx.version, as_of, ctx.filters, ctx.period_days, window, years, threshold,
                     method)
st.caption(t.t("churn.caption", period=t.t(f"period.{ctx.period_days}"), as_of=t.date(as_of),
               window=t.number(d.window_days)))
if d.threshold is not None:
    st.caption(t.t("churn.caption_alive", threshold=t.percent(d.threshold), window=t.number(d.window_days)))

k = st.columns(4)
k[0].metric(t.t("churn.kpi.active"), t.number(d.active), border=True)
k[1].metric(t.t("churn.kpi.churned"), t.number(d.churned), border=True,
            help=t.t("churn.kpi.churned_help", won_back=t.number(d.won_back)))
k[2].metric(t.t("kpi.churn_rate"), t.percent(d.churn_rate), border=True)
k[3].metric(t.t("churn.kpi.lost_profit"), ctx.money(d.lost_profit, compact=True), border=True,
            help=t.t("churn.kpi.lost_profit_help", years=t.number(d.years, 1)) if d.lost_profit_method == "years"
            else t.t("churn.kpi.lost_profit_clv_help"))
st.caption(t.t("churn.annual_caption", rate=t.percent(d.annual_rate), years=t.number(d.years, 1)))

freq = st.segmented_control(t.t("churn.freq"), ["month", "quarter"], default="month", key="churn_freq",
                            required=True, format_func=lambda f: t.t(f"churn.freq.{f}")) or "month"
chart(trend_figure(d.monthly if freq == "month" else d.quarterly, t, freq), "churn_trend")

st.subheader(t.t("churn.reasons"))
left, right = st.columns([3, 2])
with left:
    value = st.segmented_control(t.t("churn.reason_value"), ["customers", "lost_revenue"], default="customers",
                                 key="churn_reason_value", required=True,
                                 format_func=lambda v: t.t(f"churn.reason_value.{v}")) or "customers"
    chart(reason_bars(d.reasons, t, value, ctx.currency, ctx.rate), "churn_bars")
with right:
    chart(reason_donut(d.reasons, t), "churn_donut")
dim = st.segmented_control(t.t("churn.by_group"), list(churn_groups.GROUP_DIMENSIONS), default="region", key="churn_dim",
                           required=True, format_func=lambda x: t.t(f"dim.{x}")) or "region"
tables = exits.breakdowns(ctx.store.path, ctx.version, as_of, ctx.filters, ctx.period_days, window, years, dim,
                          threshold, method)
chart(reason_area(tables["over_time"], t), "churn_area")
chart(dimension_bars(tables["by_dimension"], t, dim, tables["rates"]), "churn_dim_chart")
st.caption(t.t("churn.reasons_definition"))

st.subheader(t.t("churn.retention"))
points = st.slider(t.t("churn.reduction"), 0.5, 10.0, 1.0, 0.5, format="%.1f", key="churn_reduction")
be = churn.break_even(d.active, points / 100, d.lost_per_customer)
r = st.columns(4)
r[0].metric(t.t("churn.kept"), t.number(be["customers_kept"]), border=True)
r[1].metric(t.t("churn.value_per_customer"), ctx.money(d.lost_per_customer, compact=True), border=True)
r[2].metric(t.t("churn.break_even"), ctx.money(be["break_even_budget"], compact=True), border=True,
            help=t.t("churn.break_even_help"))
r[3].metric(t.t("churn.spent"), ctx.money(d.retention_spend, compact=True), border=True, help=t.t("churn.spent_help"))

st.subheader(t.t("churn.complaints"))
chart(complaints_figure(d.complaints, t), "churn_complaints")
st.caption(t.t("churn.complaints_definition"))

st.subheader(t.t("churn.at_risk"))
st.caption(t.t("churn.at_risk_definition"))
risky = exits.at_risk(ctx.store.path, ctx.version, as_of, ctx.filters, ctx.period_days, window, years, threshold,
                      method)
if isinstance(risky, tuple):
    from crm_app.value import show_fit_error
    show_fit_error(ctx, risky)
else:
    customer_list(ctx, risky, f"at-risk-{as_of.isoformat()}", "churn_risk_list")

st.subheader(t.t("churn.list"))
customer_list(ctx, tables["churned"], f"churned-{as_of.isoformat()}", "churn_list")
