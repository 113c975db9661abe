"""Chart builders: a DataFrame (or a small result) in, a chart out; never the store.

- ``palette``: colours and fonts; ``echarts``: shared ECharts option pieces and the
  :class:`~crm_core.charts.echarts.EChart` type;
- ``overview``, ``targets``, ``clv``, ``quadrants``, ``churn``, ``loyalty``, ``journey``,
  ``relations``: ECharts options per page (the quadrant scatter on a canvas, with box and
  lasso selection).
"""
