"""Cross-selling: categories bought together, what to offer each segment next, who bought one
category but not yet another, and who could move up to a category's higher range."""

from __future__ import annotations

import streamlit as st

from crm_app import journey, relations
from crm_app.context import page_context, persist, require_data
from crm_app.router import ensure_router
from crm_app.widgets import chart, customer_list, lazy_tabs
from crm_core.charts.relations import lift_matrix
from crm_core.customers.rfm import SEGMENTS
from crm_core.errors import NoDataError
from crm_core.relations import affinity as af
from crm_core.relations import upgrade as upg

ensure_router()
ctx = page_context()
t = ctx.tr
st.title(t.t("page.cross_sell"))
as_of = require_data(ctx)
path, version, ss = ctx.store.path, ctx.version, st.session_state
min_count = int(ss.get("af_min_count", af.MIN_COUNT))
together, nxt_tab, up_tab = lazy_tabs(ctx, ["affinity.tab.together", "affinity.tab.next", "affinity.tab.upgrade"],
                                      "af_tab")
try:
    a = relations.affinity(path, version, as_of, ctx.filters, ctx.period_days)
except NoDataError:
    st.info(t.t("affinity.none"), icon=":material/shopping_basket:")
    st.stop()

with together:
    if together.open:
        c = st.columns(2)
        level = c[0].segmented_control(t.t("affinity.level"), list(af.LEVELS), default="basket", key="af_level",
                                       required=True, format_func=lambda v: t.t(f"affinity.level.{v}")) or "basket"
        c[1].number_input(t.t("affinity.min_count"), 1, 100_000, min_count, 1, key="w_af_min_count",
                          on_change=persist, args=("af_min_count",), help=t.t("affinity.min_count_help"))
        rules = af.rules(a, level, min_count=min_count)
        st.caption(t.t(f"affinity.caption.{level}", period=t.t(f"period.{ctx.period_days}"), as_of=t.date(as_of),
                       units=t.number(int(rules["units"].iloc[0]) if len(rules) else 0)))
        with st.expander(t.t("affinity.definitions"), icon=":material/help:"):
            st.markdown(t.t("affinity.definitions_text", min=t.number(min_count)))
        if a.left_out:
            st.caption(t.t("affinity.left_out", n=t.number(len(a.left_out)), max=t.number(af.MAX_CATEGORIES)))
        if rules.empty:
            st.info(t.t("affinity.no_rules", min=t.number(min_count)))
            st.stop()

        def pick_cell() -> None:
            found = journey.picked_cell(ss.get("af_matrix"))
            if found is not None and found < len(rules):
                r = rules.iloc[found]
                ss["af_pair"] = f"{r.antecedent}\u2192{r.consequent}"

        chart(lift_matrix(rules, list(a.categories), t), "af_matrix", on_select=pick_cell)
        st.dataframe([{t.t("affinity.antecedent"): r.antecedent, t.t("affinity.consequent"): r.consequent,
                       t.t("affinity.col.both"): t.number(r.both), t.t("affinity.col.support"): t.percent(r.support, 2),
                       t.t("affinity.col.confidence"): t.percent(r.confidence), t.t("affinity.col.lift"): t.number(r.lift, 2),
                       t.t("affinity.col.customers"): t.number(r.customers),
                       t.t("affinity.col.candidates"): t.number(r.candidates)} for r in rules.head(30).itertuples()],
                     hide_index=True, key="af_rules")
        st.subheader(t.t("affinity.list"))
        pairs = [f"{r.antecedent}\u2192{r.consequent}" for r in rules.itertuples()]
        if ss.get("af_pair") not in pairs:
            ss["af_pair"] = pairs[0]
        pair = st.selectbox(t.t("affinity.pair"), pairs, key="af_pair")
        ante, cons = pair.split("\u2192")
        st.caption(t.t("affinity.list_help", a=ante, b=cons))
        ids = af.candidates(a, ante, cons)
        customer_list(ctx, relations.people(path, version, ctx.filters, ids),
                      f"bought-{ante}-not-{cons}-{as_of.isoformat()}", "af_list")

with nxt_tab:
    if nxt_tab.open:
        nxt = relations.next_by_segment(ctx, min_count)
        st.dataframe([{t.t("col.segment"): t.t(f"segment.{r.segment}") if r.segment in SEGMENTS
                       else t.t("affinity.no_segment"), t.t("col.customers"): t.number(r.customers),
                       t.t("affinity.col.next_category"): r.category or "—",
                       t.t("affinity.col.candidates"): t.number(r.candidates),
                       t.t("affinity.col.expected"): t.number(r.expected_buyers),
                       t.t("affinity.col.share"): t.percent(r.share)} for r in nxt.itertuples()],
                     hide_index=True, key="af_next")
        st.caption(t.t("affinity.next_help"))

with up_tab:
    if up_tab.open:
        try:
            up = relations.upgrade(path, version, as_of, ctx.filters, ctx.period_days)
        except NoDataError:
            st.info(t.t("upgrade.none"))
            st.stop()
        table = upg.summary_table(up)
        st.caption(t.t("upgrade.caption", period=t.t(f"period.{ctx.period_days}"), as_of=t.date(as_of)))
        st.dataframe([{t.t("upgrade.col.category"): r.category, t.t("upgrade.col.buyers"): t.number(r.buyers),
                       t.t("upgrade.col.regular"): t.number(r.regular_buyers),
                       t.t("upgrade.col.candidates"): t.number(r.candidates),
                       t.t("upgrade.col.lower"): ctx.money(r.lower_third), t.t("upgrade.col.upper"): ctx.money(r.upper_third),
                       t.t("upgrade.col.gap"): t.number(r.median_gap, 1)} for r in table.itertuples()],
                     hide_index=True, key="up_table")
        category = st.selectbox(t.t("upgrade.category"), list(table["category"]), key="up_category")
        cand = upg.candidates(up, category)
        customer_list(ctx, relations.people(path, version, ctx.filters, cand["customer_id"]),
                      f"upgrade-{category}-{as_of.isoformat()}", "up_list")
        st.caption(t.t("upgrade.help"))
