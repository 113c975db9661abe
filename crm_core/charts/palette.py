"""One colour per segment, tier and churn reason, used the same way on every page.

Colours are chosen from a colour-blind-safe family (Okabe-Ito and Tableau hues) and
keyed by the *stable* code (``"price"``, ``"top"``), never by translated text.
"""

from __future__ import annotations

__all__ = ["BRAND", "FONT_STACK", "CHURN_REASON_COLORS", "TIER_COLORS", "SEGMENT_COLORS", "KIND_COLORS", "SERIES",
           "QUADRANT_COLORS", "STAGE_COLORS"]

BRAND = "#1f5aa6"
FONT_STACK = ("Inter, 'Noto Sans CJK KR', 'Noto Sans CJK SC', 'Noto Sans CJK TC', 'Malgun Gothic', "
              "'Microsoft YaHei', 'PingFang SC', 'Microsoft JhengHei', sans-serif")

CHURN_REASON_COLORS: dict[str, str] = {
    "price": "#E69F00", "product": "#56B4E9", "service": "#D55E00", "market": "#009E73",
    "technology": "#0072B2", "social": "#CC79A7", "other": "#999999", "unknown": "#666666",
}

TIER_COLORS: dict[str, str] = {
    "top": "#1f5aa6", "big": "#3d85c6", "medium": "#8fb8de", "small": "#cfe0f1",
    "inactive": "#b0b0b0", "prospect": "#e6e6e6",
}

SEGMENT_COLORS: dict[str, str] = {
    "champions": "#1a9850", "loyal": "#66bd63", "potential_loyalist": "#a6d96a", "new": "#4575b4",
    "promising": "#74add1", "need_attention": "#fee08b", "about_to_sleep": "#fdae61", "at_risk": "#f46d43",
    "cant_lose": "#d73027", "hibernating": "#a50026", "lost": "#7f7f7f",
}

KIND_COLORS: dict[str, str] = {"points": "#E69F00", "club": "#009E73", "vip": "#1f5aa6"}

#: Colours for generic series: current vs previous, revenue vs profit, members vs control.
SERIES: dict[str, str] = {"revenue": BRAND, "gross_profit": "#2ca02c", "active": "#E69F00", "previous": "#9aa5b1",
                          "reference": "#9aa5b1", "highlight": "#D55E00", "primary": BRAND, "muted": "#7f8c99",
                          "positive": "#1a9850", "negative": "#d73027"}

#: Profitability quadrants (both charts): good, promising, watch, poor.
QUADRANT_COLORS: dict[str, str] = {
    "most_profitable": "#1a9850", "costly_to_serve": "#E69F00", "profitable": "#56B4E9", "least_profitable": "#D55E00",
    "best": "#1a9850", "invest": "#56B4E9", "keep": "#E69F00", "worst": "#D55E00",
}

#: Lifecycle stages: grey before buying, blues and greens while buying, orange at risk,
#: dark red gone, purple back again.
STAGE_COLORS: dict[str, str] = {
    "not_known": "#d9d9d9", "prospect": "#bdbdbd", "new": "#56B4E9", "active": "#1f5aa6", "loyal": "#1a9850",
    "at_risk": "#E69F00", "churned": "#a50026", "won_back": "#CC79A7",
}
