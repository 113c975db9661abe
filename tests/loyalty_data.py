"""A seeded loyalty world with a known truth, written to a real DuckDB file.

Customers buy each month (Poisson with their own rate, lognormal order values) and stop
for good with a small monthly probability. From ``launch`` on, a customer who buys in a
month joins the program that month with probability sigmoid(a + b * log(1 + purchases in
the previous six months)): big spenders join far more often (self-selection), on what
they *did* (selection on observables, the assumption matching relies on). From the
month after joining, a member's purchase rate is multiplied by ``1 + lift``: the planted
incremental effect on spend.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from crm_core.store.connection import Store

__all__ = ["simulate_program", "START"]

START = date(2022, 1, 1)


def simulate_program(path: Path, *, customers: int = 6000, months: int = 36, launch: int = 12, lift: float = 0.2,
                     slope: float = 1.5, join_rate: float = 0.04, seed: int = 0, fee: float | None = None,
                     monthly_cost: float = 1000.0, joining: str = "checkout") -> Store:
    """Write the world to ``path``; returns the store. Program ``P`` (kind points, or club
    when ``fee`` is given) with its members and a fixed monthly cost booking.
    ``joining="invitation"``: instead of joining at a purchase after a busy spell, about a
    third of customers accept an invitation, the more likely the higher their *latent*
    rate, at a month drawn uniformly from ``launch`` on (timing unrelated to their buying)."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(1.0, 0.6, customers)                     # purchases per month
    value = rng.lognormal(3.5, 0.6, customers)                # average order value
    first = rng.integers(0, launch, customers)                # first active month
    death = first + rng.geometric(0.03, customers)            # first month no longer alive
    enrol = np.full(customers, -1)
    if joining == "invitation":
        z = slope * np.log(rate)
        accept = rng.random(customers) < 1 / (1 + np.exp(-(z - np.quantile(z, 2 / 3))))
        enrol = np.where(accept, rng.integers(launch, months, customers), -1)
    history = np.zeros((customers, months), dtype=np.int64)   # purchases per month
    for m in range(months):
        alive = (m >= first) & (m < death)
        boost = np.where((enrol >= 0) & (m > enrol), 1 + lift, 1.0)
        n = np.where(alive, rng.poisson(rate * boost), 0)
        n[(m == first)] = np.maximum(n[(m == first)], 1)      # everyone buys in their first month
        history[:, m] = n
        if m >= launch and joining == "checkout":
            prior = history[:, max(m - 6, 0):m].sum(axis=1)
            p = 1 / (1 + np.exp(-(np.log(join_rate / (1 - join_rate)) + slope * (np.log1p(prior) - 1))))
            joins = (enrol < 0) & (n > 0) & (m > first) & (rng.random(customers) < p)
            enrol[joins] = m
    owner = np.repeat(np.repeat(np.arange(customers), months), history.ravel())
    month = np.repeat(np.tile(np.arange(months), customers), history.ravel())
    day = (pd.Timestamp(START) + pd.to_timedelta(0, "D")).to_period("M")
    month_start = np.asarray([(day + int(m)).to_timestamp() for m in range(months)], dtype="datetime64[D]")
    days_in = np.asarray([(day + int(m)).days_in_month for m in range(months)])
    tx_date = month_start[month] + rng.integers(0, days_in[month]).astype("timedelta64[D]")
    amount = np.round(value[owner] * rng.gamma(4.0, 0.25, len(owner)), 2)
    ids = np.asarray([f"C{i:06d}" for i in range(customers)])
    tx = pd.DataFrame({"transaction_id": [f"T{i:08d}" for i in range(len(owner))], "customer_id": ids[owner],
                       "tx_date": tx_date, "amount": amount, "cost": np.round(amount * 0.6, 2)})
    members = np.flatnonzero(enrol >= 0)
    mem = pd.DataFrame({"customer_id": ids[members], "program_id": "P",
                        "enrolled_at": month_start[enrol[members]] + np.timedelta64(14, "D"),
                        "fee_paid": fee})
    costs = pd.DataFrame({"program_id": "P", "cost_date": month_start[launch:],
                          "amount": monthly_cost, "cost_type": "operations"})
    store = Store(path, create=True)
    with store.transaction() as cur:
        cur.register("c", pd.DataFrame({"customer_id": ids, "region": np.where(rng.random(customers) < 0.5, "North", "South")}))
        cur.register("t", tx)
        cur.register("m", mem)
        cur.register("k", costs)
        cur.execute("INSERT INTO customers (customer_id, region) SELECT customer_id, region FROM c")
        cur.execute("INSERT INTO transactions (transaction_id, customer_id, tx_date, amount, cost) "
                    "SELECT transaction_id, customer_id, CAST(tx_date AS DATE), amount, cost FROM t")
        cur.execute("INSERT INTO loyalty_programs VALUES ('P', 'Program P', ?, ?, ?, NULL)",
                    ["club" if fee else "points", fee, month_start[launch].astype(object)])
        cur.execute("INSERT INTO loyalty_members (customer_id, program_id, enrolled_at, fee_paid) "
                    "SELECT customer_id, program_id, CAST(enrolled_at AS DATE), fee_paid FROM m")
        cur.execute("INSERT INTO loyalty_costs (program_id, cost_date, amount, cost_type) "
                    "SELECT program_id, CAST(cost_date AS DATE), amount, cost_type FROM k")
        Store.refresh_derived(cur)
        Store.bump_data_version(cur)
    return store
