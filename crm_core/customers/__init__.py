"""Target customers: who they are and which are worth most.

- ``base``: one row per customer as of a date (first / last purchase, recency, frequency,
  orders, revenue, profit, tenure) with the R/F/M scores; every page builds on this grain;
- ``rfm``: RFM scores and the named segments with their actions;
- ``pyramid``: the customer pyramid (value tiers) and upgrade potential;
- ``micro``: micro-segments (cuts by up to three dimensions) and comparisons;
- ``overview``: the headline KPIs, the monthly trend and the 80/20 (Pareto) curve;
- ``report``: segments, pyramid and 80/20 in one result (the CLI's ``segments``);
- ``sql/``: ``customer_base``, ``customer_attributes``, ``customer_categories``, ``overview_*``, ``pareto``.
"""
