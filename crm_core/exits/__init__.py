"""Exit management: who leaves, when, why, and what it costs.

- ``churn``: churns (explicit events and inactivity lapses), rates, reasons, lost profit,
  retention break-even, complaints (the Churn page and the CLI's ``churn``);
- ``history``: every churn as arrays, for active bases and rates at any date;
- ``alive``: the probability-alive churn rule (BG/NBD);
- ``lost_value``: profit lost valued by each churned customer's CLV;
- ``groups``: churn by region / channel / customer type and by segment;
- ``risk``: customers at risk, ranked by value at risk, with their signals;
- ``sql/``: ``churn_*``, ``risk_signals``.
"""
