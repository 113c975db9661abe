"""The matched design's building blocks: its settings, the customers at an anchor month
(a member's enrolment, or a control's pseudo-enrolment) with their behaviour before and
outcomes after it, and the propensity model's features.

See :mod:`crm_core.loyalty.estimate` for how they are used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_core.errors import InvalidParameterError
from crm_core.loyalty.panel import COLUMNS, Panel

__all__ = ["Design", "COVARIATES", "LEVELS", "Anchors", "Blocks", "NO_BLOCKS", "anchors", "category_codes"]

COVARIATES: tuple[str, ...] = ("pre_spend", "pre_days", "earlier_spend", "recency", "tenure", "anchor_days")
LEVELS = 20               # most frequent levels of each categorical kept as dummies


@dataclass(frozen=True)
class Design:
    """Settings of the matched difference-in-differences (all shown on the page)."""

    pre_months: int = 6
    post_months: int = 6
    neighbours: int = 1
    caliper: float = 0.2
    controls_per_cohort: int = 10_000
    lapse_months: int = 3      # churned: no purchase in the last lapse_months of the post window
    deal_share: float = 0.5    # deal-seeker: at least this share of purchases on discount

    def check(self) -> "Design":
        for name, lo, hi in (("pre_months", 1, 36), ("post_months", 1, 36), ("neighbours", 1, 20),
                             ("controls_per_cohort", 100, 1_000_000)):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
                raise InvalidParameterError(f"{name} must be a whole number in {lo}..{hi}", name=name, value=value)
        if not 0 < self.caliper <= 5:
            raise InvalidParameterError("caliper must be in (0, 5]", name="caliper", value=self.caliper)
        if not 1 <= self.lapse_months <= self.post_months:
            raise InvalidParameterError("lapse_months must be in 1..post_months", name="lapse_months",
                                        value=self.lapse_months)
        if not 0 < self.deal_share <= 1:
            raise InvalidParameterError("deal_share must be in (0, 1]", name="deal_share", value=self.deal_share)
        return self


@dataclass
class Anchors:
    """Customers at an anchor month (enrolment or pseudo-enrolment): features and outcomes."""

    code: np.ndarray
    e: np.ndarray
    x: dict[str, np.ndarray]            # covariates (COVARIATES), per month where relevant
    pre: dict[str, np.ndarray]          # revenue, profit per month in the pre window
    post: dict[str, np.ndarray]         # revenue, profit, purchase_days, orders, discounted (window totals)
    churned: np.ndarray

    def __len__(self) -> int:
        return len(self.code)

    def take(self, idx: np.ndarray) -> "Anchors":
        return Anchors(self.code[idx], self.e[idx], {k: v[idx] for k, v in self.x.items()},
                       {k: v[idx] for k, v in self.pre.items()}, {k: v[idx] for k, v in self.post.items()},
                       self.churned[idx])


def anchors(panel: Panel, code: np.ndarray, e: np.ndarray, design: Design) -> Anchors:
    """Features before and outcomes after month ``e`` for each (code, e): row positions at
    five month boundaries (e-pre-1, e-1, e, e+post-lapse, e+post) and at the customer's
    start, then one gather per column and boundary."""
    pre_n, post_n = design.pre_months, design.post_months
    p_start = panel.start_positions(code)
    p0, p1, p2 = (panel.positions(code, e + k) for k in (-pre_n - 1, -1, 0))
    p3, p4 = panel.positions(code, e + post_n - design.lapse_months), panel.positions(code, e + post_n)
    pre = {c: panel.between(c, p0, p1) for c in ("revenue", "profit", "purchase_days")}
    post = {c: panel.between(c, p2, p4) for c in COLUMNS}
    first = panel.first_m[code]
    earlier_months = np.clip(e - pre_n - first, 0, None)
    last = panel.last_active_before(code, e)
    x = {"pre_spend": pre["revenue"] / pre_n, "pre_days": pre["purchase_days"] / pre_n,
         "earlier_spend": np.where(earlier_months > 0,
                                   panel.between("revenue", p_start, p0) / np.maximum(earlier_months, 1), 0.0),
         "recency": np.where(last >= 0, e - last, e - first).astype(np.float64),
         "tenure": (e - first).astype(np.float64), "anchor_days": panel.between("purchase_days", p1, p2)}
    return Anchors(code, e, x, {"revenue": pre["revenue"] / pre_n, "profit": pre["profit"] / pre_n}, post,
                   panel.between("purchase_days", p3, p4) == 0)


_FEATURES = 8


def _feature(a: Anchors, j: int, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Behaviour column ``j`` of the propensity model (logs tame the heavy tails of spend),
    one at a time: a full matrix over a million anchors would cost more memory than work."""
    x = a.x
    if j == 0:
        return np.log1p(np.maximum(x["pre_spend"][rows], 0))
    if j == 1:
        return np.log1p(x["pre_days"][rows])
    if j == 2:
        return np.log1p(np.maximum(x["earlier_spend"][rows], 0))
    if j == 3:
        return (x["earlier_spend"][rows] > 0).astype(np.float64)
    if j == 4:
        return np.log(np.maximum(x["recency"][rows], 1))
    if j == 5:
        return np.log1p(x["tenure"][rows])
    if j == 6:
        return np.log1p(x["anchor_days"][rows].astype(np.float64))
    return (x["anchor_days"][rows] > 0).astype(np.float64)


def _continuous(a: Anchors, rows: np.ndarray) -> np.ndarray:
    return np.column_stack([_feature(a, j, rows) for j in range(_FEATURES)])


def _design(cont: np.ndarray, codes: np.ndarray, cats: list[np.ndarray]) -> np.ndarray:
    """Intercept, behaviour columns and one dummy per kept level of each categorical."""
    levels = [int(c.max(initial=0)) for c in cats]
    x = np.zeros((len(cont), 1 + cont.shape[1] + sum(levels)))
    x[:, 0] = 1.0
    x[:, 1:1 + cont.shape[1]] = cont
    j = 1 + cont.shape[1]
    rows = np.arange(len(cont))
    for c, n_levels in zip(cats, levels):
        sub = c[codes]
        hit = sub > 0
        x[rows[hit], j + sub[hit] - 1] = 1.0
        j += n_levels
    return x


def _scores(a: Anchors, cats: list[np.ndarray], beta: np.ndarray) -> np.ndarray:
    """x @ beta without building x: behaviour columns one by one, then each level's coefficient."""
    score = np.full(len(a), beta[0])
    for j in range(_FEATURES):
        score += beta[1 + j] * _feature(a, j)
    j = 1 + _FEATURES
    for c in cats:
        n_levels = int(c.max(initial=0))
        table = np.r_[0.0, beta[j:j + n_levels]]
        score += table[c[a.code]]
        j += n_levels
    return score


def category_codes(levels: pd.DataFrame, n: int) -> list[np.ndarray]:
    """Per categorical (customer type, region, channel), the integer level of each of the
    ``n`` customer keys (0 = rare, unknown or filtered out), from ``sql/loyalty_customers.sql``."""
    code = levels["code"].to_numpy(np.int64)
    out = []
    for col in ("customer_type", "region", "channel"):
        arr = np.zeros(n, dtype=np.int64)
        arr[code] = levels[col].to_numpy(np.int64)
        out.append(arr)
    return out


class Blocks:
    """Months in which customers belong to *other* programs (one spell per row: code, first
    and last month). A control anchored at month m is left out when it joined or left
    another program in m - pre .. m: that change moves its spending between the windows and
    would pass for (or hide) an effect. A membership held since before the windows (or none)
    cancels out in the difference-in-differences, so such customers stay; and no one is left
    out for what they do after m (that would condition on the future, as "never joined" does)."""

    def __init__(self, code: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        order = np.argsort(code, kind="stable")
        self.code = np.asarray(code, dtype=np.int64)[order]
        self.lo = np.asarray(lo, dtype=np.int64)[order]
        self.hi = np.asarray(hi, dtype=np.int64)[order]

    def __len__(self) -> int:
        return len(self.code)

    def hit(self, codes: np.ndarray, lo: np.ndarray | int, hi: np.ndarray | int) -> np.ndarray:
        """Whether each code joins or leaves a program inside its months ``lo..hi`` (a spell
        starting after ``lo`` or ending before ``hi`` while overlapping them)."""
        codes = np.asarray(codes, dtype=np.int64)
        out = np.zeros(len(codes), dtype=bool)
        if not len(self.code) or not len(codes):
            return out
        lo, hi = np.broadcast_to(lo, codes.shape), np.broadcast_to(hi, codes.shape)
        first = np.searchsorted(self.code, codes, side="left")
        last = np.searchsorted(self.code, codes, side="right")
        for k in range(int((last - first).max())):   # spells per customer: a handful at most
            idx = first + k
            on = idx < last
            j = idx[on]
            s_lo, s_hi, w_lo, w_hi = self.lo[j], self.hi[j], lo[on], hi[on]
            overlaps = (s_lo <= w_hi) & (s_hi >= w_lo)
            out[on] |= overlaps & ((s_lo > w_lo) | (s_hi < w_hi))
        return out


NO_BLOCKS = Blocks(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
