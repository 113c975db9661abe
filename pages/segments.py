"""Segments: RFM segment treemap, the R x F grid, the segment table and drill-down lists."""

from __future__ import annotations

import streamlit as st

from crm_app import data
from crm_app.context import page_context, require_data
from crm_app.customers import bins_control, drill_from_map, scheme_editor, settings
from crm_app.router import ensure_router
from crm_app.widgets import chart, customer_list
from crm_core.charts.targets import rf_heatmap, segment_treemap
from crm_core.customers.rfm import SEGMENTS

ensure_router()
ctx = page_context()
t = ctx.tr
st.title(t.t("page.segments"))
as_of = require_data(ctx)
st.caption(t.t("segments.caption", as_of=t.date(as_of)))

c1, c2, c3 = st.columns([1, 2, 2])
with c1:
    bins_control(ctx)
size_by = c2.segmented_control(t.t("segments.size_by"), ["customers", "revenue", "gross_profit"], default="customers",
                               format_func=lambda m: t.t(f"segments.measure.{m}"), key="seg_size_by") or "customers"
# A select box, not buttons: "Days since last purchase" and its neighbours do not fit a third of the page.
color_by = c3.selectbox(t.t("segments.color_by"), ["segment", "value", "recency"],
                        format_func=lambda m: t.t(f"segments.color.{m}"), key="seg_color_by")

s = settings(ctx)
res = data.call(data.targets, ctx.store.path, ctx.version, s)
if res["buyers"] == 0:
    st.info(t.t("empty.no_customers_match"), icon=":material/filter_alt_off:")
    st.stop()
summary, grid = res["segments"], res["grid"]

left, right = st.columns([1, 1])
with left:
    codes = list(summary.loc[summary["customers"] > 0, "segment"])   # the treemap's tiles, in order
    chart(segment_treemap(summary, t, ctx.currency, ctx.rate, size_by, color_by), "seg_treemap",
          on_select=lambda: drill_from_map(codes))
    st.caption(t.t("segments.map_hint"))
with right:
    grid_value = st.segmented_control(t.t("segments.grid_value"), ["customers", "revenue"], default="customers",
                                      format_func=lambda m: t.t(f"segments.measure.{m}"), key="seg_grid_value")
    chart(rf_heatmap(grid, t, ctx.currency, ctx.rate, grid_value or "customers"), "seg_grid")

st.subheader(t.t("segments.table"))
table = summary.assign(
    segment=[t.t(f"segment.{x}") for x in summary["segment"]],
    action=[t.t(f"action.{x}") for x in summary["action"]],
    customer_share=[t.percent(x) for x in summary["customer_share"]],
    revenue=[ctx.money(x) for x in summary["revenue"]],
    revenue_share=[t.percent(x) for x in summary["revenue_share"]],
    gross_profit=[ctx.money(x) for x in summary["gross_profit"]],
    average_order_value=[ctx.money(x) for x in summary["average_order_value"]],
    recency_days=[t.number(x) for x in summary["recency_days"]],
    customers=[t.number(x) for x in summary["customers"]],
)
# The suggested action right after the segment (not off to the right), every segment shown
# (no fixed height hiding the last rows).
cols = ["segment", "action", "customers", "customer_share", "revenue", "revenue_share", "gross_profit",
        "average_order_value", "recency_days"]
st.dataframe(table[cols], hide_index=True, width="stretch", height="content", key="seg_table",
             column_config={c: st.column_config.Column(t.t(f"col.{c}"), pinned=c == "segment") for c in cols})
st.caption(t.t("segments.table_note", buyers=t.number(res["buyers"]),
               prospects=t.number(res["customers"] - res["buyers"])))

st.subheader(t.t("segments.drill"))
present = [seg for seg in SEGMENTS if int(summary.loc[summary["segment"] == seg, "customers"].iloc[0]) > 0]
# defaults in session state, not in the widgets: a click on the treemap sets them too (drill_from_map)
st.session_state.setdefault("seg_drill_mode", "segment")
if st.session_state.get("seg_pick") not in present:
    st.session_state["seg_pick"] = present[0]
mode = st.segmented_control(t.t("segments.drill_by"), ["segment", "cell"], key="seg_drill_mode",
                            format_func=lambda m: t.t(f"segments.drill.{m}")) or "segment"
if mode == "segment":
    chosen = st.pills(t.t("segments.pick_segment"), present, key="seg_pick",
                      format_func=lambda x: t.t(f"segment.{x}")) or present[0]
    members = data.call(data.members, ctx.store.path, ctx.version, s, (("segment", (chosen,)),))
    st.markdown(t.t("segments.action_line", segment=t.t(f"segment.{chosen}"),
                    action=t.t(f"action.{summary.loc[summary['segment'] == chosen, 'action'].iloc[0]}")))
    customer_list(ctx, members, f"segment-{chosen}-{as_of.isoformat()}", "seg_list")
else:
    a, b = st.columns(2)
    r = a.selectbox(t.t("chart.axis.r_score"), list(range(s.bins, 0, -1)), key="seg_cell_r")
    f = b.selectbox(t.t("chart.axis.f_score"), list(range(s.bins, 0, -1)), key="seg_cell_f")
    members = data.call(data.members, ctx.store.path, ctx.version, s, (("r_score", (r,)), ("f_score", (f,))))
    customer_list(ctx, members, f"rfm-R{r}F{f}-{as_of.isoformat()}", "seg_cell_list")

with st.expander(t.t("segments.scheme"), icon=":material/help:", key="seg_scheme_open", on_change="rerun") as box:
    if box.open:   # the editable table is built (and shipped) only when opened
        scheme_editor(ctx)
