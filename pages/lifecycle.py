"""The customer lifecycle: stages now, stage sizes month by month, and who moved where."""

from __future__ import annotations

import streamlit as st

from crm_app import journey
from crm_app.context import page_context, require_data
from crm_app.router import ensure_router
from crm_app.widgets import chart, customer_list
from crm_core.charts.journey import stage_bars, stage_sankey
from crm_core.journey import lifecycle as lc
from crm_core.periods import period_start

ensure_router()
ctx = page_context()
t = ctx.tr
st.title(t.t("page.lifecycle"))
as_of = require_data(ctx)
window, threshold = journey.churn_setting(ctx, as_of)
rule = journey.rule()
st.caption(t.t("lifecycle.caption", as_of=t.date(as_of), window=t.number(window)) + " "
           + (t.t("lifecycle.caption_alive", threshold=t.percent(threshold)) if threshold is not None else ""))
with st.expander(t.t("lifecycle.definitions"), icon=":material/help:"):
    journey.rule_controls(ctx)
    for stage in lc.STAGES:
        st.markdown(f"**{t.t(f'stage.{stage}')}** — " + t.t(f"stage.{stage}.definition", new_days=t.number(rule.new_days),
                                                             loyal=t.number(rule.loyal_purchases),
                                                             factor=t.number(rule.risk_factor, 1), window=t.number(window)))

path, version = ctx.store.path, ctx.version
months = journey.grid(path, version, as_of, ctx.filters, 24, window, rule, threshold)
sizes = months.sizes()
now = sizes.iloc[-1]
if int(now.sum()) == 0:
    st.info(t.t("empty.no_customers_match"), icon=":material/filter_alt_off:")
    st.stop()
cards = st.columns(4) + st.columns(4)
for col, stage in zip(cards, lc.STAGES):
    share = now[stage] / now.sum()
    col.metric(t.t(f"stage.{stage}"), t.number(int(now[stage])), border=True,
               help=t.t("lifecycle.card_help", share=t.percent(share)))
cards[7].metric(t.t("lifecycle.known"), t.number(int(now.sum())), border=True, help=t.t("lifecycle.known_help"))

share = st.toggle(t.t("lifecycle.as_share"), key="lc_share")
chart(stage_bars(sizes, t, share=share), "lc_sizes")

st.subheader(t.t("lifecycle.flows"))
start = period_start(as_of, ctx.period_days)
moves = journey.pair(path, version, start, as_of, ctx.filters, window, rule, threshold)
flows = lc.flows(moves).sort_values("customers", ascending=False, kind="stable").reset_index(drop=True)
labels = [f"{t.t(f'stage.{r.source}')} → {t.t(f'stage.{r.target}')} ({t.number(r.customers)})"
          for r in flows.itertuples()]
keys = [f"{r.source}>{r.target}" for r in flows.itertuples()]


def _from_chart() -> None:
    """A clicked link selects its flow below (the links are in the order of ``flows``)."""
    i = journey.picked_link(st.session_state.get("lc_sankey"))
    if i is not None and 0 <= i < len(keys):
        st.session_state["lc_flow"] = keys[i]


chart(stage_sankey(flows, t, t.date(start), t.date(as_of)), "lc_sankey", on_select=_from_chart)
st.caption(t.t("lifecycle.flows_hint"))
if st.session_state.get("lc_flow") not in keys:   # first: the largest move to another stage
    moved = [k for k in keys if k.split(">")[0] != k.split(">")[1]]
    st.session_state["lc_flow"] = (moved or keys or [None])[0]
if keys:
    picked = st.selectbox(t.t("lifecycle.flow"), keys, key="lc_flow", format_func=lambda k: labels[keys.index(k)])
    source, target = picked.split(">")
    who = journey.people(path, version, ctx.filters)
    listed = lc.flow_customers(moves, who, source, target)
    customer_list(ctx, listed, f"lifecycle-{source}-to-{target}-{as_of.isoformat()}", "lc_list")
