"""Chart builders for the Lifecycle and Cohorts pages: stage sizes month by month, the moves
between two dates (a Sankey whose links can be clicked), the cohort heatmap and cumulative
revenue per customer. Aggregates in, ECharts options out; every label is translated text or
a number. Cohort names can be customer data (channels, regions, categories): they travel in
series data and axis data (drawn as text) and reach tooltips only through placeholders."""

from __future__ import annotations

import math

import pandas as pd

from crm_core.charts.echarts import BLUES, EChart, base_option, interpolate, number, tooltip_safe, wrapped_legend
from crm_core.charts.palette import STAGE_COLORS
from crm_core.i18n import Translator

__all__ = ["funnel_chart", "stage_history", "purchase_bars", "stage_bars", "stage_sankey", "SANKEY_SEPARATOR", "cohort_heatmap", "cumulative_lines", "MEASURES"]

#: Cohort heatmap measures: share of the eligible buying, revenue per customer, cumulative.
MEASURES: tuple[str, ...] = ("retention", "revenue", "cumulative")
#: Appended to the right-hand node names of the Sankey so a stage on both sides is two nodes;
#: a zero-width space, so the label reads the same.
SANKEY_SEPARATOR = "\u200b"


def stage_bars(sizes: pd.DataFrame, tr: Translator, share: bool = False) -> EChart:
    """Customers per stage (stacked bars) at each month end; ``share``: as % of the known."""
    labels = [tr.month(d.date()) for d in sizes.index]
    totals = sizes.sum(axis=1).to_numpy(float)
    names = [tr.t(f"stage.{s}") for s in sizes.columns]
    legend, legend_px = wrapped_legend(names)
    option = base_option(tr.t("lifecycle.sizes_title_share" if share else "lifecycle.sizes_title"), top=40)
    option["grid"]["bottom"] = legend_px + 10
    option["legend"] = {**legend, "data": names}
    option["tooltip"] = {"trigger": "axis", "confine": True}
    option["xAxis"] = {"type": "category", "data": labels}
    option["yAxis"] = ({"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}} if share
                       else {"type": "value", "min": 0})
    series = []
    for stage, name in zip(sizes.columns, names):
        v = sizes[stage].to_numpy(float)
        values = [number(x / t * 100) if t else None for x, t in zip(v, totals)] if share else [number(x) for x in v]
        series.append({"type": "bar", "stack": "stages", "name": name, "data": values,
                       "itemStyle": {"color": STAGE_COLORS[stage]}, "emphasis": {"focus": "series"}})
    option["series"] = series
    return EChart(option, 380 + legend_px)


def stage_sankey(flows: pd.DataFrame, tr: Translator, start_label: str, end_label: str) -> EChart:
    """Customers moving between stages from one date (left) to another (right); one link per
    row of ``flows`` (source, target, customers) in that order, so a clicked link's index is
    the row. Node labels carry the count; the right-hand names end in :data:`SANKEY_SEPARATOR`."""
    left = flows.groupby("source", sort=False)["customers"].sum()
    right = flows.groupby("target", sort=False)["customers"].sum()
    order = ["not_known", "prospect", "new", "active", "loyal", "at_risk", "churned", "won_back"]

    def node(stage: str, count: int, right_side: bool) -> dict:
        label = tr.t(f"stage.{stage}")
        return {"name": label + (SANKEY_SEPARATOR if right_side else ""), "itemStyle": {"color": STAGE_COLORS[stage]},
                "value": int(count), "label": {"formatter": "{b}\n" + tr.number(count)}}

    nodes = ([node(s, left[s], False) for s in order if s in left.index]
             + [node(s, right[s], True) for s in order if s in right.index])
    links = [{"source": tr.t(f"stage.{r.source}"), "target": tr.t(f"stage.{r.target}") + SANKEY_SEPARATOR,
              "value": int(r.customers)} for r in flows.itertuples()]
    option = base_option(tr.t("lifecycle.flows_title", start=start_label, end=end_label), top=50)
    option["series"] = [{
        "type": "sankey", "left": 10, "right": 110, "top": 60, "bottom": 10, "nodeAlign": "justify",
        "layoutIterations": 0, "selectedMode": "single", "data": nodes, "links": links,
        "emphasis": {"focus": "adjacency"}, "lineStyle": {"color": "gradient", "opacity": 0.45},
        "select": {"lineStyle": {"opacity": 0.9}},
        "label": {"fontSize": 12}, "tooltip": {"formatter": "{b}: {c}"},
    }]
    return EChart(option, 520)


def cohort_heatmap(values: pd.DataFrame, tr: Translator, measure: str, currency: str = "", rate: float = 1.0
                   ) -> EChart:
    """Cohorts (rows, oldest at the top) by period k (columns): retention in % or revenue per
    customer. Unobserved cells are left empty; a click selects a cell (data: [k, row, value])."""
    rows = [str(c) for c in values.index]
    scale = 100.0 if measure == "retention" else rate
    digits = 1 if measure == "retention" else 0
    cells, finite = [], []
    for r, (cohort, row) in enumerate(values.iterrows()):
        for k, v in enumerate(row.to_numpy(float)):
            if math.isfinite(v):
                shown = round(v * scale, digits)
                text = tr.percent(v) if measure == "retention" else tr.money(v * rate, currency)
                # a name per cell: ECharts marks every item of a name as selected (unnamed heatmap
                # cells share their column's), so one click would frame a whole column
                cells.append({"name": f"{r}:{k}", "value": [k, len(rows) - 1 - r, shown,
                                                            tr.t("cohorts.cell_hover", cohort=str(cohort), k=k,
                                                                 value=text)]})
                finite.append(shown)
    # the colour scale spans the later periods: period 0 is 100% by definition and would pale the rest
    later = [c["value"][2] for c in cells if c["value"][0] > 0] if measure == "retention" else finite
    hi = max(later or finite or [1.0])
    unit = "%" if measure == "retention" else ""
    option = base_option(tr.t(f"cohorts.heatmap_title.{measure}", currency=currency), top=50)
    option["grid"].update({"left": 10, "bottom": 40, "right": 10})
    option["xAxis"] = {"type": "category", "data": [str(k) for k in values.columns], "name": tr.t("cohorts.axis.k"),
                       "nameLocation": "middle", "nameGap": 28, "splitArea": {"show": True}}
    option["yAxis"] = {"type": "category", "data": rows[::-1], "splitArea": {"show": True},
                       "axisLabel": {"fontSize": 11}}
    option["visualMap"] = {"min": 0, "max": number(hi) or 1, "calculable": False, "orient": "horizontal",
                           "right": 10, "top": 8, "itemHeight": 120, "inRange": {"color": BLUES}, "dimension": 2,
                           "text": [f"{number(hi) or 0:g}{unit}", f"0{unit}"]}
    show = len(values.columns) <= 24 and len(rows) <= 24
    option["series"] = [{
        "type": "heatmap", "data": cells, "selectedMode": "single",
        "label": {"show": show, "fontSize": 10, "formatter": "{@[2]}"},
        "select": {"itemStyle": {"borderColor": "#31333f", "borderWidth": 2}},
        "emphasis": {"itemStyle": {"borderColor": "#31333f", "borderWidth": 1}},
        "tooltip": {"formatter": "{@[3]}"},
    }]
    height = max(320, 22 * len(rows) + 140)
    return EChart(option, height)


def cumulative_lines(cum: pd.DataFrame, tr: Translator, currency: str, rate: float = 1.0, latest: int = 12) -> EChart:
    """Cumulative revenue per customer by period k, one line per cohort (the ``latest`` ones)."""
    part = cum.iloc[-latest:] if len(cum) > latest else cum
    names = [str(c) for c in part.index]
    legend, legend_px = wrapped_legend(names)
    option = base_option(tr.t("cohorts.cumulative_title", currency=currency), top=40)
    option["grid"]["bottom"] = legend_px + 10
    option["legend"] = {**legend, "data": names}
    option["tooltip"] = {"trigger": "axis", "confine": True}
    option["xAxis"] = {"type": "category", "data": [str(k) for k in cum.columns], "name": tr.t("cohorts.axis.k"),
                       "nameLocation": "middle", "nameGap": 28}
    option["yAxis"] = {"type": "value", "min": 0}
    colors = interpolate(range(len(names)), ["#9ecae1", "#08519c"]) if names else []
    option["series"] = [{"type": "line", "name": n, "showSymbol": False, "itemStyle": {"color": c},
                         "data": [number(v * rate) for v in row.to_numpy(float)]}
                        for n, c, (_, row) in zip(names, colors, part.iterrows())]
    return EChart(option, 380 + legend_px)


def funnel_chart(steps: pd.DataFrame, tr: Translator) -> EChart:
    """The funnel's steps (step, customers, conversion) as a funnel, widest first; each label
    says the count and the conversion from the step before."""
    colors = interpolate(range(len(steps)), ["#9ecae1", "#08519c"])
    data = []
    for i, (r, color) in enumerate(zip(steps.itertuples(), colors)):
        conv = r.conversion
        text = tr.t(f"funnel.step.{r.step}") + "\n" + tr.number(r.customers)
        if conv is not None and conv == conv:
            text += " · " + tr.percent(conv)
        dark_text = i < len(steps) / 2          # the paler upper bands take dark text, the darker ones white
        data.append({"name": tr.t(f"funnel.step.{r.step}"), "value": int(r.customers),
                     "itemStyle": {"color": color},
                     "label": {"formatter": text.replace("{", "(").replace("}", ")"),
                               "color": "#1b2733" if dark_text else "#ffffff"},
                     "tooltip": {"formatter": tooltip_safe(text).replace("\n", "<br/>")}})
    option = base_option(tr.t("funnel.chart_title"), top=40)
    option["series"] = [{"type": "funnel", "sort": "none", "left": "10%", "width": "80%", "top": 50, "bottom": 10,
                         "minSize": "8%", "gap": 2, "data": data,
                         "label": {"position": "inside", "fontSize": 12, "lineHeight": 16, "textBorderWidth": 0},
                         }]
    return EChart(option, 420)


def stage_history(stages: pd.DataFrame, tr: Translator) -> EChart:
    """One customer's lifecycle stage at each month end (month, stage; None: not yet known),
    as a step line over the stages in lifecycle order."""
    order = ["prospect", "new", "active", "loyal", "at_risk", "churned", "won_back"]
    names = [tr.t(f"stage.{s}") for s in order]
    option = base_option(tr.t("c360.stage_history"), top=40)
    option["grid"]["left"] = 10
    option["xAxis"] = {"type": "category", "data": [tr.month(m.date()) for m in stages["month"]]}
    option["yAxis"] = {"type": "category", "data": names}
    points = [None if s is None or s != s else {"value": tr.t(f"stage.{s}"), "itemStyle": {"color": STAGE_COLORS[s]}}
              for s in stages["stage"]]
    option["series"] = [{"type": "line", "step": "end", "data": points, "symbolSize": 9,
                         "lineStyle": {"color": "#9aa5b1"}, "tooltip": {"formatter": "{b}: {c}"}}]
    return EChart(option, 300)


def purchase_bars(monthly: pd.DataFrame, tr: Translator, currency: str, rate: float = 1.0) -> EChart:
    """One customer's net revenue per month with a transaction (month, revenue)."""
    option = base_option(tr.t("c360.purchases_title", currency=currency), top=40)
    option["xAxis"] = {"type": "category", "data": [tr.month(m.date()) for m in monthly["month"]]}
    option["yAxis"] = {"type": "value"}
    option["tooltip"] = {"trigger": "axis", "confine": True}
    option["series"] = [{"type": "bar", "data": [number(v * rate) for v in monthly["revenue"]],
                         "itemStyle": {"color": STAGE_COLORS["active"]}}]
    return EChart(option, 300)
