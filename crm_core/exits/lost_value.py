"""Profit lost to churn by the CLV method: each churned customer's lifetime value at the
moment they left, had they stayed.

The other method (:mod:`crm_core.exits.churn`) multiplies average annual profit by expected
remaining years. This one asks the CLV models what the customer would still have brought:
from their history at the churn (``x`` repeat purchase days, ``T`` time since their first
purchase), BG/NBD's expected purchases over the horizon *given the customer is alive*
(``E[Y(t)] / P(alive)``: they are churned, so the question is what staying was worth),
discounted monthly as on the Lifetime value page, times the expected value per purchase
(Gamma-Gamma, from their average per purchase day; without it, that average itself), times
the gross margin. Customers are counted once per period, at their last churn in it, as in
:func:`crm_core.churn.reason_summary`.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from crm_core.errors import InvalidParameterError
from crm_core.exits.events import _in_period, _last_per_customer
from crm_core.exits.history import REASONS
from crm_core.value.bgnbd import expected_if_alive
from crm_core.value.clv import MONTH_DAYS, UNIT_DAYS, ClvModel
from crm_core.value.gamma_gamma import expected_average_value

__all__ = ["LOST_PROFIT_METHODS", "clv_at_churn", "lost_clv_by_reason"]

#: How profit lost to churn is valued: annual profit x remaining years, or CLV at churn.
LOST_PROFIT_METHODS: tuple[str, ...] = ("years", "clv")


def clv_at_churn(events: pd.DataFrame, model: ClvModel, *, horizon_days: float = 365.25,
                 annual_discount: float = 0.10) -> np.ndarray:
    """Per event: the gross-margin value the customer would have brought over ``horizon_days``
    after the churn, had they stayed (see the module docstring)."""
    if not horizon_days > 0:
        raise InvalidParameterError("horizon must be positive", name="horizon", value=horizon_days)
    if not 0 <= annual_discount < 1:
        raise InvalidParameterError("discount rate must be in [0, 1)", name="annual_discount", value=annual_discount)
    p, unit = model.bgnbd.params, UNIT_DAYS[model.time_unit]
    days = np.maximum(events["purchase_days"].to_numpy(float), 1.0)
    x = days - 1
    T = events["tenure_days"].to_numpy(float) / unit
    keys, inverse = np.unique(np.column_stack([x, T]), axis=0, return_inverse=True)   # distinct histories only
    gx, gT = keys[:, 0], keys[:, 1]
    horizon = horizon_days / unit
    step = MONTH_DAYS / unit
    prev = np.zeros_like(gx)
    discounted = np.zeros_like(gx)
    for t in np.append(np.arange(step, horizon, step), horizon):
        cum = expected_if_alive(p, t, gx, gT)
        discounted += (cum - prev) / (1 + annual_discount) ** (t * unit / 365.25)
        prev = cum
    per_day = events["revenue"].to_numpy(float) / days
    if model.gamma_gamma is not None and model.gamma_gamma.params.q > 1:
        value = expected_average_value(model.gamma_gamma.params, x, per_day)
    else:
        value = per_day
    return discounted[inverse.ravel()] * value * model.margin


def lost_clv_by_reason(events: pd.DataFrame, model: ClvModel, start: date, end: date, *,
                       horizon_days: float = 365.25, annual_discount: float = 0.10) -> pd.DataFrame:
    """CLV lost per reason (every reason) for churns in (start, end], each customer once (the
    model is evaluated for those churns only)."""
    ev = _in_period(events, start, end, ["code", "churn_date", "reason", "purchase_days", "tenure_days", "revenue"])
    ev = _last_per_customer(ev)
    values = clv_at_churn(ev, model, horizon_days=horizon_days, annual_discount=annual_discount)
    g = pd.Series(values, index=ev.index).groupby(ev["reason"], observed=False).sum()
    return pd.DataFrame({"reason": list(REASONS), "lost_profit": g.reindex(list(REASONS), fill_value=0.0).to_numpy(float)})
