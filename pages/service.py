"""Service and complaints: volumes, response and resolution times, satisfaction, and what
customers do after a complaint by how fast it was handled."""

from __future__ import annotations

import streamlit as st

from crm_app import relations
from crm_app.context import page_context, persist, require_data
from crm_app.router import ensure_router
from crm_app.widgets import chart, lazy_tabs
from crm_core.charts.relations import forest, volume_bars
from crm_core.errors import NoDataError
from crm_core.relations import service as sv

ensure_router()
ctx = page_context()
t = ctx.tr
st.title(t.t("page.service"))
as_of = require_data(ctx)
ss = st.session_state
c = st.columns(3)
speed = c[0].segmented_control(t.t("service.speed"), list(sv.SPEEDS), default="resolution", key="sv_speed",
                               required=True, format_func=lambda s: t.t(f"service.speed.{s}")) or "resolution"
horizon = int(ss.get("sv_horizon", 180))
c[1].number_input(t.t("service.horizon"), 7, 1095, horizon, 30, key="w_sv_horizon", on_change=persist,
                  args=("sv_horizon",), help=t.t("service.horizon_help"))
types = relations.case_types(ctx.store.path, ctx.version)
options = (["complaint"] if "complaint" in types else []) + ["all"] + [x for x in types if x != "complaint"]
case_type = c[2].selectbox(t.t("service.case_type"), options, key="sv_type",
                           format_func=lambda v: t.t("service.type.all") if v == "all" else t.value("case_type", v))
try:
    r = relations.service(ctx, as_of, horizon, speed, None if case_type == "all" else case_type)
except NoDataError:
    st.info(t.t("service.none"), icon=":material/support_agent:")
    st.stop()
st.caption(t.t("service.caption", period=t.t(f"period.{ctx.period_days}"), as_of=t.date(as_of)))
if speed == "first_response" and not r.has_first_response:
    st.warning(t.t("service.no_first_response"))

sp = r.speeds.set_index(["type", "speed"])
k = st.columns(4)
k[0].metric(t.t("service.kpi.cases"), t.number(len(r.cases)), border=True)
k[1].metric(t.t("service.kpi.first_response"), t.number(sp.loc[("all", "first_response"), "q50"], 1) + " h",
            border=True, help=t.t("service.kpi.median_help"))
k[2].metric(t.t("service.kpi.resolution"), t.number(sp.loc[("all", "resolution"), "q50"], 1) + " h", border=True,
            help=t.t("service.kpi.median_help"))
sat = r.cases["satisfaction"].dropna()
k[3].metric(t.t("service.kpi.satisfaction"), t.number(sat.mean(), 2) if len(sat) else "—", border=True,
            help=t.t("service.kpi.satisfaction_help", rated=t.number(len(sat))))

for tab, which in zip(lazy_tabs(ctx, ["service.tab.type", "service.tab.channel"], "sv_tabs"), ("type", "channel")):
    with tab:
        if tab.open:
            frame = r.by_type if which == "type" else r.by_channel
            chart(volume_bars(frame, which, t, t.t(f"service.volume_title.{which}")), f"sv_volume_{which}")

st.subheader(t.t("service.speeds"))
st.dataframe([{t.t("service.col.type"): t.t("service.type.all") if row.type == "all" else t.value("case_type", row.type),
               t.t("service.col.speed"): t.t(f"service.speed.{row.speed}"), t.t("service.col.cases"): t.number(row.cases),
               t.t("service.col.open"): t.number(row.open),
               **{t.t(f"service.col.{q}"): t.number(getattr(row, q), 1) for q in ("q25", "q50", "q75", "q90")},
               t.t("service.col.mean"): t.number(row.mean, 1)} for row in r.speeds.itertuples()],
             hide_index=True, key="sv_speeds")
st.caption(t.t("service.speeds_help"))

st.subheader(t.t("service.after", days=t.number(r.horizon_days)))
b = r.bands
chart(forest([t.t(f"service.band.{x}") for x in b["band"]], list(b["churn_rate_after"]), list(b["churn_rate_after_lo"]),
             list(b["churn_rate_after_hi"]), t, title=t.t("service.after_title", days=t.number(r.horizon_days)),
             threshold=None,
             texts=[t.t("service.after_hover", rate=t.percent(x.churn_rate_after), n=t.number(x.customers))
                    for x in b.itertuples()]), "sv_forest")
st.dataframe([{t.t("service.col.band"): t.t(f"service.band.{x.band}"), t.t("col.customers"): t.number(x.customers),
               t.t("service.col.churn_after"): t.percent(x.churn_rate_after),
               t.t("service.col.churn_after_ci"): "—" if x.customers == 0 else
               f"{t.percent(x.churn_rate_after_lo)} – {t.percent(x.churn_rate_after_hi)}",
               t.t("service.col.repeat_after"): t.percent(x.repeat_rate_after),
               t.t("service.col.spend_change"): ctx.money(x.spend_change)} for x in b.itertuples()],
             hide_index=True, key="sv_bands")
d = r.slow_vs_fast
st.markdown(t.t("service.slow_vs_fast", diff=t.percent(d["difference"]), lo=t.percent(d["ci"][0]),
                hi=t.percent(d["ci"][1])))
st.caption(t.t("service.after_help", window=t.number(r.window_days), days=t.number(r.horizon_days)))

st.subheader(t.t("service.satisfaction"))
st.dataframe([{t.t("service.col.band"): t.t(f"service.band.{x.band}"), t.t("service.col.cases"): t.number(x.cases),
               t.t("service.col.rated"): t.number(x.rated), t.t("service.col.mean_satisfaction"): t.number(x.mean_satisfaction, 2),
               **{"★" * k: t.number(getattr(x, f"s{k}")) for k in range(1, 6)}} for x in r.satisfaction.itertuples()],
             hide_index=True, key="sv_satisfaction")
