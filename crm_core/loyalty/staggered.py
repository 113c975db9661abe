"""The not-yet-enrolled design: members compared with customers who join the same program later.

Customers who join a program are often those whose *underlying* buying rate is high, more
than their past months show. Non-members matched on those months are then, on average,
lower-rate customers who had a good spell; they fall back afterwards and a matched
comparison credits the program with the difference. Customers who join the same program
*later* went through the same self-selection, so they are the comparison that selection
cannot fake (staggered adoption, in the spirit of Callaway & Sant'Anna 2021, with the
not-yet-treated as controls):

- members of enrolment month e (month 0), windows as in the matched design: pre e-pre..e-1,
  post e+1..e+post, both inside the data, a purchase before e;
- controls: every member of the program who enrols after e + post (so none is treated in
  the windows), who bought before e and was in no other program in e-pre..e+post; all of
  them, no sampling (the answer does not depend on a random draw);
- cells: enrolment month x whether the customer bought in month e (members who join at a
  purchase are compared with customers who bought that month too) x tenure band (months
  since the first purchase: 0-5, 6-11, 12-23, 24+; later joiners are often newer customers,
  whose spending follows the early-life curve);
- each member's counterfactual post spend = own pre spend + the mean change of the cell's
  controls; lift = sum(post) / sum(counterfactual) - 1;
- 95% interval from the influence function of that ratio, summed by customer before
  squaring (a customer is a control for several enrolment months and later a member).

The assumption it needs: when a customer joins is unrelated to their own ups and downs
(an invitation wave, a card mailing). It fails when customers join right after a burst of
buying; the placebo test (the same estimator with every enrolment moved back before the
real one) shows that, and :mod:`crm_core.loyalty.verdict` then does not trust it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crm_core.loyalty.anchors import NO_BLOCKS, Blocks, Design, anchors
from crm_core.loyalty.panel import NEVER, Panel

__all__ = ["Effect", "Z95", "not_yet_enrolled", "ratio_effect"]

Z95 = 1.959963984540054
MIN_MEMBERS = 30


@dataclass(frozen=True)
class Effect:
    """One design's answer: the relative lift in monthly spend with its 95% interval, and the
    incremental spend and gross profit per member-month with their standard errors."""

    design: str                       # "not_yet_enrolled" | "matched"
    members_analysed: int
    controls_used: int
    lift: float
    lift_ci: tuple[float, float]
    att_revenue: float
    att_revenue_se: float
    att_profit: float
    att_profit_se: float
    cf_revenue: float                 # counterfactual spend per member-month
    cf_profit: float

    @property
    def att_profit_ci(self) -> tuple[float, float]:
        return (self.att_profit - Z95 * self.att_profit_se, self.att_profit + Z95 * self.att_profit_se)


_TENURE_EDGES = np.array([6, 12, 24])   # months since the first purchase: 0-5, 6-11, 12-23, 24+
_BANDS = len(_TENURE_EDGES) + 1


def _band(tenure: np.ndarray) -> np.ndarray:
    return np.searchsorted(_TENURE_EDGES, tenure, side="right")


def ratio_effect(design: str, n_customers: int, m_code: np.ndarray, m_cell: np.ndarray,
                 y: dict[str, np.ndarray], pre: dict[str, np.ndarray],
                 c_code: np.ndarray, c_cell: np.ndarray, delta: dict[str, np.ndarray]) -> Effect | None:
    """DiD against cell means: members (code, cell, post and pre monthly ``revenue`` and
    ``profit``) and controls (code, cell, change in monthly revenue and profit). Members in
    cells without controls are left out. Standard errors: influence functions summed by
    customer (cluster-robust)."""
    n_cells = int(max(m_cell.max(initial=-1), c_cell.max(initial=-1))) + 1
    n_ctl = np.bincount(c_cell, minlength=n_cells).astype(np.float64)
    keep = n_ctl[m_cell] > 0
    if keep.sum() < MIN_MEMBERS:
        return None
    m_code, m_cell = m_code[keep], m_cell[keep]
    y = {k: v[keep] for k, v in y.items()}
    pre = {k: v[keep] for k, v in pre.items()}
    n = len(m_code)
    n_mem = np.bincount(m_cell, minlength=n_cells).astype(np.float64)
    used = n_mem[c_cell] > 0
    c_code, c_cell = c_code[used], c_cell[used]
    delta = {k: v[used] for k, v in delta.items()}
    out: dict[str, tuple[float, float, float, float, float]] = {}
    for col in ("revenue", "profit"):
        mu = np.bincount(c_cell, weights=delta[col], minlength=n_cells) / np.maximum(n_ctl, 1)
        cf = pre[col] + mu[m_cell]
        b = float(cf.mean())
        ratio = float(y[col].mean() / b) if b != 0 else float("nan")
        att = float((y[col] - cf).mean())
        # Influence of each member and each control on the ratio and on the difference.
        c_w = n_mem[c_cell] / (n * np.maximum(n_ctl[c_cell], 1))
        c_dev = delta[col] - mu[c_cell]
        codes = np.r_[m_code, c_code]
        if_ratio = np.r_[(y[col] - ratio * cf) / (n * b), -ratio * c_w * c_dev / b] if b != 0 else None
        if_att = np.r_[(y[col] - cf - att) / n, -c_w * c_dev]
        se_att = float(np.sqrt(np.sum(np.bincount(codes, weights=if_att, minlength=n_customers) ** 2)))
        se_ratio = (float(np.sqrt(np.sum(np.bincount(codes, weights=if_ratio, minlength=n_customers) ** 2)))
                    if if_ratio is not None else float("nan"))
        out[col] = (ratio - 1, se_ratio, att, se_att, b)
    lift, se, att_r, se_r, cf_r = out["revenue"]
    _, _, att_p, se_p, cf_p = out["profit"]
    return Effect(design, n, int(len(np.unique(c_code))), lift, (lift - Z95 * se, lift + Z95 * se),
                  att_r, se_r, att_p, se_p, cf_r, cf_p)


def not_yet_enrolled(panel: Panel, code: np.ndarray, e: np.ndarray, enrol_m: np.ndarray, design: Design,
                     blocks: Blocks = NO_BLOCKS, shift: int = 0) -> Effect | None:
    """The design for one program. ``code``/``e``: its members and enrolment months;
    ``enrol_m``: every customer's first enrolment month in it (``NEVER`` if none); ``blocks``:
    spells in other programs. ``shift`` > 0 moves every enrolment back that many months (the
    placebo; the controls stay those who join after the real post window). None when fewer
    than 30 members have controls."""
    pre_n, post_n = design.pre_months, design.post_months
    code, e = np.asarray(code, dtype=np.int64), np.asarray(e, dtype=np.int64)
    a = e - shift
    ok = (a - pre_n >= 0) & (e + post_n <= panel.last_m) & (panel.first_m[code] < a)
    if len(blocks):   # the same rule as for controls: no join or leave of another program just before
        ok &= ~blocks.hit(code, a - pre_n, a)
    code, e, a = code[ok], e[ok], a[ok]
    if len(code) < MIN_MEMBERS:
        return None
    pool = np.flatnonzero(enrol_m < NEVER)
    pool_e = enrol_m[pool]
    cohorts = np.unique(e)
    c_code_l, c_cohort_l = [], []
    for ci, m in enumerate(cohorts):
        am = m - shift
        sel = pool[(pool_e > m + post_n) & (panel.first_m[pool] < am)]
        if len(blocks) and len(sel):
            sel = sel[~blocks.hit(sel, am - pre_n, am)]
        c_code_l.append(sel)
        c_cohort_l.append(np.full(len(sel), ci, dtype=np.int64))
    c_code, c_cohort = np.concatenate(c_code_l), np.concatenate(c_cohort_l)
    if not len(c_code):
        return None
    order = np.lexsort((c_cohort, c_code))    # customer order: panel lookups walk memory forwards
    c_code, c_cohort = c_code[order], c_cohort[order]
    mem = anchors(panel, code, a, design)
    ctl = anchors(panel, c_code, cohorts[c_cohort] - shift, design)
    m_cell = (np.searchsorted(cohorts, e) * 2 + (mem.x["anchor_days"] > 0)) * _BANDS + _band(mem.x["tenure"])
    c_cell = (c_cohort * 2 + (ctl.x["anchor_days"] > 0)) * _BANDS + _band(ctl.x["tenure"])
    y = {c: mem.post[c] / post_n for c in ("revenue", "profit")}
    delta = {c: ctl.post[c] / post_n - ctl.pre[c] for c in ("revenue", "profit")}
    return ratio_effect("not_yet_enrolled", panel.n, code, m_cell, y, mem.pre, c_code, c_cell, delta)
