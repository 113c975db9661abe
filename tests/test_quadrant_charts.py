"""The quadrant scatter as an ECharts option: every customer drawn once (or, above the point
limit, counted in a density grid that sits exactly on the axes), tick labels from the
translator, customer text only in data, and the brushed regions read back into the list."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_core.charts import quadrants as qc
from crm_core.i18n import translator
from crm_core.value import quadrants

EVIL = '<img src=x onerror="alert(1)">{a}'


def frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cost = np.round(rng.lognormal(2, 1.2, n) * (rng.random(n) > 0.1), 2)
    profit = np.round(rng.normal(50, 400, n), 2)
    ids = [f"C{i:07d}" for i in range(n)]
    ids[0] = EVIL
    return pd.DataFrame({"customer_id": ids, "cost_to_serve": cost, "gross_profit": profit,
                         "net_profit": profit - cost, "clv": np.round(rng.lognormal(4, 1, n), 2)})


def build(df: pd.DataFrame, chart: str = "a", log: bool = True, lang: str = "en", rate: float = 1.0):
    quadrant, xs, ys = quadrants.classify(df, chart, quadrants.Split(), quadrants.Split())  # type: ignore[arg-type]
    return qc.quadrant_chart(df, quadrant, chart, xs, ys, translator(lang), "USD", rate, log=log), quadrant, xs, ys


def scatter(option: dict) -> list[tuple[dict, pd.DataFrame]]:
    return [(s, option["dataset"][s["datasetIndex"]]["source"]) for s in option["series"]
            if s["type"] == "scatter" and "datasetIndex" in s]


@pytest.mark.parametrize("log", [True, False])
@pytest.mark.parametrize("chart", ["a", "b"])
def test_every_customer_is_drawn_once_in_its_quadrant(chart: str, log: bool) -> None:
    df = frame(3_000)
    spec, quadrant, _, _ = build(df, chart, log)
    assert spec.renderer == "canvas" and spec.height == 560
    xcol, ycol = quadrants.AXES[chart]
    names = quadrants.QUADRANTS_A if chart == "a" else quadrants.QUADRANTS_B
    drawn = scatter(spec.option)
    assert [s["name"] for s, _ in drawn] == [translator("en").t(f"quad.{n}") for n in names]
    ids = pd.concat([src["id"] for _, src in drawn])
    assert sorted(ids) == sorted(df["customer_id"])                   # each once
    scale = quadrants.slog if log else (lambda v: np.asarray(v, float))
    for (series, src), name in zip(drawn, names):
        members = df[(quadrant == name).to_numpy()].set_index("customer_id").loc[src["id"]]
        np.testing.assert_allclose(src["x"], scale(members[xcol]), rtol=1e-12)
        np.testing.assert_allclose(src["y"], scale(members[ycol]), rtol=1e-12)
        assert list(src["x_amount"]) == translator("en").money_many(members[xcol].to_numpy(), "USD")
    x, y = spec.option["xAxis"][0], spec.option["yAxis"][0]
    all_x = pd.concat([src["x"] for _, src in drawn])
    all_y = pd.concat([src["y"] for _, src in drawn])
    assert x["min"] < all_x.min() and all_x.max() < x["max"] and y["min"] < all_y.min() and all_y.max() < y["max"]
    # The corner names' bands (top and bottom ~30 px of the 396 px plot) hold no customer.
    band = (y["max"] - y["min"]) * 30 / 396
    assert y["min"] + band < all_y.min() and all_y.max() < y["max"] - band
    assert "visualMap" not in spec.option and all(s["type"] != "heatmap" for s in spec.option["series"])


def test_many_customers_become_a_density_grid_on_the_axes_and_a_sample() -> None:
    df = frame(qc.MAX_POINTS + 7_001, seed=3)
    spec, _, _, _ = build(df)
    option = spec.option
    heat = next(s for s in option["series"] if s["type"] == "heatmap")
    bands = option["xAxis"][1]["data"]
    assert len(bands) == len(option["yAxis"][1]["data"]) == qc.DENSITY_BINS
    assert not option["xAxis"][1]["show"] and heat["xAxisIndex"] == heat["yAxisIndex"] == 1
    # Cell (i, j) counts the customers in the i-th / j-th equal slice of the value axes' range.
    counts = np.zeros((qc.DENSITY_BINS, qc.DENSITY_BINS))
    for i, j, shade in heat["data"]:
        counts[j, i] = round(10 ** shade)
    (x0, x1), (y0, y1) = ((a["min"], a["max"]) for a in (option["xAxis"][0], option["yAxis"][0]))
    px, py = quadrants.slog(df["cost_to_serve"]), quadrants.slog(df["gross_profit"])
    expected, _, _ = np.histogram2d(py, px, bins=qc.DENSITY_BINS, range=[[y0, y1], [x0, x1]])
    np.testing.assert_array_equal(counts, expected)
    assert counts.sum() == len(df)
    drawn = sum(len(src) for _, src in scatter(option))
    assert qc.SAMPLE_POINTS * 0.9 <= drawn <= qc.SAMPLE_POINTS
    assert option["visualMap"]["seriesIndex"] == 0 and option["visualMap"]["max"] >= 1


def test_tick_labels_are_the_translators() -> None:
    tr = translator("ko")
    ticks = qc.axis_ticks(float(quadrants.slog(-150)), float(quadrants.slog(25_000)), True, tr)
    assert [label for _, label in ticks] == [tr.compact(v) for v in (-100, -10, -1, 0, 1, 10, 100, 1000, 10_000)]
    assert "1만" in [label for _, label in ticks]
    linear = qc.axis_ticks(-130.0, 1_020.0, False, translator("en"))
    assert linear == [(0.0, "0"), (200.0, "200"), (400.0, "400"), (600.0, "600"), (800.0, "800"), (1000.0, "1,000")]


@given(st.floats(-1e9, 1e9), st.floats(1e-3, 1e9))
@settings(max_examples=200, deadline=None)
def test_linear_ticks_are_round_and_inside(lo: float, width: float) -> None:
    ticks = qc.axis_ticks(lo, lo + width, False, translator("en"))
    values = [v for v, _ in ticks]
    assert 1 <= len(values) <= 13
    assert all(lo - 1e-9 * width <= v <= lo + width + 1e-9 * width for v in values)


def test_customer_text_is_data_never_markup() -> None:
    spec, _, _, _ = build(frame(500), lang="zh_Hant")
    option = spec.option
    for series, src in scatter(option):
        template = series["tooltip"]["formatter"]
        assert "{@[2]}" in template and "<img" not in template and "alert" not in template
        assert translator("zh_Hant").t("quad.axis.cost_to_serve", currency="USD") + ": {@[3]}" in template
    ids = pd.concat([src["id"] for _, src in scatter(option)])
    assert EVIL in set(ids)
    text = json.dumps({k: v for k, v in option.items() if k != "dataset"}, ensure_ascii=False)
    assert "onerror" not in text and "C0000001" not in text
    names = {g["style"]["text"] for g in option["graphic"]}
    assert names == {translator("zh_Hant").t(f"quad.{q}") for q in quadrants.QUADRANTS_A}
    tools = option["toolbox"]["feature"]["brush"]["title"]
    assert tools == {"rect": translator("zh_Hant").t("quad.tool.box"),
                     "polygon": translator("zh_Hant").t("quad.tool.lasso"),
                     "clear": translator("zh_Hant").t("quad.tool.clear")}
    assert option["brush"]["xAxisIndex"] == option["brush"]["yAxisIndex"] == 0


def test_split_lines_and_ticks_are_mark_lines_outside_the_customers() -> None:
    spec, _, xs, ys = build(frame(800), log=True)
    marks = next(s for s in spec.option["series"] if "markLine" in s)
    assert marks["data"] == [] and marks["silent"] and not marks["clip"]
    dashed = [d for d in marks["markLine"]["data"] if d["lineStyle"]["type"] == "dashed"]
    assert dashed == [{"xAxis": pytest.approx(float(quadrants.slog(xs))), "lineStyle": dashed[0]["lineStyle"],
                       "label": {"show": False}},
                      {"yAxis": pytest.approx(float(quadrants.slog(ys))), "lineStyle": dashed[1]["lineStyle"],
                       "label": {"show": False}}]


def test_an_empty_frame_draws_an_empty_chart() -> None:
    df = frame(10).iloc[0:0]
    spec, _, _, _ = build(df)
    assert all(len(src) == 0 for _, src in scatter(spec.option))


def test_brushed_regions_read_rects_and_polygons_and_skip_the_rest() -> None:
    selection = {"selected": [], "areas": [
        {"brush_index": 0, "brush_type": "rect", "coord_range": [[1.0, 2.0], [0.5, -0.5]]},
        {"brush_index": 0, "brush_type": "polygon", "coord_range": [[0, 0], [1, 0], [0, 1]]},
        {"brush_index": 0, "brush_type": "lineX", "coord_range": [0, 1]},
        {"brush_index": 0, "brush_type": "rect", "coord_range": [[0, None], [0, 1]]},
        {"brush_index": 0, "brush_type": "rect", "coord_range": "0,1"},
        {"brush_index": 0, "brush_type": "polygon", "coord_range": [[0, 0], [1, 1]]},
        {"brush_index": 0, "brush_type": "rect"},
        "not an area"]}
    boxes, lassos = quadrants.brushed_regions(selection)
    assert boxes == [{"x": [1.0, 2.0], "y": [0.5, -0.5]}]
    assert lassos == [{"x": [0.0, 1.0, 0.0], "y": [0.0, 0.0, 1.0]}]
    assert quadrants.brushed_regions(None) == ([], []) == quadrants.brushed_regions({"areas": None})


def test_a_lasso_on_log_axes_has_straight_edges_where_it_was_drawn() -> None:
    """A triangle drawn on the signed-log chart: membership is decided where it was drawn, so
    a customer under the drawn hypotenuse is in, whatever the same corners enclose as amounts."""
    df = pd.DataFrame({"customer_id": ["in", "out"], "cost_to_serve": [10.0, 10.0],
                       "gross_profit": [100.0, 5_000.0], "net_profit": [0.0, 0.0], "clv": [0.0, 0.0]})
    corners = {"x": [0.0, 5.0, 0.0], "y": [5.0, 0.0, 0.0]}     # 0..~50,000 on both axes, lower-left half
    # On the chart: slog(10) + slog(100) = 3.6 is under the hypotenuse x + y = 5, 1.3 + 4.0 is not.
    assert list(quadrants.select_region(df, "a", lassos=[corners], log=True)) == [True, False]
    # The same corners taken back to amounts enclose both (10 + 5,000 < 50,000): the old reading.
    as_amounts = {k: list(quadrants.slog_inverse(v)) for k, v in corners.items()}
    assert list(quadrants.select_region(df, "a", lassos=[as_amounts])) == [True, True]


def test_boxes_select_the_same_customers_in_any_currency_and_scale() -> None:
    df = frame(2_000, seed=5)
    box = {"x": [0.0, 40.0], "y": [-20.0, 300.0]}
    plain = quadrants.select_region(df, "a", boxes=[box])
    won = quadrants.select_region(df, "a", boxes=[{k: [v * 1400 for v in vs] for k, vs in box.items()}], rate=1400)
    logged = quadrants.select_region(df, "a", boxes=[{k: list(quadrants.slog(vs)) for k, vs in box.items()}],
                                     log=True)
    assert 0 < plain.sum() < len(df)
    np.testing.assert_array_equal(plain, won)
    np.testing.assert_array_equal(plain, logged)
