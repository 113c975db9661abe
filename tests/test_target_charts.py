"""Target-customer and Overview charts as ECharts options, built from the demo database's real
aggregates: every figure the chart shows is the aggregate's, in the chosen language and
currency; options are plain JSON; customer-provided text never reaches a tooltip template."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd
import pytest

from crm_core.charts.overview import pareto_figure, trend_figure
from crm_core.charts.palette import SEGMENT_COLORS, TIER_COLORS
from crm_core.charts.targets import (
    micro_bar_figure,
    mix_figure,
    pyramid_figure,
    rf_heatmap,
    segment_treemap,
    what_if_figure,
)
from crm_core.customers import micro, overview, pyramid, rfm
from crm_core.i18n import Translator
from crm_core.store.connection import Store

KO = Translator("ko")


@pytest.fixture(scope="module")
def base(demo_db_master: Path) -> dict[str, Any]:
    store = Store(demo_db_master)
    as_of = overview.default_as_of(store)
    frame = micro.micro_frame(store, as_of)
    df = frame.customers
    return {"store": store, "as_of": as_of, "frame": frame, "df": df, "summary": rfm.segment_summary(df),
            "grid": rfm.rf_grid(df), "pyramid": pyramid.pyramid_summary(df)}


def strings(node: Any, key: str) -> Iterator[str]:
    """Every string value stored under ``key`` anywhere in an option."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and isinstance(v, str):
                yield v
            yield from strings(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v, key)


def plain_json(option: dict[str, Any]) -> dict[str, Any]:
    """The option survives strict JSON (no NumPy scalars, no NaN) unchanged."""
    return json.loads(json.dumps(option, allow_nan=False))


def test_treemap_sizes_names_and_colours_are_the_segment_table(base: dict[str, Any]) -> None:
    summary = base["summary"]
    chart = segment_treemap(summary, KO, "KRW", rate=1300.0, size_by="revenue")
    assert plain_json(chart.option) == chart.option
    data = chart.option["series"][0]["data"]
    shown = summary[summary["customers"] > 0]
    assert [d["name"] for d in data] == [KO.t(f"segment.{s}") for s in shown["segment"]]
    assert [d["value"][0] for d in data] == pytest.approx(list((shown["revenue"] * 1300).clip(lower=0)))
    assert [d["itemStyle"]["color"] for d in data] == [SEGMENT_COLORS[s] for s in shown["segment"]]
    assert [d["value"][3] for d in data] == [KO.money(v * 1300, "KRW", compact=True) for v in shown["revenue"]]
    assert chart.option["title"]["text"] == KO.t("chart.treemap.title_revenue")


def test_treemap_coloured_by_recency_has_a_legend_with_the_range(base: dict[str, Any]) -> None:
    summary = base["summary"]
    chart = segment_treemap(summary, KO, "KRW", color_by="recency")
    shown = summary[summary["customers"] > 0]
    legend = chart.option["visualMap"]
    assert legend["text"] == [KO.number(shown["recency_days"].max()), KO.number(shown["recency_days"].min())]
    colours = {d["itemStyle"]["color"] for d in chart.option["series"][0]["data"]}
    assert len(colours) > 1 and not colours & set(SEGMENT_COLORS.values())


def test_heatmap_cells_are_the_rf_grid(base: dict[str, Any]) -> None:
    grid = base["grid"]
    chart = rf_heatmap(grid, KO, "KRW")
    items = chart.option["series"][0]["data"]
    cells = [item["value"] for item in items]
    assert len(cells) == len(grid)
    assert sum(c[2] for c in cells) == int(base["summary"]["customers"].sum())
    top = max(c[2] for c in cells)      # the darkest cell gets white text, the lightest dark text
    colours = {c[2]: item["label"]["color"] for c, item in zip(cells, items)}
    assert colours[top] == "#ffffff" and colours[min(c[2] for c in cells)] == "#1b2733"
    by_cell = {(c[1], c[0]): c for c in cells}
    for row in grid.itertuples():
        cell = by_cell[(str(int(row.r_score)), str(int(row.f_score)))]
        assert cell[2] == row.customers and cell[4] == KO.t(f"segment.{row.segment}")
    assert chart.option["yAxis"]["data"] == ["1", "2", "3", "4", "5"]   # category axes run upwards: 5 on top
    revenue = rf_heatmap(grid, KO, "KRW", value="revenue")
    assert sum(c["value"][2] for c in revenue.option["series"][0]["data"]) == pytest.approx(grid["revenue"].sum())


def test_pyramid_bars_are_centred_and_sized_by_sqrt_customers(base: dict[str, Any]) -> None:
    pyr = base["pyramid"]
    chart = pyramid_figure(pyr, KO, "KRW")
    plain_json(chart.option)
    pad, bars = (s["data"] for s in chart.option["series"])
    width = chart.option["xAxis"]["max"]
    widths = np.sqrt(pyr["customers"].to_numpy(dtype=float))
    for p, b, w, tier in zip(pad, bars, widths, pyr["tier"]):
        assert b["value"][0] == pytest.approx(w)
        assert 2 * p["value"] + b["value"][0] == pytest.approx(width)    # centred
        assert b["itemStyle"]["color"] == TIER_COLORS[tier]
    left, right = chart.option["yAxis"]
    assert left["data"][0].startswith(KO.t("tier.top")) and left["inverse"] is right["inverse"] is True
    # The shares are the right axis's labels, tier by tier (laid out inside the chart, never cut off).
    assert right["position"] == "right" and len(right["data"]) == len(pyr)
    for label, (_, row) in zip(right["data"], pyr.iterrows()):
        assert KO.percent(row["revenue_share"]) in label and KO.percent(row["profit_share"]) in label
    assert chart.option["grid"]["containLabel"] is True


def test_what_if_bars_are_the_changes(base: dict[str, Any]) -> None:
    w = pyramid.what_if(base["df"], 10)
    chart = what_if_figure(w.by_tier, KO, "USD", rate=2.0)
    revenue, profit = chart.option["series"]
    assert [d[1] for d in revenue["data"]] == pytest.approx(list(w.by_tier["delta_revenue"] * 2))
    assert [d[1] for d in profit["data"]] == pytest.approx(list(w.by_tier["delta_profit"] * 2))
    assert revenue["name"] == KO.t("metric.revenue")


def test_micro_bar_keeps_customer_text_out_of_templates() -> None:
    """Region names come from uploaded files: they travel as data, never inside a template."""
    evil = '<img src=x onerror="alert(1)">{@[3]}'
    cells = pd.DataFrame({"region": [evil, "서울"], "revenue": [200.0, 100.0], "margin": [0.25, np.nan],
                          "customers": [3, 2]})
    chart = micro_bar_figure(cells, ["region"], KO, "KRW")
    option = plain_json(chart.option)
    assert option["yAxis"]["data"] == [evil, "서울"]
    assert [d[1] for d in option["series"][0]["data"]] == [evil, "서울"]
    for template in strings(option, "formatter"):
        assert "<img" not in template and "alert" not in template
    assert option["series"][0]["data"][1][2] == 0.0          # missing margin coloured as 0
    assert option["series"][0]["data"][0][5] == KO.percent(0.25)


def test_micro_bar_shows_at_most_the_top_cells(base: dict[str, Any]) -> None:
    cells = micro.cut(base["frame"], ["region", "tier"])
    chart = micro_bar_figure(cells, ["region", "tier"], KO, "KRW", top=5)
    data = chart.option["series"][0]["data"]
    assert len(data) == min(5, len(cells))
    assert [d[0] for d in data] == pytest.approx(list(cells["revenue"].head(5)))
    assert chart.height >= 320


def test_mix_bars_stack_to_100_percent(base: dict[str, Any]) -> None:
    df = base["df"]
    buyers = df[df["segment"].notna()]
    shares = {"A": buyers["segment"].value_counts(normalize=True).to_dict(), "B": {s: 1 / 11 for s in rfm.SEGMENTS}}
    shares = {g: {s: float(v.get(s, 0.0)) for s in rfm.SEGMENTS} for g, v in shares.items()}
    chart = mix_figure(shares, KO)
    series = chart.option["series"]
    assert [s["name"] for s in series] == [KO.t(f"segment.{s}") for s in rfm.SEGMENTS]
    for i in range(2):
        assert sum(s["data"][i][0] for s in series) == pytest.approx(100.0)


def test_trend_marks_the_month_in_progress(base: dict[str, Any]) -> None:
    df = overview.trend(base["store"], base["as_of"])
    df = df.assign(partial=[False] * (len(df) - 1) + [True])
    chart = trend_figure(df, KO, "KRW")
    bars, line = chart.option["series"]
    assert len(bars["data"]) == len(df) and bars["data"][-1]["itemStyle"]["opacity"] < 1
    assert bars["data"][-1]["label"]["formatter"] == KO.t("chart.trend.partial")
    assert [d[1] for d in line["data"]] == list(df["active_customers"].astype(float))
    assert chart.option["xAxis"]["data"][0] == KO.month(df["month"].iloc[0].date())


def test_pareto_curve_runs_from_origin_to_the_whole_and_marks_80_20(base: dict[str, Any]) -> None:
    res = overview.pareto(base["store"], base["as_of"])
    chart = pareto_figure(res, KO)
    curve = chart.option["series"][0]["data"]
    assert curve[0][:2] == [0.0, 0.0] and curve[-1][0] == pytest.approx(100.0) and curve[-1][1] == pytest.approx(100.0)
    assert all(a[0] <= b[0] for a, b in zip(curve, curve[1:]))
    names = [s["name"] for s in chart.option["series"]]
    assert KO.t("chart.pareto.mark80", share=KO.percent(res.customer_share_for_80pct)) in names
    top20 = chart.option["series"][-1]["data"][0]
    assert top20[0] == 20 and math.isclose(top20[1], res.top20_share * 100)


def test_pareto_profit_over_100_percent_is_drawn_not_clipped() -> None:
    """When the tail loses money the top customers make more than all profit: the axis shows it."""
    res = overview.pareto_from_values(np.array([100.0, 50.0, -60.0, -40.0]), "gross_profit")
    chart = pareto_figure(res, KO)
    assert max(d[1] for d in chart.option["series"][0]["data"]) == pytest.approx(300.0)
    assert "max" not in chart.option["yAxis"]


def test_treemap_tiles_show_whole_labels_or_none(base: dict[str, Any]) -> None:
    """A tile shows its name, customers and revenue when they fit, its name alone when only
    that fits, else nothing (the tooltip tells): never text cut to "Ne" or "Promi…"."""
    from crm_core.charts.targets import _text_px, _tile_label

    assert _tile_label(0.5, ["Champions", "1,234 · 12.0%", "$1.20M"])["formatter"].count("\n") == 2
    assert _tile_label(0.004, ["Need attention", "352 · 1.0%", "$31.8K"]) == {"show": True, "formatter": "{b}"} \
        or _tile_label(0.004, ["Need attention", "352 · 1.0%", "$31.8K"]) == {"show": False}
    assert _tile_label(0.0001, ["New", "35 · 0.1%", "$3.10K"]) == {"show": False}
    assert _text_px("가나다") == 36 and _text_px("abc") == pytest.approx(21.6)
    chart = segment_treemap(base["summary"], KO, "KRW")
    for item in chart.option["series"][0]["data"]:
        assert "label" in item and item["label"]["show"] in (True, False)
    assert chart.option["series"][0]["label"]["overflow"] == "none"


@pytest.mark.parametrize("lang", ["en", "ko", "zh_Hans"])
def test_mix_legend_shows_every_segment_on_wrapped_lines(lang: str) -> None:
    """Issue 21 item 8: no "Hiberna… 1/2" paging: a plain legend with room below the bars for
    as many lines as the names need in that language."""
    tr = Translator(lang)
    shares = {"A": {s: 1 / 11 for s in rfm.SEGMENTS}}
    chart = mix_figure(shares, tr)
    legend = chart.option["legend"]
    assert legend["type"] == "plain"
    width = sum(25 + 10 + sum(12 if ord(c) >= 0x2E80 else 7.2 for c in tr.t(f"segment.{s}")) for s in rfm.SEGMENTS)
    lines = math.ceil(width / 640)
    assert chart.option["grid"]["bottom"] >= 46 + 24 * lines - 24   # room for (almost) every wrapped line


def test_micro_bar_leaves_room_for_the_last_axis_label(base: dict[str, Any]) -> None:
    """Issue 21 item 8: the value axis' last label ("1,400,000") is not cut at the right edge."""
    cells = micro.cut(base["frame"], ["region"])
    chart = micro_bar_figure(cells, ["region"], Translator("en"), "USD")
    assert chart.option["grid"]["right"] >= 40
