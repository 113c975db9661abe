"""Every loyalty program at once: the matched lift, the money, tiers; JSON for the CLI.

Grain: one :class:`ProgramReport` per program in ``loyalty_programs``. Reads the monthly
panel once and analyses each program against it (see :mod:`crm_core.loyalty.estimate` for the
method and :mod:`crm_core.loyalty.roi` for the money).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from crm_core.errors import NoDataError
from crm_core.filters import Filters
from crm_core.loyalty.anchors import Blocks
from crm_core.loyalty.estimate import LEVELS, MIN_MEMBERS, Design, Estimate, category_codes
from crm_core.loyalty.panel import Panel, load_panel, month_start, months_of
from crm_core.loyalty.roi import Money, money
from crm_core.loyalty.verdict import DESIGNS, Checked, Verdict, evaluate
from crm_core.store.connection import Store

__all__ = ["ProgramReport", "LoyaltyReport", "analyse", "to_json", "tiers", "tier_changes"]


@dataclass
class ProgramReport:
    program_id: str
    name: str
    kind: str
    annual_fee: float | None
    start_date: date | None
    estimate: Estimate | None     # the matched design with its diagnostics (None: too few members)
    verdict: Verdict              # both designs, their placebos, the one trusted
    money: Money                  # from the trusted design's effect (none: no incremental figures)
    tiers: pd.DataFrame = field(repr=False)
    tier_changes: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def lift(self) -> float | None:
        """The trusted design's lift (None when no design is credible)."""
        effect = self.verdict.effect
        return None if effect is None else effect.lift


@dataclass
class LoyaltyReport:
    as_of: date
    design: Design
    last_month: date              # the last complete month the analysis uses
    programs: list[ProgramReport]


def tiers(panel: Panel, members: pd.DataFrame) -> pd.DataFrame:
    """Current members (not left) by tier: members, share, average monthly spend over the
    last 12 complete months."""
    current = members[members["left_at"].isna()]
    if current.empty:
        return pd.DataFrame({"tier": pd.Series(dtype=str), "members": pd.Series(dtype=int),
                             "share": pd.Series(dtype=float), "monthly_spend": pd.Series(dtype=float)})
    codes = current["code"].to_numpy(np.int64)
    spend = panel.window(codes, panel.last_m - 11, panel.last_m, ("revenue",))["revenue"] / 12
    df = pd.DataFrame({"tier": current["tier"].fillna("(none)").astype(str).to_numpy(), "spend": spend})
    out = df.groupby("tier", as_index=False).agg(members=("spend", "size"), monthly_spend=("spend", "mean"))
    out["share"] = out["members"] / out["members"].sum()
    return out.sort_values("monthly_spend", ascending=False, ignore_index=True)[
        ["tier", "members", "share", "monthly_spend"]]


def tier_changes(members: pd.DataFrame) -> pd.DataFrame:
    """Moves between tiers: a tier change is recorded as a new membership row of the same
    customer from the day of the change (the previous row ends then), so each pair of a
    customer's consecutive rows with different tiers is one change. Columns from_tier,
    to_tier, changes (most frequent first); a missing tier is "(none)"."""
    empty = pd.DataFrame({"from_tier": pd.Series(dtype=str), "to_tier": pd.Series(dtype=str),
                          "changes": pd.Series(dtype=np.int64)})
    if len(members) < 2:
        return empty
    m = members.sort_values(["code", "enrolled_at"], kind="stable")
    code = m["code"].to_numpy(np.int64)
    tier = m["tier"].astype(object).where(m["tier"].notna(), "(none)").astype(str).to_numpy()
    same = code[1:] == code[:-1]
    moved = same & (tier[1:] != tier[:-1])
    if not moved.any():
        return empty
    pairs = pd.DataFrame({"from_tier": tier[:-1][moved], "to_tier": tier[1:][moved]})
    out = pairs.groupby(["from_tier", "to_tier"], as_index=False).size().rename(columns={"size": "changes"})
    return out.sort_values(["changes", "from_tier", "to_tier"], ascending=[False, True, True],
                           ignore_index=True).astype({"changes": np.int64})


def analyse(store: Store, as_of: date, design: Design = Design(), filters: Filters = Filters()) -> LoyaltyReport:
    """Analyse every program as of ``as_of`` for the customers passing ``filters``."""
    design.check()
    params = {"as_of": as_of, **filters.params()}
    with store.cursor():   # keeps the connection (and DuckDB's cache) open for every query below
        programs = store.query("loyalty_programs", {"as_of": as_of})
        if programs.empty:
            raise NoDataError("no loyalty programs in this database", kind="loyalty_programs")
        start = store.scalar("SELECT min(tx_date) FROM transactions WHERE tx_date <= ?", [as_of])
        if start is None:
            raise NoDataError(f"no transactions on or before {as_of}", kind="transactions")
        n_keys = int(store.scalar("SELECT coalesce(max(customer_key), -1) + 1 FROM customers"))

        def side() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
            return (store.query("loyalty_customers", {"levels": LEVELS, **filters.params()}, filtered=filters.active),
                    store.query("loyalty_members", params, filtered=filters.active),
                    store.query("loyalty_costs", {"as_of": as_of}))

        # The panel's arrays are built in numpy while the smaller queries run on the other core.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(side)
            panel = load_panel(store, start, as_of, n_keys, filters)
            panel.prepare()
            levels, members, costs = pending.result()
    cats = category_codes(levels, n_keys)

    spell_lo = months_of(panel, members["enrolled_at"])
    spell_hi = np.where(members["left_at"].notna().to_numpy(),
                        months_of(panel, members["left_at"].fillna(pd.Timestamp(panel.start))), np.iinfo(np.int32).max)
    spell_code = members["code"].to_numpy(np.int64)

    def one(row: Any) -> ProgramReport:
        mine = members[members["program_id"] == row.program_id]
        first = mine.sort_values("enrolled_at", kind="stable").drop_duplicates("code")
        other = (members["program_id"] != row.program_id).to_numpy()
        blocks = Blocks(spell_code[other], spell_lo[other], spell_hi[other])
        est, verdict = (evaluate(panel, cats, first[["code", "enrolled_at"]], design, blocks)
                        if len(first) >= MIN_MEMBERS else (None, evaluate_none()))
        effect = verdict.effect
        share = mine["code"].nunique() / row.all_members if row.all_members else 0.0
        prog_costs = costs[costs["program_id"] == row.program_id].assign(
            amount=lambda d: d["amount"] * (share if filters.active else 1.0))
        fee = None if pd.isna(row.annual_fee) else float(row.annual_fee)
        launch = None if pd.isna(row.start_date) else pd.Timestamp(row.start_date).date()
        m = money(panel, mine, fee, prog_costs,
                  None if effect is None else effect.att_revenue, None if effect is None else effect.att_profit,
                  None if effect is None else effect.cf_profit, launch,
                  att_profit_ci=None if effect is None else effect.att_profit_ci, measured_months=design.post_months)
        return ProgramReport(row.program_id, row.name, row.kind, fee, launch, est, verdict, m, tiers(panel, mine),
                             tier_changes(mine))

    # Programs are independent and numpy releases the GIL in the heavy loops: two threads.
    # Largest program first, so the other thread takes the rest meanwhile.
    size = members["program_id"].value_counts()
    rows = sorted(programs.itertuples(index=False), key=lambda r: -int(size.get(r.program_id, 0)))
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(zip([r.program_id for r in rows], pool.map(one, rows)))
    out = [done[r.program_id] for r in programs.itertuples(index=False)]
    return LoyaltyReport(as_of, design, month_start(start, panel.last_m), out)


def evaluate_none() -> Verdict:
    """The verdict of a program too small for any design."""
    return Verdict(None, "too_few", {d: Checked(None, None) for d in DESIGNS})


def _pair(pair: tuple[float, float] | None, digits: int = 6) -> list[float | None] | None:
    return None if pair is None else [_num(pair[0], digits), _num(pair[1], digits)]


def _num(value: float | None, digits: int = 6) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), digits)


def to_json(report: LoyaltyReport) -> dict[str, Any]:
    """The CLI's ``loyalty --json`` document (keys documented in README.md)."""
    programs = []
    for p in report.programs:
        e, m, v = p.estimate, p.money, p.verdict
        eff, pl = v.effect, v.placebo
        designs = {}
        for name, checked in v.designs.items():
            d, dp = checked.effect, checked.placebo
            designs[name] = {"state": checked.state, "members_analysed": d.members_analysed if d else 0,
                             "controls_used": d.controls_used if d else 0,
                             "lift": _num(d.lift) if d else None, "lift_ci": _pair(d.lift_ci) if d else None,
                             "placebo_lift": _num(dp.lift) if dp else None,
                             "placebo_ci": _pair(dp.lift_ci) if dp else None}
        programs.append({
            "program_id": p.program_id, "name": p.name, "kind": p.kind, "members": m.members,
            "design": v.trusted, "reason": v.reason,
            "members_analysed": eff.members_analysed if eff else 0,
            "lift": _num(eff.lift) if eff else None, "lift_ci": _pair(eff.lift_ci) if eff else None,
            "placebo_lift": _num(pl.lift) if pl else None,
            "naive_lift": _num(e.naive_lift) if e else None,
            "incremental_revenue": _num(m.incremental_revenue, 2), "incremental_profit": _num(m.incremental_profit, 2),
            "incremental_profit_ci": _pair(m.incremental_profit_ci, 2),
            "extrapolated_profit": _num(m.extrapolated_profit, 2),
            "fees": _num(m.fees, 2), "costs": _num(m.total_costs, 2), "roi": _num(m.roi),
            "roi_ci": _pair(m.roi_ci), "pays": m.pays,
            "payback_months": m.payback_months,
            "payback_ci": None if m.payback_ci is None else list(m.payback_ci),
            "break_even_lift": _num(m.break_even_lift),
            "member_churn": _num(e.member_churn) if e else None, "control_churn": _num(e.control_churn) if e else None,
            "designs": designs,
            "tier_changes": [{"from": r.from_tier, "to": r.to_tier, "changes": int(r.changes)}
                             for r in p.tier_changes.itertuples()],
        })
    return {"as_of": report.as_of.isoformat(), "last_month": report.last_month.isoformat(), "programs": programs}
