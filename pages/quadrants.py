"""Profitability quadrants: profit against cost to serve, and profit today against CLV."""

from __future__ import annotations

import streamlit as st

from crm_app import value
from crm_app.context import page_context, require_data
from crm_app.router import ensure_router
from crm_app.widgets import chart as draw
from crm_app.widgets import customer_list
from crm_core.charts.quadrants import MAX_POINTS, SAMPLE_POINTS, quadrant_chart
from crm_core.value import quadrants

ensure_router()
ctx = page_context()
t = ctx.tr
st.title(t.t("page.quadrants"))
as_of = require_data(ctx)
defaults = value.unit_costs(ctx.store.path, ctx.version)
value.cost_editor(ctx, defaults)
s = value.settings(ctx, defaults)
vd = value.value_data(ctx.store.path, ctx.version, s)
df = vd.frame
st.caption(t.t("quad.caption", period=t.t(f"period.{ctx.period_days}"), as_of=t.date(as_of),
               months=s.horizon_months))
if df.empty:
    st.info(t.t("empty.no_buyers_in_period"), icon=":material/info:")
    st.stop()

chart = st.segmented_control(t.t("quad.chart"), ["a", "b"], default="a", key="quad_chart", required=True,
                             format_func=lambda c: t.t(f"quad.title_{c}")) or "a"
if chart == "b" and vd.error is not None:
    value.show_fit_error(ctx, vd.error)
    st.stop()
xcol, ycol = quadrants.AXES[chart]
splits = []
cols = st.columns([1, 1, 1, 1, 0.8])
for i, (axis, col) in enumerate((("x", xcol), ("y", ycol))):
    method = cols[2 * i].selectbox(t.t("quad.split", axis=t.t(f"quad.axis.{col}", currency=ctx.currency)),
                                   ["median", "mean", "value"], key=f"quad_{chart}_{axis}_method",
                                   format_func=lambda m: t.t(f"quad.split.{m}"))
    number = None
    if method == "value":
        number = cols[2 * i + 1].number_input(t.t("quad.split_value", currency=ctx.currency), value=0.0, step=10.0,
                                              key=f"quad_{chart}_{axis}_value") / ctx.rate
    splits.append(quadrants.Split(method, number))
log = cols[4].toggle(t.t("quad.log"), value=True, key=f"quad_{chart}_log", help=t.t("quad.log_help"))

quadrant, xs, ys = quadrants.classify(df, chart, splits[0], splits[1])  # type: ignore[arg-type]
if chart == "a" and not quadrants.varies(df[xcol]):
    st.warning(t.t("quad.no_cost_variation", cost=ctx.money(float(df[xcol].iloc[0]) if len(df) else 0.0),
                   return_cost=ctx.money(s.costs.return_cost), order_cost=ctx.money(s.costs.order_cost)),
               icon=":material/info:")
# A drawn region is kept in the chart's coordinates: another scale or currency starts afresh.
event = draw(quadrant_chart(df, quadrant, chart, xs, ys, t, ctx.currency, ctx.rate, log=log),
             f"quad_scatter_{chart}_{'log' if log else 'linear'}_{ctx.currency}", on_select="rerun")
if len(df) > MAX_POINTS:
    st.caption(t.t("quad.sampled", shown=t.number(SAMPLE_POINTS), total=t.number(len(df))))
st.caption(t.t(f"quad.definition_{chart}", x=ctx.money(xs), y=ctx.money(ys)))

summary = quadrants.quadrant_summary(df, quadrant, chart)  # type: ignore[arg-type]
money_cols = [c for c in ("revenue", "gross_profit", "cost_to_serve", "net_profit", "clv") if c in summary]
table = summary.assign(quadrant=[t.t(f"quad.{q}") for q in summary["quadrant"]],
                       customers=[t.number(v) for v in summary["customers"]],
                       customer_share=[t.percent(v) for v in summary["customer_share"]],
                       profit_share=[t.percent(v) for v in summary["profit_share"]],
                       **{c: [ctx.money(v) for v in summary[c]] for c in money_cols})
shown_cols = ["quadrant", "customers", "customer_share", *money_cols, "profit_share"]
st.dataframe(table[shown_cols], hide_index=True, width="stretch", key="quad_table",
             column_config={c: st.column_config.Column(t.t({"revenue": "col.period_revenue",
                                                             "gross_profit": "col.period_gross_profit"}.get(c, f"col.{c}")))
                            for c in shown_cols})

boxes, lassos = quadrants.brushed_regions(event.get("selection") if event else None)
listed = df.assign(quadrant=quadrant)   # categorical, aligned on the index
if boxes or lassos:
    st.subheader(t.t("quad.selected"))
    picked = listed[quadrants.select_region(df, chart, boxes=boxes, lassos=lassos,  # type: ignore[arg-type]
                                            rate=ctx.rate, log=log)]
    customer_list(ctx, picked.sort_values(ycol, ascending=False, kind="stable"),
                  f"quadrant-{chart}-selection-{as_of.isoformat()}", "quad_sel_list")
else:
    st.subheader(t.t("quad.list"))
    st.caption(t.t("quad.select_hint"))
    names = list(quadrants.QUADRANTS_A if chart == "a" else quadrants.QUADRANTS_B)
    pick = st.pills(t.t("quad.list_quadrant"), names, default=names[0], key=f"quad_pick_{chart}",
                    format_func=lambda q: t.t(f"quad.{q}")) or names[0]
    members = listed[(quadrant == pick).to_numpy()].sort_values(ycol, ascending=False, kind="stable")
    customer_list(ctx, members, f"quadrant-{chart}-{pick}-{as_of.isoformat()}", "quad_list")
