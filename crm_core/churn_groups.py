"""Churn by group and over time: reasons per month, per region / channel / customer type or
RFM segment / value tier, and churn rates per group.

Segment and tier are the churned customer's standing at the period's *start* (a customer
base as of that date, the costly part, computed only when asked for), so a customer is
grouped by what they were before they left, not by what leaving made them.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from .churn import DIMENSIONS, REASONS, _customers, _in_period, _last_per_customer
from .errors import InvalidParameterError
from .filters import Filters
from .store import Store

__all__ = ["PROFILE_DIMENSIONS", "GROUP_DIMENSIONS", "reasons_over_time", "by_dimension", "profile_at",
           "with_profile", "rates_by_group"]

#: Groups from the customer's standing at the period's start (RFM segment, value tier).
PROFILE_DIMENSIONS: tuple[str, ...] = ("segment", "tier")
GROUP_DIMENSIONS: tuple[str, ...] = DIMENSIONS + PROFILE_DIMENSIONS


def reasons_over_time(events: pd.DataFrame, as_of: date, months: int = 24) -> pd.DataFrame:
    """Churned customers per month (rows) and reason (columns, every reason)."""
    start = (pd.Timestamp(as_of).to_period("M") - (months - 1)).start_time
    ev = events[(events["churn_date"] >= start) & (events["churn_date"] <= pd.Timestamp(as_of))]
    table = pd.crosstab(ev["churn_date"].dt.to_period("M").dt.start_time, ev["reason"])
    index = pd.date_range(start, periods=months, freq="MS")
    return table.reindex(index=index, columns=list(REASONS), fill_value=0).rename_axis("month")


def by_dimension(events: pd.DataFrame, start: date, end: date, dimension: str) -> pd.DataFrame:
    """Churned customers in (start, end] (each once, at their last churn there, as in
    :func:`reason_summary`) by ``dimension`` (region, channel, customer type, or segment /
    tier once :func:`with_profile` added them) and reason; missing values are their own row."""
    if dimension not in GROUP_DIMENSIONS or dimension not in events.columns:
        raise InvalidParameterError("unknown dimension", name="dimension", value=dimension)
    ev = _in_period(events, start, end, ["code", "churn_date", dimension, "reason"])
    ev = _last_per_customer(ev)   # as reason_summary
    table = pd.crosstab(ev[dimension].astype(object).fillna("—"), ev["reason"], dropna=False)
    table = table.reindex(columns=list(REASONS), fill_value=0)
    if isinstance(events[dimension].dtype, pd.CategoricalDtype) and dimension in PROFILE_DIMENSIONS:
        order = [c for c in events[dimension].cat.categories if c in table.index] + (["—"] if "—" in table.index else [])
        table = table.reindex(order)
    return table


def profile_at(store: Store, start: date, filters: Filters = Filters(), *, scores: bool = True) -> pd.DataFrame:
    """Every customer with their attributes and whether they had bought by ``start``; with
    ``scores``, also their RFM ``segment`` and value ``tier`` (revenue over the 365 days
    before) at that date (a customer base as of ``start``: the costly part)."""
    if not scores:
        cust = _customers(store, filters)
        first = pd.to_datetime(cust["first_purchase"])
        out = cust[["customer_id", *DIMENSIONS]].copy()
        out["bought"] = (first <= pd.Timestamp(start)).to_numpy()
        return out
    from .customers import customer_base
    from .pyramid import assign_tiers
    from .rfm import assign_segments

    base = customer_base(store, start, filters, period_days=365)
    out = base[["customer_id", *DIMENSIONS]].copy()
    out["bought"] = base["frequency"].to_numpy() > 0
    out["segment"] = assign_segments(base)
    out["tier"] = assign_tiers(base)
    return out


def with_profile(events: pd.DataFrame, profile: pd.DataFrame) -> pd.DataFrame:
    """The events with the churned customer's segment and tier at the period's start."""
    idx = pd.Index(profile["customer_id"].astype(str)).get_indexer(events["customer_id"].astype(str))
    out = events.copy()
    for col in PROFILE_DIMENSIONS:
        codes = np.where(idx >= 0, profile[col].cat.codes.to_numpy()[np.maximum(idx, 0)], -1)
        out[col] = pd.Categorical.from_codes(codes, profile[col].cat.categories)
    return out


def rates_by_group(events: pd.DataFrame, profile: pd.DataFrame, start: date, end: date, dimension: str) -> pd.DataFrame:
    """Churn rate of (start, end] per group: customers active at ``start`` (bought by then,
    not churned, or back since) in the group, and how many of them churned in the period."""
    if dimension not in GROUP_DIMENSIONS:
        raise InvalidParameterError("unknown dimension", name="dimension", value=dimension)
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    ev = events[["customer_id", "churn_date", "return_date"]]
    before = ev[ev["churn_date"] <= s].sort_values("churn_date", kind="stable").drop_duplicates("customer_id", keep="last")
    gone = set(before.loc[before["return_date"].isna() | (before["return_date"] > s), "customer_id"].astype(str))
    churned = set(ev.loc[(ev["churn_date"] > s) & (ev["churn_date"] <= e), "customer_id"].astype(str))
    ids = profile["customer_id"].astype(str)
    active = profile["bought"].to_numpy() & ~ids.isin(gone).to_numpy()
    left = active & ids.isin(churned).to_numpy()
    group = profile[dimension].astype(object).fillna("—").to_numpy()
    df = pd.DataFrame({"group": group[active], "churned": left[active]})
    out = df.groupby("group", sort=False).agg(active=("churned", "size"), churned=("churned", "sum")).reset_index()
    out["churn_rate"] = out["churned"] / out["active"]
    if isinstance(profile[dimension].dtype, pd.CategoricalDtype):
        order = {v: i for i, v in enumerate(profile[dimension].cat.categories)}
        out = out.assign(_o=out["group"].map(order).fillna(len(order))).sort_values("_o").drop(columns="_o")
    return out.reset_index(drop=True)
