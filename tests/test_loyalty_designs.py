"""Which loyalty estimate to trust: simulated worlds where the naive and the matched answers
are wrong (self-selection on a latent rate), the placebo test, seed independence, and the
ROI's interval."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_core.cli.main import main as cli
from crm_core.loyalty import report as loyalty_report
from crm_core.loyalty.anchors import Blocks, Design
from crm_core.loyalty.panel import Panel
from crm_core.loyalty.roi import money
from crm_core.loyalty.verdict import evaluate
from crm_core.store.connection import Store

from .loyalty_data import simulate_program
from .loyalty_worlds import latent_world

AS_OF = date(2024, 12, 31)
WORLDS = 30


@pytest.mark.parametrize("lift", [0.0, 0.10])
def test_self_selection_on_a_latent_rate_cannot_fake_an_effect(lift: float) -> None:
    """30 worlds per truth: members self-select on a buying rate their history does not
    fully show. Members vs later joiners: mean within ±0.02 of the truth, 95% intervals
    cover it in >= 90% of worlds, and it is the trusted design in most. Members vs
    look-alike non-members: biased upwards, and its placebo shows it."""
    nye, covered, trusted, matched, matched_placebo, false_alarms = [], 0, 0, [], [], 0
    for seed in range(WORLDS):
        w = latent_world(seed, lift=lift)
        _, verdict = evaluate(w.panel, w.cats, w.members, Design())
        d = verdict.designs["not_yet_enrolled"].effect
        assert d is not None and d.members_analysed > 800
        nye.append(d.lift)
        covered += d.lift_ci[0] <= lift <= d.lift_ci[1]
        trusted += verdict.trusted == "not_yet_enrolled"
        m = verdict.designs["matched"]
        matched.append(m.effect.lift)
        matched_placebo.append(m.placebo.lift)
        shown = verdict.effect
        false_alarms += lift == 0 and shown is not None and shown.lift_ci[0] > 0
    assert abs(np.mean(nye) - lift) <= 0.02, nye
    assert covered >= 0.9 * WORLDS, covered
    assert trusted >= 0.8 * WORLDS, trusted
    assert np.mean(matched) - lift > 0.03 and np.mean(matched_placebo) > 0.05     # the naive answer is wrong
    assert false_alarms <= 0.1 * WORLDS


def test_joining_after_a_burst_is_called_not_credible(tmp_path: Path) -> None:
    """Customers join at a purchase after a busy spell: moved before the real enrolment the
    comparisons still find an 'effect', so neither is trusted and no ROI, lift or verdict on
    paying is given, in the report and in the JSON; both designs stay visible."""
    path = tmp_path / "burst.duckdb"
    simulate_program(path, customers=6000, lift=0.2, seed=1)
    p = loyalty_report.analyse(Store(path), AS_OF).programs[0]
    assert p.verdict.trusted is None and p.verdict.reason == "placebo_failed"
    assert p.verdict.designs["matched"].placebo.lift > 0.2
    assert p.money.roi is None and p.money.incremental_profit is None and p.money.pays is None
    row = loyalty_report.to_json(loyalty_report.analyse(Store(path), AS_OF))["programs"][0]
    assert row["design"] is None and row["lift"] is None and row["roi"] is None and row["pays"] is None
    assert row["designs"]["matched"]["state"] == "failed" and row["designs"]["matched"]["lift"] is not None


def test_no_figure_depends_on_a_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`loyalty --seed N` changes nothing: the estimate draws nothing at random."""
    path = tmp_path / "s.duckdb"
    simulate_program(path, customers=3000, lift=0.1, seed=2, joining="invitation")
    docs = []
    for seed in ("0", "7", "123"):
        assert cli(["loyalty", "--db", str(path), "--as-of", "2024-12-31", "--json", "--seed", seed]) == 0
        docs.append(json.loads(capsys.readouterr().out))
    assert docs[0] == docs[1] == docs[2]
    assert docs[0]["programs"][0]["designs"]["matched"]["lift"] is not None


def _hand_panel() -> tuple[Panel, pd.DataFrame]:
    monthly = pd.DataFrame({"code": [0, 1], "m": [0, 0], "revenue": [100.0, 100.0], "profit": [40.0, 40.0],
                            "purchase_days": [1, 1], "orders": [1, 1], "discounted": [0, 0]})
    panel = Panel(monthly, 2, date(2024, 1, 1), 11)
    members = pd.DataFrame({"code": [0, 1], "enrolled_at": pd.to_datetime(["2024-01-15", "2024-03-10"]),
                            "left_at": pd.to_datetime([None, "2024-06-20"]), "fee_paid": [np.nan, np.nan]})
    return panel, members


@pytest.mark.parametrize("ci, pays", [((15.0, 25.0), True), ((-8.0, 1.0), False), ((-2.0, 30.0), None)])
def test_roi_interval_and_pays_by_hand(ci: tuple[float, float], pays: bool | None) -> None:
    """Member 0: months Feb..Dec (11), member 1: Apr..Jun (3). Effect measured over 6 months
    after enrolment: 6 + 3 = 9 measured member-months, 5 extrapolated. Costs 100 a month
    from January (1,200), no fees. ROI interval = (9 x effect bounds - 1,200) / 1,200 with
    effect bounds scaled to profit per member-month x 20 here; pays only when wholly above 0."""
    panel, members = _hand_panel()
    costs = pd.DataFrame({"month": pd.date_range("2024-01-01", periods=12, freq="MS"), "cost_type": "operations",
                          "amount": 100.0})
    scale = 20.0
    att, lo, hi = scale * sum(ci) / 2, scale * ci[0], scale * ci[1]
    m = money(panel, members, 0.0, costs, att_revenue=att * 2, att_profit=att, cf_profit=500.0,
              att_profit_ci=(lo, hi), measured_months=6)
    assert m.member_months == 14 and m.measured_member_months == 9
    assert m.incremental_profit == pytest.approx(9 * att) and m.extrapolated_profit == pytest.approx(5 * att)
    assert m.incremental_profit_ci == pytest.approx((9 * lo, 9 * hi))
    assert m.roi_ci == pytest.approx(((9 * lo - 1200) / 1200, (9 * hi - 1200) / 1200))
    assert m.pays is pays
    if pays:
        assert m.payback_ci[0] is not None and m.payback_ci[0] <= m.payback_months
    if pays is False:
        assert m.payback_ci == (None, None) or m.payback_ci[1] is None


@settings(max_examples=80, deadline=None)
@given(spells=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 30), st.integers(0, 30)), max_size=12),
       queries=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 30), st.integers(0, 30)), min_size=1,
                        max_size=12))
def test_blocks_flag_a_join_or_leave_inside_the_window(spells, queries) -> None:
    """A customer is flagged when one of their spells in another program starts after the
    window's first month or ends before its last while overlapping it; a spell covering the
    whole window (or outside it) is no change."""
    spells = [(c, min(a, b), max(a, b)) for c, a, b in spells]
    blocks = Blocks(np.array([s[0] for s in spells], dtype=np.int64), np.array([s[1] for s in spells]),
                    np.array([s[2] for s in spells]))
    codes = np.array([q[0] for q in queries])
    lo = np.array([min(q[1], q[2]) for q in queries])
    hi = np.array([max(q[1], q[2]) for q in queries])
    got = blocks.hit(codes, lo, hi)
    for i, c in enumerate(codes):
        want = any(sc == c and s_lo <= hi[i] and s_hi >= lo[i] and (s_lo > lo[i] or s_hi < hi[i])
                   for sc, s_lo, s_hi in spells)
        assert got[i] == want
