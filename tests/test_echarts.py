"""ECharts option helpers: JSON-safe numbers, colour scales, text made safe for tooltip templates."""

from __future__ import annotations

import numpy as np

from crm_core.charts.echarts import BLUES, base_option, interpolate, number, numbers, tooltip_safe


def test_numbers_are_plain_floats_and_missing_values_are_null() -> None:
    assert number(np.int64(3)) == 3.0 and type(number(np.int64(3))) is float
    assert numbers([np.float32(1.5), float("nan"), float("inf"), None, -0.25]) == [1.5, None, None, None, -0.25]


def test_interpolate_maps_the_range_onto_the_stops() -> None:
    assert interpolate([0, 10], BLUES) == [BLUES[0], BLUES[-1]]
    # the middle of a four-stop scale lies halfway between stops 1 and 2
    mid = interpolate([0, 5, 10], BLUES)[1]
    lo, hi = (np.array([int(s[i:i + 2], 16) for i in (1, 3, 5)]) for s in (BLUES[1], BLUES[2]))
    assert mid == "#" + "".join(f"{int(round(c)):02x}" for c in (lo + hi) / 2)
    # equal values, missing values and values outside a given range
    assert interpolate([4, 4], BLUES) == [BLUES[0], BLUES[0]]
    assert interpolate([None, 1.0], BLUES) == [BLUES[0], BLUES[0]]
    assert interpolate([-5, 50], BLUES, lo=0, hi=10) == [BLUES[0], BLUES[-1]]


def test_tooltip_safe_leaves_no_markup_and_no_template_syntax() -> None:
    text = tooltip_safe("<img src=x onerror=alert(1)> {b} & {@[0]}")
    assert "<" not in text and ">" not in text and "{" not in text and "}" not in text
    assert text.startswith("&lt;img") and "&amp;" in text


def test_base_option_has_title_font_and_no_animation() -> None:
    opt = base_option("고객 피라미드", subtitle="부제", legend=True)
    assert opt["title"]["text"] == "고객 피라미드" and opt["title"]["subtext"] == "부제"
    assert opt["animation"] is False and "legend" in opt
    assert "Noto Sans CJK KR" in opt["textStyle"]["fontFamily"]
