"""Chart builders for the relationship pages: estimates with their 95% intervals (a forest
plot: campaigns' uplift, churn after complaints by response band), managers against their
targets, service volumes by month, the category lift matrix. Aggregates in, ECharts options
out. Campaign, manager and category names are customer data: they travel as axis and series
data (drawn as text) and never inside a tooltip template."""

from __future__ import annotations

import pandas as pd

from crm_core.charts.echarts import EChart, base_option, interpolate, number, tooltip_safe, wrapped_legend
from crm_core.charts.palette import SERIES
from crm_core.i18n import Translator

__all__ = ["forest", "target_bars", "volume_bars", "lift_matrix"]


def forest(labels: list[str], est: list[float], lo: list[float], hi: list[float], tr: Translator, *, title: str,
           percent: bool = True, threshold: float | None = 0.0, texts: list[str] | None = None,
           colors: list[str] | None = None) -> EChart:
    """One row per label: the estimate (dot) and its 95% interval (line), a dotted line at
    ``threshold`` (0: no effect; None: no line). ``texts``: each row's tooltip (already formatted)."""
    scale = 100.0 if percent else 1.0
    n = len(labels)
    option = base_option(title, top=50)
    option["grid"].update(left=10, right=30)
    option["yAxis"] = {"type": "category", "data": labels, "inverse": True, "axisTick": {"show": False}}
    option["xAxis"] = {"type": "value", "scale": True,
                       **({"axisLabel": {"formatter": "{value}%"}} if percent else {})}
    series = []
    for i in range(n):
        a, b = number(lo[i]), number(hi[i])
        if a is None or b is None:
            continue
        color = (colors or [SERIES["primary"]] * n)[i]
        series.append({"type": "line", "data": [[a * scale, labels[i]], [b * scale, labels[i]]], "symbol": "none",
                       "lineStyle": {"color": color, "width": 3}, "silent": True, "z": 1})
    points = []
    for i in range(n):
        v = number(est[i])
        text = tooltip_safe(texts[i]) if texts else ""
        points.append(None if v is None else {"value": [v * scale, labels[i]],
                                              "itemStyle": {"color": (colors or [SERIES["primary"]] * n)[i]},
                                              **({"tooltip": {"formatter": text.replace("\n", "<br/>")}} if text else {})})
    dots: dict = {"type": "scatter", "data": points, "symbolSize": 11, "z": 2}
    if threshold is not None:
        dots["markLine"] = {"silent": True, "symbol": "none", "label": {"show": False},
                            "lineStyle": {"color": SERIES["muted"], "type": "dotted"},
                            "data": [{"xAxis": threshold * scale}]}
    series.append(dots)
    option["series"] = series
    return EChart(option, max(220, 70 + 34 * n))


def target_bars(table: pd.DataFrame, tr: Translator, currency: str, rate: float = 1.0) -> EChart:
    """Each manager's period revenue (bar) and target (marker), best attainment first."""
    names = [str(n) if isinstance(n, str) and n else str(m) for m, n in zip(table["manager_id"], table["name"])]
    option = base_option(tr.t("managers.chart_title"), legend=True, top=60)
    option["tooltip"] = {"trigger": "axis", "confine": True}
    option["xAxis"] = {"type": "category", "data": names, "axisLabel": {"interval": 0, "rotate": 30 if len(names) > 6 else 0}}
    option["yAxis"] = {"type": "value", "min": 0, "name": currency}
    revenue = [number(v * rate) for v in table["revenue"]]
    target = [number(v * rate) for v in table["target"]]
    option["series"] = [
        {"type": "bar", "name": tr.t("managers.col.revenue"), "data": revenue, "itemStyle": {"color": SERIES["revenue"]}},
        {"type": "scatter", "name": tr.t("managers.col.target"), "data": target, "symbol": "rect",
         "symbolSize": [26, 4], "itemStyle": {"color": SERIES["highlight"]}},
    ]
    return EChart(option, 380)


def volume_bars(monthly: pd.DataFrame, column: str, tr: Translator, title: str) -> EChart:
    """Cases per month (stacked by ``column``: type or channel)."""
    months = sorted(monthly["month"].unique())
    values = sorted(monthly[column].astype(str).unique())
    dimension = {"type": "case_type", "channel": "contact_channel"}.get(column, column)
    names = [tr.value(dimension, v) for v in values]      # the demo's own words translated, a customer's as stored
    legend, legend_px = wrapped_legend(names)
    option = base_option(title, top=40)
    option["grid"]["bottom"] = legend_px + 10
    option["legend"] = {**legend, "data": names}
    option["tooltip"] = {"trigger": "axis", "confine": True}
    option["xAxis"] = {"type": "category", "data": [tr.month(pd.Timestamp(m).date()) for m in months]}
    option["yAxis"] = {"type": "value", "min": 0}
    wide = monthly.assign(**{column: monthly[column].astype(str)}).pivot_table(
        index="month", columns=column, values="cases", aggfunc="sum").reindex(months).fillna(0)
    option["series"] = [{"type": "bar", "stack": "cases", "name": n, "data": [int(x) for x in wide[v]]}
                        for v, n in zip(values, names)]
    return EChart(option, 340 + legend_px)


def lift_matrix(rules: pd.DataFrame, categories: list[str], tr: Translator) -> EChart:
    """Lift of each rule A -> B (row A, column B); cells without a rule are empty. Clicking a
    cell selects it (the page lists who bought A but not yet B)."""
    idx = {c: i for i, c in enumerate(categories)}
    data = []
    for r in rules.itertuples():
        data.append({"value": [idx[r.consequent], idx[r.antecedent], round(float(r.lift), 3)],
                     "name": f"{r.antecedent}\u2192{r.consequent}",
                     "tooltip": {"formatter": tooltip_safe(tr.t("affinity.cell", lift=tr.number(r.lift, 2),
                                                                confidence=tr.percent(r.confidence),
                                                                both=tr.number(r.both)))}})
    lifts = [d["value"][2] for d in data] or [1.0]
    option = base_option(tr.t("affinity.matrix_title"), subtitle=tr.t("affinity.matrix_subtitle"), top=70)
    option["grid"].update(bottom=10, left=10)
    # Which axis is A and which B is said in the subtitle: an axis name over rotated labels collides with them.
    option["xAxis"] = {"type": "category", "data": categories, "position": "top",
                       "axisLabel": {"interval": 0, "rotate": 30 if len(categories) > 6 else 0}}
    option["yAxis"] = {"type": "category", "data": categories, "inverse": True, "axisLabel": {"interval": 0}}
    colors = interpolate([0, 1, 2], ["#d73027", "#f7f7f7", "#1a9850"])
    option["visualMap"] = {"min": min(min(lifts), 0.5), "max": max(max(lifts), 1.5), "show": False, "dimension": 2,
                           "inRange": {"color": colors}}
    option["series"] = [{"type": "heatmap", "data": data, "selectedMode": "single",
                         "label": {"show": True, "formatter": "{@[2]}"},
                         "emphasis": {"itemStyle": {"borderColor": "#333", "borderWidth": 1}}}]
    return EChart(option, 120 + 34 * len(categories))
