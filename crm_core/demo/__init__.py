"""The deterministic demo database.

- ``generate``: ``generate(path, customers=..., seed=...)``, the whole database;
- ``people``: customers, managers, names in four languages;
- ``events``: transactions, churn, loyalty, service and campaign events.
"""
