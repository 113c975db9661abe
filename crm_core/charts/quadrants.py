"""Chart builder for the profitability quadrants (the CLV page's charts are ECharts:
:mod:`crm_core.charts.clv`).

A frame in, a plotly Figure out: a WebGL scatter with box/lasso selection of at most
``MAX_POINTS`` customers; beyond that a density grid plus an even sample, and it says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from crm_core.charts.palette import QUADRANT_COLORS, SERIES
from crm_core.charts.plotly_base import base_layout
from crm_core.i18n import Translator
from crm_core.value.quadrants import AXES, QUADRANTS_A, QUADRANTS_B, density, slog

__all__ = ["MAX_POINTS", "SAMPLE_POINTS", "quadrant_figure"]

MAX_POINTS = 50_000
SAMPLE_POINTS = 5_000


def _log_ticks(lo: float, hi: float, tr: Translator) -> tuple[list[float], list[str]]:
    """Tick positions (in slog coordinates) and labels at 0, ±1, ±10, ±100, ... within [lo, hi]."""
    vals = [0.0] + [sign * 10.0 ** k for k in range(0, 13) for sign in (1, -1)]
    vals = sorted(v for v in vals if lo <= v <= hi)
    return [float(slog(v)) for v in vals], [tr.compact(v) for v in vals]


def quadrant_figure(df: pd.DataFrame, quadrant: pd.Series, chart: str, x_split: float, y_split: float,
                    tr: Translator, currency: str, rate: float = 1.0, log: bool = False) -> go.Figure:
    """The quadrant scatter: one WebGL trace per quadrant, split lines, quadrant names in
    the corners. Above ``MAX_POINTS`` customers: a density grid plus an even sample.
    With ``log``, both axes use the signed log scale :func:`~crm_core.quadrants.slog`
    (zero and negative values stay visible); hover shows the real amounts."""
    xcol, ycol = AXES[chart]
    names = QUADRANTS_A if chart == "a" else QUADRANTS_B
    scale = slog if log else (lambda v: np.asarray(v, float))
    xv, yv = df[xcol].to_numpy(float) * rate, df[ycol].to_numpy(float) * rate
    fig = go.Figure()
    keep = np.arange(len(df))
    if len(df) > MAX_POINTS:
        cx, cy, counts = density(scale(xv), scale(yv))
        if counts.size:
            fig.add_heatmap(x=cx, y=cy, z=np.where(counts > 0, counts, np.nan), colorscale="Greys",
                            showscale=False, opacity=0.6, hoverinfo="skip", name=tr.t("quad.density"))
        keep = keep[::int(np.ceil(len(df) / SAMPLE_POINTS))]
    q = np.asarray(quadrant.iloc[keep], dtype=object)
    ids = df["customer_id"].iloc[keep].to_numpy(dtype=object)
    for name in names:
        sel = keep[q == name]
        fig.add_scattergl(
            x=scale(xv[sel]), y=scale(yv[sel]), mode="markers", name=tr.t(f"quad.{name}"),
            marker={"color": QUADRANT_COLORS[name], "size": 5, "opacity": 0.7},
            customdata=np.column_stack([ids[q == name], tr.money_many(xv[sel], currency),
                                        tr.money_many(yv[sel], currency)]),
            hovertemplate="%{customdata[0]}<br>%{customdata[1]} / %{customdata[2]}<extra>"
                          + tr.t(f"quad.{name}") + "</extra>")
    line = {"color": SERIES["reference"], "dash": "dash", "width": 1.5}
    fig.add_vline(x=float(scale(x_split * rate)), line=line)
    fig.add_hline(y=float(scale(y_split * rate)), line=line)
    corners = {"a": {"most_profitable": (0.01, 0.99), "costly_to_serve": (0.99, 0.99),
                     "profitable": (0.01, 0.01), "least_profitable": (0.99, 0.01)},
               "b": {"invest": (0.01, 0.99), "best": (0.99, 0.99), "worst": (0.01, 0.01), "keep": (0.99, 0.01)}}[chart]
    for name, (ax, ay) in corners.items():
        fig.add_annotation(xref="paper", yref="paper", x=ax, y=ay, xanchor="left" if ax < 0.5 else "right",
                           yanchor="top" if ay > 0.5 else "bottom", text=tr.t(f"quad.{name}"), showarrow=False,
                           font={"color": QUADRANT_COLORS[name], "size": 13}, bgcolor="rgba(255,255,255,0.8)")
    xaxis: dict = {"title": {"text": tr.t(f"quad.axis.{xcol}", currency=currency)}, "zeroline": True}
    yaxis: dict = {"title": {"text": tr.t(f"quad.axis.{ycol}", currency=currency)}, "zeroline": True}
    if log and len(df):
        for axis, v in ((xaxis, xv), (yaxis, yv)):
            ticks, labels = _log_ticks(float(np.min(v)), float(np.max(v)), tr)
            axis.update(tickmode="array", tickvals=ticks, ticktext=labels)
    fig.update_layout(xaxis=xaxis, yaxis=yaxis, dragmode="select")
    fig = base_layout(fig, tr.t(f"quad.title_{chart}"), height=520)
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.12, "xanchor": "left", "x": 0})
    return fig
