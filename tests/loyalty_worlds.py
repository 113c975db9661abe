"""Seeded worlds where the naive and the matched answers are wrong: members self-select on
a buying rate their history does not fully show.

A BG/NBD-style process by month: each customer has a latent purchase rate (gamma across
customers) and a latent monthly dropout probability (beta across customers). While alive
they buy Poisson(rate) purchase days a month, lognormal order values; after each month
they stop for good with their dropout probability. A program launches at ``launch``:
customers with a high *latent* rate join far more often (membership probability is a
logistic function of log rate), each at a month drawn uniformly from the program's months
(an invitation wave reaching them: timing unrelated to their ups and downs). From the month
after joining, an alive member buys at ``(1 + lift) x`` their rate: the true effect on
spend is exactly ``lift``.

Matched non-members with the same past months are, on average, lower-rate customers who
had a good spell: they fall back afterwards, and a matched comparison credits the program
with it. Customers who join later went through the same self-selection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from crm_core.loyalty.panel import Panel

__all__ = ["World", "latent_world", "START"]

START = date(2020, 1, 1)


@dataclass
class World:
    panel: Panel
    members: pd.DataFrame        # code, enrolled_at
    cats: list[np.ndarray]
    lift: float


def latent_world(seed: int, *, customers: int = 6000, months: int = 48, launch: int = 12, lift: float = 0.0,
                 selection: float = 3.0, share: float = 0.3, rate_shape: float = 0.5,
                 rate_scale: float = 0.6) -> World:
    """One world (see the module docstring); everyone first buys before ``launch``."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(rate_shape, rate_scale, customers)                         # purchase days per month
    dropout = rng.beta(1.0, 40.0, customers)                      # per month
    value = rng.lognormal(3.5, 0.5, customers)
    first = rng.integers(0, launch, customers)
    # Self-selection on the latent rate: logit(P(member)) = a + selection * log(rate),
    # a set so that about ``share`` of customers join.
    z = selection * np.log(rate)
    a_lo, a_hi = -30.0, 30.0
    for _ in range(50):
        mid = (a_lo + a_hi) / 2
        a_lo, a_hi = (mid, a_hi) if (1 / (1 + np.exp(-(mid + z)))).mean() < share else (a_lo, mid)
    member = rng.random(customers) < 1 / (1 + np.exp(-(a_lo + z)))
    enrol = np.where(member, rng.integers(launch, months, customers), -1)
    alive = np.ones(customers, dtype=bool)
    rows = []
    for m in range(months):
        on = alive & (m >= first)
        boost = np.where(member & (m > enrol), 1.0 + lift, 1.0)
        n = np.where(on, rng.poisson(rate * boost), 0)
        n[m == first] = np.maximum(n[m == first], 1)              # everyone buys in their first month
        buyers = np.flatnonzero(n > 0)
        revenue = value[buyers] * rng.gamma(4.0 * n[buyers], 0.25)   # sum of n gamma(4, .25 x value) orders
        rows.append(pd.DataFrame({"code": buyers, "m": m, "revenue": revenue, "profit": 0.4 * revenue,
                                  "purchase_days": n[buyers], "orders": n[buyers], "discounted": 0}))
        alive &= ~((m >= first) & (rng.random(customers) < dropout))
    monthly = pd.concat(rows, ignore_index=True).sort_values(["code", "m"], ignore_index=True)
    panel = Panel(monthly, customers, START, months - 1)
    codes = np.flatnonzero(member)
    when = pd.to_datetime([pd.Timestamp(START) + pd.DateOffset(months=int(e), days=14) for e in enrol[codes]])
    members = pd.DataFrame({"code": codes, "enrolled_at": when})
    cats = [np.zeros(customers, dtype=np.int64) for _ in range(3)]
    return World(panel, members, cats, lift)
