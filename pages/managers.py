"""Relationship managers: each portfolio, the ranking against revenue targets, the accounts."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from crm_app import journey, relations
from crm_app.auth import principal
from crm_app.context import page_context, persist, require_data
from crm_app.router import ensure_router
from crm_app.widgets import chart, customer_list
from crm_core.charts.relations import target_bars
from crm_core.errors import NoDataError
from crm_core.relations import managers as mg

ensure_router()
ctx = page_context()
t = ctx.tr
st.title(t.t("page.managers"))
as_of = require_data(ctx)
path, version, ss, who = ctx.store.path, ctx.version, st.session_state, principal()
growth = float(ss.get("mgr_growth", 5.0))
st.number_input(t.t("managers.growth"), -90.0, 1000.0, growth, 1.0, format="%.1f", key="w_mgr_growth",
                on_change=persist, args=("mgr_growth",), help=t.t("managers.growth_help"))
targets: dict[str, float] = dict(ss.get("mgr_targets", {}))
try:
    table = relations.portfolios(ctx, as_of, targets, growth / 100)
except NoDataError:
    st.info(t.t("managers.none"), icon=":material/badge:")
    st.stop()
st.caption(t.t("managers.caption", period=t.t(f"period.{ctx.period_days}"), as_of=t.date(as_of)))
with st.expander(t.t("managers.definitions"), icon=":material/help:"):
    st.markdown(t.t("managers.definitions_text"))


def _name(r) -> str:
    """A manager's label from a row (a named tuple, or a Series: whose ``.name`` is its index)."""
    manager, name = (r["manager_id"], r["name"]) if isinstance(r, pd.Series) else (r.manager_id, r.name)
    if manager == mg.NO_MANAGER:
        return t.t("managers.no_manager")
    return f"{name} ({manager})" if isinstance(name, str) and name else str(manager)


mine = who.manager
if mine is not None and (table["manager_id"] == mine).any():      # a manager's own view comes first
    r = table[table["manager_id"] == mine].iloc[0]
    st.subheader(t.t("managers.yours", name=_name(r)))
    k = st.columns(5)
    k[0].metric(t.t("managers.col.accounts"), t.number(r.accounts), border=True)
    k[1].metric(t.t("managers.col.revenue"), ctx.money(r.revenue, compact=True), border=True)
    k[2].metric(t.t("managers.col.attainment"), t.percent(r.attainment, 0), border=True)
    k[3].metric(t.t("kpi.churn_rate"), t.percent(r.churn_rate), border=True)
    k[4].metric(t.t("managers.col.at_risk"), t.number(r.at_risk), border=True)

ranked = table[table["manager_id"] != mg.NO_MANAGER]
if len(ranked):
    chart(target_bars(ranked.assign(name=[_name(r) for r in ranked.itertuples()]), t, ctx.currency, ctx.rate),
          "mgr_chart")
rows = [{t.t("managers.col.rank"): "—" if pd.isna(r.rank) else t.number(r.rank),
         t.t("managers.col.manager"): _name(r), t.t("managers.col.accounts"): t.number(r.accounts),
         t.t("managers.col.active"): t.number(r.active), t.t("managers.col.revenue"): ctx.money(r.revenue),
         t.t("managers.col.target"): ctx.money(r.target), t.t("managers.col.attainment"): t.percent(r.attainment, 0),
         t.t("managers.col.margin"): t.percent(r.margin), t.t("managers.col.clv"): ctx.money(r.clv),
         t.t("managers.col.cost_to_serve"): ctx.money(r.cost_to_serve), t.t("kpi.churn_rate"): t.percent(r.churn_rate),
         t.t("managers.col.churn_ci"): "—" if r.churn_base == 0 else f"{t.percent(r.churn_rate_lo)} – {t.percent(r.churn_rate_hi)}",
         t.t("managers.col.complaints"): t.number(r.complaints),
         t.t("managers.col.resolution"): t.number(r.median_resolution_hours, 1),
         t.t("managers.col.at_risk"): t.number(r.at_risk), t.t("managers.col.value_at_risk"): ctx.money(r.value_at_risk)}
        for r in table.itertuples()]
st.dataframe(rows, hide_index=True, key="mgr_table")

with st.expander(t.t("managers.edit_targets"), icon=":material/flag:"):
    editable = pd.DataFrame({"manager_id": ranked["manager_id"].astype(str), "target": ranked["target"] * ctx.rate})
    edited = st.data_editor(editable, hide_index=True, disabled=["manager_id"], key="mgr_editor",
                            column_config={"manager_id": st.column_config.TextColumn(t.t("managers.col.manager")),
                                           "target": st.column_config.NumberColumn(
                                               t.t("managers.col.target_in", currency=ctx.currency), min_value=0.0)})
    if st.button(t.t("managers.save_targets"), key="mgr_save"):
        ss["mgr_targets"] = {m: float(v) / ctx.rate for m, v in zip(edited["manager_id"], edited["target"])
                             if pd.notna(v)}
        st.rerun()
    st.caption(t.t("managers.targets_help"))

st.subheader(t.t("managers.accounts"))
ids = list(ranked["manager_id"].astype(str))
if ids:
    default = ids.index(mine) if mine in ids else 0
    pick = st.selectbox(t.t("managers.pick"), ids, index=default, key="mgr_pick",
                        format_func=lambda m: _name(ranked[ranked["manager_id"] == m].iloc[0]))
    accounts = journey.people(path, version, replace(ctx.filters, account_managers=(pick,)))
    cols = ["customer_id", "region", "channel", "customer_type", "first_purchase"]
    customer_list(ctx, accounts[cols].reset_index(drop=True), f"manager-{pick}-accounts-{as_of.isoformat()}", "mgr_list")
