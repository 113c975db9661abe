"""Loyalty programs: what membership really adds, measured against a matched control.

Members differ from non-members before they ever join (big spenders join), so comparing
members with everyone else (the *naive* lift) mostly measures who joins. The estimate
here compares each member with non-members who looked alike before enrolment:

1. Panel: monthly activity (``customer_months``). A member's enrolment month e is month
   0; the *pre* window is months e-pre..e-1, the *post* window e+1..e+post (the enrolment
   month itself is a transition and left out). A member is analysed when both windows are
   complete and inside the data and they bought before enrolling.
2. Controls: for each enrolment month, customers not enrolled in the program by then who
   had bought before it, each given that month as a pseudo-enrolment; members who bought
   in their enrolment month are compared with customers who bought in that month, the
   others with those who did not (every candidate up to ``10`` per member, at least 1,000,
   at most ``controls_per_cohort``; beyond that a fixed systematic sample spread over the
   pool, so no figure depends on a random draw). Customers (members and controls alike) who
   joined or left another program in the pre window or the month itself are left out. Not "never enrolled": that would condition on
   the future (customers who keep buying tend to join later, so never-joiners are mostly
   those who stopped). Controls who join during the post window dilute the estimate
   slightly towards zero.
3. Propensity score: a logistic regression of membership on pre-enrolment behaviour (log
   monthly spend and purchase days in the pre window, log monthly spend before it, log
   months since the last purchase, log tenure) and customer type, region and acquisition
   channel. Each member is matched to its ``neighbours`` nearest controls on the logit of
   the score *within the same enrolment month*, with replacement, within ``caliper``
   standard deviations of the logit; members without any are left out and counted.
4. Difference-in-differences of monthly spend per member against the mean of its matches:
   ATT = mean[(post - pre)_member - (post - pre)_controls]. Relative lift = ATT /
   counterfactual post spend (member pre + control change). 95% interval by the delta
   method for a ratio of means, treating members and controls as two samples where a
   control matched m times carries weight m / n (reuse widens the interval).
   Naive lift = members' post spend / non-members' spend in the same months - 1.
   Controls who join the program during the post window (customers not yet enrolled are
   the right comparison, but some enrol soon after) would dilute the effect: their spend
   after joining is deflated by (1 + lift), with the lift solved as a fixed point.
Balance: standardised differences of each covariate, members vs all candidates (before)
and vs the matched controls (after), over the pooled pre-matching standard deviation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crm_core.loyalty.anchors import (
    COVARIATES,
    LEVELS,
    NO_BLOCKS,
    Anchors,
    Blocks,
    Design,
    _continuous,
    _design,
    _scores,
    anchors,
    category_codes,
)
from crm_core.loyalty.matching import fit_logit, nearest, standardized_difference
from crm_core.loyalty.panel import Panel, months_of
from crm_core.loyalty.staggered import Z95, Effect

__all__ = ["Design", "COVARIATES", "LEVELS", "MIN_MEMBERS", "Estimate", "Anchors", "anchors", "category_codes", "estimate"]

MIN_MEMBERS = 30          # fewer analysable members: no estimate (reason "too_few_members")
_FIT_MEMBERS = 10_000     # rows used to fit the propensity model (weighted back to the whole)
_FIT_CONTROLS = 20_000
_EVENT_MEMBERS = 20_000   # matched members (spread over all) behind the lift-over-time chart
_CONTROLS_PER_MEMBER = 10 # candidates drawn per member of an enrolment month (at least _MIN_CONTROLS)
_MIN_CONTROLS = 1_000       # per enrolment month and pool (buyers of the month, the rest)


@dataclass
class Estimate:
    """One program's matched difference-in-differences and loyalty-quality figures."""

    members_analysed: int
    members_unmatched: int
    members_excluded: int            # enrolled too early/late for complete windows, or before buying
    controls_used: int
    controls_joined: float           # share of matched controls who joined during the post window
    lift: float
    lift_ci: tuple[float, float]
    naive_lift: float
    att_revenue: float               # incremental spend per member-month
    att_revenue_se: float
    att_profit: float                # incremental gross profit per member-month
    att_profit_se: float
    cf_revenue: float                # counterfactual spend per member-month
    cf_profit: float
    member_churn: float
    control_churn: float
    member_repeat: float
    control_repeat: float
    member_frequency: float          # purchase days per month after enrolment (share-of-wallet proxy)
    control_frequency: float
    deal_seekers: float              # share of analysed members
    deal_seeker_churn: float
    other_churn: float
    balance: pd.DataFrame = field(repr=False)   # covariate, member_mean, before, after
    event: pd.DataFrame = field(repr=False)     # k, members, control (monthly spend)

    def effect(self) -> Effect:
        """The lift and incremental figures as one design's answer (see :mod:`.staggered`)."""
        return Effect("matched", self.members_analysed, self.controls_used, self.lift, self.lift_ci,
                      self.att_revenue, self.att_revenue_se, self.att_profit, self.att_profit_se,
                      self.cf_revenue, self.cf_profit)


def _event_study(panel: Panel, mm: Anchors, ctl: Anchors, owner: np.ndarray, flat_i: np.ndarray,
                 flat_w: np.ndarray, design: Design) -> pd.DataFrame:
    """Monthly spend of members and their matched controls by month relative to enrolment
    (0 = enrolment month), from at most _EVENT_MEMBERS members spread over all of them."""
    sample = _spread(len(mm), _EVENT_MEMBERS)
    keep = np.isin(owner, sample)
    ci, cw = flat_i[keep], flat_w[keep]
    offsets = np.arange(-design.pre_months - 1, design.post_months + 1)
    m_run = np.stack([panel.running(mm.code[sample], mm.e[sample] + k, ("revenue",))[1]["revenue"] for k in offsets])
    c_run = np.stack([panel.running(ctl.code[ci], ctl.e[ci] + k, ("revenue",))[1]["revenue"] for k in offsets])
    m_val, c_val = np.diff(m_run, axis=0), np.diff(c_run, axis=0)
    return pd.DataFrame({"k": offsets[1:], "members": m_val.mean(axis=1),
                         "control": (c_val * cw).sum(axis=1) / cw.sum() if cw.sum() > 0 else np.nan})


def _nan_mean(values: np.ndarray, weights: np.ndarray | None = None) -> float:
    if len(values) == 0 or (weights is not None and weights.sum() <= 0):
        return float("nan")
    return float(np.average(values, weights=weights))


def _spread(n: int, size: int) -> np.ndarray:
    """``size`` positions spread evenly over 0..n-1 (all of them when size >= n): a fixed
    systematic sample, so the answer never depends on a random draw."""
    if size >= n:
        return np.arange(n, dtype=np.int64)
    return (np.arange(size, dtype=np.int64) * n) // size


def _draw_controls(panel: Panel, mem: Anchors, enrol_m: np.ndarray, design: Design, blocks: Blocks
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Candidate controls per enrolment month (code, pseudo-enrolment month, inverse sampling
    weight), in customer order; None when no month has any. See step 2 of the module docstring."""
    cohorts = np.unique(mem.e)
    mem_active = mem.x["anchor_days"] > 0
    c_code, c_e, c_w = [], [], []
    by_first = panel.by_first_month()
    first_sorted = panel.first_m[by_first]
    u_code = np.flatnonzero(enrol_m < np.iinfo(np.int64).max)         # every member of the program
    u_e, u_first = enrol_m[u_code], panel.first_m[u_code]
    pre_n = design.pre_months
    for m in cohorts:
        in_cohort = mem.e == m
        # Members who bought in their enrolment month are matched among customers who bought
        # that month too (being active then is itself strong evidence of being alive), the
        # rest among those who did not: the pools are sampled separately, and both always,
        # so that "all non-members" (naive lift, balance before matching) is represented.
        # Eligible: bought before month m, not enrolled by then, in no other program around m.
        buyers = panel.buyers_in(int(m))
        active_pool = buyers[(panel.first_m[buyers] < m) & (enrol_m[buyers] > m)]
        n_known = int(np.searchsorted(first_sorted, m))           # customers who bought before m
        n_enrolled = int(np.sum((u_e <= m) & (u_first < m)))
        n_rest = n_known - n_enrolled - len(active_pool)
        for active, n_mem in ((True, int((in_cohort & mem_active).sum())), (False, int((in_cohort & ~mem_active).sum()))):
            n_pool = len(active_pool) if active else n_rest
            if n_pool <= 0:
                continue
            size = min(design.controls_per_cohort, max(_CONTROLS_PER_MEMBER * n_mem, _MIN_CONTROLS), n_pool)
            if active:
                picked = active_pool[_spread(n_pool, size)]
            else:   # every k-th of those who bought before m, skipping buyers of m and members
                step = max(n_known // max(size, 1), 1)
                picked = np.zeros(0, dtype=np.int64)
                for offset in range(step):      # usually one pass; more when many are skipped
                    draw = by_first[offset:n_known:step]
                    pos = np.minimum(np.searchsorted(buyers, draw), max(len(buyers) - 1, 0))
                    is_buyer = (buyers[pos] == draw) if len(buyers) else np.zeros(len(draw), dtype=bool)
                    picked = np.concatenate([picked, draw[(enrol_m[draw] > m) & ~is_buyer]])
                    if len(picked) >= size:
                        break
                picked = np.sort(picked[_spread(len(picked), size)])
            size = len(picked)
            if len(blocks) and size:
                picked = picked[~blocks.hit(picked, m - pre_n, m)]
            if not len(picked):
                continue
            c_code.append(picked)
            c_e.append(np.full(len(picked), m))
            c_w.append(np.full(len(picked), n_pool / size))   # inverse sampling fraction
    if not c_code:
        return None
    c_code_all, c_e_all, ctl_weight = np.concatenate(c_code), np.concatenate(c_e), np.concatenate(c_w)
    by_code = np.lexsort((c_e_all, c_code_all))   # customer order: the panel lookups then walk memory forwards
    return c_code_all[by_code], c_e_all[by_code], ctl_weight[by_code]


def _match(mem: Anchors, ctl: Anchors, ctl_weight: np.ndarray, cats: list[np.ndarray], design: Design
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Propensity scores of members and candidates (logit fitted on a weighted sample) and each
    member's ``neighbours`` nearest candidates of the same enrolment month and the same
    activity in it, within the caliper: (member scores, control scores, match index, weight)."""
    fm = _spread(len(mem), _FIT_MEMBERS)
    fc = _spread(len(ctl), _FIT_CONTROLS)
    scale_m, scale_c = len(mem) / len(fm), len(ctl) / len(fc)
    beta = fit_logit(np.vstack([_design(_continuous(mem, fm), mem.code[fm], cats),
                                _design(_continuous(ctl, fc), ctl.code[fc], cats)]),
                     np.r_[np.ones(len(fm)), np.zeros(len(fc))],
                     np.r_[np.full(len(fm), scale_m), ctl_weight[fc] * scale_c])
    sm, sc = _scores(mem, cats, beta), _scores(ctl, cats, beta)
    caliper = design.caliper * float(np.std(np.r_[sm[fm], sc[fc]]))
    k = design.neighbours
    match_idx = np.full((len(mem), k), -1, dtype=np.int64)
    match_w = np.zeros((len(mem), k))
    c_order = np.argsort(ctl.e, kind="stable")
    cohorts = np.unique(mem.e)
    c_bounds = np.searchsorted(ctl.e[c_order], cohorts)
    c_ends = np.searchsorted(ctl.e[c_order], cohorts, side="right")
    ctl_active = ctl.x["anchor_days"] > 0
    mem_active = mem.x["anchor_days"] > 0
    for m, lo, hi in zip(cohorts, c_bounds, c_ends):
        for flag in (True, False):
            rows = np.flatnonzero((mem.e == m) & (mem_active == flag))
            cand = c_order[lo:hi]
            cand = cand[ctl_active[cand] == flag]
            if len(rows) == 0:
                continue
            idx, w = nearest(sc[cand], sm[rows], k, caliper)
            match_idx[rows] = np.where(idx >= 0, cand[np.maximum(idx, 0)], -1)
            match_w[rows] = w
    return sm, sc, match_idx, match_w


def estimate(panel: Panel, cats: list[np.ndarray], members: pd.DataFrame, design: Design,
             blocks: Blocks = NO_BLOCKS, shift: int = 0, diagnostics: bool = True) -> Estimate | None:
    """The matched DiD for one program. ``members``: code, enrolled_at (one row per code,
    every member of the program); ``cats``: :func:`category_codes` of the customers;
    ``blocks``: spells in other programs (such customers are no controls then). ``shift`` > 0
    moves every enrolment back that many months (the placebo test); without ``diagnostics``
    the balance table and the event study stay empty (the placebo needs neither). None when fewer than
    :data:`MIN_MEMBERS` members can be analysed or matched."""
    design.check()
    code = members["code"].to_numpy(np.int64)
    e = months_of(panel, members["enrolled_at"]) - shift
    ok = (e - design.pre_months >= 0) & (e + design.post_months <= panel.last_m) & (panel.first_m[code] < e)
    if len(blocks):   # as for controls: members who joined or left another program just before are left out
        ok &= ~blocks.hit(code, e - design.pre_months, e)
    excluded = int((~ok).sum())
    code_all, e_all = code, e
    code, e = code[ok], e[ok]
    if len(code) < MIN_MEMBERS:
        return None
    enrol_m = np.full(panel.n, np.iinfo(np.int64).max)
    np.minimum.at(enrol_m, code_all, e_all)
    mem = anchors(panel, code, e, design)
    cohorts = np.unique(e)
    drawn = _draw_controls(panel, mem, enrol_m, design, blocks)
    if drawn is None:
        return None
    c_code_all, c_e_all, ctl_weight = drawn
    ctl = anchors(panel, c_code_all, c_e_all, design)
    sm, sc, match_idx, match_w = _match(mem, ctl, ctl_weight, cats, design)
    matched = match_w.sum(axis=1) > 0
    if matched.sum() < MIN_MEMBERS:
        return None
    unmatched = int((~matched).sum())
    mi, mw = match_idx[matched], match_w[matched]
    mm = mem.take(np.flatnonzero(matched))
    flat_i, flat_w = mi.ravel(), mw.ravel()
    use = flat_i >= 0
    flat_i, flat_w = flat_i[use], flat_w[use]
    owner = np.repeat(np.arange(len(mm)), design.neighbours)[use]
    post_n = design.post_months

    after_w = np.bincount(flat_i, weights=flat_w, minlength=len(ctl))
    used = np.flatnonzero(after_w > 0)
    n = len(mm)
    # Controls who join the program themselves during the post window carry the effect in
    # their later months. Under a constant relative effect L, their spend in months after
    # joining is (1 + L) x what it would have been: deflate it, and solve for L (fixed point).
    g = enrol_m[ctl.code]
    exposed = np.flatnonzero((g > ctl.e) & (g < ctl.e + post_n))
    exp = {c: np.zeros(len(ctl)) for c in ("revenue", "profit")}
    if len(exposed):
        got = panel.window(ctl.code[exposed], g[exposed] + 1, ctl.e[exposed] + post_n, ("revenue", "profit"))
        for c in exp:
            exp[c][exposed] = got[c]
    y = mm.post["revenue"] / post_n
    yp = mm.post["profit"] / post_n

    def counterfactual(col: str, level: float) -> tuple[np.ndarray, np.ndarray]:
        post = ctl.post[col] - exp[col] * (1 - 1 / (1 + level))
        change = post / post_n - ctl.pre[col]
        return mm.pre[col] + np.bincount(owner, weights=flat_w * change[flat_i], minlength=n), change

    level = 0.0
    for _ in range(50):
        cf, _change = counterfactual("revenue", level)
        new = max(float(y.mean() / cf.mean()) - 1, -0.9) if cf.mean() > 0 else 0.0
        if abs(new - level) < 1e-10:
            break
        level = new
    cf, change_rev = counterfactual("revenue", level)
    cfp, change_profit = counterfactual("profit", level)
    change = {"revenue": change_rev}
    joined = float(np.sum(flat_w * np.isin(flat_i, exposed)) / max(flat_w.sum(), 1e-12))
    ratio = y.mean() / cf.mean() if cf.mean() != 0 else float("nan")
    lift = ratio - 1
    # Variance with members and (reused) controls as two samples: a control matched m times
    # carries weight m/n (delta method for the ratio of means).
    share = after_w[used] / n
    dc = change["revenue"][used]
    var_c = float(np.var(dc, ddof=1)) if len(used) > 1 else 0.0
    u = y - ratio * mm.pre["revenue"]
    se = (float(np.sqrt(np.var(u, ddof=1) / n + ratio**2 * var_c * np.sum(share**2))) / abs(cf.mean())
          if cf.mean() != 0 else float("nan"))
    att_se = float(np.sqrt(np.var(y - mm.pre["revenue"], ddof=1) / n + var_c * np.sum(share**2)))
    var_cp = float(np.var(change_profit[used], ddof=1)) if len(used) > 1 else 0.0
    att_profit_se = float(np.sqrt(np.var(yp - mm.pre["profit"], ddof=1) / n + var_cp * np.sum(share**2)))
    # The lift is a fixed point L = R(L) of the ratio R after deflating joiners' months: an
    # error in R moves L by 1 / (1 - R'(L)). Widen both standard errors by that factor.
    h = 1e-4

    def ratio_at(level_: float) -> float:
        return float(y.mean() / counterfactual("revenue", level_)[0].mean())

    slope = (ratio_at(level + h) - ratio_at(level - h)) / (2 * h) if cf.mean() > 0 else 0.0
    widen = 1.0 / max(1.0 - slope, 0.2)
    se, att_se, att_profit_se = se * widen, att_se * widen, att_profit_se * widen
    # "Before matching": every eligible non-member (sampling weights undone), each enrolment
    # month weighted by its members.
    cohort_members = np.bincount(np.searchsorted(cohorts, mm.e), minlength=len(cohorts))
    ctl_cohort = np.searchsorted(cohorts, ctl.e)
    pool_total = np.bincount(ctl_cohort, weights=ctl_weight, minlength=len(cohorts))
    before_w = ctl_weight * cohort_members[ctl_cohort] / np.maximum(pool_total[ctl_cohort], 1e-12)
    naive = (y.mean() / _nan_mean(ctl.post["revenue"] / post_n, before_w)) - 1
    balance = []
    for cov in COVARIATES + ("propensity",) if diagnostics else ():
        xm_, xc_ = (mm.x[cov], ctl.x[cov]) if cov != "propensity" else (sm[matched], sc)
        vm = np.var(xm_)
        vc = np.cov(xc_, aweights=before_w) if before_w.sum() > 0 else 0.0
        sd = float(np.sqrt((vm + float(vc)) / 2))
        balance.append({"covariate": cov, "member_mean": float(np.mean(xm_)),
                        "control_mean_before": _nan_mean(xc_, before_w), "control_mean_after": _nan_mean(xc_, after_w),
                        "before": standardized_difference(xm_, xc_, before_w, sd),
                        "after": standardized_difference(xm_, xc_, after_w, sd)})
    event = (_event_study(panel, mm, ctl, owner, flat_i, flat_w, design) if diagnostics
             else pd.DataFrame({"k": [], "members": [], "control": []}))
    post_orders = mm.post["orders"]
    deal = (post_orders > 0) & (mm.post["discounted"] >= design.deal_share * post_orders)
    return Estimate(
        members_analysed=n, members_unmatched=unmatched, members_excluded=excluded, controls_joined=joined,
        controls_used=int((after_w > 0).sum()), lift=float(lift),
        lift_ci=(float(lift - Z95 * se), float(lift + Z95 * se)), naive_lift=float(naive),
        att_revenue=float((y - cf).mean()), att_revenue_se=att_se, att_profit=float((yp - cfp).mean()),
        att_profit_se=att_profit_se,
        cf_revenue=float(cf.mean()), cf_profit=float(cfp.mean()),
        member_churn=float(mm.churned.mean()), control_churn=_nan_mean(ctl.churned.astype(float), after_w),
        member_repeat=float((mm.post["purchase_days"] >= 2).mean()),
        control_repeat=_nan_mean((ctl.post["purchase_days"] >= 2).astype(float), after_w),
        member_frequency=float(np.mean(mm.post["purchase_days"]) / post_n),
        control_frequency=_nan_mean(ctl.post["purchase_days"].astype(float) / post_n, after_w),
        deal_seekers=float(deal.mean()), deal_seeker_churn=_nan_mean(mm.churned[deal].astype(float)),
        other_churn=_nan_mean(mm.churned[~deal].astype(float)),
        balance=pd.DataFrame(balance), event=pd.DataFrame(event))
