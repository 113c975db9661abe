"""Chart builders for the Lifetime value page: customers by CLV band, the model's
frequency x recency surfaces, and the two fit checks (calibration, holdout). Frames in,
ECharts options out (:class:`crm_core.echarts.EChart`); the histogram is binned here, never
one bar per customer."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_core.charts.echarts import BLUES, RED_YELLOW_GREEN, EChart, base_option, number, tooltip_safe
from crm_core.charts.palette import SERIES
from crm_core.i18n import Translator

__all__ = ["clv_histogram", "matrix_figure", "calibration_figure", "holdout_figure"]


def _axes(x_name: str, y_name: str) -> tuple[dict, dict]:
    return ({"type": "category", "name": x_name, "nameLocation": "middle", "nameGap": 28},
            {"type": "value", "min": 0, "name": y_name, "nameLocation": "end", "nameGap": 12,
             "nameTextStyle": {"align": "left"}})


def clv_histogram(clv: pd.Series, tr: Translator, currency: str, rate: float = 1.0, bins: int = 40) -> EChart:
    """Customers by CLV band. The top and bottom 1% are folded into the end bands so a few
    extremes do not flatten the rest."""
    values = clv.to_numpy(float) * rate
    values = values[np.isfinite(values)]
    option = base_option(tr.t("clv.histogram_title"), top=70)
    option["grid"].update(bottom=30)
    option["xAxis"], option["yAxis"] = _axes(tr.t("clv.axis.clv", currency=currency), tr.t("chart.axis.customers"))
    option["xAxis"]["data"], data = [], []
    if values.size:
        lo, hi = (float(v) for v in np.percentile(values, [1, 99]))
        hi = hi if hi > lo else lo + 1
        counts, edges = np.histogram(np.clip(values, lo, hi), bins=bins, range=(lo, hi))
        for a, b, n in zip(edges[:-1], edges[1:], counts):
            band = tr.money((a + b) / 2, currency, compact=True)
            option["xAxis"]["data"].append(band)
            data.append([band, number(n), f"{tr.money(a, currency, compact=True)} – {tr.money(b, currency, compact=True)}",
                         tr.number(n)])
    option["series"] = [{"type": "bar", "data": data, "barCategoryGap": "4%", "itemStyle": {"color": SERIES["revenue"]},
                         "tooltip": {"formatter": "{@[2]}<br/>{@[3]}"}}]
    return EChart(option, 380)


def matrix_figure(matrix: pd.DataFrame, measure: str, tr: Translator, unit: str) -> EChart:
    """Frequency (rows) x recency (columns) surface of expected purchases or P(alive)."""
    z = matrix.to_numpy(float)
    xs = [tr.number(float(c), 1) for c in matrix.columns]
    ys = [tr.number(int(i)) for i in matrix.index]
    recency = tr.t("clv.axis.recency", unit=tr.t(f"unit.{unit}"))
    name = tr.t(f"clv.measure.{measure}")
    option = base_option(tr.t(f"clv.matrix_title.{measure}"), top=80, title_width=420)   # a half-width chart
    option["grid"].update(right=90, bottom=30)
    option["xAxis"] = {"type": "category", "data": xs, "name": recency, "nameLocation": "middle", "nameGap": 28,
                       "splitArea": {"show": False}}
    option["yAxis"] = {"type": "category", "data": ys, "name": tr.t("clv.axis.frequency"), "nameLocation": "end",
                       "nameGap": 12, "nameTextStyle": {"align": "left"}}
    finite = z[np.isfinite(z)]
    top = 1.0 if measure == "p_alive" else (float(finite.max()) if finite.size and finite.max() > 0 else 1.0)
    option["visualMap"] = {"type": "continuous", "min": 0, "max": number(top), "calculable": False, "dimension": 2,
                           "orient": "vertical", "right": 0, "top": "middle", "itemHeight": 160,
                           "text": [tr.number(top, 2), tr.number(0)], "precision": 2,   # the title names the measure
                           "inRange": {"color": BLUES if measure == "expected_purchases" else RED_YELLOW_GREEN}}
    hover = tooltip_safe(f"{tr.t('clv.axis.frequency')}: ") + "{@[4]}<br/>" + tooltip_safe(f"{recency}: ") \
        + "{@[5]}<br/>" + tooltip_safe(f"{name}: ") + "{@[3]}"
    option["series"] = [{
        "type": "heatmap", "progressive": 0,
        "data": [[j, i, number(z[i, j]), tr.number(z[i, j], 2), ys[i], xs[j]]
                 for i in range(z.shape[0]) for j in range(z.shape[1])],
        "tooltip": {"formatter": hover}}]
    return EChart(option, 420)


def _actual_vs_model(df: pd.DataFrame, model_col: str, tr: Translator, title: str, y_name: str, kind: str,
                     digits: int) -> EChart:
    """Actual against the model by calibration frequency (x): grouped bars or two lines
    (the model's dashed)."""
    option = base_option(title, legend=True, top=80)
    option["grid"].update(bottom=30)
    option["xAxis"], option["yAxis"] = _axes(tr.t("clv.axis.repeat_purchases"), y_name)
    freq = [str(f) for f in df["frequency"]]
    option["xAxis"]["data"] = freq
    option["series"] = []
    for col, key, color in (("actual", "clv.actual", SERIES["revenue"]), (model_col, "clv.model", SERIES["active"])):
        name = tr.t(key)
        series = {"type": kind, "name": name, "itemStyle": {"color": color},
                  "data": [[f, number(v), tr.number(v, digits)] for f, v in zip(freq, df[col])],
                  "tooltip": {"formatter": tooltip_safe(name) + "<br/>{@[0]}: {@[2]}"}}
        if kind == "line":
            series.update(symbolSize=7, lineStyle={"color": color, "width": 3,
                                                   "type": "solid" if col == "actual" else "dashed"})
        option["series"].append(series)
    return EChart(option, 380)


def calibration_figure(cal: pd.DataFrame, tr: Translator) -> EChart:
    """Customers by number of repeat purchases in calibration: actual vs model."""
    return _actual_vs_model(cal, "expected", tr, tr.t("clv.calibration_title"), tr.t("chart.axis.customers"), "bar", 0)


def holdout_figure(by_frequency: pd.DataFrame, tr: Translator) -> EChart:
    """Mean purchases in the holdout by calibration frequency: actual vs predicted."""
    return _actual_vs_model(by_frequency, "predicted", tr, tr.t("clv.holdout_title"), tr.t("clv.axis.holdout_mean"),
                            "line", 2)
