"""The customer funnel: contacts to lifetime customers, conversion and time between steps."""

from __future__ import annotations

import streamlit as st

from crm_app import journey
from crm_app.context import page_context, persist, require_data
from crm_app.router import ensure_router
from crm_app.widgets import chart, customer_list
from crm_core.charts.journey import funnel_chart
from crm_core.journey import funnel as funnels
from crm_core.periods import period_start

ensure_router()
ctx = page_context()
t = ctx.tr
st.title(t.t("page.funnel"))
as_of = require_data(ctx)
path, version = ctx.store.path, ctx.version
window, threshold = journey.churn_setting(ctx, as_of)
rule = journey.funnel_rule()
st.caption(t.t("funnel.caption", as_of=t.date(as_of)))
with st.expander(t.t("funnel.definitions"), icon=":material/help:"):
    st.number_input(t.t("funnel.lifetime_days"), 30, 7300, rule.lifetime_days, 30, key="w_fn_lifetime_days",
                    on_change=persist, args=("fn_lifetime_days",), help=t.t("funnel.lifetime_days_help"))
    for step in funnels.STEPS:
        st.markdown(f"**{t.t(f'funnel.step.{step}')}** — " + t.t(f"funnel.step.{step}.definition",
                                                                loyal=t.number(rule.loyal_purchases),
                                                                days=t.number(rule.lifetime_days), window=t.number(window)))
by = st.segmented_control(t.t("funnel.by"), list(funnels.BY), default="all", key="fn_by", required=True,
                          format_func=lambda b: t.t(f"funnel.by.{b}")) or "all"
recent = st.toggle(t.t("funnel.recent", period=t.t(f"period.{ctx.period_days}")), key="fn_recent",
                   help=t.t("funnel.recent_help"))
f = journey.funnel(path, version, as_of, ctx.filters, rule, by, window, threshold,
                   period_start(as_of, ctx.period_days) if recent else None)
overall = f.steps[f.steps["group"] == "all"]
chart(funnel_chart(overall, t), "fn_chart")


def _row(r) -> dict:
    return {t.t("funnel.col.step"): t.t(f"funnel.step.{r.step}"), t.t("col.customers"): t.number(r.customers),
            t.t("funnel.col.conversion"): "—" if r.conversion != r.conversion or r.conversion is None
            else t.percent(r.conversion),
            t.t("funnel.col.median_days"): "—" if r.median_days != r.median_days or r.median_days is None
            else t.number(r.median_days)}


st.dataframe([_row(r) for r in overall.itertuples()], hide_index=True, key="fn_table")
st.caption(t.t("funnel.table_help"))
if by != "all":
    st.subheader(t.t("funnel.by_group", by=t.t(f"funnel.by.{by}")))
    groups = f.steps[f.steps["group"] != "all"]
    wide = groups.pivot(index="group", columns="step", values="customers")[list(funnels.STEPS)]
    table = [{t.t(f"funnel.by.{by}"): str(g), **{t.t(f"funnel.step.{s}"): t.number(int(row[s])) for s in funnels.STEPS},
              t.t("funnel.col.overall"): t.percent(row["lifetime"] / row["contact"]) if row["contact"] else "—"}
             for g, row in wide.iterrows()]
    st.dataframe(table, hide_index=True, key="fn_groups")

st.subheader(t.t("funnel.touches"))
touch = [{t.t("funnel.col.step"): t.t(f"funnel.step.{r.step}"), t.t("funnel.col.movers"): t.number(r.movers),
          t.t("funnel.col.campaign"): t.percent(r.campaign_touched / r.movers) if r.movers else "—",
          t.t("funnel.col.service"): t.percent(r.service_touched / r.movers) if r.movers else "—"}
         for r in f.touches.itertuples()]
st.dataframe(touch, hide_index=True, key="fn_touches")
st.caption(t.t("funnel.touches_help", days=t.number(funnels.TOUCH_DAYS)))

st.subheader(t.t("funnel.stopped"))
step = st.selectbox(t.t("funnel.stopped_at"), list(funnels.STEPS[:-1]), index=2, key="fn_stopped",
                    format_func=lambda s: t.t("funnel.stopped_option", step=t.t(f"funnel.step.{s}"),
                                              next=t.t(f"funnel.step.{funnels.STEPS[funnels.STEPS.index(s) + 1]}")))
listed = journey.stopped_people(path, version, f, ctx.filters, step)
customer_list(ctx, listed, f"funnel-stopped-at-{step}-{as_of.isoformat()}", "fn_list")
