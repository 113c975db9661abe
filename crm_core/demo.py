"""Deterministic demo database with planted truths the analytics must recover.

The generative story, per customer: a purchase rate (gamma across customers), an
order-value scale (log-normal, heavier for business customers: the 80/20 shape), a
lifetime after which they stop buying (exponential), monthly seasonality with a Q4
peak. Loyalty programs recruit with self-selection (higher spenders and deal-seekers
join more often) and then raise the member's purchase rate by a *known* relative
lift (:data:`PLANTED_LIFT`). Churned customers get exit events whose reasons follow
:data:`PLANTED_CHURN_REASON_SHARES` exactly (largest-remainder allocation, not random
draws), and customers who left over service had slow-answered complaints first.

Everything is vectorised numpy and one bulk insert per table; the file is written to
a temporary name and moved into place, so a crash never leaves half a database.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from . import demo_people as ref
from .errors import DatabaseExistsError, InvalidParameterError
from .store import Store

__all__ = [
    "generate",
    "DemoResult",
    "PLANTED_CHURN_REASON_SHARES",
    "PLANTED_LIFT",
    "DEFAULT_CUSTOMERS",
    "DEFAULT_SEED",
    "DEMO_START",
    "DEMO_END",
]

DEFAULT_CUSTOMERS = 20_000
DEFAULT_SEED = 42
DEMO_START = date(2022, 1, 1)
DEMO_END = date(2026, 9, 30)
MAX_CUSTOMERS = 5_000_000
VALUE_SIGMA = 0.7  # log-normal spread of customers' order-value scale: the 80/20 shape

PLANTED_CHURN_REASON_SHARES: dict[str, float] = {
    "price": 0.30, "product": 0.20, "service": 0.18, "market": 0.12,
    "technology": 0.10, "social": 0.04, "other": 0.06,
}
#: Relative increase of a member's purchase rate after enrolment, per program.
PLANTED_LIFT: dict[str, float] = {pid: spec[4] for pid, spec in ref.PROGRAMS.items()}

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class DemoResult:
    path: str
    customers: int
    transactions: int
    seconds: float


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


def _customers(rng: np.random.Generator, n: int, cal: _Calendar) -> pd.DataFrame:
    types = _choice(rng, {k: v[0] for k, v in ref.CUSTOMER_TYPES.items()}, n)
    regions = _choice(rng, {k: v[0] for k, v in ref.REGIONS.items()}, n)
    b2b = types != "consumer"
    consumer_channels = {k: v for k, v in ref.CHANNELS.items() if k != "direct sales"}
    channel = np.where(b2b, _choice(rng, {"direct sales": 0.4, "partner": 0.25, "online": 0.2, "referral": 0.15}, n),
                       _choice(rng, consumer_channels, n))
    names = np.empty(n, dtype=object)
    cities = np.empty(n, dtype=object)
    countries = np.empty(n, dtype=object)
    suffix = {"ko": " 주식회사", "zh_Hans": "有限公司", "zh_Hant": "有限公司", "ja": "株式会社", "en": " Ltd."}
    for region, (_, country, city_list, pool) in ref.REGIONS.items():
        idx = np.flatnonzero(regions == region)
        countries[idx] = country
        cities[idx] = _choice(rng, list(city_list), len(idx))
        sur = _choice(rng, list(ref.SURNAMES[pool]), len(idx))
        giv = _choice(rng, list(ref.GIVEN_NAMES[pool]), len(idx))
        comp = _choice(rng, list(ref.COMPANY_WORDS[pool]), len(idx))
        person = [f"{g} {s}" for s, g in zip(sur, giv)] if pool == "en" else [s + g for s, g in zip(sur, giv)]
        company = [f"{c}{suffix[pool]}" for c in comp]
        names[idx] = np.where(b2b[idx], np.asarray(company, dtype=object), np.asarray(person, dtype=object))
    ids = np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), 7)).astype(object)
    span = cal.days + 365 - 14
    signup = (span * rng.random(n) ** 0.8).astype(np.int64) - 365
    managers_by_region: dict[str, list[str]] = {}
    for mid, _, region, _ in ref.MANAGERS:
        managers_by_region.setdefault(region, []).append(mid)
    managed = (types == "enterprise") | (types == "public sector") | ((types == "small business") & (rng.random(n) < 0.15))
    manager = np.full(n, None, dtype=object)
    for region, mids in managers_by_region.items():
        idx = np.flatnonzero(managed & (regions == region))
        manager[idx] = _choice(rng, mids, len(idx))
    codes = {"KR": "+82-10", "CN": "+86-139", "TW": "+886-9", "JP": "+81-90", "HK": "+852-9", "SG": "+65-8", "US": "+1-415"}
    digits = rng.integers(10_000_000, 99_999_999, n)
    return pd.DataFrame({
        "customer_id": ids,
        "name": names,
        "email": [f"{'contact' if b else 'customer'}{i}@example.com" for i, b in zip(range(1, n + 1), b2b)],
        "phone": [f"{codes[c]}-{d // 10000:04d}-{d % 10000:04d}" for c, d in zip(countries, digits)],
        "city": cities, "region": regions, "country": countries, "customer_type": types,
        "industry": np.where(b2b, _choice(rng, list(ref.INDUSTRIES), n), None),
        "acquisition_channel": channel, "signup_day": signup, "account_manager": manager,
    })


def generate(path: str | os.PathLike[str], *, customers: int = DEFAULT_CUSTOMERS, seed: int = DEFAULT_SEED,
             start: date = DEMO_START, end: date = DEMO_END, force: bool = False,
             progress: Progress | None = None) -> DemoResult:
    """Write a demo database to ``path``. Refuses to overwrite unless ``force``."""
    t0 = time.perf_counter()
    if not 1 <= customers <= MAX_CUSTOMERS:
        raise InvalidParameterError(f"customers must be between 1 and {MAX_CUSTOMERS}", name="customers", value=customers)
    if end <= start:
        raise InvalidParameterError("end must be after start", name="end", value=str(end))
    target = Path(path).expanduser().resolve()
    if target.exists() and not force:
        raise DatabaseExistsError(f"{target} exists; pass --force to replace it", path=str(target))
    report = progress or (lambda _f, _k: None)
    rng = np.random.default_rng(seed)
    cal = _Calendar(start, end)
    last = cal.days - 1

    report(0.05, "demo.step.customers")
    cust = _customers(rng, customers, cal)
    n = customers
    spec = {k: np.asarray([ref.CUSTOMER_TYPES[t][i] for t in cust.customer_type]) for k, i in
            (("rate", 1), ("scale", 2), ("life", 3))}
    lam = spec["rate"] * rng.gamma(1.2, 1 / 1.2, n)
    sigma = VALUE_SIGMA
    value = spec["scale"] * rng.lognormal(-sigma**2 / 2, sigma, n)
    deal = (cust.customer_type.to_numpy() == "consumer") & (rng.random(n) < 0.2)
    first = np.maximum(cust.signup_day.to_numpy(), 0) + rng.geometric(1 / 20, n) - 1
    buyer = (rng.random(n) > 0.06) & (first <= last)
    alive_end = np.minimum(last, first + (rng.exponential(spec["life"]) * 365).astype(np.int64))
    alive_end = np.maximum(alive_end, first)

    report(0.2, "demo.step.transactions")
    b = np.flatnonzero(buyer)
    base_n = rng.poisson(lam[b] * (alive_end[b] - first[b]) / 365.0)
    base_owner = np.concatenate([b, np.repeat(b, base_n)])
    base_day = np.concatenate([first[b], cal.sample(rng, np.repeat(first[b] + 1, base_n).clip(max=last),
                                                    np.repeat(alive_end[b], base_n))])
    report(0.3, "demo.step.loyalty")
    z = np.log(lam * value)
    spread = z.std()
    z = (z - z.mean()) / (spread if spread > 0 else 1.0)
    enrol_day, member_rows = _enrolments(rng, cust, z, deal, buyer, first, alive_end, base_owner, base_day,
                                         start, last)
    owners, days = [base_owner], [base_day]
    for pid, day in enrol_day.items():
        m = np.flatnonzero(day < np.iinfo(np.int64).max)
        extra = rng.poisson(lam[m] * PLANTED_LIFT[pid] * (alive_end[m] - day[m]) / 365.0)
        owners.append(np.repeat(m, extra))
        days.append(cal.sample(rng, np.repeat(day[m], extra), np.repeat(alive_end[m], extra)))
    owner = np.concatenate(owners)
    day = np.concatenate(days)
    tx = _orders(rng, owner, day, value, deal, cust, last)
    report(0.65, "demo.step.churn")
    last_buy = np.full(n, -1)
    np.maximum.at(last_buy, owner, day)
    churn, service = _churn_and_service(rng, cust, buyer, first, alive_end, last_buy, enrol_day, last)
    report(0.75, "demo.step.costs")
    costs = _loyalty_costs(rng, tx, enrol_day, cal, n)
    campaigns, contacts = _campaigns(rng, cust, buyer, first, alive_end, last_buy, last)

    report(0.85, "demo.step.writing")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    for p in (tmp, Path(str(tmp) + ".wal")):
        p.unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    members = pd.concat(member_rows, ignore_index=True)
    try:
        store = Store(tmp, create=True)
        with store.transaction() as cur:
            _write(cur, start, cust, tx, churn, service, members, costs, campaigns, contacts, seed, customers)
            Store.refresh_derived(cur)
            Store.bump_data_version(cur)
        with store.cursor() as cur:
            cur.execute("CHECKPOINT")
        del store
        os.replace(tmp, target)
        Path(str(target) + ".wal").unlink(missing_ok=True)
    finally:
        for p in (tmp, Path(str(tmp) + ".wal")):
            p.unlink(missing_ok=True)
    report(1.0, "demo.step.done")
    return DemoResult(str(target), customers, len(tx), time.perf_counter() - t0)


def _enrolments(rng: np.random.Generator, cust: pd.DataFrame, z: np.ndarray, deal: np.ndarray, buyer: np.ndarray,
                first: np.ndarray, alive_end: np.ndarray, base_owner: np.ndarray, base_day: np.ndarray,
                start: date, last: int) -> tuple[dict[str, np.ndarray], list[pd.DataFrame]]:
    """Customers join at a purchase (sign-up at checkout). At each eligible purchase they join
    with probability sigmoid(a + slope * log(1 + purchases in the previous 180 days)) (plus a
    deal-seeker bonus for points), ``a`` set so the program reaches its share. Busy buyers
    join far more often (self-selection), but on what they *did*, not on hidden traits:
    the assumption under which a matched comparison can recover :data:`PLANTED_LIFT`."""
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
        ok = np.flatnonzero(eligible[o] & (d >= lo[o]))
        slope = {"points": 1.0, "club": 1.0, "vip": 3.0}[kind]
        score = slope * activity[ok] + (1.0 * deal[o[ok]] if kind == "points" else 0.0)
        target = share * eligible.sum()
        a_lo, a_hi = -30.0, 30.0
        for _ in range(40):
            mid = (a_lo + a_hi) / 2
            log_stay = np.bincount(o[ok], weights=-np.logaddexp(0.0, mid + score), minlength=n)
            a_lo, a_hi = (mid, a_hi) if (1 - np.exp(log_stay)).sum() < target else (a_lo, mid)
        q = 1 / (1 + np.exp(-(a_lo + score)))
        success = ok[rng.random(len(ok)) < q]
        firsts = success[np.r_[True, o[success][1:] != o[success][:-1]]] if len(success) else success
        day = np.full(n, np.iinfo(np.int64).max)
        day[o[firsts]] = d[firsts]
        enrol_day[pid] = day
        idx = np.flatnonzero(day < np.iinfo(np.int64).max)
        left = np.where(alive_end[idx] < last - 30, np.minimum(alive_end[idx] + 30, last), -1)
        years = (np.where(left >= 0, left, last) - day[idx]) / 365.0
        tiers = np.where(z[idx] > 1.2, "Platinum", np.where(z[idx] > 0.2, "Gold", "Silver")) if kind != "club" else None
        rows.append(pd.DataFrame({
            "customer_id": cust.customer_id.to_numpy()[idx], "program_id": pid, "enrol_day": day[idx],
            "tier": tiers, "left_day": left, "fee_paid": np.ceil(np.maximum(years, 0.01)) * fee if fee else None,
        }))
    return enrol_day, rows


def _orders(rng: np.random.Generator, owner: np.ndarray, day: np.ndarray, value: np.ndarray,
            deal: np.ndarray, cust: pd.DataFrame, last: int) -> pd.DataFrame:
    """Order rows (plus return rows) for the given owners and days, sorted by day."""
    order = np.lexsort((owner, day))
    owner, day = owner[order], day[order]
    k = len(owner)
    cats = list(ref.CATEGORIES)
    b2b = (cust.customer_type.to_numpy() != "consumer")
    fav = np.where(b2b, rng.choice([cats.index(c) for c in ("Office", "Software", "Services", "Electronics")], len(b2b)),
                   rng.integers(0, len(cats), len(b2b)))
    cat = np.where(rng.random(k) < 0.6, fav[owner], rng.integers(0, len(cats), k))
    prod_names, prod_ids, prices, margins, cat_of = [], [], [], [], []
    for ci, cname in enumerate(cats):
        margin, items = ref.CATEGORIES[cname]
        for pi, (pname, price) in enumerate(items):
            prod_ids.append(f"P{ci + 1:02d}{pi + 1:02d}")
            prod_names.append(pname)
            prices.append(price)
            margins.append(margin)
            cat_of.append(ci)
    cat_of_arr = np.asarray(cat_of)
    starts = np.searchsorted(cat_of_arr, np.arange(len(cats)))
    sizes = np.bincount(cat_of_arr)
    prod = starts[cat] + (rng.random(k) * sizes[cat]).astype(np.int64)
    amount = np.round(value[owner] * rng.gamma(3.0, 1 / 3.0, k), 2).clip(min=1.0)
    disc_rate = np.where(deal[owner], 0.15, np.where(rng.random(k) < 0.1, 0.07, 0.0))
    discount = np.round(amount * disc_rate / (1 - disc_rate), 2)
    cost = np.round(amount / (1 - disc_rate) * (1 - np.asarray(margins)[prod]) * rng.normal(1, 0.05, k), 2)
    quantity = np.maximum(1, np.round(amount / np.asarray(prices)[prod])).astype(np.int64)
    chan_map = {"online": "online", "store": "store", "mobile app": "mobile app", "partner": "partner",
                "referral": "online", "direct sales": "direct sales"}
    home = cust.acquisition_channel.map(chan_map).to_numpy()[owner]
    channel = np.where(rng.random(k) < 0.75, home, _choice(rng, ["online", "store", "mobile app"], k))
    fashion = cat == cats.index("Fashion")
    ret = rng.random(k) < np.where(fashion, 0.08, 0.025)
    ret_day = day + rng.integers(1, 31, k)
    ret &= ret_day <= last
    frames = []
    for sign, mask, d in ((1, np.ones(k, bool), day), (-1, ret, ret_day)):
        frames.append(pd.DataFrame({
            "owner": owner[mask], "day": d[mask], "amount": sign * amount[mask], "cost": sign * cost[mask],
            "quantity": sign * quantity[mask], "product_id": np.asarray(prod_ids, dtype=object)[prod[mask]],
            "product_category": np.asarray(cats, dtype=object)[cat_of_arr[prod[mask]]],
            "channel": channel[mask], "discount": np.where(sign > 0, discount[mask], 0.0),
        }))
    out = pd.concat(frames, ignore_index=True).sort_values(["day", "owner"], kind="stable", ignore_index=True)
    out["seq"] = np.arange(1, len(out) + 1)
    out.attrs["products"] = pd.DataFrame({"product_id": prod_ids, "name": prod_names,
                                          "category": [cats[c] for c in cat_of], "unit_price": prices,
                                          "unit_cost": np.round(np.asarray(prices) * (1 - np.asarray(margins)), 2)})
    return out


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


def _campaigns(rng: np.random.Generator, cust: pd.DataFrame, buyer: np.ndarray, first: np.ndarray,
               alive_end: np.ndarray, last_buy: np.ndarray, last: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    specs = [("CMP01", "Spring welcome", "acquisition", "email", 90), ("CMP02", "Q4 cross-sell", "cross-sell", "app push", 300),
             ("CMP03", "Win back lapsed buyers", "win-back", "sms", 450), ("CMP04", "Retention: contract renewals", "retention", "account manager", 600),
             ("CMP05", "Lunar New Year", "cross-sell", "email", 760), ("CMP06", "Win back 2025", "win-back", "email", 1200),
             ("CMP07", "VIP appreciation", "retention", "direct mail", 1400), ("CMP08", "Autumn reactivation", "win-back", "sms", 1650)]
    camp, contacts = [], []
    for cid, name, kind, channel, d0 in specs:
        if d0 > last:
            continue
        alive = buyer & (first <= d0) & (alive_end >= d0)
        pool = np.flatnonzero(alive & (d0 - last_buy > 120)) if kind == "win-back" else np.flatnonzero(alive)
        size = min(len(pool), max(1, len(cust) // 20))
        chosen = rng.choice(pool, size, replace=False) if size else np.asarray([], dtype=np.int64)
        control = rng.random(size) < 0.1
        responded = rng.random(size) < np.where(control, 0.03, 0.08)
        contacts.append(pd.DataFrame({"campaign_id": cid, "customer_id": cust.customer_id.to_numpy()[chosen],
                                      "day": d0, "is_control": control, "responded": responded,
                                      "response_day": np.where(responded, d0 + rng.integers(1, 21, size), -1)}))
        camp.append((cid, name, kind, channel, d0, min(d0 + 30, last), round(500 + 1.2 * size, 2)))
    return (pd.DataFrame(camp, columns=["campaign_id", "name", "kind", "channel", "d0", "d1", "cost"]),
            pd.concat(contacts, ignore_index=True))


def _write(cur, start: date, cust: pd.DataFrame, tx: pd.DataFrame, churn: pd.DataFrame, service: pd.DataFrame,
           members: pd.DataFrame, costs: pd.DataFrame, campaigns: pd.DataFrame, contacts: pd.DataFrame,
           seed: int, customers: int) -> None:
    """Bulk-insert every frame; day numbers become dates relative to ``start`` in SQL."""
    p = {"start": start}
    frames = {"d_cust": cust, "d_tx": tx[["seq", "owner", "day", "amount", "cost", "quantity", "product_id",
                                          "product_category", "channel", "discount"]],
              "d_churn": churn, "d_service": service, "d_members": members, "d_costs": costs,
              "d_campaigns": campaigns, "d_contacts": contacts, "d_products": tx.attrs["products"]}
    for name, frame in frames.items():
        cur.register(name, frame)
    stmts = [
        "INSERT INTO account_managers VALUES " + ", ".join(["(?, ?, ?, ?, ?)"] * len(ref.MANAGERS)),
        """INSERT INTO customers (customer_id, name, email, phone, address, city, region, country, customer_type,
               industry, acquisition_channel, signup_date, account_manager, ingest_id) SELECT customer_id, name, email, phone, NULL, city, region, country, customer_type,
               industry, acquisition_channel, CAST($start AS DATE) + CAST(signup_day AS INTEGER), account_manager, 1 FROM d_cust""",
        "INSERT INTO products SELECT product_id, name, category, unit_price, unit_cost FROM d_products",
        """INSERT INTO transactions (transaction_id, customer_id, tx_date, tx_ts, amount, cost, quantity, product_id,
               product_category, channel, store_id, discount, currency, ingest_id) SELECT 'T' || lpad(CAST(seq AS VARCHAR), 10, '0'),
               'C' || lpad(CAST(owner + 1 AS VARCHAR), 7, '0'), CAST($start AS DATE) + CAST(day AS INTEGER), NULL,
               amount, cost, quantity, product_id, product_category, channel, NULL, discount, 'USD', 1 FROM d_tx""",
        """INSERT INTO churn_events SELECT customer_id, CAST($start AS DATE) + CAST(day AS INTEGER), reason, reason_detail, 1
               FROM d_churn""",
        """INSERT INTO service_interactions SELECT 'S' || lpad(CAST(row_number() OVER () AS VARCHAR), 9, '0'), customer_id,
               CAST(CAST($start AS DATE) + CAST(day AS INTEGER) AS TIMESTAMP) + to_minutes(open_min), type,
               CASE WHEN resolved_min >= 0 THEN CAST(CAST($start AS DATE) + CAST(day AS INTEGER) AS TIMESTAMP)
                    + to_minutes(resolved_min) END, channel,
               CASE WHEN satisfaction > 0 THEN satisfaction END, cost, 1 FROM d_service""",
        """INSERT INTO loyalty_members SELECT customer_id, program_id, CAST($start AS DATE) + CAST(enrol_day AS INTEGER),
               tier, CASE WHEN left_day >= 0 THEN CAST($start AS DATE) + CAST(left_day AS INTEGER) END, fee_paid, 1
               FROM d_members""",
        "INSERT INTO loyalty_costs SELECT program_id, cost_date, amount, cost_type, 1 FROM d_costs",
        """INSERT INTO campaigns SELECT campaign_id, name, kind, channel, CAST($start AS DATE) + CAST(d0 AS INTEGER),
               CAST($start AS DATE) + CAST(d1 AS INTEGER), cost FROM d_campaigns""",
        """INSERT INTO campaign_contacts SELECT campaign_id, customer_id, CAST($start AS DATE) + CAST(day AS INTEGER),
               is_control, responded, CASE WHEN response_day >= 0 THEN CAST($start AS DATE) + CAST(response_day AS INTEGER) END
               FROM d_contacts""",
    ]
    cur.execute(stmts[0], [v for m in ref.MANAGERS for v in (m[0], m[1], f"{m[0].lower()}@example.com", m[2], m[3])])
    for sql in stmts[1:]:
        cur.execute(sql, p if "$start" in sql else None)
    for pid, (name, kind, fee, pstart, _l, _s) in ref.PROGRAMS.items():
        cur.execute("INSERT INTO loyalty_programs VALUES (?, ?, ?, ?, ?, NULL)",
                    [pid, name, kind, fee or None, date.fromisoformat(pstart)])
    cur.executemany("INSERT INTO fx_rates VALUES (?, ?)", list(ref.FX_PER_USD.items()))
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rows = cur.execute("SELECT count(*) FROM transactions").fetchone()[0]
    cur.execute("INSERT INTO ingest_log VALUES (1, 'demo', ?, NULL, 'demo generator', ?, ?, 'loaded', ?, ?, 0, NULL)",
                [f"demo(customers={customers}, seed={seed})", now, now, rows, rows])
    Store.set_meta(cur, "base_currency", "USD")
    Store.set_meta(cur, "demo_seed", str(seed))
    for name in frames:
        cur.unregister(name)
