"""Churn by probability alive: a customer is churned once the BG/NBD model's probability
that they are still active falls below a threshold.

After a purchase with ``x`` repeat purchase days so far, the last at ``t_x`` (time units
since the first purchase), P(alive) at ``T`` is ``1 / (1 + a / (b + x - 1) * ((alpha + T) /
(alpha + t_x)) ** (r + x))`` (Fader, Hardie & Lee 2005), which falls as ``T`` grows. It
crosses ``threshold`` at

    T* = (alpha + t_x) * (odds * (b + x - 1) / a) ** (1 / (r + x)) - alpha,
    odds = (1 - threshold) / threshold,

so each purchase gets its own inactivity window ``T* - t_x`` (at least one day): a regular
buyer is missed sooner than an occasional one. The model says nothing about customers
without a repeat purchase (P(alive) = 1 for them), so those keep the plain inactivity
window. :mod:`crm_core.exits.churn` turns these windows into lapses exactly as it does the
fixed window (``sql/churn_lapses_alive.sql``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from crm_core.errors import InvalidParameterError
from crm_core.value.bgnbd import BgNbdParams

__all__ = ["DEFINITIONS", "DEFAULT_THRESHOLD", "AliveRule", "window_days"]

#: How a customer without an explicit churn event is judged.
DEFINITIONS: tuple[str, ...] = ("inactivity", "p_alive")
DEFAULT_THRESHOLD = 0.5
MAX_WINDOW_DAYS = 36_500


@dataclass(frozen=True)
class AliveRule:
    """BG/NBD parameters (in ``unit_days``-day time units) and the P(alive) threshold."""

    params: BgNbdParams
    unit_days: float
    threshold: float = DEFAULT_THRESHOLD

    def __post_init__(self) -> None:
        if not 0.01 <= self.threshold <= 0.99:
            raise InvalidParameterError("the P(alive) threshold must be between 0.01 and 0.99", name="threshold",
                                        value=self.threshold)
        if self.unit_days <= 0:
            raise InvalidParameterError("unit_days must be positive", name="unit_days", value=self.unit_days)

    def sql_params(self) -> dict[str, Any]:
        """The bound parameters of ``churn_lapses_alive.sql``."""
        p = self.params
        return {"r": float(p.r), "alpha": float(p.alpha), "a": float(p.a), "b": float(p.b),
                "unit_days": float(self.unit_days), "log_odds": float(np.log((1 - self.threshold) / self.threshold)),
                "max_window": MAX_WINDOW_DAYS}


def window_days(rule: AliveRule, purchase_days: np.ndarray, since_first_days: np.ndarray,
                fallback_days: int) -> np.ndarray:
    """Days after a purchase until P(alive) falls below the threshold (the SQL's formula, for
    tests and the command line): ``purchase_days`` so far (1 = the first), the purchase's
    day counted from the customer's first purchase day."""
    p = rule.params
    n = np.asarray(purchase_days, float)
    x = n - 1
    t_x = np.asarray(since_first_days, float) / rule.unit_days
    with np.errstate(divide="ignore", invalid="ignore"):
        log_t = (np.log(p.alpha + t_x)
                 + (np.log((1 - rule.threshold) / rule.threshold) - np.log(p.a / (p.b + x - 1))) / (p.r + x))
        w = np.ceil(rule.unit_days * (np.exp(log_t) - p.alpha - t_x))
    w = np.clip(np.nan_to_num(w, nan=1.0, posinf=MAX_WINDOW_DAYS), 1, MAX_WINDOW_DAYS)
    return np.where(x > 0, w, fallback_days).astype(np.int64)
