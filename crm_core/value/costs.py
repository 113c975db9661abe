"""Cost to serve: what each customer costs beyond the goods they buy, over a window.

Components (each one visible and editable on the Quadrants page):
- service contacts: the recorded cost of each contact, or a unit cost per contact type
  (complaint, inquiry, return, technical support, ...) when none is recorded or when
  the user chooses unit costs for all;
- returns: a handling cost per returned line (the refunded value is already netted out
  of revenue);
- discounts granted;
- loyalty rewards: each program's reward costs in the window, shared equally by its
  members in the window;
- account management: each relationship manager's annual cost for the window, shared
  equally by the accounts they manage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from crm_core.errors import InvalidParameterError
from crm_core.filters import Filters
from crm_core.periods import period_start
from crm_core.store.arrow_frames import index_in, take_or
from crm_core.store.connection import Store

__all__ = ["CostAssumptions", "COST_COMPONENTS", "LOYALTY_OPERATING_TYPES", "cost_to_serve", "default_unit_costs", "cost_per_purchase",
           "MarginBasis", "margin_basis", "set_default_margin", "DEFAULT_MARGIN"]

DEFAULT_MARGIN = 0.30     # the assumed margin of sales without a recorded cost, until set

COST_COMPONENTS: tuple[str, ...] = ("service_cost", "order_cost", "return_cost", "discounts", "loyalty_cost",
                                    "manager_cost")
#: Loyalty program cost types that can be charged to members: rewards always; the program's
#: operating costs (operations, marketing, other) when ``loyalty_operating`` is set.
LOYALTY_OPERATING_TYPES: tuple[str, ...] = ("operations", "marketing", "other")


@dataclass(frozen=True)
class CostAssumptions:
    """Editable assumptions. ``unit_costs`` maps a service-contact type to a cost per contact;
    ``order_cost`` is a handling cost per order (purchase day), 0 unless set; with
    ``loyalty_operating`` the programs' operating costs are shared by members like rewards."""

    use_recorded: bool = True
    unit_costs: tuple[tuple[str, float], ...] = ()
    default_service_cost: float = 0.0
    return_cost: float = 10.0
    include: tuple[str, ...] = field(default=COST_COMPONENTS)
    order_cost: float = 0.0
    loyalty_operating: bool = False

    def __post_init__(self) -> None:
        for name, value in (("default_service_cost", self.default_service_cost), ("return_cost", self.return_cost),
                            ("order_cost", self.order_cost), *self.unit_costs):
            if not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
                raise InvalidParameterError("costs must be non-negative numbers", name=name, value=value)
        unknown = set(self.include) - set(COST_COMPONENTS)
        if unknown:
            raise InvalidParameterError("unknown cost component", name="include", value=sorted(unknown)[0])

    def params(self) -> dict[str, Any]:
        return {"use_recorded": self.use_recorded,
                "service_types": [t for t, _ in self.unit_costs],
                "service_unit_costs": [float(c) for _, c in self.unit_costs],
                "default_service_cost": float(self.default_service_cost),
                "return_cost": float(self.return_cost), "order_cost": float(self.order_cost),
                "loyalty_cost_types": ["rewards", *(LOYALTY_OPERATING_TYPES if self.loyalty_operating else ())]}


def default_unit_costs(store: Store) -> tuple[tuple[str, float], ...]:
    """Starting unit costs per contact type: the average recorded cost of that type (0 if none)."""
    rows = store.rows("SELECT type, coalesce(avg(CAST(cost AS DOUBLE)), 0) FROM service_interactions "
                      "WHERE type IS NOT NULL GROUP BY type ORDER BY count(*) DESC, type")
    return tuple((str(t), round(float(c), 2)) for t, c in rows)


def cost_to_serve(store: Store, as_of: date, period_days: int, filters: Filters = Filters(),
                  assumptions: CostAssumptions = CostAssumptions()) -> pd.DataFrame:
    """One row per customer with any cost in the ``period_days`` up to ``as_of``: each
    component and ``cost_to_serve`` (the sum of the included components)."""
    if not isinstance(period_days, int) or not 1 <= period_days <= 3660:
        raise InvalidParameterError("period_days must be between 1 and 3660", name="period_days", value=period_days)
    start = period_start(as_of, period_days)
    df = store.query("cost_to_serve", {"start": start, "end": as_of, **assumptions.params(), **filters.params()},
                     filtered=filters.active)
    for c in COST_COMPONENTS:
        if c not in assumptions.include:
            df[c] = 0.0
    df["cost_to_serve"] = df[list(COST_COMPONENTS)].sum(axis=1)
    return df


def cost_per_purchase(costs: pd.DataFrame, purchases: pd.Series) -> pd.Series:
    """Cost to serve per purchase day in the window, by customer_id (the CLV's expected
    cost per future purchase). Customers with costs but no purchases are charged their
    whole cost per purchase: serving them did not lead to a sale."""
    per = costs.set_index("customer_id")["cost_to_serve"]
    n = take_or(purchases, index_in(per.index, purchases.index), 0.0)
    n = np.maximum(np.where(np.isnan(n), 0.0, n), 1)   # unknown purchases count as none, as reindex().fillna(0) did
    return per / n


@dataclass(frozen=True)
class MarginBasis:
    """Where gross profit comes from: the share of sales revenue (up to a date) whose lines
    record a cost, and the assumed margin the others get (the database's ``default_margin``)."""

    cost_share: float | None      # None: no sales at all
    default_margin: float

    @property
    def source(self) -> str:
        """``costs`` (every sale has a cost), ``assumed`` (none has), ``mixed`` or ``none``."""
        if self.cost_share is None:
            return "none"
        if self.cost_share >= 1.0:
            return "costs"
        return "assumed" if self.cost_share <= 0.0 else "mixed"


def margin_basis(store: Store, as_of: date) -> MarginBasis:
    """How much of the gross profit up to ``as_of`` rests on recorded costs: a file without
    costs gets the assumed margin, and the pages must say so rather than "from the data"."""
    cost_share, margin = store.rows(   # day_totals: the sales of each day (a row per day, not per line)
        "SELECT sum(costed_sales) / nullif(sum(sales), 0), "
        "(SELECT CAST(value AS DOUBLE) FROM meta WHERE key = 'default_margin') "
        "FROM day_totals WHERE day <= ?", [as_of])[0]
    return MarginBasis(None if cost_share is None else float(cost_share),
                       float(margin if margin is not None else DEFAULT_MARGIN))


def set_default_margin(store: Store, margin: float) -> float:
    """Set the assumed margin (a share of revenue, -0.99..0.99) of sales without a recorded
    cost, and recompute every gross profit that rests on it in the same transaction (the
    data version moves, so every cached page recomputes). Returns the previous value."""
    if not isinstance(margin, (int, float)) or not np.isfinite(margin) or not -0.99 <= margin <= 0.99:
        raise InvalidParameterError("the default margin must be a share between -0.99 and 0.99",
                                    name="default_margin", value=margin)
    with store.transaction() as cur:
        row = cur.execute("SELECT CAST(value AS DOUBLE) FROM meta WHERE key = 'default_margin'").fetchone()
        Store.set_meta(cur, "default_margin", f"{float(margin):.4f}")
        Store.refresh_derived(cur)
        Store.bump_data_version(cur)
    return float(row[0]) if row and row[0] is not None else DEFAULT_MARGIN

