"""What happens to the demo's customers besides buying: loyalty enrolment (self-selected,
with a planted lift), churn events with reasons in exact planted shares, service cases
(slow-answered complaints before a service exit) and loyalty program costs (campaigns:
:mod:`crm_core.demo.relations`);
and the sampling helpers the demo generator shares (:mod:`crm_core.demo.generate` writes it all).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from crm_core.demo import people as ref

__all__ = ["PLANTED_CHURN_REASON_SHARES", "PLANTED_LIFT"]

PLANTED_CHURN_REASON_SHARES: dict[str, float] = {
    "price": 0.30, "product": 0.20, "service": 0.18, "market": 0.12,
    "technology": 0.10, "social": 0.04, "other": 0.06,
}
#: Relative increase of a member's purchase rate after enrolment, per program.
PLANTED_LIFT: dict[str, float] = {pid: spec[4] for pid, spec in ref.PROGRAMS.items()}

def _exact_counts(shares: dict[str, float], total: int) -> dict[str, int]:
    """Split ``total`` by ``shares`` with the largest-remainder method (sums exactly)."""
    raw = {k: v * total for k, v in shares.items()}
    counts = {k: int(np.floor(v)) for k, v in raw.items()}
    rest = total - sum(counts.values())
    for k in sorted(raw, key=lambda k: (raw[k] - counts[k], k), reverse=True)[:rest]:
        counts[k] += 1
    return counts


class _Calendar:
    """Day indices from the demo start, with seasonal weights for sampling dates."""

    def __init__(self, start: date, end: date) -> None:
        self.start = start
        self.days = (end - start).days + 1
        stamps = pd.date_range(start, end, freq="D")
        weekday = np.where(stamps.day_of_week >= 5, 1.15, 0.96)
        weights = np.asarray(ref.SEASONALITY)[stamps.month - 1] * weekday
        self.cdf = np.concatenate([[0.0], np.cumsum(weights)])

    def sample(self, rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """One seasonal day in [lo, hi] (inclusive) per element."""
        a, b = self.cdf[lo], self.cdf[hi + 1]
        u = a + rng.random(len(lo)) * (b - a)
        return np.clip(np.searchsorted(self.cdf, u, side="right") - 1, lo, hi)


def _choice(rng: np.random.Generator, options: dict[str, float] | list[str], n: int) -> np.ndarray:
    if isinstance(options, dict):
        keys = list(options)
        p = np.asarray(list(options.values()), dtype=float)
        return np.asarray(keys, dtype=object)[rng.choice(len(keys), n, p=p / p.sum())]
    return np.asarray(options, dtype=object)[rng.integers(0, len(options), n)]


def _enrolments(rng: np.random.Generator, cust: pd.DataFrame, z: np.ndarray, deal: np.ndarray, buyer: np.ndarray,
                first: np.ndarray, alive_end: np.ndarray, base_owner: np.ndarray, base_day: np.ndarray,
                start: date, last: int) -> tuple[dict[str, np.ndarray], list[pd.DataFrame]]:
    """Two ways of joining, both self-selected, each needing its own design:

    - Points (sign-up at checkout): at each eligible purchase a customer joins with
      probability sigmoid(a + log(1 + purchases in the previous 180 days)) (plus a deal-seeker
      bonus), ``a`` set so the program reaches its share: customers join right after a burst
      of buying. No comparison recovers the effect from such data without assumptions the
      data cannot check (the placebo test fails), and the Loyalty page says so.
    - Club and VIP (invitation waves): a customer accepts with probability sigmoid(a +
      slope * z) of their *latent* value z (hidden traits, more than their history shows),
      at a month unrelated to their own ups and downs (uniform from 30 days after their
      first purchase and the launch to the end). Customers who join later selected
      themselves the same way: the not-yet-enrolled design recovers :data:`PLANTED_LIFT`,
      while a comparison with look-alike non-members overstates it."""
    n = len(cust)
    order = np.lexsort((base_day, base_owner))
    o, d = base_owner[order], base_day[order]
    key = o * np.int64(1 << 20) + d
    prior = np.arange(len(key)) - np.searchsorted(key, key - 180)      # purchases in the previous 180 days
    activity = np.log1p(prior)
    enrol_day: dict[str, np.ndarray] = {}
    rows = []
    ctype = cust.customer_type.to_numpy()
    for pid, (_name, kind, fee, pstart, _lift, share) in ref.PROGRAMS.items():
        p0 = (date.fromisoformat(pstart) - start).days
        lo = np.maximum(first + 30, p0)
        eligible = buyer.copy()
        if kind == "points":
            eligible &= ctype != "enterprise"
        elif kind == "club":
            eligible &= ctype == "consumer"
        target = share * eligible.sum()
        day = np.full(n, np.iinfo(np.int64).max)
        if kind != "points":
            slope = {"club": 1.0, "vip": 2.0}[kind]
            fit = eligible & (lo <= last)
            a_lo, a_hi = -30.0, 30.0
            for _ in range(40):
                mid = (a_lo + a_hi) / 2
                a_lo, a_hi = (mid, a_hi) if (1 / (1 + np.exp(-(mid + slope * z[fit])))).sum() < target else (a_lo, mid)
            accept = fit & (rng.random(n) < 1 / (1 + np.exp(-(a_lo + slope * z))))
            when = lo + (rng.random(n) * np.maximum(last - lo + 1, 1)).astype(np.int64)
            day[accept] = when[accept]
        else:
            day = _checkout_joins(rng, o, d, eligible, lo, activity, deal, target, day)
        enrol_day[pid] = day
        idx = np.flatnonzero(day < np.iinfo(np.int64).max)
        left = np.where(alive_end[idx] < last - 30, np.maximum(np.minimum(alive_end[idx] + 30, last), day[idx] + 30), -1)
        left = np.where(left >= last, -1, left)
        years = (np.where(left >= 0, left, last) - day[idx]) / 365.0
        tiers = np.where(z[idx] > 1.2, "Platinum", np.where(z[idx] > 0.2, "Gold", "Silver")) if kind != "club" else None
        spells = pd.DataFrame({
            "customer_id": cust.customer_id.to_numpy()[idx], "program_id": pid, "enrol_day": day[idx],
            "tier": tiers, "left_day": left, "fee_paid": np.ceil(np.maximum(years, 0.01)) * fee if fee else None,
        })
        rows.append(_tier_upgrades(spells, last) if kind != "club" else spells)
    return enrol_day, rows


def _checkout_joins(rng: np.random.Generator, o: np.ndarray, d: np.ndarray, eligible: np.ndarray, lo: np.ndarray,
                    activity: np.ndarray, deal: np.ndarray, target: float, day: np.ndarray) -> np.ndarray:
    """Sign-up at checkout (see :func:`_enrolments`): the day of each customer's first join."""
    n = len(day)
    ok = np.flatnonzero(eligible[o] & (d >= lo[o]))
    score = activity[ok] + 1.0 * deal[o[ok]]
    a_lo, a_hi = -30.0, 30.0
    for _ in range(40):
        mid = (a_lo + a_hi) / 2
        log_stay = np.bincount(o[ok], weights=-np.logaddexp(0.0, mid + score), minlength=n)
        a_lo, a_hi = (mid, a_hi) if (1 - np.exp(log_stay)).sum() < target else (a_lo, mid)
    q = 1 / (1 + np.exp(-(a_lo + score)))
    success = ok[rng.random(len(ok)) < q]
    firsts = success[np.r_[True, o[success][1:] != o[success][:-1]]] if len(success) else success
    day[o[firsts]] = d[firsts]
    return day


_TIER_BELOW = {"Platinum": "Gold", "Gold": "Silver"}


def _tier_upgrades(spells: pd.DataFrame, last: int) -> pd.DataFrame:
    """Tier history: 40% of Gold and Platinum members who stayed over 180 days started one
    tier lower and were upgraded 90 days or more after joining. A change is a new row from
    the day of the change; the first row ends that day. Own seeded generator, so the other
    tables are the same with or without it."""
    rng = np.random.default_rng(20_240_917)
    end = np.where(spells["left_day"].to_numpy() >= 0, spells["left_day"].to_numpy(), last)
    start = spells["enrol_day"].to_numpy()
    lower = spells["tier"].map(_TIER_BELOW).to_numpy()
    moved = pd.notna(lower) & (end - start > 180) & (rng.random(len(spells)) < 0.4)
    at = start + 90 + (rng.random(len(spells)) * np.maximum(end - start - 90, 1)).astype(np.int64)
    before = spells[moved].assign(tier=lower[moved], left_day=at[moved])
    after = spells[moved].assign(enrol_day=at[moved])
    return pd.concat([spells[~moved], before, after], ignore_index=True)


def _churn_and_service(rng: np.random.Generator, cust: pd.DataFrame, buyer: np.ndarray, first: np.ndarray,
                       alive_end: np.ndarray, last_buy: np.ndarray, enrol_day: dict[str, np.ndarray],
                       last: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = len(cust)
    b2b = cust.customer_type.to_numpy() != "consumer"
    premium = (enrol_day["CLUB"] < np.iinfo(np.int64).max) | (enrol_day["VIP"] < np.iinfo(np.int64).max)
    gone = buyer & (alive_end < last - 30)
    explicit = gone & (b2b | premium | (rng.random(n) < 0.35))
    idx = np.flatnonzero(explicit)
    churn_day = np.minimum(last_buy[idx] + rng.integers(7, 61, len(idx)), last)
    counts = _exact_counts(PLANTED_CHURN_REASON_SHARES, len(idx))
    reasons = rng.permutation(np.repeat(np.asarray(list(counts), dtype=object), list(counts.values())))
    details = {"price": "Found a cheaper offer / 더 저렴한 곳", "product": "Competitor's product is better / 竞品更好",
               "service": "Complaint not resolved / 投訴未解決", "market": "Moved away / 이사",
               "technology": "Switched to a newer alternative", "social": "Disagrees with company conduct",
               "other": None}
    churn = pd.DataFrame({"customer_id": cust.customer_id.to_numpy()[idx], "day": churn_day, "reason": reasons,
                          "reason_detail": [details[r] for r in reasons]})
    # Service contacts: a background rate for everyone who bought ...
    bidx = np.flatnonzero(buyer)
    cnt = rng.poisson(0.25 * np.where(b2b[bidx], 3.0, 1.0) * (alive_end[bidx] - first[bidx] + 1) / 365.0)
    own = np.repeat(bidx, cnt)
    opened = first[own] + (rng.random(len(own)) * (alive_end[own] - first[own] + 1)).astype(np.int64)
    kind = _choice(rng, {"inquiry": 0.45, "complaint": 0.25, "return": 0.2, "technical support": 0.1}, len(own))
    hours = rng.lognormal(np.log(20), 0.9, len(own))
    # ... plus, planted: everyone who left over service had a slowly answered complaint first.
    sidx = idx[reasons == "service"]
    s_open = np.maximum(churn_day[reasons == "service"] - rng.integers(10, 60, len(sidx)), first[sidx])
    own = np.concatenate([own, sidx])
    opened = np.concatenate([opened, s_open])
    kind = np.concatenate([kind, np.full(len(sidx), "complaint", dtype=object)])
    hours = np.concatenate([hours, rng.uniform(96, 400, len(sidx))])
    sat = np.clip(np.round(5 - hours / 60 + rng.normal(0, 0.7, len(hours))), 1, 5).astype(np.int64)
    unit = {"inquiry": 8.0, "complaint": 35.0, "return": 20.0, "technical support": 25.0}
    open_minute = rng.integers(8 * 60, 20 * 60, len(own))
    resolved_min = open_minute + (hours * 60).astype(np.int64)
    unresolved = (opened > last - 5) & (rng.random(len(own)) < 0.5)
    service = pd.DataFrame({
        "customer_id": cust.customer_id.to_numpy()[own], "day": opened, "open_min": open_minute,
        "resolved_min": np.where(unresolved, -1, resolved_min), "type": kind,
        "channel": _choice(rng, {"phone": 0.4, "email": 0.25, "chat": 0.25, "store": 0.1}, len(own)),
        "satisfaction": np.where(unresolved, -1, sat),
        "cost": np.round([unit[k] for k in kind] * rng.uniform(0.7, 1.3, len(own)), 2),
    })
    return churn, service


def _loyalty_costs(rng: np.random.Generator, tx: pd.DataFrame, enrol_day: dict[str, np.ndarray],
                   cal: _Calendar, n: int) -> pd.DataFrame:
    month = (pd.Timestamp(cal.start) + pd.to_timedelta(tx.day.to_numpy(), "D")).to_period("M")
    rows = []
    rates = {"points": 0.03, "club": 0.05, "vip": 0.04}
    ops = {"points": 4000.0, "club": 2500.0, "vip": 1500.0}
    scale = max(n / 20_000, 0.05)
    for pid, (_name, kind, _fee, pstart, _l, _s) in ref.PROGRAMS.items():
        in_prog = tx.day.to_numpy() >= enrol_day[pid][tx.owner.to_numpy()]
        rev = pd.Series(tx.amount.to_numpy() * in_prog).groupby(month).sum()
        rev = rev[rev.index >= pd.Period(pstart, "M")]
        for m, r in rev.items():
            d = m.to_timestamp().date()
            rows.append((pid, d, round(float(r) * rates[kind], 2), "rewards"))
            rows.append((pid, d, round(ops[kind] * scale * rng.uniform(0.9, 1.1), 2), "operations"))
            if m.month in (3, 9):
                rows.append((pid, d, round(ops[kind] * 2 * scale * rng.uniform(0.8, 1.2), 2), "marketing"))
    return pd.DataFrame(rows, columns=["program_id", "cost_date", "amount", "cost_type"])
