"""Cross-selling: which product categories go together, in baskets and in customers'
histories; what to offer each segment next; who bought A but not yet B.

Definitions (also on the Cross-selling page and in the README):

- A **basket** is an order (lines sharing an order number), or a customer's lines of one day
  where no order number is recorded; only lines with a positive amount and a category count
  (a line's own category, else its product's). Basket figures use the baskets of the
  ``period_days`` up to the as-of date.
- A customer's **history** is every category they bought up to the as-of date.
- For a rule A -> B over N units (baskets, or customers): ``support`` = units with both / N;
  ``confidence`` = units with both / units with A; ``lift`` = confidence / (units with B / N),
  above 1 when A makes B more likely than it is anyway. Rules need at least ``min_count``
  units with both (default 20). ``customers``: customers whose history holds both;
  ``candidates``: customers who bought A but not yet B (the cross-sell list).
- **Next category per segment** (RFM segments as of the as-of date): for each customer, the
  chance of adding B is the highest history confidence of A -> B over the categories A they
  have (rules with lift > 1 only); per segment, the category with the most expected new
  buyers = the sum of those chances over the segment's customers without B.

Categories are counted as bits of a 64-bit mask: the :data:`MAX_CATEGORIES` most-bought ones (by
lines) take part, the others are reported in ``left_out``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from crm_core.customers.rfm import rfm
from crm_core.errors import InvalidParameterError, NoDataError
from crm_core.filters import Filters
from crm_core.periods import period_start
from crm_core.store.arrow_frames import index_in
from crm_core.store.connection import Store

__all__ = ["LEVELS", "MAX_CATEGORIES", "Affinity", "basket_masks", "affinity", "pair_counts", "rules", "candidates",
           "next_by_segment", "summary"]

LEVELS: tuple[str, ...] = ("basket", "customer")
MAX_CATEGORIES = 62
MIN_COUNT = 20


@dataclass(frozen=True)
class Affinity:
    """Both levels' unit counts as distinct category masks, and every customer's mask."""

    as_of: date
    period_days: int
    categories: tuple[str, ...]
    left_out: tuple[str, ...]
    basket_masks: np.ndarray        # uint64 distinct masks of the period's baskets ...
    basket_counts: np.ndarray       # ... and how many baskets have each
    customer_ids: np.ndarray        # customers who bought a category, in customer_key order ...
    customer_masks: np.ndarray      # ... and the categories each bought (uint64)


def _bits(masks: np.ndarray, k: int) -> np.ndarray:
    """units x k boolean matrix of a mask array."""
    return ((masks[:, None] >> np.arange(k, dtype=np.uint64)[None, :]) & np.uint64(1)).astype(bool)


def _check_period(period_days: int) -> None:
    if not isinstance(period_days, (int, np.integer)) or not 7 <= period_days <= 3660:
        raise InvalidParameterError("period_days must be 7..3660", name="period_days", value=period_days)


def basket_masks(store: Store, as_of: date, *, period_days: int = 365, filters: Filters = Filters()
                 ) -> tuple[tuple[str, ...], tuple[str, ...], np.ndarray, np.ndarray]:
    """(categories taking part, categories left out, the distinct category masks of the
    period's baskets, how many baskets have each): the basket counts alone."""
    _check_period(period_days)
    with store.cursor():
        # (no filter: the lines with their own category counted per day at load, category_days)
        cats = store.query("affinity_categories", {"as_of": as_of, **filters.params()}, filtered=filters.active,
                           options=frozenset() if filters.active else frozenset({"days"}))
        if len(cats) < 2:
            raise NoDataError("fewer than two product categories were bought: nothing to pair", kind="transactions")
        names = [str(c) for c in cats["category"]]
        keep, left = tuple(names[:MAX_CATEGORIES]), tuple(names[MAX_CATEGORIES:])
        baskets = store.query("affinity_baskets", {"as_of": as_of, "start": period_start(as_of, period_days),
                                                   "categories": list(keep), **filters.params()},
                              filtered=filters.active)
    return keep, left, baskets["mask"].to_numpy(np.uint64), baskets["baskets"].to_numpy(np.int64)


def affinity(store: Store, as_of: date, *, period_days: int = 365, filters: Filters = Filters()) -> Affinity:
    """The category masks of the period's baskets and of every customer's history."""
    with store.cursor():
        keep, left, masks, counts = basket_masks(store, as_of, period_days=period_days, filters=filters)
        people = store.query("affinity_customers", {"as_of": as_of, "categories": list(keep), **filters.params()},
                             filtered=filters.active)
    return Affinity(as_of, period_days, keep, left, masks, counts, people["customer_id"].astype(str).to_numpy(object),
                    people["mask"].to_numpy(np.uint64))


def pair_counts(masks: np.ndarray, weights: np.ndarray, k: int) -> tuple[float, np.ndarray, np.ndarray]:
    """(units, units per category, units per pair of categories: a k x k matrix) from the
    distinct masks and how many units have each."""
    b = _bits(masks, k).astype(np.float64)
    per = b.T @ weights.astype(np.float64)
    pair = b.T @ (b * weights[:, None].astype(np.float64))
    return float(weights.sum()), per, pair


def rules(aff: Affinity, level: str = "basket", *, min_count: int = MIN_COUNT) -> pd.DataFrame:
    """Every rule A -> B with at least ``min_count`` units holding both, by lift (then
    support): antecedent, consequent, both, antecedent_units, consequent_units, units,
    support, confidence, lift, customers, candidates."""
    if level not in LEVELS:
        raise InvalidParameterError("level is basket or customer", name="level", value=level)
    if not isinstance(min_count, (int, np.integer)) or min_count < 1:
        raise InvalidParameterError("min_count must be at least 1", name="min_count", value=min_count)
    k = len(aff.categories)
    um, uc = np.unique(aff.customer_masks, return_counts=True)
    cn, cper, cpair = pair_counts(um, uc, k)          # histories: the customers and candidates columns
    n, per, pair = pair_counts(aff.basket_masks, aff.basket_counts, k) if level == "basket" else (cn, cper, cpair)
    a, b = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    off = a != b
    a, b = a[off], b[off]
    both = pair[a, b]
    with np.errstate(divide="ignore", invalid="ignore"):
        conf = both / per[a]
        lift = conf / (per[b] / n)
    out = pd.DataFrame({"antecedent": np.asarray(aff.categories, dtype=object)[a],
                        "consequent": np.asarray(aff.categories, dtype=object)[b],
                        "both": both.astype(np.int64), "antecedent_units": per[a].astype(np.int64),
                        "consequent_units": per[b].astype(np.int64), "units": int(n),
                        "support": both / n if n else np.nan, "confidence": conf, "lift": lift,
                        "customers": cpair[a, b].astype(np.int64),
                        "candidates": (cper[a] - cpair[a, b]).astype(np.int64)})
    out = out[out["both"] >= min_count]
    return out.sort_values(["lift", "support", "antecedent", "consequent"], ascending=[False, False, True, True],
                           kind="stable").reset_index(drop=True)


def candidates(aff: Affinity, antecedent: str, consequent: str) -> np.ndarray:
    """customer_id of the customers who bought ``antecedent`` but not yet ``consequent``."""
    for c in (antecedent, consequent):
        if c not in aff.categories:
            raise InvalidParameterError("unknown category", name="category", value=c)
    ia, ib = aff.categories.index(antecedent), aff.categories.index(consequent)
    m = aff.customer_masks
    has_a = (m >> np.uint64(ia)) & np.uint64(1)
    has_b = (m >> np.uint64(ib)) & np.uint64(1)
    return aff.customer_ids[(has_a == 1) & (has_b == 0)]


def next_by_segment(aff: Affinity, segments: pd.DataFrame, *, min_count: int = MIN_COUNT) -> pd.DataFrame:
    """Per RFM segment (``segments``: customer_id, segment), the category to offer next (see
    the module docstring): segment, customers, category, candidates, expected_buyers, share."""
    k = len(aff.categories)
    r = rules(aff, "customer", min_count=min_count)
    r = r[r["lift"] > 1]
    conf = np.zeros((k, k))
    idx = {c: i for i, c in enumerate(aff.categories)}
    conf[r["antecedent"].map(idx).to_numpy(int), r["consequent"].map(idx).to_numpy(int)] = r["confidence"].to_numpy()
    rows = index_in(pd.Series(aff.customer_ids), segments["customer_id"])
    labels = np.asarray(segments["segment"].astype(object), dtype=object)
    frame = pd.DataFrame({"segment": np.where(rows >= 0, labels[np.maximum(rows, 0)], "no_segment"),
                          "mask": aff.customer_masks})
    frame["segment"] = frame["segment"].where(pd.notna(frame["segment"]), "no_segment")
    groups = frame.groupby(["segment", "mask"], sort=True).size().rename("n").reset_index()
    masks = groups["mask"].to_numpy(np.uint64)
    owned = _bits(masks, k)
    # chance of adding each category: the best confidence from an owned category; 0 if owned
    chance = np.max(owned[:, :, None] * conf[None, :, :], axis=1) * ~owned
    n = groups["n"].to_numpy(float)
    rows = []
    for s, part in groups.groupby("segment", sort=True):
        i = part.index.to_numpy()
        expected = (chance[i] * n[i, None]).sum(axis=0)
        cand = ((chance[i] > 0) * n[i, None]).sum(axis=0)
        best = int(np.argmax(expected))
        total = float(n[i].sum())
        rows.append({"segment": s, "customers": int(total),
                     "category": aff.categories[best] if expected[best] > 0 else None,
                     "candidates": int(cand[best]) if expected[best] > 0 else 0,
                     "expected_buyers": float(expected[best]), "share": float(expected[best] / total) if total else np.nan})
    return pd.DataFrame(rows)


def _num(v: object) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def summary(store: Store, as_of: date, *, level: str = "basket", period_days: int = 365, min_count: int = MIN_COUNT,
            filters: Filters = Filters(), top: int = 50) -> dict:
    """The CLI's ``affinity --json`` document."""
    aff = affinity(store, as_of, period_days=period_days, filters=filters)
    r = rules(aff, level, min_count=min_count).head(top)
    nxt = next_by_segment(aff, rfm(store, as_of, filters)[["customer_id", "segment"]], min_count=min_count)
    return {"as_of": as_of.isoformat(), "level": level, "period_days": period_days, "min_count": min_count,
            "units": int(r["units"].iloc[0]) if len(r) else None, "categories": list(aff.categories),
            "left_out": list(aff.left_out),
            "pairs": [{"antecedent": x.antecedent, "consequent": x.consequent, "both": int(x.both),
                       "support": float(x.support), "confidence": float(x.confidence), "lift": float(x.lift),
                       "customers": int(x.customers), "candidates": int(x.candidates)} for x in r.itertuples()],
            "next_by_segment": [{"segment": str(x.segment), "customers": int(x.customers), "category": x.category,
                                 "candidates": int(x.candidates), "expected_buyers": _num(x.expected_buyers),
                                 "share": _num(x.share)} for x in nxt.itertuples()]}
