"""Chart builders for the Churn page: rate trend, reasons (bars, donut, over time, by
group) and churn by complaint handling. Aggregates in, ECharts options out
(:class:`crm_core.echarts.EChart`; the Churn page draws in about half the time it took with
plotly's bundle, see bench/browser.py). Group names can be customer data (regions,
channels): they travel in series data and reach tooltips only through placeholders."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_core.charts.echarts import EChart, base_option, number, tooltip_safe, wrap_label
from crm_core.charts.palette import CHURN_REASON_COLORS, SERIES
from crm_core.i18n import Translator

__all__ = ["trend_figure", "reason_bars", "reason_donut", "reason_area", "dimension_bars", "complaints_figure"]

_PERCENT_AXIS = {"type": "value", "min": 0, "axisLabel": {"formatter": "{value}%"}}


def _value_axis(name: str, **extra: object) -> dict:
    return {"type": "value", "min": 0, "name": name, "nameLocation": "end", "nameGap": 12,
            "nameTextStyle": {"align": "left"}, **extra}


def trend_figure(rates: pd.DataFrame, tr: Translator, freq: str) -> EChart:
    """Churn rate per month or quarter (bars, the partial last one paler) with churned and
    active customers in the tooltip."""
    labels = [tr.month(d.date()) if freq == "month" else f"{d.year} Q{(d.month - 1) // 3 + 1}" for d in rates["start"]]
    option = base_option(tr.t(f"churn.trend_title.{freq}"), top=70)
    option["xAxis"] = {"type": "category", "data": labels}
    option["yAxis"] = {**_PERCENT_AXIS, "name": tr.t("churn.axis.rate"), "nameLocation": "end", "nameGap": 12,
                       "nameTextStyle": {"align": "left"}}
    data = []
    for label, r, c, a, partial in zip(labels, rates["churn_rate"], rates["churned"], rates["active"], rates["partial"]):
        item: dict = {"value": [label, number(r * 100),
                                tr.t("churn.trend_hover", rate=tr.percent(r), churned=tr.number(c), active=tr.number(a))]}
        if partial:
            item["itemStyle"] = {"opacity": 0.45}
        data.append(item)
    option["series"] = [{"type": "bar", "data": data, "itemStyle": {"color": SERIES["highlight"]},
                         "tooltip": {"formatter": "{@[0]}<br/>{@[2]}"}}]
    return EChart(option, 380)


#: Inactivity churns ("unknown": no stated reason) are set beside the bars, not drawn, when they
#: outnumber the largest stated reason this many times: they would flatten the stated reasons,
#: whose distribution is what exit management is about.
INACTIVITY_APART = 3.0


def reason_bars(reasons: pd.DataFrame, tr: Translator, value: str, currency: str, rate: float = 1.0) -> EChart:
    """Churned customers (or the annual revenue they took) by reason, every stated reason shown.
    When the inactivity churns dwarf the stated reasons (see :data:`INACTIVITY_APART`), the
    bars compare the stated reasons on their own scale and the inactivity count stands in the
    subtitle, with its share of the churned."""
    y_all = reasons[value].to_numpy(float) * (rate if value != "customers" else 1.0)
    unknown = (reasons["reason"] == "unknown").to_numpy()
    stated_max = float(y_all[~unknown].max(initial=0.0))
    apart = bool(unknown.any()) and float(y_all[unknown].sum()) > INACTIVITY_APART * max(stated_max, 1e-9)
    keep = ~unknown if apart else np.ones(len(reasons), dtype=bool)
    y, codes = y_all[keep], list(reasons["reason"][keep])
    fmt = (lambda v: tr.number(v)) if value == "customers" else (lambda v: tr.money(v, currency, compact=True))  # noqa: E731
    names = [tr.t(f"reason.{r}") for r in codes]
    text = [fmt(v) for v in y]
    subtitle = ""
    if apart:
        n_unknown = float(reasons.loc[unknown, "customers"].sum())
        total = float(reasons["customers"].sum()) or 1.0
        subtitle = tr.t("churn.inactivity_apart", value=fmt(float(y_all[unknown].sum())),
                        share=tr.percent(n_unknown / total))
    option = base_option(tr.t(f"churn.reasons_title.{value}"), subtitle=subtitle, top=110 if apart else 70,
                         title_width=520 if apart else None)   # the subtitle wraps inside a 3/5-width column
    # every reason labelled: long names wrap under their bar instead of being dropped
    names = [wrap_label(n, 72) for n in names]    # lines break between words, never inside one
    option["xAxis"] = {"type": "category", "data": names,
                       "axisLabel": {"interval": 0, "lineHeight": 14, "overflow": "none"}}
    option["yAxis"] = _value_axis(tr.t(f"churn.axis.{value}", currency=currency))
    option["series"] = [{
        "type": "bar",
        "data": [{"value": [n, number(v), s], "itemStyle": {"color": CHURN_REASON_COLORS[r]}}
                 for n, v, s, r in zip(names, y, text, codes)],
        "label": {"show": True, "position": "top", "formatter": "{@[2]}", "fontSize": 11},
        "tooltip": {"formatter": "{@[0]}: {@[2]}"}}]
    return EChart(option, 400 if apart else 380)


def reason_donut(reasons: pd.DataFrame, tr: Translator) -> EChart:
    """Share of churned customers by reason (reasons with none are left out)."""
    df = reasons[reasons["customers"] > 0]
    total = float(df["customers"].sum()) or 1.0
    option = base_option(tr.t("churn.donut_title"))
    option["legend"] = {"bottom": 0}   # a plain legend wraps onto more lines: every reason stays listed
    data = []
    for r, n in zip(df["reason"], df["customers"]):
        label = tr.t(f"reason.{r}")
        data.append({"name": label, "value": number(n), "itemStyle": {"color": CHURN_REASON_COLORS[r]},
                     # reason names are the app's own translations, never customer data; a share
                     # under 5% has no room for its label inside the ring (the tooltip has it)
                     "label": {"show": n / total >= 0.05, "formatter": tooltip_safe(tr.percent(n / total))},
                     "tooltip": {"formatter": tooltip_safe(f"{label}: {tr.number(n)} ({tr.percent(n / total)})")}})
    option["series"] = [{"type": "pie", "radius": ["38%", "62%"], "center": ["50%", "46%"], "data": data,
                         "label": {"position": "inside", "fontSize": 11, "color": "#ffffff", "textBorderWidth": 0}}]
    return EChart(option, 400)


def reason_area(table: pd.DataFrame, tr: Translator) -> EChart:
    """Churned customers per month, stacked by reason."""
    months = [tr.month(d.date()) for d in table.index]
    option = base_option(tr.t("churn.area_title"), legend=True, top=80)
    option["xAxis"] = {"type": "category", "data": months, "boundaryGap": False}
    option["yAxis"] = _value_axis(tr.t("churn.axis.customers"))
    # One tooltip per month listing every reason (areas have no points to hover); it shows
    # only the app's own text (months, reason names) and counts.
    option["tooltip"] = {"trigger": "axis", "confine": True}
    option["series"] = []
    for reason in table.columns:
        color = CHURN_REASON_COLORS[reason]
        option["series"].append({
            "type": "line", "name": tr.t(f"reason.{reason}"), "stack": "reasons", "areaStyle": {"opacity": 0.85},
            "showSymbol": False, "lineStyle": {"width": 0.5, "color": color}, "itemStyle": {"color": color},
            "data": [number(v) for v in table[reason]]})
    return EChart(option, 380)


def dimension_bars(table: pd.DataFrame, tr: Translator, dimension: str, rates: pd.DataFrame | None = None) -> EChart:
    """Churned customers by group (rows of ``table``) stacked by reason (columns), and the
    group's churn rate (diamonds, right axis) when ``rates`` are given."""

    def label(g: object) -> str:
        if dimension in ("segment", "tier"):   # "—": not yet a customer at the period's start
            return tr.t(f"{dimension}.{g}") if g != "—" else tr.t("churn.new_in_period")
        return tr.value(dimension, g)

    groups = [label(g) for g in table.index]
    title = {"region": "filter.regions", "channel": "filter.channels", "customer_type": "filter.customer_types",
             "segment": "dim.segment", "tier": "dim.tier"}
    option = base_option(tr.t("churn.by_group_title"), legend=True, top=80)
    option["grid"].update(bottom=30)
    option["xAxis"] = {"type": "category", "data": groups, "name": tr.t(title[dimension]), "nameLocation": "middle",
                       "nameGap": 28, "axisLabel": {"interval": 0, "hideOverlap": True, "width": 110,
                                                    "overflow": "truncate"}}
    option["yAxis"] = [_value_axis(tr.t("churn.axis.customers")),
                       {**_PERCENT_AXIS, "name": tr.t("churn.axis.rate"), "nameLocation": "end", "nameGap": 12,
                        "nameTextStyle": {"align": "right"}, "splitLine": {"show": False}}]
    option["series"] = []
    for reason in table.columns:
        values = table[reason].to_numpy()
        if not np.any(values):
            continue
        name = tr.t(f"reason.{reason}")
        option["series"].append({
            "type": "bar", "name": name, "stack": "reasons", "itemStyle": {"color": CHURN_REASON_COLORS[reason]},
            "data": [[g, number(v), tr.number(v)] for g, v in zip(groups, values)],
            "tooltip": {"formatter": "{@[0]}<br/>" + tooltip_safe(name) + ": {@[2]}"}})
    if rates is not None and len(rates):
        by = rates.set_index("group")
        shown = [g for g in table.index if g in by.index]
        option["series"].append({
            "type": "scatter", "name": tr.t("kpi.churn_rate"), "yAxisIndex": 1, "symbol": "diamond", "symbolSize": 12,
            "itemStyle": {"color": "#1b2733"},
            "data": [[label(g), number(by.loc[g, "churn_rate"] * 100),
                      tr.t("churn.trend_hover", rate=tr.percent(by.loc[g, "churn_rate"]),
                           churned=tr.number(by.loc[g, "churned"]), active=tr.number(by.loc[g, "active"]))]
                     for g in shown],
            "tooltip": {"formatter": "{@[0]}<br/>{@[2]}"}})
    return EChart(option, 400)


def complaints_figure(df: pd.DataFrame, tr: Translator) -> EChart:
    """Churn rate by complaint handling: no complaint, then by mean time to answer."""
    shown = df[df["customers"] > 0]
    labels = [tr.t(f"churn.bucket.{b}") for b in shown["bucket"]]
    option = base_option(tr.t("churn.complaints_title"), top=70)
    option["xAxis"] = {"type": "category", "data": labels, "axisLabel": {"interval": 0, "hideOverlap": True}}
    option["yAxis"] = {**_PERCENT_AXIS, "name": tr.t("churn.axis.rate"), "nameLocation": "end", "nameGap": 12,
                       "nameTextStyle": {"align": "left"}}
    option["series"] = [{
        "type": "bar",
        "data": [{"value": [name, number(r * 100), f"{tr.percent(r)} ({tr.number(c)}/{tr.number(n)})"],
                  "itemStyle": {"color": SERIES["reference"] if b == "none" else SERIES["highlight"]}}
                 for name, r, c, n, b in zip(labels, shown["churn_rate"], shown["churned"], shown["customers"],
                                             shown["bucket"])],
        "label": {"show": True, "position": "top", "formatter": "{@[2]}", "fontSize": 11},
        "tooltip": {"formatter": "{@[0]}: {@[2]}"}}]
    return EChart(option, 380)
