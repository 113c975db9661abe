"""Chart builders for the target-customer pages: segment treemap, R x F grid, pyramid,
what-if and micro-segment charts. Aggregates in, a plotly Figure out; never one point
per customer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .charts import base_layout
from .i18n import Translator
from .palette import SEGMENT_COLORS, SERIES, TIER_COLORS

__all__ = ["segment_treemap", "rf_heatmap", "pyramid_figure", "what_if_figure", "micro_bar_figure",
           "mix_figure"]


def segment_treemap(summary: pd.DataFrame, tr: Translator, currency: str, rate: float = 1.0,
                    size_by: str = "customers", color_by: str = "segment") -> go.Figure:
    """Segments sized by customers, revenue or gross profit (negative sizes count as 0);
    coloured by segment, by revenue per customer, or by mean days since last purchase."""
    df = summary[summary["customers"] > 0].copy()
    labels = [tr.t(f"segment.{s}") for s in df["segment"]]
    sizes = (df[size_by] * (rate if size_by != "customers" else 1.0)).clip(lower=0)
    per_customer = df["revenue"] * rate / df["customers"]
    text = [f"{tr.number(c)} · {tr.percent(sh)}<br>{tr.money(r * rate, currency, compact=True)}"
            for c, sh, r in zip(df["customers"], df["customer_share"], df["revenue"])]
    marker: dict = {"line": {"width": 2, "color": "white"}}
    if color_by == "segment":
        marker["colors"] = [SEGMENT_COLORS[s] for s in df["segment"]]
    else:
        values = per_customer if color_by == "value" else df["recency_days"]
        marker.update(colors=values.to_numpy(dtype=np.float64), colorscale="Blues" if color_by == "value" else "Oranges",
                      showscale=True, colorbar={"title": {"text": tr.t(f"segments.color.{color_by}")}})
    fig = go.Figure(go.Treemap(labels=labels, parents=[""] * len(df), values=sizes.to_numpy(dtype=np.float64),
                               text=text, customdata=df["segment"], marker=marker, branchvalues="total",
                               textinfo="label+text", hovertemplate="%{label}<br>%{text}<extra></extra>",
                               sort=False, tiling={"pad": 2}))
    return base_layout(fig, tr.t(f"chart.treemap.title_{size_by}"), height=460)


def rf_heatmap(grid: pd.DataFrame, tr: Translator, currency: str, rate: float = 1.0,
               value: str = "customers") -> go.Figure:
    """R (rows, 5 = most recent on top) x F (columns) with customers or revenue per cell
    and the segment name written in each cell."""
    bins = int(grid["r_score"].max())
    z = np.zeros((bins, bins))
    text = [["" for _ in range(bins)] for _ in range(bins)]
    for row in grid.itertuples():
        i, j = int(row.r_score) - 1, int(row.f_score) - 1
        amount = row.revenue * rate
        z[i, j] = row.customers if value == "customers" else amount
        shown = tr.number(row.customers) if value == "customers" else tr.money(amount, currency, compact=True)
        text[i][j] = f"{shown}<br>{tr.t(f'segment.{row.segment}')}"
    axis = [str(k) for k in range(1, bins + 1)]
    fig = go.Figure(go.Heatmap(z=z, x=axis, y=axis, text=text, texttemplate="%{text}", colorscale="Blues",
                               textfont={"size": 10},
                               hovertemplate="R=%{y} F=%{x}<br>%{text}<extra></extra>",
                               colorbar={"title": {"text": tr.t(f"segments.grid.{value}")}}))
    fig.update_layout(xaxis={"title": {"text": tr.t("chart.axis.f_score")}, "type": "category"},
                      yaxis={"title": {"text": tr.t("chart.axis.r_score")}, "type": "category"})
    return base_layout(fig, tr.t("chart.grid.title"), height=460)


def pyramid_figure(pyr: pd.DataFrame, tr: Translator, currency: str, rate: float = 1.0) -> go.Figure:
    """Tiers top-down as a centred pyramid (bar width ~ sqrt(customers), so small tiers
    stay visible); the axis names each tier with its customers, the bar its shares of
    revenue and profit (hidden where it does not fit; always in the hover)."""
    df = pyr.copy()
    widths = np.sqrt(np.maximum(df["customers"].to_numpy(dtype=np.float64), 0))
    labels = [f"{tr.t(f'tier.{t}')}<br>{tr.number(c)} ({tr.percent(cs)})"
              for t, c, cs in zip(df["tier"], df["customers"], df["customer_share"])]
    text = [tr.t("chart.pyramid.label", customers=tr.number(c), share=tr.percent(cs), revenue=tr.percent(rs),
                 profit=tr.percent(ps))
            for c, cs, rs, ps in zip(df["customers"], df["customer_share"], df["revenue_share"], df["profit_share"])]
    inside = [tr.t("chart.pyramid.shares", revenue=tr.percent(rs), profit=tr.percent(ps))
              for rs, ps in zip(df["revenue_share"], df["profit_share"])]
    fig = go.Figure(go.Funnel(y=labels, x=widths, text=inside, textinfo="text", textposition="inside",
                              insidetextanchor="middle", marker={"color": [TIER_COLORS[t] for t in df["tier"]]},
                              customdata=np.stack([text, [tr.money(v * rate, currency) for v in df["revenue"]]],
                                                  axis=-1),
                              hovertemplate="%{customdata[0]}<br>%{customdata[1]}<extra></extra>",
                              connector={"visible": False}))
    fig.update_layout(yaxis={"title": {"text": ""}}, xaxis={"visible": False},
                      uniformtext={"minsize": 9, "mode": "hide"})
    return base_layout(fig, tr.t("chart.pyramid.title"), height=460)


def what_if_figure(by_tier: pd.DataFrame, tr: Translator, currency: str, rate: float = 1.0) -> go.Figure:
    """Change in revenue and gross profit from each tier's movers."""
    names = [tr.t("chart.whatif.move", tier=tr.t(f"tier.{a}"), next=tr.t(f"tier.{b}"))
             for a, b in zip(by_tier["tier"], by_tier["next_tier"])]
    fig = go.Figure()
    for col, key in (("delta_revenue", "revenue"), ("delta_profit", "gross_profit")):
        vals = by_tier[col] * rate
        fig.add_bar(x=names, y=vals, name=tr.t(f"metric.{key}"), marker={"color": SERIES[key]},
                    customdata=[tr.money(v, currency) for v in vals], hovertemplate="%{x}<br>%{customdata}<extra></extra>")
    fig.update_layout(barmode="group", yaxis={"title": {"text": tr.t("chart.axis.change", currency=currency)}},
                      xaxis={"type": "category"})
    return base_layout(fig, tr.t("chart.whatif.title"), height=360)


def micro_bar_figure(cells: pd.DataFrame, dims: list[str], tr: Translator, currency: str, rate: float = 1.0,
                     top: int = 25) -> go.Figure:
    """Revenue of the largest cells (at most ``top``), coloured by margin."""
    df = cells.head(top)
    names = [" · ".join(_label(tr, d, v) for d, v in zip(dims, row)) for row in df[dims].itertuples(index=False)] \
        if dims else [tr.t("micro.all")] * len(df)
    vals = df["revenue"] * rate
    fig = go.Figure(go.Bar(x=vals, y=names, orientation="h",
                           marker={"color": df["margin"].fillna(0), "colorscale": "RdYlGn", "showscale": True,
                                   "colorbar": {"title": {"text": tr.t("micro.col.margin")}, "tickformat": ".0%"}},
                           customdata=np.stack([[tr.money(v, currency) for v in vals],
                                                [tr.number(c) for c in df["customers"]],
                                                [tr.percent(m) for m in df["margin"]]], axis=-1) if len(df) else None,
                           hovertemplate="%{y}<br>%{customdata[0]} · %{customdata[1]} · %{customdata[2]}<extra></extra>"))
    fig.update_layout(yaxis={"autorange": "reversed", "type": "category"},
                      xaxis={"title": {"text": tr.t("chart.axis.revenue", currency=currency)}})
    return base_layout(fig, tr.t("chart.micro.title", n=tr.number(len(df))), height=max(320, 28 * len(df) + 120))


def mix_figure(shares: dict[str, dict[str, float]], tr: Translator) -> go.Figure:
    """RFM segment mix of named groups as 100% stacked bars (``{group: {segment: share}}``)."""
    groups = list(shares)
    fig = go.Figure()
    segments = list(next(iter(shares.values()), {}))
    for seg in segments:
        fig.add_bar(y=groups, x=[100 * (shares[g].get(seg) or 0) for g in groups], orientation="h",
                    name=tr.t(f"segment.{seg}"), marker={"color": SEGMENT_COLORS[seg]},
                    hovertemplate="%{y}: %{x:.1f}%<extra>" + tr.t(f"segment.{seg}") + "</extra>")
    fig.update_layout(barmode="stack", xaxis={"ticksuffix": "%", "range": [0, 100],
                                              "title": {"text": tr.t("chart.axis.buyer_share")}},
                      yaxis={"type": "category"})
    base_layout(fig, tr.t("chart.mix.title"), height=max(300, 40 * len(groups) + 220))
    fig.update_layout(legend={"orientation": "h", "y": -0.25, "yanchor": "top", "x": 0, "xanchor": "left"},
                      margin={"b": 90})
    return fig


def _label(tr: Translator, dim: str, value: object) -> str:
    if dim == "tier":
        return tr.t(f"tier.{value}")
    if dim == "segment":
        return tr.t(f"segment.{value}")
    return str(value)
