"""Chart builders for the Churn page: rate trend, reasons (bars, donut, over time, by
group) and churn by complaint handling. Aggregates in, plotly Figures out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .charts import base_layout
from .i18n import Translator
from .palette import CHURN_REASON_COLORS, SERIES

__all__ = ["trend_figure", "reason_bars", "reason_donut", "reason_area", "dimension_bars", "complaints_figure"]


def trend_figure(rates: pd.DataFrame, tr: Translator, freq: str) -> go.Figure:
    """Churn rate per month or quarter (bars, the partial last one paler) with churned and
    active customers in the hover."""
    labels = [tr.month(d.date()) if freq == "month" else f"{d.year} Q{(d.month - 1) // 3 + 1}" for d in rates["start"]]
    hover = [tr.t("churn.trend_hover", rate=tr.percent(r), churned=tr.number(c), active=tr.number(a))
             for r, c, a in zip(rates["churn_rate"], rates["churned"], rates["active"])]
    fig = go.Figure(go.Bar(x=labels, y=rates["churn_rate"].to_numpy(float) * 100, customdata=hover,
                           marker={"color": SERIES["highlight"],
                                   "opacity": [0.45 if p else 1.0 for p in rates["partial"]]},
                           hovertemplate="%{x}<br>%{customdata}<extra></extra>"))
    fig.update_layout(xaxis={"type": "category"}, yaxis={"title": {"text": tr.t("churn.axis.rate")},
                                                          "ticksuffix": "%", "rangemode": "tozero"})
    return base_layout(fig, tr.t(f"churn.trend_title.{freq}"))


def reason_bars(reasons: pd.DataFrame, tr: Translator, value: str, currency: str, rate: float = 1.0) -> go.Figure:
    """Churned customers (or the annual revenue they took) by reason, every reason shown."""
    y = reasons[value].to_numpy(float) * (rate if value != "customers" else 1.0)
    text = [tr.number(v) if value == "customers" else tr.money(v, currency, compact=True) for v in y]
    fig = go.Figure(go.Bar(x=[tr.t(f"reason.{r}") for r in reasons["reason"]], y=y, text=text, textposition="outside",
                           marker={"color": [CHURN_REASON_COLORS[r] for r in reasons["reason"]]},
                           hovertemplate="%{x}: %{text}<extra></extra>", cliponaxis=False))
    fig.update_layout(xaxis={"type": "category"}, showlegend=False,
                      yaxis={"title": {"text": tr.t(f"churn.axis.{value}", currency=currency)}, "rangemode": "tozero"})
    return base_layout(fig, tr.t(f"churn.reasons_title.{value}"))


def reason_donut(reasons: pd.DataFrame, tr: Translator) -> go.Figure:
    """Share of churned customers by reason."""
    df = reasons[reasons["customers"] > 0]
    fig = go.Figure(go.Pie(labels=[tr.t(f"reason.{r}") for r in df["reason"]], values=df["customers"], hole=0.5,
                           marker={"colors": [CHURN_REASON_COLORS[r] for r in df["reason"]]}, sort=False,
                           texttemplate="%{percent:.1%}", textposition="inside", hovertemplate="%{label}: %{value:,}<extra></extra>"))
    fig = base_layout(fig, tr.t("churn.donut_title"))
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.02, "xanchor": "center", "x": 0.5})
    return fig


def reason_area(table: pd.DataFrame, tr: Translator) -> go.Figure:
    """Churned customers per month, stacked by reason."""
    fig = go.Figure()
    months = [tr.month(d.date()) for d in table.index]
    for reason in table.columns:
        fig.add_scatter(x=months, y=table[reason], name=tr.t(f"reason.{reason}"), stackgroup="reasons", mode="lines",
                        line={"width": 0.5, "color": CHURN_REASON_COLORS[reason]},
                        hovertemplate="%{x}: %{y:,}<extra>" + tr.t(f"reason.{reason}") + "</extra>")
    fig.update_layout(xaxis={"type": "category"}, yaxis={"title": {"text": tr.t("churn.axis.customers")}})
    return base_layout(fig, tr.t("churn.area_title"))


def dimension_bars(table: pd.DataFrame, tr: Translator, dimension: str, rates: pd.DataFrame | None = None) -> go.Figure:
    """Churned customers by group (rows of ``table``) stacked by reason (columns), and the
    group's churn rate (right axis) when ``rates`` are given."""
    fig = go.Figure()

    def label(g: object) -> str:
        if dimension in ("segment", "tier"):   # "—": not yet a customer at the period's start
            return tr.t(f"{dimension}.{g}") if g != "—" else tr.t("churn.new_in_period")
        return str(g)

    groups = [label(g) for g in table.index]
    for reason in table.columns:
        values = table[reason].to_numpy()
        if not np.any(values):
            continue
        fig.add_bar(x=groups, y=values, name=tr.t(f"reason.{reason}"), marker={"color": CHURN_REASON_COLORS[reason]},
                    hovertemplate="%{x}: %{y:,}<extra>" + tr.t(f"reason.{reason}") + "</extra>")
    if rates is not None and len(rates):
        by = rates.set_index("group")
        shown = [g for g in table.index if g in by.index]
        fig.add_scatter(x=[label(g) for g in shown], y=by.loc[shown, "churn_rate"].to_numpy(float) * 100, yaxis="y2",
                        mode="markers", name=tr.t("kpi.churn_rate"), marker={"color": "#1b2733", "size": 10, "symbol": "diamond"},
                        customdata=[tr.t("churn.trend_hover", rate=tr.percent(r), churned=tr.number(c), active=tr.number(a))
                                    for r, c, a in zip(by.loc[shown, "churn_rate"], by.loc[shown, "churned"],
                                                       by.loc[shown, "active"])],
                        hovertemplate="%{x}<br>%{customdata}<extra></extra>")
    title = {"region": "filter.regions", "channel": "filter.channels", "customer_type": "filter.customer_types",
             "segment": "dim.segment", "tier": "dim.tier"}
    fig.update_layout(barmode="stack", xaxis={"type": "category", "title": {"text": tr.t(title[dimension])}},
                      yaxis={"title": {"text": tr.t("churn.axis.customers")}},
                      yaxis2={"title": {"text": tr.t("churn.axis.rate")}, "overlaying": "y", "side": "right",
                              "ticksuffix": "%", "rangemode": "tozero", "showgrid": False})
    return base_layout(fig, tr.t("churn.by_group_title"))


def complaints_figure(df: pd.DataFrame, tr: Translator) -> go.Figure:
    """Churn rate by complaint handling: no complaint, then by mean time to answer."""
    shown = df[df["customers"] > 0]
    labels = [tr.t(f"churn.bucket.{b}") for b in shown["bucket"]]
    text = [f"{tr.percent(r)} ({tr.number(c)}/{tr.number(n)})"
            for r, c, n in zip(shown["churn_rate"], shown["churned"], shown["customers"])]
    colors = [SERIES["reference"] if b == "none" else SERIES["highlight"] for b in shown["bucket"]]
    fig = go.Figure(go.Bar(x=labels, y=shown["churn_rate"].to_numpy(float) * 100, text=text, textposition="outside",
                           marker={"color": colors}, cliponaxis=False, hovertemplate="%{x}: %{text}<extra></extra>"))
    fig.update_layout(xaxis={"type": "category"}, showlegend=False,
                      yaxis={"title": {"text": tr.t("churn.axis.rate")}, "ticksuffix": "%", "rangemode": "tozero"})
    return base_layout(fig, tr.t("churn.complaints_title"))
