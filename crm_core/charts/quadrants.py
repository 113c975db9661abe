"""Chart builder for the profitability quadrants: a frame in, an ECharts option out
(:class:`~crm_core.charts.echarts.EChart`), drawn on a canvas.

A scatter of at most ``MAX_POINTS`` customers (one series per quadrant, sent as Arrow
datasets); beyond that a grey density grid of every customer plus an even sample, and the
page says so. Box and lasso selection is ECharts' brush (the tools at the top right); the
page reads the drawn region's coordinates back and lists every customer inside it, not only
the drawn ones (:func:`crm_core.value.quadrants.select_region`).

The axes are value axes whose own labels are hidden: tick labels are written by the
translator (locale digits, compact units such as 1만 / 1万) at positions chosen here, as
mark lines, because an ECharts label formatter would have to be a JavaScript function.
With ``log`` both axes use the signed log scale :func:`~crm_core.value.quadrants.slog`
(zero and negative values stay visible); tooltips show the real amounts.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from crm_core.charts.echarts import EChart, base_option, number, tooltip_safe
from crm_core.charts.palette import FONT_STACK, QUADRANT_COLORS, SERIES
from crm_core.i18n import Translator
from crm_core.value.quadrants import AXES, QUADRANTS_A, QUADRANTS_B, density, slog

__all__ = ["MAX_POINTS", "SAMPLE_POINTS", "DENSITY_BINS", "GRID", "quadrant_chart", "axis_ticks", "extent"]

MAX_POINTS = 50_000
SAMPLE_POINTS = 5_000
DENSITY_BINS = 80
#: The plotting area's margins in px (tick labels and axis names sit in them; the browser
#: test draws its box from them).
GRID = {"left": 96, "right": 28, "top": 64, "bottom": 100}
_CORNERS = {"a": {"most_profitable": ("left", "top"), "costly_to_serve": ("right", "top"),
                  "profitable": ("left", "bottom"), "least_profitable": ("right", "bottom")},
            "b": {"invest": ("left", "top"), "best": ("right", "top"), "worst": ("left", "bottom"),
                  "keep": ("right", "bottom")}}


def extent(values: np.ndarray, pad: float = 0.03) -> tuple[float, float]:
    """An axis range holding every value with a small margin (a flat range gets a width)."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    width = hi - lo if hi > lo else max(abs(lo), 1.0)
    return lo - pad * width, hi + pad * width


def axis_ticks(lo: float, hi: float, log: bool, tr: Translator) -> list[tuple[float, str]]:
    """(position in chart coordinates, label) of the ticks within [lo, hi] (chart coordinates):
    on a log axis 0, ±1, ±10, ±100, ...; on a linear one about six round numbers."""
    if log:
        values = [0.0] + [sign * 10.0 ** k for k in range(0, 13) for sign in (1, -1)]
        ticks = sorted((float(slog(v)), v) for v in values)
        return [(pos, tr.compact(v)) for pos, v in ticks if lo <= pos <= hi]
    raw = (hi - lo) / 6 if hi > lo else 1.0
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    out, k = [], 0
    while first + k * step <= hi + 1e-9 * step:
        v = first + k * step
        v = 0.0 if abs(v) < step * 1e-9 else v
        out.append((v, tr.compact(v)))
        k += 1
    return out


def _mark_lines(xticks: list[tuple[float, str]], yticks: list[tuple[float, str]], xs: float,
                ys: float) -> dict[str, Any]:
    """Grid lines with their labels outside the plotting area, and the two dashed split lines."""
    grid = {"color": "#e6e9ef", "width": 1, "type": "solid"}
    split = {"color": SERIES["reference"], "width": 1.5, "type": "dashed"}
    data: list[dict[str, Any]] = (
        [{"xAxis": number(p), "name": label, "lineStyle": grid} for p, label in xticks]
        + [{"yAxis": number(p), "name": label, "lineStyle": grid} for p, label in yticks]
        + [{"xAxis": number(xs), "lineStyle": split, "label": {"show": False}},
           {"yAxis": number(ys), "lineStyle": split, "label": {"show": False}}])
    return {"silent": True, "symbol": "none", "animation": False, "data": data,
            "label": {"show": True, "position": "start", "formatter": "{b}", "color": "#555", "fontSize": 11}}


def quadrant_chart(df: pd.DataFrame, quadrant: pd.Series, chart: str, x_split: float, y_split: float,
                   tr: Translator, currency: str, rate: float = 1.0, log: bool = False) -> EChart:
    """The quadrant scatter with its split lines, quadrant names in the corners and the box
    and lasso tools. Above ``MAX_POINTS`` customers: a density grid plus an even sample."""
    xcol, ycol = AXES[chart]
    names = QUADRANTS_A if chart == "a" else QUADRANTS_B
    scale = slog if log else (lambda v: np.asarray(v, float))
    xv, yv = df[xcol].to_numpy(float) * rate, df[ycol].to_numpy(float) * rate
    px, py = scale(xv), scale(yv)
    xs, ys = float(scale(x_split * rate)), float(scale(y_split * rate))
    x0, x1 = extent(np.append(px, xs))
    # Empty bands above and below the customers (about 30 px each) hold the corner names, so
    # no name hides a customer (the most valuable one is in a corner).
    y0, y1 = extent(np.append(py, ys), pad=0.09)

    x_name, y_name = (tr.t(f"quad.axis.{c}", currency=currency) for c in (xcol, ycol))
    option = base_option(tr.t(f"quad.title_{chart}"))
    option["grid"] = {**GRID, "containLabel": False, "outerBoundsMode": "none"}   # exactly GRID
    hidden = {"axisLabel": {"show": False}, "axisTick": {"show": False}, "splitLine": {"show": False}}
    option["xAxis"] = [{"type": "value", "min": x0, "max": x1, "name": x_name,
                        "nameLocation": "middle", "nameGap": 34, "axisLine": {"onZero": False}, **hidden}]
    option["yAxis"] = [{"type": "value", "min": y0, "max": y1, "name": y_name,
                        "nameLocation": "middle", "nameGap": GRID["left"] - 22, "axisLine": {"onZero": False},
                        **hidden}]
    option["dataset"], option["series"] = [], []
    keep = np.arange(len(df))
    if len(df) > MAX_POINTS:
        _, _, counts = density(px, py, DENSITY_BINS, extent=(x0, x1, y0, y1))
        # Hidden category axes of one band per bin over the same range: the grid's cells fall
        # exactly on the value axes' coordinates.
        bands = [str(i) for i in range(DENSITY_BINS)]
        option["xAxis"].append({"type": "category", "data": bands, "show": False, "gridIndex": 0})
        option["yAxis"].append({"type": "category", "data": bands, "show": False, "gridIndex": 0})
        iy, ix = np.nonzero(counts)
        # Shaded by the count's logarithm: a few crowded cells would otherwise leave the rest white.
        shade = np.log10(counts[iy, ix])
        option["series"].append({"type": "heatmap", "name": tr.t("quad.density"), "xAxisIndex": 1, "yAxisIndex": 1,
                                 "silent": True, "tooltip": {"show": False}, "progressive": 0,
                                 "data": [[int(i), int(j), float(c)] for i, j, c in zip(ix, iy, shade)]})
        option["visualMap"] = {"show": False, "seriesIndex": 0, "dimension": 2, "min": 0,
                               "max": max(float(shade.max()) if shade.size else 0.0, 1.0),
                               "inRange": {"color": ["#eceef2", "#6b7280"]}}
        keep = keep[::int(np.ceil(len(df) / SAMPLE_POINTS))]
    q = np.asarray(quadrant.iloc[keep], dtype=object)
    ids = df["customer_id"].iloc[keep].astype(str).to_numpy(dtype=object)
    scatter = []
    for name in names:
        sel = keep[q == name]
        option["dataset"].append({"source": pd.DataFrame({
            "x": px[sel], "y": py[sel], "id": ids[q == name],
            "x_amount": tr.money_many(xv[sel], currency), "y_amount": tr.money_many(yv[sel], currency)})})
        label = tr.t(f"quad.{name}")
        scatter.append(len(option["series"]))
        option["series"].append({
            "type": "scatter", "name": label, "datasetIndex": len(option["dataset"]) - 1,
            "encode": {"x": "x", "y": "y"}, "symbolSize": 5, "large": True, "largeThreshold": 2000,
            "itemStyle": {"color": QUADRANT_COLORS[name], "opacity": 0.7},
            "tooltip": {"formatter": tooltip_safe(label) + "<br/>{@[2]}<br/>" + tooltip_safe(f"{x_name}: ")
                        + "{@[3]}<br/>" + tooltip_safe(f"{y_name}: ") + "{@[4]}"}})
    xticks = axis_ticks(x0, x1, log, tr)
    yticks = axis_ticks(y0, y1, log, tr)
    option["series"].append({"type": "scatter", "data": [], "silent": True, "clip": False,
                             "tooltip": {"show": False}, "markLine": _mark_lines(xticks, yticks, xs, ys)})
    option["legend"] = {"bottom": 0, "left": 0, "selectedMode": False, "data": [tr.t(f"quad.{n}") for n in names]}
    option["brush"] = {"toolbox": ["rect", "polygon", "clear"], "xAxisIndex": 0, "yAxisIndex": 0,
                       "seriesIndex": scatter, "brushMode": "single", "transformable": False,
                       "outOfBrush": {"colorAlpha": 0.25}, "throttleType": "debounce", "throttleDelay": 300}
    option["toolbox"] = {"right": 4, "top": 0, "itemSize": 18, "itemGap": 10,
                         "feature": {"brush": {"title": {"rect": tr.t("quad.tool.box"),
                                                         "polygon": tr.t("quad.tool.lasso"),
                                                         "clear": tr.t("quad.tool.clear")}}}}
    option["graphic"] = [
        {"type": "text", "silent": True, "z": 100,
         h: GRID[h] + 8, v: GRID[v] + 6,
         "style": {"text": tr.t(f"quad.{name}"), "fill": QUADRANT_COLORS[name], "fontSize": 13, "fontWeight": "bold",
                   "fontFamily": FONT_STACK, "backgroundColor": "rgba(255,255,255,0.8)", "padding": [2, 4]}}
        for name, (h, v) in _CORNERS[chart].items()]
    return EChart(option, 560, renderer="canvas")
