"""Campaigns against their held-out control groups: uplift, incremental revenue, ROI."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm_app import relations
from crm_app.context import page_context, persist, require_data
from crm_app.router import ensure_router
from crm_app.widgets import chart, customer_list
from crm_core.charts.palette import SERIES
from crm_core.charts.relations import forest
from crm_core.errors import NoDataError
from crm_core.relations import campaigns as cp

ensure_router()
ctx = page_context()
t = ctx.tr
st.title(t.t("page.campaigns"))
as_of = require_data(ctx)
path, version, ss = ctx.store.path, ctx.version, st.session_state
window = int(ss.get("cp_window", cp.DEFAULT_WINDOW))
st.number_input(t.t("campaigns.window"), 1, 730, window, 1, key="w_cp_window", on_change=persist,
                args=("cp_window",), help=t.t("campaigns.window_help"))
st.caption(t.t("campaigns.caption", as_of=t.date(as_of), days=t.number(window)))
with st.expander(t.t("campaigns.definitions"), icon=":material/help:"):
    st.markdown(t.t("campaigns.definitions_text", min=t.number(cp.MIN_GROUP)))
try:
    rep = relations.campaigns(path, version, as_of, ctx.filters, window)
except NoDataError:
    st.info(t.t("campaigns.none"), icon=":material/campaign:")
    st.stop()
table = rep.campaigns
DECIDED = ("pays", "does_not_pay")
COLORS = {"pays": SERIES["positive"], "does_not_pay": SERIES["negative"]}


def _interval(lo: float, hi: float, fmt) -> str:
    return "—" if pd.isna(lo) or pd.isna(hi) else f"{fmt(lo)} – {fmt(hi)}"


rows = []
for r in table.itertuples():
    uplift = r.verdict not in ("no_control",)
    rows.append({
        t.t("campaigns.col.campaign"): str(r.name), t.t("campaigns.col.start"): t.date(r.start_date.date())
        if pd.notna(r.start_date) else "—",
        t.t("campaigns.col.contacted"): t.number(r.contacted), t.t("campaigns.col.control"): t.number(r.control),
        t.t("campaigns.col.response_rate"): t.percent(r.response_rate),
        t.t("campaigns.col.control_response_rate"): t.percent(r.control_response_rate) if uplift else "—",
        t.t("campaigns.col.uplift"): t.percent(r.uplift) if uplift else "—",
        t.t("campaigns.col.uplift_ci"): _interval(r.uplift_lo, r.uplift_hi, t.percent),
        t.t("campaigns.col.incremental_revenue"): ctx.money(r.incremental_revenue) if uplift else "—",
        t.t("campaigns.col.incremental_revenue_ci"): _interval(r.incremental_revenue_lo, r.incremental_revenue_hi,
                                                               ctx.money),
        t.t("campaigns.col.cost"): ctx.money(r.cost),
        t.t("campaigns.col.roi"): t.percent(r.roi, 0) if r.verdict in DECIDED else "—",
        t.t("campaigns.col.roi_ci"): _interval(r.roi_lo, r.roi_hi, lambda v: t.percent(v, 0)),
        t.t("campaigns.col.verdict"): t.t(f"campaigns.verdict.{r.verdict}"),
    })
st.dataframe(rows, hide_index=True, key="cp_table")
st.caption(t.t("campaigns.table_help"))
shown = table[table["verdict"] != "no_control"]
if len(shown):
    chart(forest([str(n) for n in shown["name"]], list(shown["uplift"]), list(shown["uplift_lo"]),
                 list(shown["uplift_hi"]), t, title=t.t("campaigns.forest_title"),
                 colors=[COLORS.get(v, SERIES["primary"]) for v in shown["verdict"]],
                 texts=[t.t("campaigns.forest_hover", uplift=t.percent(u), lo=t.percent(lo), hi=t.percent(hi))
                        for u, lo, hi in zip(shown["uplift"], shown["uplift_lo"], shown["uplift_hi"])]), "cp_forest")

st.subheader(t.t("campaigns.by_segment"))
names = dict(zip(table["campaign_id"], table["name"].astype(str)))
pick = st.selectbox(t.t("campaigns.pick"), list(names), format_func=lambda c: names[c], key="cp_pick")
try:
    seg = relations.campaign_segments(path, version, as_of, ctx.filters, window, pick)
except NoDataError:
    st.info(t.t("campaigns.no_contacts"))
    st.stop()
st.caption(t.t("campaigns.by_segment_help"))
seg_rows = [{t.t("col.segment"): t.t(f"segment.{s.segment}"), t.t("campaigns.col.contacted"): t.number(s.contacted),
             t.t("campaigns.col.control"): t.number(s.control), t.t("campaigns.col.response_rate"): t.percent(s.response_rate),
             t.t("campaigns.col.uplift"): t.percent(s.uplift),
             t.t("campaigns.col.uplift_ci"): _interval(s.uplift_lo, s.uplift_hi, t.percent),
             t.t("campaigns.col.incremental_revenue"): ctx.money(s.incremental_revenue),
             t.t("campaigns.col.verdict"): t.t(f"campaigns.verdict.{s.verdict}")} for s in seg.itertuples()]
st.dataframe(seg_rows, hide_index=True, key="cp_segments")

st.subheader(t.t("campaigns.responders"))
contacts = rep.contacts
mine = contacts[(contacts["campaign_id"] == pick) & ~contacts["is_control"].to_numpy(bool)]
who = st.segmented_control(t.t("campaigns.list_of"), ["responded", "not_responded"], default="not_responded",
                           key="cp_list_of", required=True, format_func=lambda w: t.t(f"campaigns.list.{w}"))
chosen = mine[mine["response"].to_numpy(bool) == (who == "responded")]
customer_list(ctx, relations.people(path, version, ctx.filters, chosen["customer_id"]),
              f"campaign-{pick}-{who}-{as_of.isoformat()}", "cp_list")
