"""Lifetime value and profitability.

- ``mle``: shared maximum-likelihood helpers (log-space, grouped rows, L-BFGS-B);
- ``bgnbd``: the BG/NBD purchase model (fit, P(alive), expected purchases);
- ``gamma_gamma``: the Gamma-Gamma spend model;
- ``clv``: the CLV model on the store's data (summary statistics, fit, scoring, holdout);
- ``costs``: cost to serve per customer (orders, returns, service contacts, loyalty);
- ``quadrants``: profit vs cost to serve, profit now vs lifetime value;
- ``sql/``: ``clv_summary``, ``cost_to_serve``, ``window_activity``.
"""
