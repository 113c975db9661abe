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

from crm_core.demo import people as ref
from crm_core.demo import relations as demo_relations
from crm_core.demo.events import (
    PLANTED_CHURN_REASON_SHARES,
    PLANTED_LIFT,
    _Calendar,
    _choice,
    _churn_and_service,
    _enrolments,
    _loyalty_costs,
)
from crm_core.errors import DatabaseExistsError, InvalidParameterError
from crm_core.store.connection import Store

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

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class DemoResult:
    path: str
    customers: int
    transactions: int
    seconds: float


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
        extra = rng.poisson(lam[m] * PLANTED_LIFT[pid] * np.maximum(alive_end[m] - day[m], 0) / 365.0)
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
    # Relationship data from its own stream: the draws above (and their planted truths) stay as they were.
    rng2 = np.random.default_rng([seed, 25])
    campaigns, contacts, r_owner, r_day = demo_relations.campaigns(
        rng2, cust.customer_id.to_numpy(), buyer, first, alive_end, owner, day, last, churn)
    products = tx.attrs.pop("products")
    extra = _orders(rng2, r_owner, r_day, value, deal, cust, last)
    extra.attrs.clear()
    tx = pd.concat([tx, extra, demo_relations.basket_lines(rng2, tx, products)], ignore_index=True)
    tx["seq"] = np.arange(1, len(tx) + 1)
    tx.attrs["products"] = products
    service["first_min"] = demo_relations.first_response(rng2, service)

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
        """INSERT INTO service_interactions (interaction_id, customer_id, opened_at, type, resolved_at, channel,
               satisfaction, cost, ingest_id, first_response_at)
               SELECT 'S' || lpad(CAST(row_number() OVER () AS VARCHAR), 9, '0'), customer_id,
               CAST(CAST($start AS DATE) + CAST(day AS INTEGER) AS TIMESTAMP) + to_minutes(open_min), type,
               CASE WHEN resolved_min >= 0 THEN CAST(CAST($start AS DATE) + CAST(day AS INTEGER) AS TIMESTAMP)
                    + to_minutes(resolved_min) END, channel,
               CASE WHEN satisfaction > 0 THEN satisfaction END, cost, 1,
               CASE WHEN first_min >= 0 THEN CAST(CAST($start AS DATE) + CAST(day AS INTEGER) AS TIMESTAMP)
                    + to_minutes(first_min) END FROM d_service""",
        """INSERT INTO loyalty_members SELECT customer_id, program_id, CAST($start AS DATE) + CAST(enrol_day AS INTEGER),
               tier, CASE WHEN left_day >= 0 THEN CAST($start AS DATE) + CAST(left_day AS INTEGER) END, fee_paid, 1
               FROM d_members""",
        "INSERT INTO loyalty_costs SELECT program_id, cost_date, amount, cost_type, 1 FROM d_costs",
        """INSERT INTO campaigns SELECT campaign_id, name, kind, channel, CAST($start AS DATE) + CAST(d0 AS INTEGER),
               CAST($start AS DATE) + CAST(d1 AS INTEGER), cost FROM d_campaigns""",
        """INSERT INTO campaign_contacts SELECT campaign_id, customer_id, CAST($start AS DATE) + CAST(day AS INTEGER),
               is_control, responded, CASE WHEN response_day >= 0 THEN CAST($start AS DATE) + CAST(response_day AS INTEGER) END,
               1 FROM d_contacts""",
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
