"""Chart builders: a DataFrame (or small result) and a translator in, a plotly Figure out.

Every chart is titled and labelled in the chosen language; colours come from
:mod:`crm_core.palette`. No chart ships more than a few hundred points.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .i18n import Translator
from .overview import ParetoResult
from .palette import FONT_STACK, SERIES

__all__ = ["base_layout", "trend_figure", "pareto_figure"]


def base_layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        font={"family": FONT_STACK, "size": 13}, height=height, margin={"l": 10, "r": 10, "t": 60, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        hoverlabel={"font": {"family": FONT_STACK}}, template="plotly_white",
    )
    return fig


def trend_figure(df: pd.DataFrame, tr: Translator, currency: str, rate: float = 1.0) -> go.Figure:
    """Monthly revenue (bars) and active customers (line, right axis); partial month shaded."""
    months = [tr.month(m.date()) for m in df["month"]]
    revenue = df["revenue"] * rate
    opacity = [0.45 if p else 1.0 for p in df["partial"]]
    fig = go.Figure()
    fig.add_bar(x=months, y=revenue, name=tr.t("chart.trend.revenue"), marker={"color": SERIES["revenue"], "opacity": opacity},
                customdata=[tr.money(v, currency) for v in revenue],
                hovertemplate="%{x}<br>%{customdata}<extra></extra>")
    fig.add_scatter(x=months, y=df["active_customers"], name=tr.t("chart.trend.active"), yaxis="y2", mode="lines+markers",
                    line={"color": SERIES["active"], "width": 2},
                    customdata=[tr.number(v) for v in df["active_customers"]],
                    hovertemplate="%{x}<br>%{customdata}<extra></extra>")
    fig.update_layout(
        xaxis={"title": {"text": tr.t("chart.axis.month")}, "type": "category"},
        yaxis={"title": {"text": tr.t("chart.axis.revenue", currency=currency)}, "rangemode": "tozero"},
        yaxis2={"title": {"text": tr.t("chart.axis.active_customers")}, "overlaying": "y", "side": "right",
                "rangemode": "tozero", "showgrid": False, "tickmode": "auto"},
    )
    if bool(df["partial"].any()):
        fig.add_annotation(x=months[-1], y=float(revenue.iloc[-1]), text=tr.t("chart.trend.partial"), showarrow=True,
                           arrowhead=0, ay=-30, font={"size": 11})
    return base_layout(fig, tr.t("chart.trend.title"))


def pareto_figure(result: ParetoResult, tr: Translator) -> go.Figure:
    """Cumulative share of value by share of customers, with the 80% and top-20% marks."""
    curve = result.curve
    fig = go.Figure()
    x = pd.concat([pd.Series([0.0]), curve["customer_share"]]) * 100
    y = pd.concat([pd.Series([0.0]), curve["value_share"]]) * 100
    fig.add_scatter(x=x, y=y, mode="lines", name=tr.t(f"chart.pareto.curve_{result.metric}"),
                    line={"color": SERIES["revenue" if result.metric == "revenue" else "gross_profit"], "width": 3},
                    hovertemplate=tr.t("chart.pareto.hover") + "<extra></extra>")
    fig.add_scatter(x=[0, 100], y=[0, 100], mode="lines", name=tr.t("chart.pareto.equality"),
                    line={"color": SERIES["reference"], "dash": "dot"}, hoverinfo="skip")
    if result.customer_share_for_80pct is not None:
        s80 = result.customer_share_for_80pct * 100
        fig.add_scatter(x=[s80, s80, 0], y=[0, 80, 80], mode="lines", line={"color": SERIES["highlight"], "dash": "dash"},
                        name=tr.t("chart.pareto.mark80", share=tr.percent(result.customer_share_for_80pct)), hoverinfo="skip")
    if result.top20_share is not None:
        fig.add_scatter(x=[20], y=[result.top20_share * 100], mode="markers+text", marker={"size": 10, "color": SERIES["highlight"]},
                        text=[tr.t("chart.pareto.top20", share=tr.percent(result.top20_share))], textposition="bottom right",
                        name=tr.t("chart.pareto.top20_legend"), hoverinfo="skip")
    fig.update_layout(xaxis={"title": {"text": tr.t("chart.axis.customer_share")}, "ticksuffix": "%", "range": [0, 100]},
                      yaxis={"title": {"text": tr.t(f"chart.axis.cum_{result.metric}")}, "ticksuffix": "%"})
    base_layout(fig, tr.t(f"chart.pareto.title_{result.metric}"))
    fig.update_layout(legend={"orientation": "v", "x": 0.98, "xanchor": "right", "y": 0.04, "yanchor": "bottom",
                              "bgcolor": "rgba(255,255,255,0.85)"})
    return fig
