"""Chart builders for the Loyalty page: the return waterfall, lift over time (members vs
matched control around enrolment), ROI by year with the cumulative net return, and the
balance of the matched groups. Small frames in, plotly Figures out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .charts import base_layout
from .i18n import Translator
from .loyalty_roi import COST_TYPES, Money
from .palette import SERIES

__all__ = ["waterfall_figure", "event_figure", "roi_figure", "balance_figure"]


def waterfall_figure(m: Money, tr: Translator, currency: str, rate: float = 1.0) -> go.Figure:
    """Incremental profit, plus fees, minus each cost type, to the net return."""
    steps = [("loyalty.wf.incremental", m.incremental_profit or 0.0), ("loyalty.wf.fees", m.fees)]
    steps += [(f"loyalty.cost.{c}", -m.costs.get(c, 0.0)) for c in COST_TYPES if m.costs.get(c, 0.0)]
    values = [v * rate for _, v in steps]
    net = sum(values)
    labels = [tr.t(k) for k, _ in steps] + [tr.t("loyalty.wf.net")]
    fig = go.Figure(go.Waterfall(
        x=labels, y=values + [net], measure=["relative"] * len(values) + ["total"],
        text=[tr.money(v, currency, compact=True) for v in values + [net]], textposition="outside",
        increasing={"marker": {"color": SERIES["positive"]}}, decreasing={"marker": {"color": SERIES["negative"]}},
        totals={"marker": {"color": SERIES["primary"]}}, connector={"line": {"color": "#9aa5b1", "width": 1}},
        hovertemplate="%{x}: %{text}<extra></extra>", cliponaxis=False))
    fig.update_layout(showlegend=False, xaxis={"type": "category"},
                      yaxis={"title": {"text": tr.t("loyalty.axis.money", currency=currency)}})
    return base_layout(fig, tr.t("loyalty.wf.title"))


def event_figure(event: pd.DataFrame, tr: Translator, currency: str, rate: float = 1.0) -> go.Figure:
    """Monthly spend of members and their matched controls by month relative to enrolment
    (0 = the enrolment month, shaded), each indexed to its own average before enrolment
    (= 100): the groups can differ in level, the comparison is of their paths."""
    fig = go.Figure()
    before = event["k"] < 0
    for col, color, dash in (("members", SERIES["primary"], "solid"), ("control", SERIES["muted"], "dash")):
        money = event[col].to_numpy(float) * rate
        base = float(np.nanmean(money[before.to_numpy()])) if before.any() else float("nan")
        y = money / base * 100 if base and np.isfinite(base) else np.full(len(money), np.nan)
        fig.add_scatter(x=event["k"], y=y, name=tr.t(f"loyalty.event.{col}"), mode="lines+markers",
                        line={"color": color, "dash": dash},
                        customdata=[tr.t("loyalty.event.hover_value", index=tr.number(i, 0), money=tr.money(v, currency))
                                    for i, v in zip(y, money)],
                        hovertemplate=tr.t("loyalty.event.hover") + ": %{customdata}<extra>%{fullData.name}</extra>")
    fig.add_vrect(x0=-0.5, x1=0.5, fillcolor="#9aa5b1", opacity=0.2, line_width=0)
    fig.add_hline(y=100, line={"color": "#9aa5b1", "width": 1, "dash": "dot"})
    fig.update_layout(xaxis={"title": {"text": tr.t("loyalty.axis.event_month")}, "dtick": 1, "zeroline": False},
                      yaxis={"title": {"text": tr.t("loyalty.axis.indexed_spend")}, "rangemode": "tozero"},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1})
    return base_layout(fig, tr.t("loyalty.event.title"))


def roi_figure(yearly: pd.DataFrame, monthly: pd.DataFrame, tr: Translator, currency: str,
               rate: float = 1.0) -> go.Figure:
    """Net return per year (bars, ROI in the label) and the cumulative net return (line)."""
    fig = go.Figure()
    net = yearly["net"].to_numpy(float) * rate
    text = [tr.t("loyalty.roi_label", roi=tr.percent(r)) if np.isfinite(r) else "" for r in yearly["roi"]]
    colors = [SERIES["positive"] if v >= 0 else SERIES["negative"] for v in np.nan_to_num(net)]
    fig.add_bar(x=[str(y) for y in yearly["year"]], y=net, text=text, textposition="outside", marker={"color": colors},
                name=tr.t("loyalty.roi.net_year"), cliponaxis=False,
                customdata=[tr.money(v, currency, compact=True) for v in net],
                hovertemplate="%{x}: %{customdata}<extra></extra>")
    cum = monthly.assign(year=pd.to_datetime(monthly["month"]).dt.year).groupby("year")["cumulative"].last()
    fig.add_scatter(x=[str(y) for y in cum.index], y=cum.to_numpy(float) * rate, mode="lines+markers",
                    name=tr.t("loyalty.roi.cumulative"), line={"color": SERIES["primary"]},
                    customdata=[tr.money(v * rate, currency, compact=True) for v in cum],
                    hovertemplate="%{x}: %{customdata}<extra>%{fullData.name}</extra>")
    fig.update_layout(xaxis={"type": "category"},
                      yaxis={"title": {"text": tr.t("loyalty.axis.money", currency=currency)}},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1})
    return base_layout(fig, tr.t("loyalty.roi.title"))


def balance_figure(balance: pd.DataFrame, tr: Translator) -> go.Figure:
    """Standardised differences before and after matching per covariate (|d| < 0.1 is the
    usual mark of good balance, drawn as a band)."""
    labels = [tr.t(f"loyalty.cov.{c}") for c in balance["covariate"]]
    fig = go.Figure()
    fig.add_vrect(x0=-0.1, x1=0.1, fillcolor=SERIES["positive"], opacity=0.12, line_width=0)
    for col, color, symbol in (("before", SERIES["negative"], "circle-open"), ("after", SERIES["primary"], "circle")):
        x = balance[col].to_numpy(float)
        fig.add_scatter(x=x, y=labels, mode="markers", name=tr.t(f"loyalty.balance.{col}"),
                        marker={"color": color, "size": 11, "symbol": symbol},
                        customdata=[tr.number(v, 2) for v in x],
                        hovertemplate="%{y}: %{customdata}<extra>%{fullData.name}</extra>")
    fig.update_layout(xaxis={"title": {"text": tr.t("loyalty.axis.smd")}, "zeroline": True},
                      yaxis={"type": "category", "autorange": "reversed"},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1})
    return base_layout(fig, tr.t("loyalty.balance.title"))
