"""Loyalty programs: incremental effect against a matched control, costs, fees, ROI, quality."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm_app import loyalty as app
from crm_app.context import page_context, require_data
from crm_app.router import ensure_router
from crm_app.widgets import chart
from crm_core.charts.loyalty import balance_figure, event_figure, roi_figure, waterfall_figure
from crm_core.loyalty.roi import what_if

ensure_router()
ctx = page_context()
t = ctx.tr
st.title(t.t("page.loyalty"))
as_of = require_data(ctx)
design = app.design_controls(ctx)
rep = app.report(ctx.store.path, ctx.version, as_of, ctx.filters, design)
if isinstance(rep, tuple):
    if rep[0] == "error.no_data":
        st.info(t.t("loyalty.empty"), icon=":material/loyalty:")
    else:
        st.error(t.t(rep[0], **rep[1]), icon=":material/error:")
    st.stop()
st.caption(t.t("loyalty.caption", last=t.month(rep.last_month), pre=t.number(design.pre_months),
               post=t.number(design.post_months)))

cards = st.columns(min(len(rep.programs), 3))
for i, p in enumerate(rep.programs):
    with cards[i % len(cards)]:
        app.program_card(ctx, p)

names = {p.program_id: p.name for p in rep.programs}
chosen = st.segmented_control(t.t("loyalty.program"), list(names), default=rep.programs[0].program_id,
                              format_func=lambda pid: str(names[pid]), key="loy_program", required=True)
p = next(x for x in rep.programs if x.program_id == (chosen or rep.programs[0].program_id))
e, m = p.estimate, p.money

left, right = st.columns(2)
with left:
    chart(waterfall_figure(m, t, ctx.currency, ctx.rate), "loy_waterfall")
if p.verdict.trusted:
    with right:
        chart(roi_figure(m.yearly, m.monthly, t, ctx.currency, ctx.rate), "loy_roi")
    st.caption(t.t("loyalty.money_definition"))
else:
    with right:
        st.warning(t.t("loyalty.money_not_credible"), icon=":material/block:")

v = p.verdict
st.subheader(t.t("loyalty.effect"))
st.dataframe(app.designs_table(ctx, p), hide_index=True, width="stretch")
(st.info if v.trusted else st.warning)(t.t(f"loyalty.reason.{v.reason}"), icon=":material/science:")
if m.extrapolated_profit is not None and v.trusted:
    st.caption(t.t("loyalty.extrapolated", months=t.number(design.post_months),
                   value=ctx.money(m.extrapolated_profit, compact=True)))
if e is None:
    st.warning(t.t("loyalty.no_estimate", n=t.number(m.members)), icon=":material/warning:")
else:
    st.markdown(f"**{t.t('loyalty.matched_diagnostics')}**")
    left, right = st.columns(2)
    with left:
        chart(event_figure(e.event, t, ctx.currency, ctx.rate), "loy_event")
    with right:
        chart(balance_figure(e.balance, t), "loy_balance")
    k = st.columns(4)
    k[0].metric(t.t("loyalty.analysed"), t.number(e.members_analysed),
                help=t.t("loyalty.analysed_help", excluded=t.number(e.members_excluded),
                         unmatched=t.number(e.members_unmatched), controls=t.number(e.controls_used)))
    shown = v.effect or e.effect()      # the trusted design's figures; the matched ones otherwise
    k[1].metric(t.t("loyalty.att"), ctx.money(shown.att_revenue, compact=True),
                help=t.t("loyalty.att_help", profit=ctx.money(shown.att_profit),
                         design=t.t(f"loyalty.design.{shown.design}")))
    k[2].metric(t.t("loyalty.counterfactual"), ctx.money(shown.cf_revenue, compact=True))
    k[3].metric(t.t("loyalty.break_even"), "—" if m.break_even_lift is None else t.percent(m.break_even_lift),
                help=t.t("loyalty.break_even_help"))
    table = pd.DataFrame({
        t.t("loyalty.col.covariate"): [t.t(f"loyalty.cov.{c}") for c in e.balance["covariate"]],
        t.t("loyalty.col.members"): [t.number(v, 2) for v in e.balance["member_mean"]],
        t.t("loyalty.col.control_before"): [t.number(v, 2) for v in e.balance["control_mean_before"]],
        t.t("loyalty.col.control_after"): [t.number(v, 2) for v in e.balance["control_mean_after"]],
        t.t("loyalty.col.smd_before"): [t.number(v, 2) for v in e.balance["before"]],
        t.t("loyalty.col.smd_after"): [t.number(v, 2) for v in e.balance["after"]],
    })
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption(t.t("loyalty.method"))

    st.subheader(t.t("loyalty.quality"))
    q = st.columns(3) + st.columns(3)[:2]    # two rows: five cards in a row cut their labels
    q[0].metric(t.t("loyalty.member_churn"), t.percent(e.member_churn),
                delta=t.t("loyalty.vs_control", value=t.percent(e.control_churn)), delta_color="off", delta_arrow="off")
    q[1].metric(t.t("loyalty.repeat"), t.percent(e.member_repeat),
                delta=t.t("loyalty.vs_control", value=t.percent(e.control_repeat)), delta_color="off", delta_arrow="off")
    q[2].metric(t.t("loyalty.frequency"), t.number(e.member_frequency, 2), help=t.t("loyalty.frequency_help"),
                delta=t.t("loyalty.vs_control", value=t.number(e.control_frequency, 2)), delta_color="off",
                delta_arrow="off")
    q[3].metric(t.t("loyalty.deal_seekers"), t.percent(e.deal_seekers), help=t.t("loyalty.deal_help"))
    q[4].metric(t.t("loyalty.deal_churn"), t.percent(e.deal_seeker_churn),
                delta=t.t("loyalty.vs_others", value=t.percent(e.other_churn)), delta_color="off", delta_arrow="off")
    st.caption(t.t("loyalty.quality_definition", lapse=t.number(design.lapse_months)))

if len(p.tiers):
    st.dataframe(pd.DataFrame({
        t.t("loyalty.col.tier"): [t.value("tier", v) for v in p.tiers["tier"].astype(str)],
        t.t("loyalty.col.members"): [t.number(v) for v in p.tiers["members"]],
        t.t("loyalty.col.share"): [t.percent(v) for v in p.tiers["share"]],
        t.t("loyalty.col.monthly_spend"): [ctx.money(v) for v in p.tiers["monthly_spend"]],
    }), hide_index=True, width="stretch")
    st.caption(t.t("loyalty.tiers_definition"))
    moves = p.tier_changes
    if len(moves):
        st.markdown(f"**{t.t('loyalty.tier_changes')}**")
        st.dataframe(pd.DataFrame({
            t.t("loyalty.col.from_tier"): [t.value("tier", v) for v in moves["from_tier"].astype(str)],
            t.t("loyalty.col.to_tier"): [t.value("tier", v) for v in moves["to_tier"].astype(str)],
            t.t("loyalty.col.changes"): [t.number(v) for v in moves["changes"]],
        }), hide_index=True, width="stretch")
        st.caption(t.t("loyalty.tier_changes_definition"))
    else:
        st.caption(t.t("loyalty.tier_changes_none"))

st.subheader(t.t("loyalty.what_if"))
w = st.columns(3)
base_rate = (m.reward_rate or 0.0) * 100
new_rate = w[0].slider(t.t("loyalty.reward_rate"), 0.0, max(10.0, round(base_rate * 2, 1)), round(base_rate, 1), 0.1,
                       format="%.1f%%", key=f"loy_rate_{p.program_id}")
new_fee = w[1].number_input(t.t("loyalty.annual_fee", currency=ctx.currency), 0.0, 100000.0,
                            float((p.annual_fee or 0.0) * ctx.rate), 1.0, key=f"loy_fee_{p.program_id}")
share = w[2].slider(t.t("loyalty.participation"), 0, 300, 100, 5, format="%d%%", key=f"loy_share_{p.program_id}")
fee_changed = abs(new_fee - (p.annual_fee or 0.0) * ctx.rate) > 1e-9
rate_changed = abs(new_rate - round(base_rate, 1)) > 1e-9
res = what_if(m, reward_rate=new_rate / 100 if rate_changed else None,
              annual_fee=new_fee / ctx.rate if fee_changed else None,
              participation=share / 100)
r = st.columns(4)
r[0].metric(t.t("loyalty.wf.incremental"), "—" if res.incremental_profit is None
            else ctx.money(res.incremental_profit, compact=True))
r[1].metric(t.t("loyalty.wf.fees"), ctx.money(res.fees, compact=True))
r[2].metric(t.t("loyalty.costs"), ctx.money(res.costs, compact=True))
roi_text, roi_delta = app.what_if_roi(ctx, p, res)
if roi_text in (t.t("loyalty.not_credible"), t.t("loyalty.not_shown_to_pay")):   # a sentence: in full, not cut
    r[3].metric(t.t("loyalty.roi"), "—")
    r[3].markdown(f"**{roi_text}**")
else:
    r[3].metric(t.t("loyalty.roi"), roi_text, delta=roi_delta, delta_color="off", delta_arrow="off")
st.caption(t.t("loyalty.what_if_definition"))
