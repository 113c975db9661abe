"""The value customers receive (V = U + B + R - C - T) per segment, and CRM readiness."""

from __future__ import annotations

import streamlit as st

from crm_app import relations
from crm_app.context import page_context, require_data
from crm_app.router import ensure_router
from crm_app.widgets import lazy_tabs
from crm_core.customers.rfm import SEGMENTS
from crm_core.errors import NoDataError
from crm_core.relations import scorecards as sc

ensure_router()
ctx = page_context()
t = ctx.tr
st.title(t.t("page.scorecards"))
as_of = require_data(ctx)
path, version, ss = ctx.store.path, ctx.version, st.session_state
value_tab, ready_tab = lazy_tabs(ctx, ["scorecard.tab.value", "scorecard.tab.readiness"], "sc_tab")

with value_tab:
    if value_tab.open:
        st.caption(t.t("scorecard.caption", period=t.t(f"period.{ctx.period_days}"), as_of=t.date(as_of)))
        with st.expander(t.t("scorecard.measures"), icon=":material/tune:"):
            cols = st.columns(len(sc.TERMS))
            choice = {term: cols[i].selectbox(t.t(f"scorecard.term.{term}"), list(sc.MEASURES[term]),
                                              index=list(sc.MEASURES[term]).index(sc.DEFAULTS[term]),
                                              key=f"sc_measure_{term}",
                                              format_func=lambda m: t.t(f"scorecard.measure.{m}"))
                      for i, term in enumerate(sc.TERMS)}
            st.markdown(t.t("scorecard.definitions"))
        try:
            card = relations.value_scorecard(ctx, choice)
        except NoDataError:
            st.info(t.t("scorecard.none"))
            st.stop()
        rows = [{t.t("col.segment"): t.t(f"segment.{r.segment}") if r.segment in SEGMENTS else t.t("affinity.no_segment"),
                 t.t("col.customers"): t.number(r.customers),
                 **{t.t(f"scorecard.term.{term}"): t.number(getattr(r, term), 2) for term in sc.TERMS},
                 t.t("scorecard.col.value"): t.number(r.V, 2),
                 t.t("scorecard.col.improve"): t.t(f"scorecard.term.{r.improve}")}
                for r in card.segments.itertuples()]
        st.dataframe(rows, hide_index=True, key="sc_table")
        st.caption(t.t("scorecard.coverage", **{term: t.percent(card.coverage[term], 0) for term in sc.TERMS}))

with ready_tab:
    if ready_tab.open:
        doc = relations.readiness(path, version, as_of)
        st.caption(t.t("readiness.caption", as_of=t.date(as_of)))
        k = st.columns(len(doc["dimensions"]) + 1)
        k[0].metric(t.t("readiness.overall"), t.percent(doc["overall"], 0), border=True)
        for i, d in enumerate(doc["dimensions"]):
            k[i + 1].metric(t.t(f"readiness.dim.{d['dimension']}"), t.percent(d["score"], 0), border=True,
                            help=t.t(f"readiness.dim.{d['dimension']}_help"))
        st.dataframe([{t.t("readiness.col.dimension"): t.t(f"readiness.dim.{d['dimension']}"),
                       t.t("readiness.col.check"): t.t(f"readiness.check.{c['check']}"),
                       t.t("readiness.col.value"): t.percent(c["value"], 0),
                       t.t("readiness.col.level"): t.t(f"readiness.level.{c['level']}"),
                       t.t("readiness.col.fix"): t.t(f"readiness.fix.{c['check']}") if c["level"] != "strong" else ""}
                      for d in doc["dimensions"] for c in d["checks"]], hide_index=True, key="rd_table")
        st.caption(t.t("readiness.help"))
