"""Loyalty programs: do they pay?

- ``panel``: customer-month panel of spend, profit, purchase days (array lookups);
- ``matching``: propensity model and nearest-neighbour matching;
- ``estimate``: the matched difference-in-differences estimator per program;
- ``roi``: incremental profit, fees, costs, ROI, payback and the what-if;
- ``report``: every program's figures for the page and the CLI's ``loyalty``;
- ``sql/``: ``loyalty_*``.
"""
