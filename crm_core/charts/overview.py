"""Overview and 80/20 charts: the monthly revenue / active-customers trend and the Pareto
curve, as ECharts options (:class:`crm_core.echarts.EChart`). Monthly points and a Pareto
curve of at most a few hundred points; never one point per customer."""

from __future__ import annotations

import pandas as pd

from crm_core.charts.echarts import EChart, base_option, number, tooltip_safe
from crm_core.charts.palette import SERIES
from crm_core.customers.overview import ParetoResult
from crm_core.i18n import Translator

__all__ = ["trend_figure", "pareto_figure"]


def trend_figure(df: pd.DataFrame, tr: Translator, currency: str, rate: float = 1.0) -> EChart:
    """Monthly revenue (bars) and active customers (line, right axis); the month in
    progress is shaded and labelled."""
    months = [tr.month(m.date()) for m in df["month"]]
    revenue = df["revenue"] * rate
    bar_name, line_name = tr.t("chart.trend.revenue"), tr.t("chart.trend.active")
    option = base_option(tr.t("chart.trend.title"), legend=True)
    option["grid"].update(left=10, right=10, top=80, bottom=30)
    option["xAxis"] = {"type": "category", "data": months, "name": tr.t("chart.axis.month"), "nameLocation": "middle",
                       "nameGap": 28}
    option["yAxis"] = [
        {"type": "value", "name": tr.t("chart.axis.revenue", currency=currency), "nameLocation": "end",
         "nameGap": 12, "nameTextStyle": {"align": "left"}, "min": 0},
        {"type": "value", "name": tr.t("chart.axis.active_customers"), "nameLocation": "end", "nameGap": 12,
         "nameTextStyle": {"align": "right"}, "min": 0, "splitLine": {"show": False}},
    ]
    bars = []
    for m, v, partial in zip(months, revenue, df["partial"]):
        item: dict = {"value": [m, number(v), tr.money(v, currency)]}
        if partial:
            item["itemStyle"] = {"opacity": 0.45}
            item["label"] = {"show": True, "position": "top", "formatter": tr.t("chart.trend.partial"), "fontSize": 11}
        bars.append(item)
    option["series"] = [
        {"type": "bar", "name": bar_name, "data": bars, "itemStyle": {"color": SERIES["revenue"]},
         "tooltip": {"formatter": "{@[0]}<br/>" + tooltip_safe(bar_name) + ": {@[2]}"}},
        {"type": "line", "name": line_name, "yAxisIndex": 1, "symbolSize": 6,
         "data": [[m, number(v), tr.number(v)] for m, v in zip(months, df["active_customers"])],
         "itemStyle": {"color": SERIES["active"]}, "lineStyle": {"width": 2},
         "tooltip": {"formatter": "{@[0]}<br/>" + tooltip_safe(line_name) + ": {@[2]}"}},
    ]
    return EChart(option, 380)


def pareto_figure(result: ParetoResult, tr: Translator) -> EChart:
    """Cumulative share of value by share of customers, with the 80% and top-20% marks.
    The y axis extends past 100% when the top customers make more than all profit."""
    curve = result.curve
    xs = [0.0, *(curve["customer_share"] * 100)]
    ys = [0.0, *(curve["value_share"] * 100)]
    hover = [tr.t("chart.pareto.hover", x=tr.percent(x / 100), y=tr.percent(y / 100)) for x, y in zip(xs, ys)]
    colour = SERIES["revenue" if result.metric == "revenue" else "gross_profit"]
    option = base_option(tr.t(f"chart.pareto.title_{result.metric}"))
    # inside the plot, bottom right: the area under the curve and the diagonal is empty
    option["legend"] = {"orient": "vertical", "right": 24, "bottom": 56, "backgroundColor": "rgba(255,255,255,0.85)",
                        "padding": 6}
    option["grid"].update(left=40, bottom=30)
    option["xAxis"] = {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"},
                       "name": tr.t("chart.axis.customer_share"), "nameLocation": "middle", "nameGap": 26}
    option["yAxis"] = {"type": "value", "min": min(0, int(min(ys)) - 5), "axisLabel": {"formatter": "{value}%"},
                       "name": tr.t(f"chart.axis.cum_{result.metric}"), "nameLocation": "middle", "nameGap": 40,
                       "nameRotate": 90}
    option["series"] = [
        {"type": "line", "name": tr.t(f"chart.pareto.curve_{result.metric}"), "showSymbol": False,
         "data": [[number(x), number(y), h] for x, y, h in zip(xs, ys, hover)],
         "lineStyle": {"width": 3, "color": colour}, "itemStyle": {"color": colour},
         "tooltip": {"formatter": "{@[2]}"}},
        {"type": "line", "name": tr.t("chart.pareto.equality"), "showSymbol": False, "silent": True,
         "data": [[0, 0], [100, 100]], "lineStyle": {"type": "dotted", "color": SERIES["reference"]},
         "itemStyle": {"color": SERIES["reference"]}, "tooltip": {"show": False}},
    ]
    if result.customer_share_for_80pct is not None:
        s80 = number(result.customer_share_for_80pct * 100)
        option["series"].append({
            "type": "line", "name": tr.t("chart.pareto.mark80", share=tr.percent(result.customer_share_for_80pct)),
            "showSymbol": False, "silent": True, "data": [[s80, 0], [s80, 80], [0, 80]],
            "lineStyle": {"type": "dashed", "color": SERIES["highlight"]}, "itemStyle": {"color": SERIES["highlight"]},
            "tooltip": {"show": False}})
    if result.top20_share is not None:
        text = tr.t("chart.pareto.top20", share=tr.percent(result.top20_share))
        option["series"].append({
            "type": "scatter", "name": tr.t("chart.pareto.top20_legend"), "symbolSize": 10,
            "data": [[20, number(result.top20_share * 100), text]], "itemStyle": {"color": SERIES["highlight"]},
            "label": {"show": True, "position": "right", "formatter": "{@[2]}"}, "tooltip": {"formatter": "{@[2]}"}})
    return EChart(option, 380)
