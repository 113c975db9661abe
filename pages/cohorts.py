"""Cohorts: retention and revenue of customers grouped by when (or how) they first bought."""

from __future__ import annotations

import streamlit as st

from crm_app import journey
from crm_app.context import page_context, require_data
from crm_app.router import ensure_router
from crm_app.widgets import chart, customer_list
from crm_core.charts.journey import MEASURES, cohort_heatmap, cumulative_lines
from crm_core.journey import cohorts as cohort_tables
from crm_core.journey.lifecycle import STAGES

ensure_router()
ctx = page_context()
t = ctx.tr
st.title(t.t("page.cohorts"))
as_of = require_data(ctx)
path, version = ctx.store.path, ctx.version
PERIODS = 36

by = st.segmented_control(t.t("cohorts.by"), list(cohort_tables.BY), default="month", key="co_by", required=True,
                            format_func=lambda b: t.t(f"cohorts.by.{b}")) or "month"
measure = st.segmented_control(t.t("cohorts.measure"), list(MEASURES), default="retention", key="co_measure",
                                  required=True, format_func=lambda m: t.t(f"cohorts.measure.{m}")) or "retention"
co = journey.cohort_table(path, version, as_of, ctx.filters, by, PERIODS)
st.caption(t.t("cohorts.caption", through=t.date(co.through), period=t.t(f"cohorts.period.{co.period}")))
values = {"retention": co.retention, "revenue": co.revenue_per_customer,
          "cumulative": co.cumulative_revenue_per_customer}[measure]()
cells = [(c, k) for c, row in values.iterrows() for k, v in enumerate(row.to_numpy(float)) if v == v]


def _from_chart() -> None:
    """A clicked cell lists its customers (the heatmap's data follow ``cells``)."""
    i = journey.picked_cell(st.session_state.get("co_heatmap"))
    if i is not None and 0 <= i < len(cells):
        st.session_state[f"co_cohort_{by}"], st.session_state[f"co_k_{by}"] = cells[i]


chart(cohort_heatmap(values, t, measure, ctx.currency, ctx.rate), "co_heatmap", on_select=_from_chart)
st.caption(t.t("cohorts.heatmap_hint"))

window, threshold = journey.churn_setting(ctx, as_of)
stages = journey.cohort_stages(path, version, as_of, ctx.filters, by, PERIODS, window, journey.rule(), threshold)
table = stages.assign(customers=co.sizes)[["customers", *STAGES]].drop(columns="prospect")
st.subheader(t.t("cohorts.now", through=t.date(co.through)))
shown = table.reset_index().rename(columns={"cohort": t.t("col.cohort"), "customers": t.t("col.customers"),
                                            **{s: t.t(f"stage.{s}") for s in STAGES}})
for col in shown.columns[1:]:
    shown[col] = [t.number(v) for v in shown[col]]
st.dataframe(shown, hide_index=True, key="co_table")
st.caption(t.t("cohorts.now_help"))

chart(cumulative_lines(co.cumulative_revenue_per_customer(), t, ctx.currency, ctx.rate), "co_cumulative")

st.subheader(t.t("cohorts.members"))
ss = st.session_state
listed_cohorts = list(co.sizes.index)
if ss.get(f"co_cohort_{by}") not in listed_cohorts:    # first visit, or gone with the data / filters
    ss[f"co_cohort_{by}"] = listed_cohorts[-1] if by in ("month", "quarter") else listed_cohorts[0]
c1, c2 = st.columns(2)
cohort = c1.selectbox(t.t("cohorts.cohort"), listed_cohorts, key=f"co_cohort_{by}")
ks = [None, *[k for k, n in enumerate(co.eligible.loc[cohort]) if n > 0]]
if ss.get(f"co_k_{by}") not in ks:
    ss[f"co_k_{by}"] = None
k = c2.selectbox(t.t("cohorts.period_pick"), ks, key=f"co_k_{by}",
                 format_func=lambda k: t.t("cohorts.all_members") if k is None else t.t("cohorts.bought_in", k=k))
listed = journey.cell_people(path, version, as_of, ctx.filters, by, PERIODS, cohort, k)
customer_list(ctx, listed, f"cohort-{by}-{cohort}-{'all' if k is None else k}", "co_list")
