"""Customer 360: find a customer, then everything known about them and what to do next."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crm_app import customer360, journey
from crm_app.auth import principal
from crm_app.context import page_context, require_data
from crm_app.router import ensure_router
from crm_app.widgets import chart
from crm_core.access.auth import mask_contacts
from crm_core.charts.journey import purchase_bars, stage_history
from crm_core.customers.rfm import ACTIONS
from crm_core.journey.customer import next_action

ensure_router()
ctx = page_context()
t = ctx.tr
st.title(t.t("page.customer"))
as_of = require_data(ctx)
path, version, ss, who = ctx.store.path, ctx.version, st.session_state, principal()

wanted = st.query_params.get("id")          # a link from a customer list
if wanted and ss.get("_c360_link") != wanted:
    ss["_c360_link"], ss["c360_q"] = wanted, wanted
query = st.text_input(t.t("c360.search"), key="c360_q", placeholder=t.t("c360.search_placeholder"),
                      help=t.t("c360.search_help" if who.can("see_contacts") else "c360.search_help_ids"))
found = customer360.search(path, version, query or "", ctx.filters, who)
if not query:
    st.info(t.t("c360.start"), icon=":material/person_search:")
    st.stop()
if found.empty:
    st.warning(t.t("c360.none_found"), icon=":material/search_off:")
    st.stop()
ids = found["customer_id"].astype(str).tolist()
names = dict(zip(ids, found["name"].fillna("")))
if ss.get("c360_pick") not in ids:
    ss["c360_pick"] = ids[0]
cid = st.selectbox(t.t("c360.pick", n=t.number(len(ids))), ids, key="c360_pick",
                   format_func=lambda i: f"{i} · {names[i]}" if names[i] else i)

window, threshold = journey.churn_setting(ctx, as_of)
rec = customer360.record(path, version, cid, as_of, ctx.filters, window, journey.rule(), threshold)
if rec is None:
    st.warning(t.t("c360.none_found"), icon=":material/search_off:")
    st.stop()
masked = mask_contacts(pd.DataFrame([rec.profile]), who).iloc[0]
p = {k: None if v is None or (not isinstance(v, str) and pd.isna(v)) else v for k, v in masked.items()}
sc = customer360.scores(ctx, cid, rec.stage)
stage = rec.stage
st.subheader(t.t("c360.stage_now", stage=t.t(f"stage.{stage}") if stage else "—"))
if next_action(stage):
    st.success(t.t(f"next_action.{next_action(stage)}"), icon=":material/lightbulb:")
if sc["segment"]:
    st.caption(t.t("c360.segment_action", segment=t.t(f"segment.{sc['segment']}")) + " "
               + t.t(f"action.{ACTIONS[sc['segment']]}"))

cards = st.columns(4) + st.columns(4)
money = lambda v: "—" if v is None else ctx.money(v)  # noqa: E731
figures = [
    ("c360.revenue", money(p["revenue"])), ("c360.gross_profit", money(p["gross_profit"])),
    ("c360.purchases", t.number(p["purchase_days"])), ("c360.returns", money(p["returns"])),
    ("c360.clv", money(sc["clv"])), ("c360.p_alive", t.percent(sc["p_alive"])),
    ("c360.expected_purchases", t.number(sc["expected_purchases"], 2)),
    ("c360.value_at_risk", money(sc["value_at_risk"])),
]
for col, (key, shown) in zip(cards, figures):
    col.metric(t.t(key), shown, border=True)
if p["purchase_days"] == 1 and sc["p_alive"] is not None:   # BG/NBD: no repeat purchase, P(alive) = 1
    st.caption(t.t("c360.one_purchase"))
if sc["days_overdue"] is None and sc["complaints"] is None:
    st.caption(t.t("c360.no_signals"))
else:
    st.caption(t.t("c360.signals", overdue=t.number(sc["days_overdue"]), ratio=t.number(sc["frequency_ratio"], 2),
                   complaints=t.number(sc["complaints"]), open=t.number(sc["open_cases"])))

profile = [(t.t("col.customer_id"), cid), (t.t("col.name"), p["name"]), (t.t("col.email"), p["email"]),
           (t.t("col.phone"), p["phone"]), (t.t("col.region"), t.value("region", p["region"])),
           (t.t("col.channel"), t.value("channel", p["channel"])),
           (t.t("col.customer_type"), t.value("customer_type", p["customer_type"])),
           (t.t("c360.manager"), p["manager_name"] or p["account_manager"]),
           (t.t("c360.signup"), t.date(p["signup_date"].date()) if p["signup_date"] is not None else None),
           (t.t("col.first_purchase"), t.date(p["first_purchase"].date()) if p["first_purchase"] is not None else None),
           (t.t("c360.last_purchase"), t.date(p["last_purchase"].date()) if p["last_purchase"] is not None else None),
           (t.t("c360.orders"), t.number(p["orders"])),
           # the named scores: in the table, where long names (a quadrant's) are never cut like on a card
           (t.t("c360.segment"), t.t(f"segment.{sc['segment']}") if sc["segment"] else None),
           (t.t("c360.tier"), t.t(f"tier.{sc['tier']}") if sc["tier"] else None),
           (t.t("c360.quadrant"), t.t(f"quad.{sc['quadrant']}") if sc["quadrant"] else None),
           (t.t("c360.quadrant_future"), t.t(f"quad.{sc['quadrant_future']}") if sc["quadrant_future"] else None)]
left, right = st.columns([2, 3])
left.dataframe(pd.DataFrame([(k, "—" if v is None else str(v)) for k, v in profile],
                            columns=[t.t("c360.field"), t.t("c360.value")]),
               hide_index=True, key="c360_profile", height=460)
with right:
    chart(stage_history(rec.stages, t), "c360_stages")

chart(purchase_bars(rec.monthly, t, ctx.currency, ctx.rate), "c360_purchases")
lines = rec.lines.head(200).assign(date=[t.date(d.date()) for d in pd.to_datetime(rec.lines["date"].head(200))],
                                   amount=[ctx.money(v) for v in rec.lines["amount"].head(200)])
st.subheader(t.t("c360.lines", n=t.number(len(rec.lines)), returns=t.number(int((rec.lines["amount"] < 0).sum()))))
st.dataframe(lines, hide_index=True, key="c360_lines",
             column_config={c: t.t(f"c360.col.{c}") for c in lines.columns})
st.subheader(t.t("c360.contacts"))
contacts = rec.contacts.assign(kind=[t.t(f"c360.kind.{k}") for k in rec.contacts["kind"]])
st.dataframe(contacts, hide_index=True, key="c360_contacts",
             column_config={c: t.t(f"c360.col.{c}") for c in contacts.columns})
st.subheader(t.t("c360.memberships"))
st.dataframe(rec.memberships, hide_index=True, key="c360_memberships",
             column_config={c: t.t(f"c360.col.{c}") for c in rec.memberships.columns})
