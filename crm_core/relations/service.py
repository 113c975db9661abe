"""Service and complaints: volumes, how fast cases are answered and resolved, satisfaction,
and what customers do next by how fast their complaint was handled.

Definitions (also on the Service page and in the README):

- **Cases** of the period: service cases opened in the ``period_days`` days up to the as-of
  date. Volumes per month by type and by channel.
- **Speeds**: hours from opening to the first answer (``first_response_at``; when the data
  records it) and to resolution (``resolved_at``), each by the as-of date; distributions as
  quantiles (25/50/75/90%) per type, open cases counted apart.
- **Bands** (the Churn page's buckets, :data:`crm_core.exits.churn.RESPONSE_HOURS`): within a
  day, 1-3 days, 3-7 days, over 7 days, not yet (no answer / resolution by the as-of date).
- **What happens next** (``after``): each customer's first case of the chosen type (default
  complaints) opened in the period that ends ``horizon_days`` before the as-of date (so every
  case has its whole horizon observed), among customers who had bought and had not churned by
  the opening day. Per band: ``churn_rate_after`` = share with a churn (the Churn page's
  definition and window: explicit exits, or a lapse dated window days after the last
  purchase) in the ``horizon_days`` after the opening day; ``repeat_rate_after`` = share who
  bought in those days; ``spend_change`` = mean revenue in those days - in the same number of
  days up to the opening. Rates carry Wilson 95% intervals, and the slow-vs-fast difference
  (churn after over 7 days - after within a day: the churn a slow answer goes with) Newcombe's. Observational: customers whose complaint
  was answered slowly may differ in other ways; the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from crm_core.errors import InvalidParameterError, NoDataError
from crm_core.exits.alive import AliveRule
from crm_core.exits.churn import RESPONSE_HOURS, default_window
from crm_core.exits.events import churn_history
from crm_core.exits.history import ChurnHistory, day_numbers
from crm_core.filters import Filters
from crm_core.relations.intervals import newcombe, wilson
from crm_core.store.connection import Store

__all__ = ["BANDS", "SPEEDS", "ServiceReport", "band_of", "case_types", "service", "after", "summary"]

BANDS: tuple[str, ...] = ("within_1d", "1_3d", "3_7d", "over_7d", "unresolved")
SPEEDS: tuple[str, ...] = ("resolution", "first_response")
QUANTILES: tuple[float, ...] = (0.25, 0.5, 0.75, 0.9)
_HOURS = {"resolution": "resolution_hours", "first_response": "first_hours"}


@dataclass(frozen=True)
class ServiceReport:
    """The Service page for one setting (see the module docstring)."""

    as_of: date
    period_days: int
    horizon_days: int
    window_days: int
    speed: str
    case_type: str | None
    cases: pd.DataFrame          # the period's cases
    by_type: pd.DataFrame        # month, type, cases
    by_channel: pd.DataFrame     # month, channel, cases
    speeds: pd.DataFrame         # type (and "all"), speed, cases, answered, open, q25, q50, q75, q90, mean
    satisfaction: pd.DataFrame   # band, cases, rated, mean_satisfaction, s1..s5
    bands: pd.DataFrame          # band, customers, churned, churn_rate_after (+_lo/_hi), repeat..., spend_change
    slow_vs_fast: dict           # churn rate after over 7 days - after within a day, with its interval
    has_first_response: bool


def band_of(hours: np.ndarray) -> np.ndarray:
    """Band index (into :data:`BANDS`) of each case from its hours (NaN: not yet)."""
    h = np.asarray(hours, float)
    return np.select([np.isnan(h), *(h <= b for b in RESPONSE_HOURS)], [4, 0, 1, 2], 3).astype(np.int8)


def case_types(store: Store) -> list[str]:
    """The case types on file, most frequent first (types are the data's own words: 불만, 投诉, ...)."""
    return [r[0] for r in store.rows("SELECT coalesce(type, '(unknown)') AS t, count(*) AS n FROM service_interactions "
                                     "GROUP BY t ORDER BY n DESC, t")]


def _check(period_days: int, horizon_days: int, speed: str) -> None:
    if not isinstance(period_days, (int, np.integer)) or not 7 <= period_days <= 3660:
        raise InvalidParameterError("period_days must be 7..3660", name="period_days", value=period_days)
    if not isinstance(horizon_days, (int, np.integer)) or not 7 <= horizon_days <= 1095:
        raise InvalidParameterError("horizon_days must be 7..1095", name="horizon_days", value=horizon_days)
    if speed not in SPEEDS:
        raise InvalidParameterError("speed is resolution or first_response", name="speed", value=speed)


def _monthly(cases: pd.DataFrame, col: str) -> pd.DataFrame:
    month = pd.to_datetime(cases["day"]).dt.to_period("M").dt.to_timestamp()
    return (cases.assign(month=month).groupby(["month", col], observed=True).size()
            .rename("cases").reset_index())


def _speeds(cases: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for speed, col in _HOURS.items():
        for typ, part in [("all", cases), *cases.groupby("type", sort=True)]:
            h = part[col].dropna().to_numpy(float)
            q = np.quantile(h, QUANTILES) if len(h) else np.full(len(QUANTILES), np.nan)
            rows.append({"type": typ, "speed": speed, "cases": len(part), "answered": len(h),
                         "open": len(part) - len(h), **{f"q{int(p * 100)}": v for p, v in zip(QUANTILES, q)},
                         "mean": float(h.mean()) if len(h) else np.nan})
    return pd.DataFrame(rows)


def _satisfaction(cases: pd.DataFrame, speed: str) -> pd.DataFrame:
    band = band_of(cases[_HOURS[speed]].to_numpy(float))
    sat = cases["satisfaction"].to_numpy(float)
    rows = []
    for i, b in enumerate(BANDS):
        s = sat[(band == i) & ~np.isnan(sat)]
        rows.append({"band": b, "cases": int((band == i).sum()), "rated": len(s),
                     "mean_satisfaction": float(s.mean()) if len(s) else np.nan,
                     **{f"s{k}": int((s == k).sum()) for k in range(1, 6)}})
    return pd.DataFrame(rows)


def _churn_after(history: ChurnHistory, code: np.ndarray, day: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """(active at ``day``: bought by then and not churned; churned in (day, day + horizon])."""
    k = np.int64(1 << 22)
    v = history.valid & np.isin(history.code, code)      # only the churns of these customers: a small sort
    c, ch, back = history.code[v].astype(np.int64), history.churn_raw[v].astype(np.int64), history.back_raw[v]
    order = np.lexsort((ch, c))
    keys, back, c = c[order] * k + ch[order], back[order], c[order]
    q = code.astype(np.int64) * k + day
    last = np.searchsorted(keys, q, side="right") - 1
    if len(keys):
        gone = (last >= 0) & (c[np.maximum(last, 0)] == code) & (back[np.maximum(last, 0)] > day)
    else:                                               # none of these customers ever churned
        gone = np.zeros(len(code), bool)
    active = (history.first[code] <= day) & ~gone
    churned = np.searchsorted(keys, q + horizon, side="right") - (last + 1) > 0
    return active, churned


def after(cases: pd.DataFrame, history: ChurnHistory, codes: np.ndarray, as_of: date, *, horizon_days: int,
          period_days: int, speed: str = "resolution", case_type: str | None = "complaint") -> pd.DataFrame:
    """The per-band outcomes (see the module docstring) from the cases (with ``codes``: each
    case's customer code in ``history``). One row per band and the first case of each customer."""
    end = pd.Timestamp(as_of - timedelta(days=horizon_days))
    start = end - pd.Timedelta(days=period_days)
    day = pd.to_datetime(cases["day"])
    pick = (day > start) & (day <= end)
    if case_type is not None:
        pick &= cases["type"].to_numpy() == case_type
    part = cases[pick.to_numpy()].assign(code=codes[pick.to_numpy()])
    part = part.sort_values(["opened_at"], kind="stable").drop_duplicates("code")
    d = day_numbers(part["day"].to_numpy()).astype(np.int64)
    active, churned = _churn_after(history, part["code"].to_numpy(np.int64), d, horizon_days)
    part, churned = part[active], churned[active]
    band = band_of(part[_HOURS[speed]].to_numpy(float))
    bought = part["purchase_days_after"].to_numpy() > 0
    change = part["revenue_after"].to_numpy(float) - part["revenue_before"].to_numpy(float)
    n = np.bincount(band, minlength=len(BANDS))
    k_churn = np.bincount(band, weights=churned, minlength=len(BANDS))
    k_rep = np.bincount(band, weights=bought, minlength=len(BANDS))
    spend = np.bincount(band, weights=change, minlength=len(BANDS))
    out = pd.DataFrame({"band": BANDS, "customers": n, "churned_after": k_churn.astype(np.int64),
                        "repeat_buyers_after": k_rep.astype(np.int64)})
    with np.errstate(divide="ignore", invalid="ignore"):
        out["churn_rate_after"] = np.where(n > 0, k_churn / n, np.nan)
        out["repeat_rate_after"] = np.where(n > 0, k_rep / n, np.nan)
        out["spend_change"] = np.where(n > 0, spend / n, np.nan)
    out["churn_rate_after_lo"], out["churn_rate_after_hi"] = wilson(k_churn, n)
    out["repeat_rate_after_lo"], out["repeat_rate_after_hi"] = wilson(k_rep, n)
    return out


def service(store: Store, as_of: date, *, period_days: int = 365, horizon_days: int = 180,
            window_days: int | None = None, alive: AliveRule | None = None, speed: str = "resolution",
            case_type: str | None = "complaint", filters: Filters = Filters()) -> ServiceReport:
    """Everything the Service page shows (see the module docstring)."""
    _check(period_days, horizon_days, speed)
    since = as_of - timedelta(days=period_days + horizon_days)
    with store.cursor():
        cases = store.query("service_cases", {"as_of": as_of, "since": since, "horizon_days": horizon_days,
                                              **filters.params()}, filtered=filters.active)
        if cases.empty:
            raise NoDataError("no service case is on file for these customers and dates", kind="service_interactions")
        window = window_days or default_window(store, as_of)
        history = churn_history(store, as_of, window, filters, alive)
    codes = cases["code"].to_numpy(np.int64)
    recent = (pd.to_datetime(cases["day"]) > pd.Timestamp(as_of - timedelta(days=period_days))).to_numpy()
    period = cases[recent]
    bands = after(cases, history, codes, as_of, horizon_days=horizon_days, period_days=period_days,
                  speed=speed, case_type=case_type)
    fast, slow = bands.iloc[0], bands.iloc[3]
    d, lo, hi = newcombe(slow.churned_after, slow.customers, fast.churned_after, fast.customers)
    return ServiceReport(
        as_of=as_of, period_days=period_days, horizon_days=horizon_days, window_days=window, speed=speed,
        case_type=case_type, cases=period.reset_index(drop=True), by_type=_monthly(period, "type"),
        by_channel=_monthly(period, "channel"), speeds=_speeds(period), satisfaction=_satisfaction(period, speed),
        bands=bands, slow_vs_fast={"difference": float(d), "ci": [float(lo), float(hi)]},
        has_first_response=bool(cases["first_hours"].notna().any()))


def _num(v: object) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def summary(store: Store, as_of: date, **kwargs: object) -> dict:
    """The CLI's ``service --json`` document."""
    r = service(store, as_of, **kwargs)  # type: ignore[arg-type]
    sat = r.satisfaction.set_index("band")["mean_satisfaction"]
    return {
        "as_of": as_of.isoformat(), "period_days": r.period_days, "horizon_days": r.horizon_days,
        "window_days": r.window_days, "speed": r.speed, "case_type": r.case_type, "cases": len(r.cases),
        "bands": [{"band": b.band, "customers": int(b.customers), "churned_after": int(b.churned_after),
                   "churn_rate_after": _num(b.churn_rate_after),
                   "churn_rate_after_ci": [_num(b.churn_rate_after_lo), _num(b.churn_rate_after_hi)],
                   "repeat_rate_after": _num(b.repeat_rate_after),
                   "repeat_rate_after_ci": [_num(b.repeat_rate_after_lo), _num(b.repeat_rate_after_hi)],
                   "spend_change": _num(b.spend_change), "mean_satisfaction": _num(sat.get(b.band))}
                  for b in r.bands.itertuples()],
        "slow_vs_fast_churn": {"difference": _num(r.slow_vs_fast["difference"]),
                               "ci": [_num(v) for v in r.slow_vs_fast["ci"]]},
        "speeds": [{k: (_num(v) if k not in ("type", "speed") else v) for k, v in row.items()}
                   for row in r.speeds.to_dict("records")],
        "volumes": [{"month": m.month.date().isoformat(), "type": m.type, "cases": int(m.cases)}
                    for m in r.by_type.itertuples()],
    }
