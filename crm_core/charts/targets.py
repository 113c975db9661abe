"""Chart builders for the target-customer pages: segment treemap, R x F grid, pyramid,
what-if and micro-segment charts. Aggregates in, an ECharts option (:class:`EChart`) out;
never one point per customer. Data, customer-provided names included, travels in series
data and reaches tooltips only through escaped placeholders (see :mod:`crm_core.charts.echarts`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crm_core.charts.echarts import (
    BLUES,
    ORANGES,
    RED_YELLOW_GREEN,
    EChart,
    base_option,
    interpolate,
    number,
    tooltip_safe,
    wrapped_legend,
)
from crm_core.charts.palette import SEGMENT_COLORS, SERIES, TIER_COLORS
from crm_core.i18n import Translator

__all__ = ["segment_treemap", "rf_heatmap", "pyramid_figure", "what_if_figure", "micro_bar_figure",
           "mix_figure", "cell_label"]


def segment_treemap(summary: pd.DataFrame, tr: Translator, currency: str, rate: float = 1.0,
                    size_by: str = "customers", color_by: str = "segment") -> EChart:
    """Segments sized by customers, revenue or gross profit (negative sizes count as 0);
    coloured by segment, by revenue per customer, or by mean days since last purchase
    (then a colour legend gives the range)."""
    df = summary[summary["customers"] > 0]
    labels = [tr.t(f"segment.{s}") for s in df["segment"]]
    sizes = (df[size_by] * (rate if size_by != "customers" else 1.0)).clip(lower=0)
    per_customer = df["revenue"] * rate / df["customers"]
    shares = [f"{tr.number(c)} · {tr.percent(sh)}" for c, sh in zip(df["customers"], df["customer_share"])]
    money = [tr.money(r * rate, currency, compact=True) for r in df["revenue"]]
    option = base_option(tr.t(f"chart.treemap.title_{size_by}"))
    if color_by == "segment":
        colors = [SEGMENT_COLORS[s] for s in df["segment"]]
    else:
        values = per_customer if color_by == "value" else df["recency_days"]
        stops = BLUES if color_by == "value" else ORANGES
        colors = interpolate(values, stops)
        shown = [tr.money(v, currency, compact=True) if color_by == "value" else tr.number(v) for v in values]
        lo, hi = (int(np.argmin(values.to_numpy())), int(np.argmax(values.to_numpy()))) if len(df) else (0, 0)
        option["visualMap"] = {"type": "continuous", "seriesIndex": [], "min": 0, "max": 1, "calculable": False,
                               "orient": "horizontal", "right": 0, "top": 30, "itemWidth": 10, "itemHeight": 120,
                               "inRange": {"color": stops},
                               "text": [shown[hi] if shown else "", shown[lo] if shown else ""],
                               "formatter": tr.t(f"segments.color.{color_by}")}
        option["title"]["subtext"] = tr.t(f"segments.color.{color_by}")
    option["tooltip"]["formatter"] = "{@[1]}<br/>{@[2]}<br/>{@[3]}"
    total = float(sizes.sum()) or 1.0
    data = [{"name": name, "value": [number(v), name, sh, m], "itemStyle": {"color": c},
             "label": _tile_label(float(v) / total, [name, sh, m])}
            for name, v, sh, m, c in zip(labels, sizes, shares, money, colors)]
    option["series"] = [{   # a click selects a tile (the page lists that segment's customers)
        "type": "treemap", "data": data, "roam": False, "nodeClick": False, "breadcrumb": {"show": False},
        "selectedMode": "single", "select": {"itemStyle": {"borderColor": "#31333f", "borderWidth": 3}},
        "left": 0, "right": 0, "top": 60, "bottom": 0, "sort": False, "squareRatio": 1.0,
        "itemStyle": {"borderColor": "#ffffff", "borderWidth": 2, "gapWidth": 2},
        "label": {"show": True, "formatter": "{b}\n{@[2]}\n{@[3]}", "fontSize": 12, "overflow": "none"},
        "upperLabel": {"show": False},
    }]
    return EChart(option, 460)


#: The treemap's smallest likely drawing area (px): half of a 1280-wide page, 400 high.
_TREEMAP_W, _TREEMAP_H = 560.0, 400.0


def _text_px(text: str, size: float = 12.0) -> float:
    """Rough width of ``text`` in pixels: CJK characters are square, Latin ones about 0.6 em."""
    return sum(size if ord(ch) >= 0x2E80 else 0.6 * size for ch in text)


def _tile_label(share: float, lines: list[str]) -> dict[str, Any]:
    """A tile shows every line when they fit, the name alone when only it fits, and nothing
    (its tooltip still tells) when not even the name fits: never a name cut to "Ne"."""
    side = (share * _TREEMAP_W * _TREEMAP_H) ** 0.5      # tiles are near-square (squareRatio 1)
    if side >= max(_text_px(t) for t in lines) + 10 and side >= 16 * len(lines) + 10:
        return {"show": True, "formatter": "{b}\n{@[2]}\n{@[3]}"}
    if side >= _text_px(lines[0]) + 10 and side >= 26:
        return {"show": True, "formatter": "{b}"}
    return {"show": False}


def rf_heatmap(grid: pd.DataFrame, tr: Translator, currency: str, rate: float = 1.0,
               value: str = "customers") -> EChart:
    """R (rows, 5 = most recent on top) x F (columns) with customers or revenue per cell
    and the segment name written in each cell."""
    bins = int(grid["r_score"].max())
    axis = [str(k) for k in range(1, bins + 1)]
    data = []
    for row in grid.itertuples():
        amount = row.revenue * rate
        z = row.customers if value == "customers" else amount
        shown = tr.number(row.customers) if value == "customers" else tr.money(amount, currency, compact=True)
        data.append([str(int(row.f_score)), str(int(row.r_score)), number(z), shown, tr.t(f"segment.{row.segment}")])
    values = [d[2] for d in data if d[2] is not None]
    lo_v, hi_v = min(values, default=0.0), max(values, default=1.0)
    # White text on the darker half of the blues, dark text on the light half: readable everywhere.
    data = [{"value": d, "label": {"color": "#ffffff" if d[2] is not None and hi_v > lo_v
                                   and (d[2] - lo_v) / (hi_v - lo_v) > 0.45 else "#1b2733"}} for d in data]
    option = base_option(tr.t("chart.grid.title"), top=70)
    option["grid"].update(left=30, right=10, bottom=60)
    option["xAxis"] = {"type": "category", "data": axis, "name": tr.t("chart.axis.f_score"), "nameLocation": "middle",
                       "nameGap": 28, "splitArea": {"show": True}}
    option["yAxis"] = {"type": "category", "data": axis, "name": tr.t("chart.axis.r_score"), "nameLocation": "middle",
                       "nameGap": 22, "nameRotate": 90, "splitArea": {"show": True}}
    option["visualMap"] = {"min": lo_v, "max": hi_v, "calculable": False,
                           "orient": "horizontal", "left": "center", "bottom": 0, "itemHeight": 160,
                           "inRange": {"color": BLUES}, "dimension": 2, "text": [tr.t(f"segments.grid.{value}"), ""]}
    option["tooltip"]["formatter"] = "R={@[1]} F={@[0]}<br/>{@[3]}<br/>{@[4]}"
    option["series"] = [{"type": "heatmap", "data": data,
                         "label": {"show": True, "formatter": "{@[3]}\n{@[4]}", "fontSize": 11},
                         "itemStyle": {"borderColor": "#ffffff", "borderWidth": 1}}]
    return EChart(option, 460)


def pyramid_figure(pyr: pd.DataFrame, tr: Translator, currency: str, rate: float = 1.0) -> EChart:
    """Tiers top-down as a centred pyramid (bar width ~ sqrt(customers), so small tiers
    stay visible). The left axis names each tier with its customers, the right axis its
    shares of revenue and profit: axis labels are laid out inside the chart (containLabel),
    so they are never cut off, whatever the bar widths, language or chart width (labels
    beside the bars were, on narrow charts). Everything is also in the tooltip."""
    widths = np.sqrt(np.maximum(pyr["customers"].to_numpy(dtype=np.float64), 0))
    widest = float(widths.max()) if len(widths) and widths.max() > 0 else 1.0
    names = [f"{tr.t(f'tier.{t}')}\n{tr.number(c)} ({tr.percent(cs)})"
             for t, c, cs in zip(pyr["tier"], pyr["customers"], pyr["customer_share"])]
    shares = [tr.t("chart.pyramid.shares", revenue=tr.percent(rs), profit=tr.percent(ps))
              for rs, ps in zip(pyr["revenue_share"], pyr["profit_share"])]
    hover = [tr.t("chart.pyramid.label", customers=tr.number(c), share=tr.percent(cs), revenue=tr.percent(rs),
                  profit=tr.percent(ps))
             for c, cs, rs, ps in zip(pyr["customers"], pyr["customer_share"], pyr["revenue_share"], pyr["profit_share"])]
    money = [tr.money(v * rate, currency) for v in pyr["revenue"]]
    option = base_option(tr.t("chart.pyramid.title"))
    option["grid"].update(left=10, right=10)
    option["xAxis"] = {"type": "value", "show": False, "max": widest}
    plain = {"axisTick": {"show": False}, "axisLine": {"show": False}, "inverse": True, "type": "category"}
    option["yAxis"] = [{**plain, "data": names, "axisLabel": {"lineHeight": 16}},
                       {**plain, "data": shares, "position": "right", "axisLabel": {"fontSize": 11}}]
    pad = [{"value": number((widest - w) / 2), "itemStyle": {"color": "transparent"}} for w in widths]
    bars = [{"value": [number(w), n, i, h, m], "itemStyle": {"color": TIER_COLORS[t]}}
            for w, n, i, h, m, t in zip(widths, names, shares, hover, money, pyr["tier"])]
    option["series"] = [
        {"type": "bar", "stack": "pyramid", "data": pad, "silent": True, "tooltip": {"show": False},
         "barCategoryGap": "12%"},
        {"type": "bar", "stack": "pyramid", "data": bars, "encode": {"x": 0, "y": 1},
         "tooltip": {"formatter": "{@[3]}<br/>{@[4]}"}},
    ]
    return EChart(option, 460)


def what_if_figure(by_tier: pd.DataFrame, tr: Translator, currency: str, rate: float = 1.0) -> EChart:
    """Change in revenue and gross profit from each tier's movers."""
    names = [tr.t("chart.whatif.move", tier=tr.t(f"tier.{a}"), next=tr.t(f"tier.{b}"))
             for a, b in zip(by_tier["tier"], by_tier["next_tier"])]
    option = base_option(tr.t("chart.whatif.title"), legend=True)
    option["grid"].update(top=80)
    option["xAxis"] = {"type": "category", "data": names}
    option["yAxis"] = {"type": "value", "name": tr.t("chart.axis.change", currency=currency), "nameLocation": "end",
                       "nameGap": 12, "nameTextStyle": {"align": "left"}}
    option["series"] = []
    for col, key in (("delta_revenue", "revenue"), ("delta_profit", "gross_profit")):
        vals = by_tier[col] * rate
        name = tr.t(f"metric.{key}")
        option["series"].append({
            "type": "bar", "name": name, "itemStyle": {"color": SERIES[key]},
            "data": [[n, number(v), tr.money(v, currency)] for n, v in zip(names, vals)],
            "tooltip": {"formatter": "{@[0]}<br/>" + tooltip_safe(name) + ": {@[2]}"}})
    return EChart(option, 360)


def micro_bar_figure(cells: pd.DataFrame, dims: list[str], tr: Translator, currency: str, rate: float = 1.0,
                     top: int = 25) -> EChart:
    """Revenue of the largest cells (at most ``top``), coloured by margin (legend: the range)."""
    df = cells.head(top)
    names = [cell_label(tr, dims, row) for row in df[dims].itertuples(index=False)] if dims \
        else [tr.t("micro.all")] * len(df)
    vals = df["revenue"] * rate
    margins = df["margin"].fillna(0.0)
    lo, hi = (float(margins.min()), float(margins.max())) if len(df) else (0.0, 1.0)
    if hi <= lo:
        lo, hi = lo - 0.01, hi + 0.01
    digits = next((d for d in (1, 2, 3) if tr.percent(lo, d) != tr.percent(hi, d)), 3)   # a legend of two values
    option = base_option(tr.t("chart.micro.title", n=tr.number(len(df))), top=70)
    option["grid"].update(bottom=40, right=48)   # room for the last axis label ("1,400,000" whole)
    option["xAxis"] = {"type": "value", "name": tr.t("chart.axis.revenue", currency=currency), "nameLocation": "middle",
                       "nameGap": 26}
    option["yAxis"] = {"type": "category", "data": names, "inverse": True,
                       "axisLabel": {"width": 260, "overflow": "truncate"}}
    option["visualMap"] = {"type": "continuous", "dimension": 2, "seriesIndex": 0, "min": lo, "max": hi,
                           "calculable": False, "orient": "horizontal", "right": 0, "top": 30, "itemHeight": 120,
                           "itemWidth": 10, "inRange": {"color": RED_YELLOW_GREEN},
                           "text": [tr.percent(hi, digits), tr.percent(lo, digits)], "textGap": 6}
    option["series"] = [{"type": "bar", "encode": {"x": 0, "y": 1},
                         "data": [[number(v), n, number(m), tr.money(v, currency), tr.number(c), tr.percent(mm)]
                                  for v, n, m, c, mm in zip(vals, names, margins, df["customers"], df["margin"])],
                         "tooltip": {"formatter": "{@[1]}<br/>{@[3]} · {@[4]} · {@[5]}"}}]
    return EChart(option, max(320, 28 * len(df) + 120))


def mix_figure(shares: dict[str, dict[str, float]], tr: Translator) -> EChart:
    """RFM segment mix of named groups as 100% stacked bars (``{group: {segment: share}}``)."""
    groups = list(shares)
    segments = list(next(iter(shares.values()), {}))
    option = base_option(tr.t("chart.mix.title"))
    option["legend"], legend_px = wrapped_legend([tr.t(f"segment.{seg}") for seg in segments])
    option["grid"].update(bottom=46 + legend_px)
    option["xAxis"] = {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"},
                       "name": tr.t("chart.axis.buyer_share"), "nameLocation": "middle", "nameGap": 26}
    option["yAxis"] = {"type": "category", "data": groups, "inverse": True,
                       "axisLabel": {"width": 260, "overflow": "truncate"}}
    option["series"] = []
    for seg in segments:
        name = tr.t(f"segment.{seg}")
        option["series"].append({
            "type": "bar", "stack": "mix", "name": name, "itemStyle": {"color": SEGMENT_COLORS[seg]},
            "encode": {"x": 0, "y": 1},
            "data": [[number(100 * (shares[g].get(seg) or 0)), g, tr.percent(shares[g].get(seg) or 0)] for g in groups],
            "tooltip": {"formatter": "{@[1]}<br/>" + tooltip_safe(name) + ": {@[2]}"}})
    return EChart(option, max(300, 40 * len(groups) + 180 + legend_px))


def cell_label(tr: Translator, dims: list[str], row: Any) -> str:
    """A micro-segment cell's name: its dimension values joined, tiers and segments translated."""
    return " · ".join(_label(tr, d, v) for d, v in zip(dims, row))


def _label(tr: Translator, dim: str, value: object) -> str:
    if dim == "tier":
        return tr.t(f"tier.{value}")
    if dim == "segment":
        return tr.t(f"segment.{value}")
    return tr.value(dim, value)   # the demo's regions, channels, types in the user's language
