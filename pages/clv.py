"""Customer lifetime value: BG/NBD + Gamma-Gamma, per-customer CLV, model fit and holdout check."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm_app import value
from crm_app.context import page_context, require_data
from crm_app.router import ensure_router
from crm_app.widgets import chart, customer_list
from crm_core.charts.clv import calibration_figure, clv_histogram, holdout_figure, matrix_figure
from crm_core.value import clv

ensure_router()
ctx = page_context()
t = ctx.tr
st.title(t.t("page.clv"))
as_of = require_data(ctx)
value.clv_controls(ctx)
defaults = value.unit_costs(ctx.store.path, ctx.version)
value.cost_editor(ctx, defaults)
s = value.settings(ctx, defaults)
st.caption(t.t("clv.caption", as_of=t.date(as_of), months=s.horizon_months, discount=t.percent(s.annual_discount),
               unit=t.t(f"unit.{s.time_unit}")))
vd = value.value_data(ctx.store.path, ctx.version, s)
if vd.error is not None or vd.result is None:
    value.show_fit_error(ctx, vd.error or ("", {"reason": "generic"}))
    st.stop()
res = vd.result
model = res.model
for w in model.warnings:
    st.warning(t.t(f"clv.warning.{w}"), icon=":material/warning:")
if model.gamma_gamma_error is not None:
    value.show_fit_error(ctx, (model.gamma_gamma_error.message_key, dict(model.gamma_gamma_error.params)))

scores = res.scores
k = st.columns(4)
k[0].metric(t.t("clv.kpi.alive"), t.percent(float((scores["p_alive"] >= 0.5).mean())), border=True,
            help=t.t("clv.kpi.alive_help"))
k[1].metric(t.t("clv.kpi.expected", months=s.horizon_months), t.number(float(scores["expected_purchases"].sum())),
            border=True)
k[2].metric(t.t("clv.kpi.total"), ctx.money(float(scores["clv"].sum()), compact=True), border=True)
k[3].metric(t.t("clv.kpi.average"), ctx.money(float(scores["clv"].mean()), compact=True), border=True)
basis = value.margin_basis(ctx.store.path, ctx.version, as_of)
if not model.margin_from_data:
    source = t.t("clv.margin_set")
elif basis.source in ("assumed", "none"):
    source = t.t("clv.margin_assumed", margin=t.percent(basis.default_margin))
elif basis.source == "mixed":
    source = t.t("clv.margin_mixed", share=t.percent(1 - (basis.cost_share or 0.0)), margin=t.percent(basis.default_margin))
else:
    source = t.t("clv.margin_from_data")
st.caption(t.t("clv.margin_caption", customers=t.number(len(scores)), margin=t.percent(model.margin), source=source,
               cost=ctx.money(float(scores["expected_cost"].sum()), compact=True)))

# One section at a time: the holdout check refits the models, so it runs only when asked for.
section = st.segmented_control(t.t("clv.section"), ["value", "model", "check"], default="value", key="clv_section",
                               required=True, format_func=lambda v: t.t(f"clv.tab.{v}")) or "value"
if section == "value":
    chart(clv_histogram(scores["clv"], t, ctx.currency, ctx.rate), "clv_hist")
    st.subheader(t.t("clv.top_customers"))
    ranked = scores[["customer_id", "p_alive", "expected_purchases", "expected_value", "clv"]].merge(
        vd.frame[["customer_id", "region", "channel", "customer_type", "cost_to_serve", "net_profit"]],
        on="customer_id", how="left").sort_values("clv", ascending=False, kind="stable")
    customer_list(ctx, ranked, f"clv-{as_of.isoformat()}", "clv_list")

elif section == "model":
    left, right = st.columns(2)
    with left:
        measure = st.segmented_control(t.t("clv.matrix_measure"), ["expected_purchases", "p_alive"],
                                       default="expected_purchases", key="clv_measure", required=True,
                                       format_func=lambda m: t.t(f"clv.measure.{m}")) or "expected_purchases"
        T = float(scores["T"].max())
        max_x = int(min(max(scores["x"].quantile(0.99), 5), 60))
        mats = clv.frequency_recency_matrix(model, T, horizon=s.horizon, max_x=max_x)
        chart(matrix_figure(mats[measure], measure, t, s.time_unit), "clv_matrix")
    with right:
        chart(calibration_figure(res.calibration, t), "clv_calibration")
    bg, gg = model.bgnbd, model.gamma_gamma
    rows = [(f"BG/NBD {n}", getattr(bg.params, n), getattr(bg.std_errors, n) if bg.std_errors else None)
            for n in ("r", "alpha", "a", "b")]
    if gg is not None:
        rows += [(f"Gamma-Gamma {n}", getattr(gg.params, n), getattr(gg.std_errors, n) if gg.std_errors else None)
                 for n in ("p", "q", "v")]
    params = pd.DataFrame({"parameter": [r[0] for r in rows], "estimate": [t.number(r[1], 4) for r in rows],
                           "std_error": [t.number(r[2], 4) for r in rows]})
    st.dataframe(params, hide_index=True, key="clv_params", column_config={
        c: st.column_config.Column(t.t(f"clv.col.{c}")) for c in params.columns})
    st.caption(t.t("clv.fit_caption", ll=t.number(bg.log_likelihood, 1), customers=t.number(bg.customers),
                   groups=t.number(bg.groups), gg_customers=t.number(gg.customers if gg else 0)))
    st.caption(t.t("clv.definition"))

else:
    weeks = st.segmented_control(t.t("clv.holdout"), list(value.HOLDOUT_WEEKS), default=26, key="clv_holdout",
                                 required=True, format_func=lambda w: t.t("clv.weeks", n=w)) or 26
    check = value.validation(ctx.store.path, ctx.version, s, int(weeks))
    if check.error is not None or check.result is None or check.result.holdout is None:
        value.show_fit_error(ctx, check.error or ("", {"reason": "generic"}))
    else:
        h = check.result.holdout
        c = st.columns(4)
        c[0].metric(t.t("clv.check.actual"), t.number(h.actual), border=True)
        c[1].metric(t.t("clv.check.predicted"), t.number(h.predicted),
                    t.signed_percent((h.predicted - h.actual) / h.actual) if h.actual else None,
                    delta_color="off", border=True)
        c[2].metric(t.t("clv.check.mae"), t.number(h.mae, 2), border=True, help=t.t("clv.check.mae_help"))
        c[3].metric(t.t("clv.check.rmse"), t.number(h.rmse, 2), border=True)
        chart(holdout_figure(h.by_frequency, t), "clv_holdout_chart")
        st.caption(t.t("clv.check.caption", start=t.date(h.calibration_end), end=t.date(h.holdout_end),
                       customers=t.number(h.customers)))
