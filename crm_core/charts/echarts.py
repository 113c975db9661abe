"""Shared pieces of ECharts options (``st.echarts_chart``): title, grid, tooltip, colour scales.

Every chart of the app is an ECharts option, a plain JSON-ready dict (or a DataFrame in a
``dataset``, which Streamlit sends as Arrow): Streamlit's ECharts bundle loads in a fraction
of the time of its plotly bundle (measured in bench/browser.py: the quadrant page drew in
3.15 s with plotly at 5M customers and 2.17 s with ECharts), which is what lets the pages
draw within their render budget. Everything here is plain data, so the builders are tested
as dicts.

Safety: ECharts draws labels, axis names and titles as text; only tooltip *templates* are
HTML. Builders therefore put every piece of data (customer-provided names included) in
series data and refer to it from tooltip templates through ``{b}`` / ``{@[i]}``
placeholders, whose values Streamlit inserts escaped; no template contains data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Iterable, Literal

import numpy as np

from crm_core.charts.palette import FONT_STACK

__all__ = ["BLUES", "ORANGES", "RED_YELLOW_GREEN", "EChart", "base_option", "interpolate", "number", "numbers",
           "tooltip_safe", "text_px", "wrap_label", "wrapped_legend"]

#: Sequential scales (light -> dark) and a diverging one (low -> high), as hex stops.
BLUES = ["#deebf7", "#9ecae1", "#4292c6", "#08519c"]
ORANGES = ["#fee6ce", "#fdae6b", "#f16913", "#a63603"]
RED_YELLOW_GREEN = ["#d73027", "#fc8d59", "#fee08b", "#d9ef8b", "#91cf60", "#1a9850"]


@dataclass(frozen=True)
class EChart:
    """An ECharts option, the height (px) to draw it at (ECharts options carry no size) and
    the renderer: SVG keeps text as text; a canvas draws thousands of points quickly."""

    option: dict[str, Any]
    height: int = 380
    renderer: Literal["svg", "canvas"] = "svg"


def number(value: Any) -> float | None:
    """A JSON-safe float: NumPy scalars become floats, NaN and infinities become None."""
    if value is None:
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def numbers(values: Iterable[Any]) -> list[float | None]:
    return [number(v) for v in values]


def tooltip_safe(text: str) -> str:
    """Translated text placed in a tooltip template: ``<``, ``>`` and ``&`` escaped, and braces
    (template syntax) replaced by their full-width forms, so the text can only be text."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("{", "\uff5b").replace("}", "\uff5d"))


def base_option(title: str, *, subtitle: str = "", legend: bool = False, top: int = 60,
                title_width: int | None = None) -> dict[str, Any]:
    """Title at the top left, the app's font stack, a grid that leaves room for axis names.
    ``title_width`` (px): the title (and subtitle) wrap at that width, for half-width charts
    with long titles (leave room for the extra line in ``top``)."""
    wrap = {"width": title_width, "overflow": "break"} if title_width else {}
    option: dict[str, Any] = {
        "title": {"text": title, "left": 0, "textStyle": {"fontSize": 16, "fontFamily": FONT_STACK, **wrap}},
        "textStyle": {"fontFamily": FONT_STACK},
        "grid": {"left": 10, "right": 20, "top": top, "bottom": 10, "containLabel": True},
        "tooltip": {"trigger": "item", "confine": True},
        "animation": False,
    }
    if subtitle:
        option["title"]["subtext"] = subtitle
        if wrap:
            option["title"]["subtextStyle"] = dict(wrap)
    if legend:
        option["legend"] = {"top": 28, "right": 0, "type": "scroll"}
    return option


def interpolate(values: Iterable[Any], stops: list[str], lo: float | None = None,
                hi: float | None = None) -> list[str]:
    """Colours for values on a scale between ``lo`` and ``hi`` (default: the values' range);
    missing values take the first stop."""
    arr = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    finite = arr[np.isfinite(arr)]
    lo = float(finite.min()) if lo is None and finite.size else (lo if lo is not None else 0.0)
    hi = float(finite.max()) if hi is None and finite.size else (hi if hi is not None else 1.0)
    rgb = np.array([[int(s[i:i + 2], 16) for i in (1, 3, 5)] for s in stops], dtype=np.float64)
    out = []
    for v in arr:
        pos = 0.0 if not np.isfinite(v) or hi <= lo else min(max((v - lo) / (hi - lo), 0.0), 1.0)
        x = pos * (len(stops) - 1)
        i = min(int(x), len(stops) - 2)
        c = rgb[i] + (rgb[i + 1] - rgb[i]) * (x - i)
        out.append("#" + "".join(f"{int(round(ch)):02x}" for ch in c))
    return out


def text_px(text: str, size: float = 12.0) -> float:
    """Rough width of ``text`` in pixels: CJK characters are square, Latin ones about 0.6 em."""
    return sum(size if ord(ch) >= 0x2E80 else 0.6 * size for ch in text)


def wrap_label(text: str, width_px: float, size: float = 12.0) -> str:
    """``text`` in lines of at most ``width_px`` where it can break between words: at spaces,
    after ``·`` and ``/``, before ``(``. A word wider than the line stays whole (ECharts'
    own breaking cuts Korean and Chinese anywhere: "사회·정치 / 적", "알 수 없음( / 비활동)")."""
    tokens = [t for t in re.split(r"(?<=[ ·/])|(?=[(（])", text) if t]
    lines: list[str] = []
    for token in tokens:
        if lines and text_px(lines[-1] + token, size) <= width_px:
            lines[-1] += token
        else:
            lines.append(token)
    return "\n".join(line.strip() for line in lines)


def wrapped_legend(names: Iterable[str], width_px: float = 640.0, size: float = 12.0) -> tuple[dict[str, Any], int]:
    """A legend at the bottom that shows every name, wrapping onto as many lines as it needs
    (a scrolling legend hides names behind "1/2"), and the height in px those lines take
    (``width_px``: a conservative guess at the chart's width; ECharts wraps at the real one)."""
    lines, used = 1, 0.0
    for name in names:
        w = 25 + text_px(name, size) + 10     # symbol, text, gap
        if used and used + w > width_px:
            lines, used = lines + 1, 0.0
        used += w
    return {"bottom": 0, "left": 0, "type": "plain", "itemGap": 10}, 24 * lines
