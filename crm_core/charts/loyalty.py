"""Chart builders for the Loyalty page: the return waterfall, lift over time (members vs
matched control around enrolment), ROI by year with the cumulative net return, and the
balance of the matched groups. Small frames in, ECharts options out
(:class:`crm_core.echarts.EChart`). Program names never enter a chart: every label is the
app's own text or a formatted number."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_core.charts.echarts import EChart, base_option, number, tooltip_safe, wrap_label
from crm_core.charts.palette import SERIES
from crm_core.i18n import Translator
from crm_core.loyalty.roi import COST_TYPES, Money

__all__ = ["waterfall_figure", "event_figure", "roi_figure", "balance_figure"]

_BAND = "#9aa5b1"


def _money_axis(tr: Translator, currency: str) -> dict:
    return {"type": "value", "name": tr.t("loyalty.axis.money", currency=currency), "nameLocation": "end",
            "nameGap": 12, "nameTextStyle": {"align": "left"}}


def waterfall_figure(m: Money, tr: Translator, currency: str, rate: float = 1.0) -> EChart:
    """Incremental profit, plus fees, minus each cost type, to the net return. Each step is
    a floating bar from the running total before it to the one after it (an invisible bar
    holds it up; both stack on their signed values, so totals below zero draw right)."""
    steps = [("loyalty.wf.incremental", m.incremental_profit or 0.0), ("loyalty.wf.fees", m.fees)]
    steps += [(f"loyalty.cost.{c}", -m.costs.get(c, 0.0)) for c in COST_TYPES if m.costs.get(c, 0.0)]
    values = [v * rate for _, v in steps]
    net = sum(values)
    labels = [wrap_label(tr.t(k), 80) for k, _ in steps] + [wrap_label(tr.t("loyalty.wf.net"), 80)]
    base, bars, running = [], [], 0.0
    for label, v in zip(labels, values):
        low, high = sorted((running, running + v))
        base.append(number(low))
        bars.append({"value": [label, number(high - low), tr.money(v, currency, compact=True)],
                     "itemStyle": {"color": SERIES["positive" if v >= 0 else "negative"]}})
        running += v
    low, high = sorted((0.0, net))
    base.append(number(low))
    bars.append({"value": [labels[-1], number(high - low), tr.money(net, currency, compact=True)],
                 "itemStyle": {"color": SERIES["primary"]}})
    option = base_option(tr.t("loyalty.wf.title"), top=70)
    option["xAxis"] = {"type": "category", "data": labels,
                       "axisLabel": {"interval": 0, "overflow": "none", "lineHeight": 14}}   # wrapped between words
    option["yAxis"] = _money_axis(tr, currency)
    option["series"] = [
        {"type": "bar", "stack": "waterfall", "stackStrategy": "all", "data": base, "silent": True,
         "itemStyle": {"color": "transparent"}, "tooltip": {"show": False}},
        {"type": "bar", "stack": "waterfall", "stackStrategy": "all", "data": bars, "encode": {"x": 0, "y": 1},
         "label": {"show": True, "position": "top", "formatter": "{@[2]}", "fontSize": 11},
         "tooltip": {"formatter": "{@[0]}: {@[2]}"}},
    ]
    return EChart(option, 380)


def event_figure(event: pd.DataFrame, tr: Translator, currency: str, rate: float = 1.0) -> EChart:
    """Monthly spend of members and their matched controls by month relative to enrolment
    (0 = the enrolment month, shaded), each indexed to its own average before enrolment
    (= 100): the groups can differ in level, the comparison is of their paths."""
    before = (event["k"] < 0).to_numpy()
    ks = event["k"].to_numpy(int)
    # The title and the y axis's name are long (in English): both wrap instead of running
    # off a half-width chart, the name as the subtitle; the legend and the plot start lower.
    option = base_option(tr.t("loyalty.event.title"), subtitle=tr.t("loyalty.axis.indexed_spend"), legend=True,
                         top=140, title_width=420)
    option["legend"]["top"] = 84
    option["grid"].update(bottom=30)
    option["xAxis"] = {"type": "value", "min": int(ks.min()) if len(ks) else -1, "max": int(ks.max()) if len(ks) else 1,
                       "interval": 1, "name": tr.t("loyalty.axis.event_month"), "nameLocation": "middle",
                       "nameGap": 28, "splitLine": {"show": False}}
    option["yAxis"] = {"type": "value", "min": 0}
    hover = tooltip_safe(tr.t("loyalty.event.hover"))
    option["series"] = []
    for col, color, dash in (("members", SERIES["primary"], "solid"), ("control", SERIES["muted"], "dashed")):
        money = event[col].to_numpy(float) * rate
        base = float(np.nanmean(money[before])) if before.any() else float("nan")
        y = money / base * 100 if base and np.isfinite(base) else np.full(len(money), np.nan)
        option["series"].append({
            "type": "line", "name": tr.t(f"loyalty.event.{col}"), "symbolSize": 6,
            "itemStyle": {"color": color}, "lineStyle": {"color": color, "type": dash, "width": 2},
            "data": [[int(k), number(i), tr.t("loyalty.event.hover_value", index=tr.number(i, 0),
                                              money=tr.money(v, currency))] for k, i, v in zip(ks, y, money)],
            "tooltip": {"formatter": "{a}<br/>" + hover + ": {@[2]}"}})
    option["series"][0]["markArea"] = {"silent": True, "itemStyle": {"color": _BAND, "opacity": 0.2},
                                       "data": [[{"xAxis": -0.5}, {"xAxis": 0.5}]]}
    option["series"][0]["markLine"] = {"silent": True, "symbol": "none", "label": {"show": False},
                                       "lineStyle": {"color": _BAND, "width": 1, "type": "dotted"},
                                       "data": [{"yAxis": 100}]}
    return EChart(option, 440)


def roi_figure(yearly: pd.DataFrame, monthly: pd.DataFrame, tr: Translator, currency: str,
               rate: float = 1.0) -> EChart:
    """Net return per year (bars, ROI in the label) and the cumulative net return (line)."""
    years = [str(y) for y in yearly["year"]]
    net = yearly["net"].to_numpy(float) * rate
    bar_name, line_name = tr.t("loyalty.roi.net_year"), tr.t("loyalty.roi.cumulative")
    bars = [{"value": [y, number(v), tr.money(v, currency, compact=True),
                       tr.t("loyalty.roi_label", roi=tr.percent(r)) if np.isfinite(r) else ""],
             "itemStyle": {"color": SERIES["positive" if (v if np.isfinite(v) else 0) >= 0 else "negative"]}}
            for y, v, r in zip(years, net, yearly["roi"].to_numpy(float))]
    cum = monthly.assign(year=pd.to_datetime(monthly["month"]).dt.year).groupby("year")["cumulative"].last()
    option = base_option(tr.t("loyalty.roi.title"), legend=True, top=80)
    option["xAxis"] = {"type": "category", "data": years}
    option["yAxis"] = _money_axis(tr, currency)
    option["series"] = [
        {"type": "bar", "name": bar_name, "data": bars, "itemStyle": {"color": SERIES["positive"]},
         "label": {"show": True, "position": "top", "formatter": "{@[3]}", "fontSize": 11},
         "tooltip": {"formatter": "{@[0]}: {@[2]}"}},
        {"type": "line", "name": line_name, "symbolSize": 6, "itemStyle": {"color": SERIES["primary"]},
         "data": [[str(y), number(v * rate), tr.money(v * rate, currency, compact=True)] for y, v in cum.items()],
         "tooltip": {"formatter": tooltip_safe(line_name) + "<br/>{@[0]}: {@[2]}"}},
    ]
    return EChart(option, 380)


def balance_figure(balance: pd.DataFrame, tr: Translator) -> EChart:
    """Standardised differences before and after matching per covariate (|d| < 0.1 is the
    usual mark of good balance, drawn as a band)."""
    labels = [tr.t(f"loyalty.cov.{c}") for c in balance["covariate"]]
    option = base_option(tr.t("loyalty.balance.title"), legend=True, top=80)
    option["grid"].update(bottom=30)
    option["xAxis"] = {"type": "value", "name": tr.t("loyalty.axis.smd"), "nameLocation": "middle", "nameGap": 28}
    option["yAxis"] = {"type": "category", "data": labels, "inverse": True}
    option["series"] = []
    for col, color, symbol in (("before", SERIES["negative"], "emptyCircle"), ("after", SERIES["primary"], "circle")):
        x = balance[col].to_numpy(float)
        option["series"].append({
            "type": "scatter", "name": tr.t(f"loyalty.balance.{col}"), "symbol": symbol, "symbolSize": 11,
            "itemStyle": {"color": color, "borderColor": color, "borderWidth": 2}, "encode": {"x": 0, "y": 1},
            "data": [[number(v), lab, tr.number(v, 2)] for v, lab in zip(x, labels)],
            "tooltip": {"formatter": "{a}<br/>{@[1]}: {@[2]}"}})
    option["series"][0]["markArea"] = {"silent": True, "itemStyle": {"color": SERIES["positive"], "opacity": 0.12},
                                       "data": [[{"xAxis": -0.1}, {"xAxis": 0.1}]]}
    return EChart(option, 380)
