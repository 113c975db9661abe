"""Customer pyramid and 80/20: tiers, Pareto curves, upgrade potential and the what-if, one tab
each (only the open tab is computed and drawn)."""

from __future__ import annotations

import streamlit as st

from crm_app import data
from crm_app.context import page_context, require_data
from crm_app.customers import settings, tier_controls
from crm_app.router import ensure_router
from crm_app.widgets import chart, customer_list, lazy_tabs
from crm_core.charts.overview import pareto_figure
from crm_core.charts.targets import pyramid_figure, what_if_figure
from crm_core.customers import micro, pyramid

#: The tiers are cut on the period's value: its money columns say so (Micro-segments show lifetime figures).
PERIOD_LABELS = {"revenue": "col.period_revenue", "revenue_share": "col.period_revenue_share",
                 "min_revenue": "col.min_revenue"}

ensure_router()
ctx = page_context()
t = ctx.tr
st.title(t.t("page.pyramid"))
as_of = require_data(ctx)
st.caption(t.t("pyramid.caption", period=t.t(f"period.{ctx.period_days}"), as_of=t.date(as_of)))
tier_controls(ctx)
s = settings(ctx)
res = data.call(data.targets, ctx.store.path, ctx.version, s)
pyr = res["pyramid"]
if res["customers"] == 0:
    st.info(t.t("empty.no_customers_match"), icon=":material/filter_alt_off:")
    st.stop()

tiers_tab, upgrade_tab, whatif_tab = lazy_tabs(ctx, ["pyramid.tab_tiers", "pyramid.tab_upgrade", "pyramid.tab_whatif"],
                                              "pyr_tab")  # only the open tab runs (and ships)

with tiers_tab:
    if tiers_tab.open:
        left, right = st.columns([3, 2], vertical_alignment="center")
        with left:
            chart(pyramid_figure(pyr, t, ctx.currency, ctx.rate), "pyr_chart")
        right.caption(t.t("pyramid.definition"))
        # full width below the chart: every tier column on screen in every language
        table = pyr.assign(
            tier=[t.t(f"tier.{x}") for x in pyr["tier"]], customers=[t.number(x) for x in pyr["customers"]],
            customer_share=[t.percent(x) for x in pyr["customer_share"]],
            revenue=[ctx.money(x) for x in pyr["revenue"]],
            revenue_share=[t.percent(x) for x in pyr["revenue_share"]],
            profit_share=[t.percent(x) for x in pyr["profit_share"]],
            min_revenue=[ctx.money(x) for x in pyr["min_revenue"]])
        cols = ["tier", "customers", "customer_share", "revenue", "revenue_share", "profit_share", "min_revenue"]
        st.dataframe(table[cols], hide_index=True, width="stretch", height="content", key="pyr_table",
                     column_config={c: st.column_config.Column(t.t(PERIOD_LABELS.get(c, f"col.{c}")))
                                    for c in cols})
        st.subheader(t.t("pyramid.pareto"))
        p1, p2 = st.columns(2)
        for col, metric in ((p1, "revenue"), (p2, "gross_profit")):
            result = res[f"pareto_{metric}"]
            with col:
                if result.customers == 0:
                    st.info(t.t("empty.no_buyers_in_period"), icon=":material/info:")
                    continue
                chart(pareto_figure(result, t), f"pyr_pareto_{metric}")
                if result.customer_share_for_80pct is not None and result.top20_share is not None:
                    st.markdown(t.t(f"overview.pareto_summary_{metric}",
                                    share80=t.percent(result.customer_share_for_80pct),
                                    top20=t.percent(result.top20_share), customers=t.number(result.customers)))
                else:
                    st.caption(t.t("overview.pareto_undefined"))
                if result.curve["value_share"].max() > 1.0001:
                    st.caption(t.t("pyramid.profit_over_100", peak=t.percent(float(result.curve["value_share"].max()))))
        with st.expander(t.t("pyramid.tier_lists"), icon=":material/list:", key="pyr_tiers_open",
                         on_change="rerun") as box:
            if box.open:   # lists are built (and shipped) only when opened
                tier = st.pills(t.t("pyramid.list_tier"), list(pyramid.TIERS), default="top", key="pyr_tier_pick",
                                format_func=lambda x: t.t(f"tier.{x}")) or "top"
                frame = data.call(data.frame, ctx.store.path, ctx.version, s)
                members = micro.select(frame, {"tier": [tier]}).sort_values("period_revenue", ascending=False,
                                                                            kind="stable")
                customer_list(ctx, members, f"tier-{tier}-{as_of.isoformat()}", "pyr_tier_list")

with upgrade_tab:
    if upgrade_tab.open:
        st.subheader(t.t("pyramid.upgrade"))
        closeness = st.slider(t.t("pyramid.closeness"), 50, 100, pyramid.DEFAULT_CLOSENESS, 5, format="%d%%",
                              key="pyr_closeness", help=t.t("pyramid.closeness_help"))
        cands = data.call(data.upgrade, ctx.store.path, ctx.version, s, int(closeness))
        for c, tier in zip(st.columns(4), cands):
            c.metric(t.t("pyramid.close_to", tier=t.t(f"tier.{tier}")), t.number(len(cands[tier])), border=True)
        pick = st.pills(t.t("pyramid.list_tier"), list(cands), default="small", key="pyr_up_tier",
                        format_func=lambda x: t.t(f"tier.{x}")) or "small"
        customer_list(ctx, cands[pick], f"upgrade-{pick}-{as_of.isoformat()}", "pyr_up_list")

with whatif_tab:
    if whatif_tab.open:
        st.subheader(t.t("pyramid.whatif"))
        pct = st.slider(t.t("pyramid.whatif_percent"), 0, 50, pyramid.DEFAULT_WHATIF_PERCENT, 1, format="%d%%",
                        key="pyr_whatif")
        w = data.call(data.what_if, ctx.store.path, ctx.version, s, float(pct))
        m1, m2, m3 = st.columns(3)
        m1.metric(t.t("pyramid.moved"), t.number(int(w.by_tier["moved"].sum())), border=True)
        m2.metric(t.t("pyramid.delta_revenue"), ctx.money(w.delta_revenue, compact=True),
                  t.signed_percent(w.delta_revenue / w.base_revenue) if w.base_revenue else None, border=True)
        m3.metric(t.t("pyramid.delta_profit"), ctx.money(w.delta_profit, compact=True),
                  t.signed_percent(w.delta_profit / w.base_profit) if w.base_profit else None, border=True)
        chart(what_if_figure(w.by_tier, t, ctx.currency, ctx.rate), "pyr_whatif_chart")
        st.caption(t.t("pyramid.whatif_method"))
        with st.expander(t.t("pyramid.whatif_list"), icon=":material/group:", key="pyr_whatif_open",
                         on_change="rerun") as box:
            if box.open:
                customer_list(ctx, w.moved, f"whatif-{pct}pct-{as_of.isoformat()}", "pyr_whatif_list")
