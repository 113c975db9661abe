"""The customer funnel of the customer-database texts: contacts -> prospects -> first-time
buyers -> repeat buyers -> loyal -> lifetime customers, as of a date.

Each step is a subset of the one before (a contact at a step has passed every earlier one):

- ``contact``: a customer record (passing the filters) known by the as-of date, or carrying no
  date at all (an imported contact who neither signed up nor bought);
- ``prospect``: a contact who has shown interest: signed up or bought by the as-of date;
- ``first_buyer``: bought at least once;
- ``repeat_buyer``: bought on at least two different days;
- ``loyal``: bought on at least ``loyal_purchases`` different days (the Lifecycle page's rule);
- ``lifetime``: loyal, a customer for at least ``lifetime_days`` since the first purchase, and
  not churned at the as-of date (the Churn page's definition).

Conversion of a step = its contacts / the previous step's. The median days between steps use
the dates each contact reached them (sign-up -> first purchase for those who signed up first;
first -> second purchase day; second -> the loyal_purchases-th; loyal -> lifetime). Grouped by
acquisition channel or region, each group is its own funnel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from crm_core.errors import InvalidParameterError, NoDataError
from crm_core.exits.alive import AliveRule
from crm_core.exits.history import NEVER, day_number
from crm_core.filters import Filters
from crm_core.journey.lifecycle import STAGES, Lifecycle, LifecycleRule, lifecycle
from crm_core.store.connection import Store

__all__ = ["STEPS", "BY", "FunnelRule", "Funnel", "funnel", "summary"]

STEPS: tuple[str, ...] = ("contact", "prospect", "first_buyer", "repeat_buyer", "loyal", "lifetime")
BY: tuple[str, ...] = ("all", "channel", "region")
TOUCH_DAYS = 30


@dataclass(frozen=True)
class FunnelRule:
    """The editable step rules: the loyal step's purchase days and the lifetime step's tenure."""

    loyal_purchases: int = LifecycleRule().loyal_purchases
    lifetime_days: int = 730

    def __post_init__(self) -> None:
        if not isinstance(self.loyal_purchases, (int, np.integer)) or not 2 <= self.loyal_purchases <= 1000:
            raise InvalidParameterError("loyal_purchases must be 2..1000", name="loyal_purchases",
                                        value=self.loyal_purchases)
        if not isinstance(self.lifetime_days, (int, np.integer)) or not 30 <= self.lifetime_days <= 7300:
            raise InvalidParameterError("lifetime_days must be 30..7300", name="lifetime_days",
                                        value=self.lifetime_days)


@dataclass(frozen=True)
class Funnel:
    """Per group (``all`` only, or each channel / region): contacts at each step, conversion
    from the step before, median days from the step before; and the contacts of the steps a
    purchase reaches who were in touch (campaign, service) in the 30 days before."""

    as_of: date
    rule: FunnelRule
    by: str
    steps: pd.DataFrame      # group, step, customers, conversion, median_days
    touches: pd.DataFrame    # step, movers, campaign_touched, service_touched
    keys: np.ndarray         # customer_key of every contact (sorted)
    deepest: np.ndarray      # the last step each reached (index into STEPS)

    def stopped_at(self, step: str) -> np.ndarray:
        """customer_key of the contacts who reached ``step`` and not the next one: whom to move on."""
        if step not in STEPS:
            raise InvalidParameterError("unknown funnel step", name="step", value=step)
        return self.keys[self.deepest == STEPS.index(step)]


def _median(days: np.ndarray) -> float | None:
    return float(np.median(days)) if len(days) else None


def _steps(reached: dict[str, np.ndarray], since: dict[str, np.ndarray], mask: np.ndarray, group: str) -> list[dict]:
    rows, prev = [], None
    for step in STEPS:
        hit = reached[step] & mask
        n = int(hit.sum())
        gap = since.get(step)
        rows.append({"group": group, "step": step, "customers": n,
                     "conversion": None if prev is None else (n / prev if prev else None),
                     "median_days": None if gap is None else _median(gap[hit & (gap >= 0)])})
        prev = n
    return rows


def funnel(store: Store, as_of: date, *, filters: Filters = Filters(), rule: FunnelRule = FunnelRule(),
           by: str = "all", window_days: int | None = None, alive: AliveRule | None = None,
           known_after: date | None = None, life: Lifecycle | None = None) -> Funnel:
    """The funnel as of ``as_of`` (see the module docstring); churn for the lifetime step as on
    the Churn page (``window_days`` default: its window; ``alive``: its P(alive) rule).
    ``known_after``: only the contacts who became known after that date (a period's cohort).
    ``life``: the same filters' lifecycle with ``as_of`` as its last date, when the caller has it
    (only its churned stage is read, which no stage rule changes): not computed again."""
    if by not in BY:
        raise InvalidParameterError("the funnel is by all, channel or region", name="by", value=by)
    params = {"as_of": as_of, "loyal_purchases": rule.loyal_purchases, "known_after": known_after,
              **filters.params()}
    with store.cursor():
        people = store.query("funnel_customers", params, filtered=filters.active)
        if people.empty:
            raise NoDataError("no customer is on file", kind="customers")
        touches = store.query("funnel_touches", {**params, "days_before": TOUCH_DAYS}, filtered=filters.active)
        if life is None or life.dates[-1] != as_of:
            life = lifecycle(store, (as_of,), filters=filters, window_days=window_days,
                             rule=LifecycleRule(loyal_purchases=rule.loyal_purchases), alive=alive)
    day = {c: _days(people[c]) for c in ("signup_date", "first_purchase", "second_purchase", "loyal_from")}
    keys = people["customer_key"].to_numpy(np.int64)
    pos = np.searchsorted(life.keys, keys)
    churned = life.stage[np.minimum(pos, len(life.keys) - 1), -1] == STAGES.index("churned")
    bought = day["first_purchase"] < NEVER
    lifetime_at = day["first_purchase"].astype(np.int64) + rule.lifetime_days
    loyal = day["loyal_from"] < NEVER
    lifetime = loyal & (lifetime_at <= day_number(as_of)) & ~churned
    reached = {"contact": np.ones(len(people), bool), "prospect": (day["signup_date"] < NEVER) | bought,
               "first_buyer": bought, "repeat_buyer": day["second_purchase"] < NEVER, "loyal": loyal,
               "lifetime": lifetime}
    signed_first = (day["signup_date"] < NEVER) & bought
    since = {"first_buyer": np.where(signed_first, day["first_purchase"] - day["signup_date"].astype(np.int64), -1),
             "repeat_buyer": np.where(reached["repeat_buyer"], day["second_purchase"] - day["first_purchase"].astype(np.int64), -1),
             "loyal": np.where(loyal, day["loyal_from"] - day["second_purchase"].astype(np.int64), -1),
             "lifetime": np.where(lifetime, np.maximum(lifetime_at - day["loyal_from"], 0), -1)}
    rows = _steps(reached, since, np.ones(len(people), bool), "all")
    if by != "all":
        values = people[by].astype(str).fillna("(unknown)").to_numpy()
        for g in sorted(set(values)):
            rows += _steps(reached, since, values == g, g)
    touches = touches.set_index("step").reindex(["first_buyer", "repeat_buyer", "loyal"]).fillna(0).astype(np.int64)
    deepest = np.sum([reached[s] for s in STEPS], axis=0).astype(np.int8) - 1   # the steps are nested
    return Funnel(as_of=as_of, rule=rule, by=by, steps=pd.DataFrame(rows),
                  touches=touches.rename_axis("step").reset_index(), keys=keys, deepest=deepest)


def _days(col: pd.Series) -> np.ndarray:
    """A date column as int64 day numbers, NEVER where missing."""
    d = pd.to_datetime(col).to_numpy("datetime64[D]")
    out = d.astype(np.int64)
    out[np.isnat(d)] = NEVER
    return out


def summary(store: Store, as_of: date, *, filters: Filters = Filters(), rule: FunnelRule = FunnelRule(),
            by: str = "all", window_days: int | None = None, known_after: date | None = None) -> dict:
    """The CLI's ``funnel --json`` document."""
    f = funnel(store, as_of, filters=filters, rule=rule, by=by, window_days=window_days, known_after=known_after)

    def steps(group: str) -> list[dict]:
        part = f.steps[f.steps["group"] == group]
        return [{"step": r.step, "customers": int(r.customers),
                 "conversion": None if r.conversion is None or pd.isna(r.conversion) else float(r.conversion),
                 "median_days": None if r.median_days is None or pd.isna(r.median_days) else float(r.median_days)}
                for r in part.itertuples()]

    doc = {"as_of": as_of.isoformat(), "known_after": None if known_after is None else known_after.isoformat(),
           "rule": {"loyal_purchases": rule.loyal_purchases,
                                                 "lifetime_days": rule.lifetime_days},
           "steps": steps("all"),
           "touches": [{"step": r.step, "movers": int(r.movers), "campaign_touched": int(r.campaign_touched),
                        "service_touched": int(r.service_touched)} for r in f.touches.itertuples()]}
    if by != "all":
        doc["by"] = by
        doc["groups"] = [{"group": g, "steps": steps(g)} for g in f.steps["group"].unique() if g != "all"]
    return doc
