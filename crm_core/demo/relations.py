"""The demo's relationship data with planted effects: campaigns with randomised hold-out
groups and a known uplift, and the first response to each service case.

Drawn from their own random stream (``[seed, 25]``), after everything else, so adding them
did not move any earlier planted truth.

- **Campaigns** (:data:`CAMPAIGNS`): each picks customers alive through its window (win-back
  ones: whose last purchase was over 120 days before), holds out :data:`CONTROL_SHARE` of
  them at random, and records a response with probability :data:`BASE_RESPONSE` in the
  control and ``BASE_RESPONSE + PLANTED_UPLIFT[campaign]`` among the contacted. Every
  responder buys once in the 1-20 days after the contact (an order of their usual size), so
  the campaign's incremental revenue is its uplift x contacted x the responders' orders.
- **Baskets** (:data:`PLANTED_BASKETS`): an order in category A gets a second line in
  category B the same day with a known probability, so the basket confidence of A -> B is that
  probability plus the small chance of buying B the same day anyway.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["CAMPAIGNS", "PLANTED_UPLIFT", "BASE_RESPONSE", "CONTROL_SHARE", "PLANTED_BASKETS", "campaigns",
           "first_response", "basket_lines"]

#: (id, name, kind, channel, start day, share of customers drawn)
CAMPAIGNS: tuple[tuple[str, str, str, str, int, float], ...] = (
    ("CMP01", "Spring welcome", "acquisition", "email", 90, 0.05),
    ("CMP02", "Q4 cross-sell", "cross-sell", "app push", 300, 0.08),
    ("CMP03", "Win back lapsed buyers", "win-back", "sms", 450, 0.05),
    ("CMP04", "Retention: contract renewals", "retention", "account manager", 600, 0.04),
    ("CMP05", "Lunar New Year", "cross-sell", "email", 760, 0.08),
    ("CMP06", "Win back 2025", "win-back", "email", 1200, 0.06),
    ("CMP07", "VIP appreciation", "retention", "direct mail", 1400, 0.04),
    ("CMP08", "Autumn reactivation", "win-back", "sms", 1650, 0.06),
)
#: Response-rate points added by contacting (the truth the Campaigns page must recover).
PLANTED_UPLIFT: dict[str, float] = {"CMP01": 0.02, "CMP02": 0.06, "CMP03": 0.04, "CMP04": 0.10,
                                    "CMP05": 0.0, "CMP06": 0.05, "CMP07": 0.08, "CMP08": 0.03}
#: (A, B) -> probability that an order in A has a line in B the same day (planted basket affinity).
PLANTED_BASKETS: dict[tuple[str, str], float] = {("Electronics", "Software"): 0.35, ("Fashion", "Beauty"): 0.25}
BASE_RESPONSE = 0.04
CONTROL_SHARE = 0.2
WINDOW = 30


def campaigns(rng: np.random.Generator, customer_ids: np.ndarray, buyer: np.ndarray, first: np.ndarray,
              alive_end: np.ndarray, owner: np.ndarray, day: np.ndarray, last: int, churn: pd.DataFrame
              ) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    """(campaigns, contacts, owners and days of the responders' purchases). Customers with an
    exit (``churn``: customer_id, day) before the window ends are not drawn: nobody buys after
    leaving."""
    n = len(customer_ids)
    exit_day = np.full(n, np.iinfo(np.int64).max)
    pos = pd.Index(customer_ids).get_indexer(churn["customer_id"])
    np.minimum.at(exit_day, pos, churn["day"].to_numpy(np.int64))
    camp, contacts, r_owner, r_day = [], [], [], []
    for cid, name, kind, channel, d0, share in CAMPAIGNS:
        if d0 + WINDOW > last:
            continue
        pool = buyer & (first < d0) & (alive_end >= d0 + WINDOW) & (exit_day > d0 + WINDOW)
        if kind == "win-back":
            before = np.full(n, -1)
            m = day < d0
            np.maximum.at(before, owner[m], day[m])
            pool &= (before >= 0) & (d0 - before > 120)
        pool_idx = np.flatnonzero(pool)
        size = min(len(pool_idx), max(1, int(n * share)))
        if size == 0:
            continue
        chosen = np.sort(rng.choice(pool_idx, size, replace=False))
        control = rng.random(size) < CONTROL_SHARE
        p = np.where(control, BASE_RESPONSE, BASE_RESPONSE + PLANTED_UPLIFT[cid])
        responded = rng.random(size) < p
        resp_day = np.where(responded, d0 + rng.integers(1, 21, size), -1)
        contacts.append(pd.DataFrame({"campaign_id": cid, "customer_id": customer_ids[chosen], "day": d0,
                                      "is_control": control, "responded": responded, "response_day": resp_day}))
        r_owner.append(chosen[responded])
        r_day.append(resp_day[responded])
        cost = round(0.8 * share * n + 400, 2) if channel != "direct mail" else round(2.5 * share * n + 400, 2)
        camp.append((cid, name, kind, channel, d0, min(d0 + WINDOW, last), cost))
    return (pd.DataFrame(camp, columns=["campaign_id", "name", "kind", "channel", "d0", "d1", "cost"]),
            pd.concat(contacts, ignore_index=True) if contacts else pd.DataFrame(
                columns=["campaign_id", "customer_id", "day", "is_control", "responded", "response_day"]),
            np.concatenate(r_owner) if r_owner else np.zeros(0, np.int64),
            np.concatenate(r_day) if r_day else np.zeros(0, np.int64))


def first_response(rng: np.random.Generator, service: pd.DataFrame) -> np.ndarray:
    """The minute (from the opening day's midnight, like ``resolved_min``) of the first answer
    to each case (-1: none yet): a share of the time to resolution, at least one minute;
    for open cases, within ten hours or not yet."""
    resolved = service["resolved_min"].to_numpy() - service["open_min"].to_numpy()
    share = rng.beta(1.2, 4.0, len(service))
    minutes = np.maximum(1, np.minimum(resolved, (resolved * share).astype(np.int64)))
    unanswered = (service["resolved_min"].to_numpy() < 0) & (rng.random(len(service)) < 0.5)
    minutes = np.where(service["resolved_min"].to_numpy() < 0, rng.integers(5, 600, len(service)), minutes)
    return np.where(unanswered, -1, service["open_min"].to_numpy() + minutes)


def basket_lines(rng: np.random.Generator, tx: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Extra order lines planting :data:`PLANTED_BASKETS`: same customer, day and channel as
    the order in A, one unit of a product of B at its list price (``seq`` to be renumbered)."""
    frames = []
    for (a, b), p in PLANTED_BASKETS.items():
        base = tx[(tx["product_category"].to_numpy() == a) & (tx["amount"].to_numpy() > 0)]
        base = base[rng.random(len(base)) < p]
        items = products[products["category"] == b].reset_index(drop=True)
        pick = items.iloc[rng.integers(0, len(items), len(base))].reset_index(drop=True)
        price = pick["unit_price"].to_numpy(float)
        frames.append(pd.DataFrame({
            "owner": base["owner"].to_numpy(), "day": base["day"].to_numpy(), "amount": price,
            "cost": np.round(pick["unit_cost"].to_numpy(float), 2), "quantity": 1,
            "product_id": pick["product_id"].to_numpy(), "product_category": b,
            "channel": base["channel"].to_numpy(), "discount": 0.0, "seq": 0}))
    return pd.concat(frames, ignore_index=True)
