"""Micro-segments: cut the customers by any combination of attributes.

The frame behind every cut is one row per customer as of a date (the customer base
with its RFM segment and pyramid tier, plus product categories bought in the window and
loyalty membership). A cut groups it by up to three dimensions from a fixed allow-list
and reports size, value, margin and the RFM mix of each cell. Cutting by ``category``
counts a customer in every category they bought, so those cells overlap (said on the page).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from crm_core.customers.pyramid import DEFAULT_SHARES, assign_tiers
from crm_core.customers.rfm import DEFAULT_SCHEME, SEGMENTS, SegmentRule, rfm
from crm_core.errors import InvalidParameterError
from crm_core.filters import Filters
from crm_core.periods import period_params
from crm_core.store.connection import Store

__all__ = ["DIMENSIONS", "DEFAULT_DIMS", "SELECT_KEYS", "MicroFrame", "customer_frame", "with_attributes", "micro_frame", "select", "cut", "compare", "NONE_LABEL"]

#: Dimensions a cut may use (the allow-list; column names in the frame).
DIMENSIONS: tuple[str, ...] = ("region", "channel", "customer_type", "industry", "category", "loyalty_program",
                               "tier", "segment")
NONE_LABEL = "(none)"
#: Keys a selection may use: the dimensions and the R and F scores (grid cells).
SELECT_KEYS: tuple[str, ...] = DIMENSIONS + ("r_score", "f_score")
#: The cut the Micro-segments page opens with (and the warm start computes).
DEFAULT_DIMS: tuple[str, ...] = ("region", "tier")


@dataclass(frozen=True)
class MicroFrame:
    """Customers (one row each) and the categories behind ``category_mask`` bits."""

    customers: pd.DataFrame
    categories: tuple[str, ...]

    def category_bits(self, names: Sequence[str]) -> int:
        bits = 0
        for name in names:
            if name not in self.categories:
                raise InvalidParameterError(f"unknown category {name!r}", name="category", value=name)
            bits |= 1 << min(self.categories.index(name), 62)
        return bits


def customer_frame(store: Store, as_of: date, filters: Filters = Filters(), *, period_days: int = 365,
                   bins: int = 5, scheme: Sequence[SegmentRule] = DEFAULT_SCHEME, metric: str = "revenue",
                   shares: Sequence[float] = DEFAULT_SHARES) -> pd.DataFrame:
    """The customer base with RFM ``segment`` and pyramid ``tier`` (one row per customer)."""
    df = rfm(store, as_of, filters, bins=bins, scheme=scheme, period_days=period_days)
    df["tier"] = assign_tiers(df, metric, shares)
    industry = df["industry"].astype("category")      # (customer_base gives categoricals)
    if NONE_LABEL not in industry.cat.categories:
        industry = industry.cat.add_categories([NONE_LABEL])
    df["industry"] = industry.fillna(NONE_LABEL)
    for col in ("region", "channel", "customer_type"):
        df[col] = df[col].astype("category")
    return df


def with_attributes(store: Store, customers: pd.DataFrame, as_of: date, filters: Filters = Filters(), *,
                    period_days: int = 365) -> MicroFrame:
    """Add the product categories bought in the window and the loyalty program (a copy)."""
    df = customers.copy()
    params = {"as_of": as_of, "period_days": period_days, **filters.params(), **period_params(as_of, period_days)}
    attrs = store.query("customer_attributes", params, filtered=filters.active)
    if len(attrs) != len(df) or not np.array_equal(attrs["customer_id"].to_numpy(), df["customer_id"].to_numpy()):
        attrs = df[["customer_id"]].merge(attrs, on="customer_id", how="left")  # defensive; normally aligned
    df["category_mask"] = attrs["category_mask"].fillna(0).to_numpy(dtype=np.int64)
    df["loyalty_program"] = pd.Categorical(attrs["loyalty_program"].fillna(NONE_LABEL).to_numpy())
    cats = store.query("customer_categories", {"as_of": as_of, **period_params(as_of, period_days)})
    return MicroFrame(df, tuple(cats["category"]))


def micro_frame(store: Store, as_of: date, filters: Filters = Filters(), *, period_days: int = 365, bins: int = 5,
                scheme: Sequence[SegmentRule] = DEFAULT_SCHEME, metric: str = "revenue",
                shares: Sequence[float] = DEFAULT_SHARES) -> MicroFrame:
    """RFM + tier + categories + loyalty for every customer known as of ``as_of``."""
    df = customer_frame(store, as_of, filters, period_days=period_days, bins=bins, scheme=scheme, metric=metric,
                        shares=shares)
    return with_attributes(store, df, as_of, filters, period_days=period_days)


def _check_dims(dims: Sequence[str]) -> list[str]:
    dims = list(dims)
    bad = [d for d in dims if d not in DIMENSIONS]
    if bad or len(dims) > 3 or len(set(dims)) != len(dims):
        raise InvalidParameterError("choose up to three different dimensions from the list", name="dimensions",
                                    value=dims)
    return dims


def _mask(frame: MicroFrame, where: Mapping[str, Sequence[str]]) -> np.ndarray | None:
    """Rows matching every condition, or None when no condition restricts anything."""
    df = frame.customers
    mask = None
    for dim, values in where.items():
        if dim not in SELECT_KEYS:
            raise InvalidParameterError("unknown selection key", name="dimension", value=dim)
        if not values:
            continue
        if dim == "category":
            hit = (df["category_mask"].to_numpy() & frame.category_bits(values)) != 0
        else:
            hit = df[dim].astype(object).isin(list(values)).to_numpy()
        mask = hit if mask is None else mask & hit
    return mask


def select(frame: MicroFrame, where: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """The customers matching every condition (``{dimension: allowed values}``; empty = any).
    With no condition this is the frame itself (no copy): treat it as read-only."""
    mask = _mask(frame, where)
    return frame.customers if mask is None else frame.customers[mask]


def _explode_categories(frame: MicroFrame, df: pd.DataFrame) -> pd.DataFrame:
    parts = []
    masks = df["category_mask"].to_numpy()
    for i, name in enumerate(frame.categories):
        hit = (masks & (1 << min(i, 62))) != 0
        if hit.any():
            parts.append(df[hit].assign(category=name))
    return pd.concat(parts, ignore_index=True) if parts else df.iloc[0:0].assign(category="")


def cut(frame: MicroFrame, dims: Sequence[str], where: Mapping[str, Sequence[str]] | None = None,
        *, min_customers: int = 1) -> pd.DataFrame:
    """One row per cell of ``dims``: customers, buyers, revenue, gross profit, margin,
    revenue per customer, and the share of each RFM segment among the cell's buyers
    (columns ``mix_<segment>``). Cells with fewer than ``min_customers`` are dropped."""
    dims = _check_dims(dims)
    df = select(frame, where or {})
    if "category" in dims:
        df = _explode_categories(frame, df)
    work = df.assign(buyer=df["segment"].notna())
    for seg in SEGMENTS:
        work[f"mix_{seg}"] = (df["segment"] == seg).to_numpy()
    keys = [work[d].astype(object) for d in dims] if dims else [pd.Series("all", index=work.index)]
    g = work.groupby(keys, observed=True, sort=True)
    out = pd.DataFrame({
        "customers": g.size(),
        "buyers": g["buyer"].sum(),
        "revenue": g["revenue"].sum(),
        "gross_profit": g["gross_profit"].sum(),
        "period_revenue": g["period_revenue"].sum(),
    })
    mix = g[[f"mix_{s}" for s in SEGMENTS]].sum()
    out = out.join(mix.div(out["buyers"].where(out["buyers"] > 0), axis=0))
    out = out.reset_index()
    if not dims:
        out = out.drop(columns=out.columns[0])
    else:
        out.columns = dims + list(out.columns[len(dims):])
    out["margin"] = out["gross_profit"] / out["revenue"].where(out["revenue"] != 0)
    out["revenue_per_customer"] = out["revenue"] / out["customers"]
    total = float(frame.customers["revenue"].sum())
    out["revenue_share"] = out["revenue"] / total if total else np.nan
    out = out[out["customers"] >= min_customers].sort_values("revenue", ascending=False, kind="stable")
    return out.reset_index(drop=True)


def compare(frame: MicroFrame, a: Mapping[str, Sequence[str]], b: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Two micro-segments side by side: one row per measure, columns ``a`` and ``b``.
    Computed on the columns with boolean masks (no copy of the customer frame)."""
    df = frame.customers
    n_all = len(df)
    segment = df["segment"]
    buyer_all = segment.notna().to_numpy()
    seg_codes = pd.Categorical(segment, categories=list(SEGMENTS)).codes   # -1 = no segment (not a buyer)
    revenue_all = df["revenue"].to_numpy(np.float64)
    profit_all = df["gross_profit"].to_numpy(np.float64)
    freq_all = df["frequency"].to_numpy(np.float64)
    recency_all = df["recency_days"].astype(np.float64).to_numpy()
    rows = {}
    for name, where in (("a", a), ("b", b)):
        mask = _mask(frame, where)
        m = np.ones(n_all, dtype=bool) if mask is None else mask
        buyers = m & buyer_all
        n, nb = int(m.sum()), int(buyers.sum())
        revenue, profit, purchases = (float(x[m].sum()) for x in (revenue_all, profit_all, freq_all))
        mix = np.bincount(seg_codes[buyers], minlength=len(SEGMENTS)) if nb else np.zeros(len(SEGMENTS))
        rows[name] = {
            "customers": n,
            "buyers": nb,
            "revenue": revenue,
            "gross_profit": profit,
            "margin": profit / revenue if revenue else np.nan,
            "revenue_per_customer": revenue / n if n else np.nan,
            "average_order_value": revenue / purchases if purchases else np.nan,   # per purchase day
            "frequency": float(freq_all[buyers].mean()) if nb else np.nan,
            "recency_days": float(recency_all[buyers].mean()) if nb else np.nan,
            **{f"mix_{s}": float(mix[i] / nb) if nb else np.nan for i, s in enumerate(SEGMENTS)},
        }
    return pd.DataFrame(rows).rename_axis("measure").reset_index()
