"""Two scorecards: the value customers receive (V = U + B + R - C - T) per segment, and how
ready the company's data is for CRM (identify, differentiate, interact, customise).

**Customer-perceived value** (the customer-value formula of the CRM texts): what the product
is worth to the customer (U, usefulness), what the brand is (B), what the relationship is (R),
minus what they pay (C, price) and what it costs them in time and effort (T). Each term stands
for a measure of this data, chosen by the analyst from :data:`MEASURES` (defaults in
:data:`DEFAULTS`), over the customers who bought in the period:

- a measure becomes a score from 0 to 1 by its percentile rank among those customers (ties
  share a rank), so terms measured in hours, money or counts can be added; a customer without a
  value (no rated case, for satisfaction) scores the middle, 0.5, except for the effort
  measures, where no service case means no effort (0);
- V = U + B + R - C - T per customer (from -2 to 3); per RFM segment the mean of each term and
  of V, and **what to improve**: the term where the segment is furthest on the wrong side of
  the average customer (lowest for U, B, R; highest for C, T).

**CRM readiness** (:func:`readiness`): each check is a share from 0 to 1 computed from the
whole database (filters do not apply), ``strong`` from 0.75, ``weak`` below 0.4; a dimension's
score is the mean of its checks, the overall score the mean of the four. Each check names what
to load to improve it (a catalogue key ``readiness.fix.<check>``).
"""

from __future__ import annotations

from collections.abc import Mapping
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

__all__ = ["TERMS", "MEASURES", "DEFAULTS", "SIGNS", "Scorecard", "value_scorecard", "CHECKS", "readiness",
           "value_summary", "readiness_summary"]

TERMS: tuple[str, ...] = ("U", "B", "R", "C", "T")
SIGNS: dict[str, int] = {"U": 1, "B": 1, "R": 1, "C": -1, "T": -1}
#: term -> measures that may stand for it (each a column computed in :func:`_measures`).
MEASURES: dict[str, tuple[str, ...]] = {
    "U": ("satisfaction", "repeat", "keeps_purchases", "categories"),
    "B": ("tenure", "member", "repeat"),
    "R": ("purchase_frequency", "member", "managed", "satisfaction"),
    "C": ("net_price", "full_price_share"),
    "T": ("resolution_hours", "first_response_hours", "cases_per_order"),
}
DEFAULTS: dict[str, str] = {"U": "satisfaction", "B": "tenure", "R": "purchase_frequency", "C": "net_price",
                            "T": "resolution_hours"}
_EFFORT = ("resolution_hours", "first_response_hours", "cases_per_order")


@dataclass(frozen=True)
class Scorecard:
    """Per segment: customers, the mean score of each term (``U``..``T``), ``V`` and
    ``improve`` (the term to work on); ``overall``: the same over everyone; ``choice``: the
    measure behind each term; ``coverage``: per term, the share of customers with a value of
    its measure (the rest score the middle, or no effort)."""

    as_of: date
    period_days: int
    choice: dict[str, str]
    segments: pd.DataFrame
    overall: dict[str, float]
    coverage: dict[str, float]


def _measures(df: pd.DataFrame, period_days: int) -> pd.DataFrame:
    """The raw measures per customer (higher = more of the term's quantity)."""
    orders = df["orders"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.DataFrame({
            "satisfaction": df["satisfaction"].to_numpy(float),
            "repeat": (df["purchase_days"].to_numpy(float) >= 2).astype(float),
            "keeps_purchases": 1 - np.clip(df["returns"].to_numpy(float) / np.maximum(df["sales"].to_numpy(float), 1e-9), 0, 1),
            "categories": df["categories"].to_numpy(float),
            "tenure": df["tenure_days"].to_numpy(float),
            "member": df["member"].to_numpy(float),
            "managed": df["managed"].to_numpy(float),
            "purchase_frequency": df["purchase_days"].to_numpy(float) * 365.0 / period_days,
            "net_price": np.where(orders > 0, df["revenue"].to_numpy(float) / np.maximum(orders, 1), np.nan),
            "full_price_share": 1 - np.clip(df["discount"].to_numpy(float)
                                            / np.maximum(df["sales"].to_numpy(float) + df["discount"].to_numpy(float), 1e-9), 0, 1),
            "resolution_hours": df["resolution_hours"].to_numpy(float),
            "first_response_hours": df["first_response_hours"].to_numpy(float),
            "cases_per_order": np.where(orders > 0, df["cases"].to_numpy(float) / np.maximum(orders, 1), np.nan),
        })


def _score(values: np.ndarray, measure: str) -> np.ndarray:
    """Percentile rank in 0..1 (ties share the mean rank); missing -> 0.5, or 0 for effort."""
    out = np.full(len(values), 0.0 if measure in _EFFORT else 0.5)
    ok = ~np.isnan(values)
    if ok.sum() > 1:
        ranks = pd.Series(values[ok]).rank(method="average").to_numpy()
        out[ok] = (ranks - 1) / (ok.sum() - 1)
    elif ok.sum() == 1:
        out[ok] = 0.5
    return out


def value_scorecard(store: Store, as_of: date, *, period_days: int = 365, filters: Filters = Filters(),
                    choice: Mapping[str, str] | None = None, segments: pd.DataFrame | None = None) -> Scorecard:
    """The per-segment value scorecard (see the module docstring). ``segments``: customer_id
    and segment, when the caller has them (the Segments page's)."""
    chosen = {**DEFAULTS, **dict(choice or {})}
    for term, measure in chosen.items():
        if term not in MEASURES or measure not in MEASURES[term]:
            raise InvalidParameterError("this measure cannot stand for this term", name=term, value=measure)
    with store.cursor():
        df = store.query("scorecard_customers", {"as_of": as_of, "start": period_start(as_of, period_days),
                                                 **filters.params()}, filtered=filters.active)
        if df.empty:
            raise NoDataError("no customer bought in the period", kind="transactions")
        if segments is None:
            segments = rfm(store, as_of, filters)[["customer_id", "segment"]]
    raw = _measures(df, period_days)
    scores = pd.DataFrame({term: _score(raw[m].to_numpy(float), m) for term, m in chosen.items()})
    scores["V"] = sum(SIGNS[t] * scores[t] for t in TERMS)
    rows = index_in(df["customer_id"], segments["customer_id"])
    labels = np.asarray(segments["segment"].astype(object), dtype=object)
    seg = np.where(rows >= 0, labels[np.maximum(rows, 0)], "no_segment")
    scores["segment"] = np.where(pd.isna(seg), "no_segment", seg)
    overall = {k: float(scores[k].mean()) for k in (*TERMS, "V")}
    table = scores.groupby("segment", sort=True)[[*TERMS, "V"]].mean()
    table.insert(0, "customers", scores.groupby("segment", sort=True).size())
    gaps = pd.DataFrame({t: SIGNS[t] * (table[t] - overall[t]) for t in TERMS})
    table["improve"] = gaps.idxmin(axis=1)       # the term most on the wrong side of the average
    table = table.sort_values("V", ascending=False).rename_axis("segment").reset_index()
    coverage = {t: float(raw[m].notna().mean()) for t, m in chosen.items()}
    return Scorecard(as_of, period_days, chosen, table, overall, coverage)


#: dimension -> checks (each a share 0..1 computed from readiness_counts).
CHECKS: dict[str, tuple[str, ...]] = {
    "identify": ("customer_ids", "reachable", "named"),
    "differentiate": ("history", "repeat_history", "attributes", "categories", "costs"),
    "interact": ("campaign_reach", "control_groups", "service_records", "satisfaction_recorded"),
    "customise": ("loyalty", "managers"),
}


def _share(a: float, b: float) -> float | None:
    return None if not b else float(min(max(a / b, 0.0), 1.0))


def readiness(store: Store, as_of: date) -> pd.DataFrame:
    """One row per check: dimension, check, value (a share 0..1; None: nothing to judge by),
    level (strong / partial / weak / none)."""
    c = store.query("readiness_counts", {"as_of": as_of}, filtered=False).iloc[0].to_dict()
    n = {k: float(v or 0) for k, v in c.items()}
    values = {
        "customer_ids": _share(n["lines"], n["lines"] + n["guest_lines"]),
        "reachable": _share(n["reachable"], n["customers"]),
        "named": _share(n["named"], n["customers"]),
        "history": _share(n["history_months"], 24),                 # two years of history: enough for CLV and churn
        "repeat_history": _share(n["repeat_buyers"], n["buyers"]),
        "attributes": _share(n["attribute_cells"], n["customers"]),
        "categories": _share(n["categorised_lines"], n["lines"]),
        "costs": _share(n["costed_lines"], n["lines"]),
        "campaign_reach": _share(n["contacted_year"], n["active_year"]),
        "control_groups": _share(n["campaigns_with_control"], n["campaigns"]) if n["campaigns"] else 0.0,
        "service_records": _share(n["cases"], 0.1 * n["buyers"]),   # a case per ten buyers counts as recorded service
        "satisfaction_recorded": _share(n["rated_cases"], n["cases"]) if n["cases"] else 0.0,
        "loyalty": _share(n["members"], n["active_year"]) if n["programs"] else 0.0,
        "managers": (_share(n["managed"], n["business"]) if n["business"] else None),
    }
    rows = []
    for dim, checks in CHECKS.items():
        for check in checks:
            v = values[check]
            level = "none" if v is None else "strong" if v >= 0.75 else "partial" if v >= 0.4 else "weak"
            rows.append({"dimension": dim, "check": check, "value": v, "level": level})
    return pd.DataFrame(rows)


def readiness_summary(store: Store, as_of: date) -> dict:
    """The CLI's ``readiness --json`` document."""
    r = readiness(store, as_of)
    dims = {d: (None if part["value"].isna().all() else float(part["value"].astype(float).mean()))
            for d, part in r.groupby("dimension", sort=False)}
    known = [v for v in dims.values() if v is not None]
    return {"as_of": as_of.isoformat(), "overall": float(np.mean(known)) if known else None,
            "dimensions": [{"dimension": d, "score": dims[d],
                            "checks": [{"check": x.check, "value": None if pd.isna(x.value) else float(x.value),
                                        "level": x.level} for x in r[r.dimension == d].itertuples()]}
                           for d in CHECKS]}


def value_summary(store: Store, as_of: date, **kwargs: object) -> dict:
    """The CLI's ``value-scorecard --json`` document."""
    s = value_scorecard(store, as_of, **kwargs)  # type: ignore[arg-type]
    return {"as_of": as_of.isoformat(), "period_days": s.period_days, "measures": s.choice,
            "coverage": s.coverage, "overall": s.overall,
            "segments": [{"segment": str(r["segment"]), "customers": int(r["customers"]),
                          **{t: float(r[t]) for t in (*TERMS, "V")}, "improve": r["improve"]}
                         for r in s.segments.to_dict("records")]}
