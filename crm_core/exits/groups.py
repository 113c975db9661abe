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

from crm_core.errors import InvalidParameterError
from crm_core.exits.events import DIMENSIONS, _customers, _in_period, _last_per_customer
from crm_core.exits.history import REASONS, ChurnHistory, day_number
from crm_core.filters import Filters
from crm_core.store.connection import Store

__all__ = ["PROFILE_DIMENSIONS", "GROUP_DIMENSIONS", "by_dimension", "profile_at",
           "with_profile", "rates_by_group"]

#: Groups from the customer's standing at the period's start (RFM segment, value tier).
PROFILE_DIMENSIONS: tuple[str, ...] = ("segment", "tier")
GROUP_DIMENSIONS: tuple[str, ...] = DIMENSIONS + PROFILE_DIMENSIONS


def by_dimension(events: pd.DataFrame, start: date, end: date, dimension: str) -> pd.DataFrame:
    """Churned customers in (start, end] (each once, at their last churn there, as in
    :func:`reason_summary`) by ``dimension`` (region, channel, customer type, or segment /
    tier once :func:`with_profile` added them) and reason; missing values are their own row
    ("—", last). Groups are in the dimension's category order (first seen when not categorical)."""
    if dimension not in GROUP_DIMENSIONS or dimension not in events.columns:
        raise InvalidParameterError("unknown dimension", name="dimension", value=dimension)
    ev = _last_per_customer(_in_period(events, start, end, ["code", "churn_date", dimension, "reason"]))
    values = ev[dimension]
    if isinstance(values.dtype, pd.CategoricalDtype):
        group, labels = values.cat.codes.to_numpy().astype(np.int64), list(values.cat.categories)
    else:
        group, uniques = pd.factorize(values.astype(object), sort=False)
        labels = list(uniques)
    group = np.where(group < 0, len(labels), group)
    labels.append("—")
    reason = pd.Categorical(ev["reason"], categories=list(REASONS)).codes.astype(np.int64)
    known = reason >= 0
    counts = np.bincount(group[known] * len(REASONS) + reason[known],
                         minlength=len(labels) * len(REASONS)).reshape(len(labels), len(REASONS))
    shown = np.flatnonzero(np.bincount(group, minlength=len(labels)) > 0)
    return pd.DataFrame(counts[shown], index=pd.Index([labels[i] for i in shown], dtype=object, name=dimension),
                        columns=pd.Index(list(REASONS), name="reason"))


def profile_at(store: Store, start: date, filters: Filters = Filters(), *, scores: bool = True,
               customers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every customer with their attributes and whether they had bought by ``start``; with
    ``scores``, also their RFM ``segment`` and value ``tier`` (revenue over the 365 days
    before) at that date (a customer base as of ``start``: the costly part). Without
    ``scores``, ``customers`` (``ChurnData.customers`` of the same filters) saves the query."""
    if not scores:
        cust = _customers(store, filters) if customers is None else customers
        first = pd.to_datetime(cust["first_purchase"])
        out = cust[["customer_id", *DIMENSIONS]].copy()
        out["bought"] = (first <= pd.Timestamp(start)).to_numpy()
        out["code"] = np.arange(len(out))     # rows in customer_key order: the churn history's codes
        return out
    from crm_core.customers.base import customer_base
    from crm_core.customers.pyramid import assign_tiers
    from crm_core.customers.rfm import assign_segments

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


def _codes_of(history: ChurnHistory, profile: pd.DataFrame) -> np.ndarray:
    """The history's customer code of each profile row (-1: unknown there). The light
    profile (same filters) carries them; others are looked up by customer id."""
    if "code" in profile.columns:
        return profile["code"].to_numpy(np.int64)
    ids = history.customer_ids
    prof = profile["customer_id"].to_numpy()
    if len(ids) == len(prof) and bool((ids.to_numpy() == prof).all()):
        return np.arange(len(prof))
    return pd.Index(ids.astype(str)).get_indexer(profile["customer_id"].astype(str))


def rates_by_group(history: ChurnHistory, profile: pd.DataFrame, start: date, end: date,
                   dimension: str) -> pd.DataFrame:
    """Churn rate of (start, end] per group: customers active at ``start`` (bought by then,
    not churned, or back since) in the group, and how many of them churned in the period.
    Masks over customer codes and a ``bincount`` per group: no sets of ids."""
    if dimension not in GROUP_DIMENSIONS:
        raise InvalidParameterError("unknown dimension", name="dimension", value=dimension)
    s, e = day_number(start), day_number(end)
    code = _codes_of(history, profile)
    known = code >= 0
    gone = np.zeros(len(profile), bool)
    gone[known] = history.gone(s)[code[known]]
    hit = np.zeros(len(profile), bool)
    hit[known] = history.churned(s, e)[code[known]]
    active = profile["bought"].to_numpy(bool) & ~gone
    left = active & hit
    values = profile[dimension]
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy().astype(np.int64)
        labels = list(values.cat.categories)
    else:
        codes, uniques = pd.factorize(values.astype(object), sort=False)
        labels = list(uniques)
    codes = np.where(codes < 0, len(labels), codes)     # missing values: their own group, last
    labels.append("—")
    n_active = np.bincount(codes[active], minlength=len(labels))
    n_left = np.bincount(codes[left], minlength=len(labels))
    shown = np.flatnonzero(n_active > 0)
    out = pd.DataFrame({"group": pd.Series([labels[i] for i in shown], dtype=object),
                        "active": n_active[shown].astype(np.int64), "churned": n_left[shown].astype(np.int64)})
    out["churn_rate"] = out["churned"] / out["active"]
    return out
