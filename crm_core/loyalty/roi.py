"""What a loyalty program costs and returns: fees, costs, incremental profit, ROI, payback.

Definitions (also on the Loyalty page and in the README):
- Member-months: each member counts from the month after enrolment to the month they left
  (or the last complete month before ``as_of``).
- Incremental revenue (profit) = the trusted design's effect per member per month (see
  :mod:`crm_core.loyalty.verdict`) x *measured* member-months: each member's first
  ``post_months`` months after enrolment, where the effect was measured. Months beyond
  them are an extrapolation, reported apart (``extrapolated_profit``) and never in the ROI.
  The 95% interval of the effect carries through to incremental profit, ROI and payback.
- Fees: ``fee_paid`` as recorded, else the program's annual fee for every started year of
  membership; booked at enrolment and each anniversary.
- Costs: the program's bookings (rewards, operations, marketing, other). With customer
  filters set, they are shared pro rata to the members who pass the filters.
- ROI = (incremental profit + fees - costs) / costs. It is shown to pay (``pays``) when its
  whole interval is above 0, shown not to pay when wholly below, and "not shown" otherwise.
  Payback: months from launch until the cumulative net return turns non-negative for good
  (None while it is negative).
- Break-even lift: the relative lift at which incremental profit + fees = costs.
- Reward rate: rewards cost / members' revenue while members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from crm_core.errors import InvalidParameterError
from crm_core.loyalty.panel import Panel, month_index, month_start, months_of

__all__ = ["COST_TYPES", "Money", "money", "what_if", "WhatIf"]

COST_TYPES: tuple[str, ...] = ("rewards", "operations", "marketing", "other")


@dataclass
class Money:
    """One program's money through the last complete month."""

    members: int
    active_members: int
    member_months: int
    member_revenue: float
    incremental_revenue: float | None
    incremental_profit: float | None
    fees: float
    costs: dict[str, float]
    total_costs: float
    roi: float | None
    net_return: float | None
    payback_months: int | None
    incremental_profit_ci: tuple[float, float] | None
    roi_ci: tuple[float, float] | None
    pays: bool | None                 # True/False when the whole ROI interval is above/below 0
    payback_ci: tuple[int | None, int | None] | None   # at the high and at the low end of the effect
    measured_member_months: int       # member-months inside the measured post windows
    extrapolated_profit: float | None  # the effect carried beyond them (not in the ROI)
    break_even_lift: float | None
    reward_rate: float | None
    monthly: pd.DataFrame = field(repr=False)   # month, active_members, incremental_profit, fees, costs, net, cumulative
    yearly: pd.DataFrame = field(repr=False)    # year, incremental_profit, fees, costs, net, roi


def _payback(net: np.ndarray) -> int | None:
    """Months until the running total of ``net`` turns non-negative for good."""
    if not len(net):
        return None
    negative = np.flatnonzero(np.cumsum(net) < 0)
    if not len(negative):
        return 1
    return int(negative[-1]) + 2 if negative[-1] < len(net) - 1 else None


def money(panel: Panel, members: pd.DataFrame, annual_fee: float | None, costs: pd.DataFrame,
          att_revenue: float | None, att_profit: float | None, cf_profit: float | None,
          launch: date | None = None, *, att_profit_ci: tuple[float, float] | None = None,
          measured_months: int | None = None) -> Money:
    """``members``: code, enrolled_at, left_at, fee_paid (one row per membership);
    ``costs``: month, cost_type, amount (already shared for filters); ``measured_months``:
    the months after enrolment over which the effect was measured (None: all)."""
    last = panel.last_m
    n_m = max(last + 1, 1)
    e = months_of(panel, members["enrolled_at"]) if len(members) else np.zeros(0, np.int64)
    left = members["left_at"]
    end = np.where(left.notna().to_numpy(), months_of(panel, left.fillna(pd.Timestamp(panel.start))), last) \
        if len(members) else np.zeros(0, np.int64)
    end = np.minimum(end, last)
    months_in = np.maximum(end - e, 0)
    keep = e <= last
    active = np.zeros(n_m + 1)
    np.add.at(active, np.clip(e[keep] + 1, 0, n_m), 1)
    np.add.at(active, np.clip(end[keep] + 1, 0, n_m), -1)
    active = np.cumsum(active)[:n_m]
    cap = end if measured_months is None else np.minimum(end, e + measured_months)
    measured = np.zeros(n_m + 1)
    np.add.at(measured, np.clip(e[keep] + 1, 0, n_m), 1)
    np.add.at(measured, np.clip(np.maximum(cap[keep], e[keep]) + 1, 0, n_m), -1)
    measured = np.cumsum(measured)[:n_m]
    code = members["code"].to_numpy(np.int64) if len(members) else np.zeros(0, np.int64)
    revenue = float(panel.window(code[keep], e[keep], end[keep], ("revenue",))["revenue"].sum()) if keep.any() else 0.0

    years = np.maximum(np.ceil((end - e + 1) / 12), 1).astype(np.int64)
    paid = members["fee_paid"].to_numpy(np.float64) if len(members) else np.zeros(0)
    per_year = np.where(np.isnan(paid), float(annual_fee or 0.0), paid / years)
    owner = np.repeat(np.arange(len(e)), years)
    fee_month = e[owner] + 12 * (np.arange(len(owner)) - np.repeat(np.cumsum(years) - years, years))
    fee_ok = (fee_month >= 0) & (fee_month <= last)
    fees_m = np.bincount(fee_month[fee_ok], weights=per_year[owner][fee_ok], minlength=n_m)[:n_m]

    cost_m = np.zeros(n_m)
    by_type = {t: 0.0 for t in COST_TYPES}
    if len(costs):
        cm = months_of(panel, costs["month"])
        ok = (cm >= 0) & (cm <= last)
        cost_m = np.bincount(cm[ok], weights=costs["amount"].to_numpy(np.float64)[ok], minlength=n_m)[:n_m]
        for t, amount in costs[ok].groupby("cost_type")["amount"].sum().items():
            by_type[str(t)] = by_type.get(str(t), 0.0) + float(amount)
    incr_m = measured * att_profit if att_profit is not None else np.zeros(n_m)
    net_m = incr_m + fees_m - cost_m
    # Payback and the running totals count from the program's start: its stored launch date,
    # else its first activity (enrolment, fee or cost); activity before a stored launch counts
    # from that activity. Never from the first month of the data (a program launched 12 months
    # into the data paid back in 4 months, not 16).
    first_activity = np.flatnonzero((active > 0) | (cost_m > 0) | (fees_m > 0))
    enrolled = e[keep & (e >= 0)]
    firsts = [int(first_activity[0])] if len(first_activity) else []
    firsts += [int(enrolled.min())] if len(enrolled) else []
    first = min(firsts) if firsts else None
    if launch is not None:
        start_m = month_index(panel.start, launch)
        start_m = min(start_m, first) if first is not None else start_m
    else:
        start_m = first if first is not None else 0
    start_m = max(start_m, 0)
    months = np.arange(n_m)
    monthly = pd.DataFrame({"month": [month_start(panel.start, m) for m in months], "active_members": active,
                            "incremental_profit": incr_m, "fees": fees_m, "costs": cost_m, "net": net_m})
    monthly = monthly.iloc[start_m:].reset_index(drop=True)
    monthly["cumulative"] = monthly["net"].cumsum()
    total_costs = float(cost_m.sum())
    fees = float(fees_m.sum())
    member_months = int(months_in[keep].sum())
    measured_mm = int(measured.sum())
    incr_rev = att_revenue * measured_mm if att_revenue is not None else None
    incr_profit = float(incr_m.sum()) if att_profit is not None else None
    net = incr_profit + fees - total_costs if incr_profit is not None else None
    roi = net / total_costs if net is not None and total_costs > 0 else None
    payback = _payback(monthly["net"].to_numpy()) if net is not None else None
    incr_ci = roi_ci = payback_ci = pays = None
    if att_profit_ci is not None and att_profit is not None:
        incr_ci = (measured_mm * att_profit_ci[0], measured_mm * att_profit_ci[1])
        net_ci = (incr_ci[0] + fees - total_costs, incr_ci[1] + fees - total_costs)
        if total_costs > 0:
            roi_ci = (net_ci[0] / total_costs, net_ci[1] / total_costs)
        pays = True if net_ci[0] > 0 else False if net_ci[1] < 0 else None
        fixed = (fees_m - cost_m)[start_m:]
        payback_ci = (_payback(measured[start_m:] * att_profit_ci[1] + fixed),
                      _payback(measured[start_m:] * att_profit_ci[0] + fixed))
    extrapolated = float(((active - measured) * att_profit).sum()) if att_profit is not None else None
    break_even = None
    if cf_profit is not None and cf_profit > 0 and measured_mm > 0:
        break_even = max(total_costs - fees, 0.0) / (measured_mm * cf_profit)
    yearly = monthly.assign(year=pd.to_datetime(monthly["month"]).dt.year).groupby("year", as_index=False)[
        ["incremental_profit", "fees", "costs", "net"]].sum()
    yearly["roi"] = np.where(yearly["costs"] > 0, yearly["net"] / yearly["costs"].where(yearly["costs"] > 0), np.nan)
    if att_profit is None:
        yearly[["incremental_profit", "net", "roi"]] = np.nan
    return Money(members=int(members["code"].nunique()) if len(members) else 0, active_members=int(left.isna().sum()),
                 member_months=member_months, member_revenue=revenue, incremental_revenue=incr_rev,
                 incremental_profit=incr_profit, fees=fees, costs=by_type, total_costs=total_costs, roi=roi,
                 net_return=net, payback_months=payback, incremental_profit_ci=incr_ci, roi_ci=roi_ci, pays=pays,
                 payback_ci=payback_ci, measured_member_months=measured_mm, extrapolated_profit=extrapolated,
                 break_even_lift=break_even,
                 reward_rate=by_type.get("rewards", 0.0) / revenue if revenue > 0 else None,
                 monthly=monthly, yearly=yearly)


@dataclass(frozen=True)
class WhatIf:
    incremental_profit: float | None
    fees: float
    costs: float
    net_return: float | None
    roi: float | None
    roi_ci: tuple[float, float] | None = None
    pays: bool | None = None          # as in Money: None when the interval spans break-even or no effect is known


def what_if(m: Money, *, reward_rate: float | None = None, annual_fee: float | None = None,
            participation: float = 1.0) -> WhatIf:
    """The ROI if the reward rate (share of members' revenue paid as rewards), the annual
    fee, or participation (members x factor) changed; operations, marketing and other
    costs stay fixed, and the measured lift per member (with its interval) is kept. Without
    a credible effect there is no incremental profit and so no ROI."""
    if not 0 <= participation <= 10:
        raise InvalidParameterError("participation must be a factor in 0..10", name="participation", value=participation)
    if reward_rate is not None and not 0 <= reward_rate <= 1:
        raise InvalidParameterError("reward rate must be in 0..1", name="reward_rate", value=reward_rate)
    if annual_fee is not None and annual_fee < 0:
        raise InvalidParameterError("the annual fee cannot be negative", name="annual_fee", value=annual_fee)
    rewards = (reward_rate * m.member_revenue if reward_rate is not None else m.costs.get("rewards", 0.0)) * participation
    fixed = m.total_costs - m.costs.get("rewards", 0.0)
    fees = (annual_fee * m.member_months / 12 if annual_fee is not None else m.fees) * participation
    costs = rewards + fixed
    if m.incremental_profit is None:     # no credible effect: no ROI, whatever the scenario
        return WhatIf(None, fees, costs, None, None)
    incremental = m.incremental_profit * participation
    net = incremental + fees - costs
    roi_ci = pays = None
    if m.incremental_profit_ci is not None:
        net_ci = tuple(x * participation + fees - costs for x in m.incremental_profit_ci)
        roi_ci = (net_ci[0] / costs, net_ci[1] / costs) if costs > 0 else None
        pays = True if net_ci[0] > 0 else False if net_ci[1] < 0 else None
    return WhatIf(incremental, fees, costs, net, net / costs if costs > 0 else None, roi_ci, pays)
