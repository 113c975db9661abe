"""The per-customer layer: one row per customer as of a date. Every page builds on it."""

from __future__ import annotations

from datetime import date

import pandas as pd

from .errors import InvalidParameterError
from .filters import Filters
from .store import Store

__all__ = ["customer_base", "CUSTOMER_BASE_COLUMNS", "filter_options"]

CUSTOMER_BASE_COLUMNS: tuple[str, ...] = (
    "customer_id", "region", "channel", "customer_type", "signup_date", "account_manager",
    "first_purchase", "last_purchase", "frequency", "orders", "revenue", "gross_profit", "returns",
    "recency_days", "tenure_days", "average_order_value", "r_score", "f_score", "m_score",
)


def customer_base(store: Store, as_of: date, filters: Filters = Filters(), *, bins: int = 5) -> pd.DataFrame:
    """One row per customer known by ``as_of``: recency, frequency, monetary, dates, scores.

    Scores run 1..``bins`` (higher is better) by rank among customers who bought;
    ties are broken by ``customer_id`` so results are reproducible. Customers who
    never bought have null scores.
    """
    if bins not in (3, 4, 5):
        raise InvalidParameterError("bins must be 3, 4 or 5", name="bins", value=bins)
    df = store.query("customer_base", {"as_of": as_of, "bins": bins, **filters.params()}, filtered=filters.active)
    return df[list(CUSTOMER_BASE_COLUMNS)]


def filter_options(store: Store) -> dict[str, list[str]]:
    """Distinct values for each global filter, for the sidebar."""
    rows = store.rows("""SELECT 'regions', list(DISTINCT region ORDER BY region) FROM stg_customers
                         UNION ALL SELECT 'channels', list(DISTINCT channel ORDER BY channel) FROM stg_customers
                         UNION ALL SELECT 'customer_types', list(DISTINCT customer_type ORDER BY customer_type)
                         FROM stg_customers""")
    return {k: list(v or []) for k, v in rows}
