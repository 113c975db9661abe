"""The customer over time: lifecycle stages, cohorts, the funnel, one customer on one screen.

- ``lifecycle``: each customer's stage at any date (prospect, new, active, loyal, at risk,
  churned, won back; churn as on the Churn page), stage sizes month by month, the moves
  between two dates (the Sankey) and the customers behind each move;
- ``cohorts``: customers by first-purchase month / quarter or by channel, region, first
  category, and their retention and revenue in the periods after;
- ``sql/``: ``lifecycle_state`` (the state of every customer at many dates in one scan), ``cohort_*``.
"""
