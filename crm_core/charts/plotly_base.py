"""The shared layout of the plotly chart builders (CLV, quadrants, churn, loyalty pages).

Every chart is titled and labelled in the chosen language; colours come from
:mod:`crm_core.charts.palette`. No chart ships more than a few hundred points. The first-screen
charts of the Overview and target-customer pages are ECharts options instead
(:mod:`crm_core.charts.echarts`, :mod:`crm_core.charts.overview`, :mod:`crm_core.charts.targets`).
"""

from __future__ import annotations

import plotly.graph_objects as go

from crm_core.charts.palette import FONT_STACK

__all__ = ["base_layout"]


def base_layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        font={"family": FONT_STACK, "size": 13}, height=height, margin={"l": 10, "r": 10, "t": 60, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        hoverlabel={"font": {"family": FONT_STACK}}, template="plotly_white",
    )
    return fig
