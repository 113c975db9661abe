"""Overview: headline KPIs with change, revenue and active-customer trend, the 80/20 curve."""

from __future__ import annotations

import streamlit as st

from crm_app import data
from crm_app.context import page_context, require_data
from crm_app.router import ensure_router
from crm_app.widgets import chart, definitions, kpi_row
from crm_core.charts.overview import pareto_figure, trend_figure
from crm_core.customers.overview import KPI_NAMES

ensure_router()
ctx = page_context()
t = ctx.tr
st.title(t.t("page.overview"))
as_of = require_data(ctx)
st.caption(t.t("overview.caption", period=t.t(f"period.{ctx.period_days}"), as_of=t.date(as_of)))

head = data.call(data.headline, ctx.store.path, ctx.version, as_of, ctx.filters, ctx.period_days)
k = head.kpis
if k.current.customers == 0:
    st.info(t.t("empty.no_customers_match"), icon=":material/filter_alt_off:")
    st.stop()
kpi_row(ctx, k)

left, right = st.columns([3, 2])
with left:
    df = data.call(data.trend, ctx.store.path, ctx.version, as_of, ctx.filters)
    chart(trend_figure(df, t, ctx.currency, ctx.rate), "trend")
with right:
    metric = st.segmented_control(t.t("overview.pareto_metric"), ["revenue", "gross_profit"], default="revenue",
                                  format_func=lambda m: t.t(f"metric.{m}"), key="pareto_metric") or "revenue"
    res = head.pareto[metric]
    if res.customers == 0:
        st.info(t.t("empty.no_buyers_in_period"), icon=":material/info:")
    else:
        chart(pareto_figure(res, t), "pareto")
        if res.customer_share_for_80pct is not None and res.top20_share is not None:
            st.markdown(t.t(f"overview.pareto_summary_{metric}", share80=t.percent(res.customer_share_for_80pct),
                            top20=t.percent(res.top20_share), customers=t.number(res.customers)))
        else:
            st.caption(t.t("overview.pareto_undefined"))
        st.caption(t.t("overview.pareto_note", points=t.number(len(res.curve))))

definitions(ctx, KPI_NAMES)
