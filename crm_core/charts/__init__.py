"""Chart builders: a DataFrame (or a small result) in, a chart out; never the store.

- ``palette``: colours and fonts; ``echarts``: shared ECharts option pieces and the
  :class:`~crm_core.charts.echarts.EChart` type; ``plotly_base``: the plotly layout;
- ``overview``, ``targets``, ``clv``, ``churn``, ``loyalty``: ECharts options per page;
- ``quadrants``: the quadrant scatter (plotly, WebGL, box/lasso selection).
"""
