"""Relationships: account managers' portfolios, service and complaints, campaigns against
their control groups, cross-selling, the customer-perceived value scorecard, CRM readiness.

- ``intervals``: 95% intervals (Wilson, Newcombe, Welch) shared by these pages;
- ``campaigns``: uplift, incremental revenue and ROI against held-out controls;
- ``sql/``: ``campaign_*`` and the other queries of this package.
"""
