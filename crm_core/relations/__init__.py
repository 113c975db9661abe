"""Relationships: account managers' portfolios, service and complaints, campaigns against
their control groups, cross-selling, the customer-perceived value scorecard, CRM readiness.

- ``managers``: each manager's portfolio over a period, ranked against revenue targets;
- ``service``: case volumes, response and resolution times, what customers do after a
  complaint by how fast it was handled;
- ``campaigns``: uplift, incremental revenue and ROI against held-out controls, with verdicts;
- ``affinity``: category rules in baskets and histories, the next category per segment, the
  cross-sell lists; ``upgrade``: regular buyers of a category's cheaper range;
- ``scorecards``: V = U + B + R - C - T per segment, and CRM readiness from the data;
- ``intervals``: the 95% intervals these share (Wilson, Newcombe, pooled-variance);
- ``sql/``: ``campaign_*``, ``service_cases``, ``manager_*``, ``affinity_*``, ``upgrade_levels``,
  ``scorecard_customers``, ``readiness_counts``.
"""
