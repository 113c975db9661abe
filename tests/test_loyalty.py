"""Loyalty programs: the monthly panel, matching, the matched difference-in-differences
against planted truths, the money (fees, costs, ROI, payback) and bad input."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_core.errors import InvalidParameterError, ModelFitError, NoDataError
from crm_core.loyalty import report as loyalty_report
from crm_core.loyalty.estimate import Design
from crm_core.loyalty.matching import fit_logit, nearest
from crm_core.loyalty.panel import Panel
from crm_core.loyalty.roi import money, what_if

from .conftest import make_store
from .loyalty_data import simulate_program

AS_OF = date(2024, 12, 31)


# -- the panel -------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(last_m=st.sampled_from([11, 63, 64, 140]),
       rows=st.lists(st.tuples(st.integers(0, 6), st.integers(-2, 143), st.floats(-50, 500), st.integers(0, 4)),
                     max_size=60),
       queries=st.lists(st.tuples(st.integers(0, 6), st.integers(-3, 145), st.integers(-3, 145)), min_size=1,
                        max_size=20))
def test_panel_windows_equal_brute_force_sums(last_m, rows, queries) -> None:
    """Window totals, last active month and first month equal plain sums over the rows,
    whatever the order the rows arrive in (months outside 0..last_m are ignored), for
    histories within one 64-month word and across several."""
    df = pd.DataFrame(rows, columns=["code", "m", "revenue", "purchase_days"]).drop_duplicates(["code", "m"])
    df = df.assign(profit=df.revenue * 0.3, orders=df.purchase_days, discounted=0)
    panel = Panel(df.sample(frac=1.0, random_state=1), 7, date(2024, 1, 1), last_m)
    inside = df[(df.m >= 0) & (df.m <= last_m)]
    codes = np.array([q[0] for q in queries])
    lo, hi = np.array([q[1] for q in queries]), np.array([q[2] for q in queries])
    got = panel.window(codes, lo, hi)
    for i, (c, a, b) in enumerate(queries):
        sel = inside[(inside.code == c) & (inside.m >= a) & (inside.m <= b)]
        assert got["revenue"][i] == pytest.approx(sel.revenue.sum(), abs=1e-6)
        assert got["purchase_days"][i] == sel.purchase_days.sum()
        before = inside[(inside.code == c) & (inside.m < b)]
        assert panel.last_active_before(np.array([c]), b)[0] == (before.m.max() if len(before) else -1)
    for c in range(7):
        mine = inside[inside.code == c]
        assert panel.first_m[c] == (mine.m.min() if len(mine) else np.iinfo(np.int32).max)
    for m in range(last_m + 1):
        expect = sorted(inside[(inside.m == m) & (inside.purchase_days > 0)].code)
        assert panel.buyers_in(m).tolist() == expect


# -- matching --------------------------------------------------------------------------
def test_logit_recovers_planted_coefficients() -> None:
    rng = np.random.default_rng(3)
    x = np.column_stack([np.ones(40_000), rng.normal(size=40_000), rng.normal(size=40_000)])
    beta = np.array([-1.0, 0.8, -0.5])
    y = rng.random(40_000) < 1 / (1 + np.exp(-x @ beta))
    assert fit_logit(x, y, ridge=0.0) == pytest.approx(beta, abs=0.05)
    with pytest.raises(ModelFitError):
        fit_logit(x, np.zeros(40_000))


@settings(max_examples=60, deadline=None)
@given(control=st.lists(st.floats(-5, 5), max_size=30), treated=st.lists(st.floats(-5, 5), min_size=1, max_size=10),
       k=st.integers(1, 4), caliper=st.floats(0.01, 3))
def test_nearest_equals_brute_force(control, treated, k, caliper) -> None:
    """The k nearest controls within the caliper: the same distances as sorting them all."""
    c, t = np.array(control), np.array(treated)
    idx, w = nearest(c, t, k, caliper)
    for i, v in enumerate(t):
        d = np.sort(np.abs(c - v))[:k]
        want = d[d <= caliper]
        got = np.sort(np.abs(c[idx[i][idx[i] >= 0]] - v))
        assert got == pytest.approx(want)
        assert w[i].sum() == pytest.approx(1.0 if len(want) else 0.0)


# -- the estimate against planted truths ----------------------------------------------
@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("loyalty") / "planted.duckdb"
    simulate_program(path, customers=6000, lift=0.2, seed=0, fee=30.0, joining="invitation")
    return path


def test_matched_did_recovers_planted_lift_where_naive_is_biased(tmp_path: Path) -> None:
    """Big spenders join (self-selection). In four seeded worlds with a planted +20% the
    naive member vs non-member gap is many times the truth; the matched difference-in-
    differences recovers it: at least three of the four 95% intervals contain +20%, the
    estimates average within 8 points of it, and matching balances the past."""
    estimates, inside, freq = [], 0, []
    for seed in range(4):
        path = tmp_path / f"w{seed}.duckdb"
        simulate_program(path, customers=6000, lift=0.2, seed=seed)
        e = loyalty_report.analyse(make_store_path(path), AS_OF).programs[0].estimate
        assert e is not None and e.members_analysed > 1000
        assert e.naive_lift > 1.0                                   # clearly biased (truth 0.2)
        inside += e.lift_ci[0] <= 0.2 <= e.lift_ci[1]
        estimates.append(e.lift)
        freq.append(e.member_frequency / e.control_frequency)
        balance = e.balance.set_index("covariate")
        assert (balance["before"].abs() > 0.3).sum() >= 3           # members differed before joining...
        assert balance["after"].abs().mean() < 0.1 and balance["after"].abs().max() < 0.2   # ...their matches do not
        ev = e.event.set_index("k")
        post, pre = ev.loc[1:], ev.loc[:-1]
        assert (post["members"] / post["control"]).mean() > (pre["members"] / pre["control"]).mean()
    assert inside >= 3 and abs(np.mean(estimates) - 0.2) < 0.08, estimates
    assert np.mean(freq) > 1.05          # members come more often than their look-alikes (the planted +20% rate)


def test_no_effect_is_not_reported_as_one(tmp_path: Path) -> None:
    """With no planted effect most intervals contain zero, though the naive gap is huge."""
    inside = 0
    for seed in range(3):
        simulate_program(tmp_path / f"z{seed}.duckdb", customers=6000, lift=0.0, seed=seed)
        e = loyalty_report.analyse(make_store_path(tmp_path / f"z{seed}.duckdb"), AS_OF).programs[0].estimate
        assert e is not None and e.naive_lift > 1.0 and abs(e.lift) < 0.2
        inside += e.lift_ci[0] <= 0.0 <= e.lift_ci[1]
    assert inside >= 2


def make_store_path(path: Path):  # -> Store
    from crm_core.store.connection import Store
    return Store(path)


def test_money_of_the_planted_program(planted: Path) -> None:
    """Fees as paid, costs as booked; incremental profit, its interval, ROI and break-even
    from the trusted design's effect over the measured member-months only."""
    store = make_store_path(planted)
    p = loyalty_report.analyse(store, AS_OF).programs[0]
    m, eff = p.money, p.verdict.effect
    assert p.verdict.trusted == "not_yet_enrolled" and eff is not None
    fees = store.scalar("SELECT sum(fee_paid) FROM loyalty_members")
    costs = store.scalar("SELECT sum(amount) FROM loyalty_costs WHERE cost_date <= ?", [AS_OF])
    assert m.fees == pytest.approx(float(fees)) and m.total_costs == pytest.approx(float(costs))
    assert 0 < m.measured_member_months < m.member_months
    assert m.incremental_profit == pytest.approx(eff.att_profit * m.measured_member_months, rel=1e-9)
    lo, hi = eff.att_profit_ci
    assert m.incremental_profit_ci == pytest.approx((lo * m.measured_member_months, hi * m.measured_member_months))
    assert m.extrapolated_profit == pytest.approx(eff.att_profit * (m.member_months - m.measured_member_months))
    assert m.roi == pytest.approx((m.incremental_profit + m.fees - m.total_costs) / m.total_costs)
    assert m.roi_ci == pytest.approx(tuple((x + m.fees - m.total_costs) / m.total_costs for x in m.incremental_profit_ci))
    assert m.pays is (True if m.roi_ci[0] > 0 else False if m.roi_ci[1] < 0 else None)
    assert m.break_even_lift == pytest.approx(max(m.total_costs - m.fees, 0) / (m.measured_member_months * eff.cf_profit))
    doc = loyalty_report.to_json(loyalty_report.analyse(store, AS_OF))
    row = doc["programs"][0]
    assert set(row) >= {"program_id", "kind", "members", "lift", "lift_ci", "naive_lift", "incremental_revenue",
                        "incremental_profit", "fees", "costs", "roi", "roi_ci", "incremental_profit_ci", "pays",
                        "design", "placebo_lift", "designs"}
    assert row["kind"] == "club" and row["design"] == "not_yet_enrolled"
    assert row["lift"] == pytest.approx(eff.lift, abs=1e-6) and row["placebo_lift"] == pytest.approx(
        p.verdict.placebo.lift, abs=1e-6)
    assert row["roi_ci"] == pytest.approx(list(m.roi_ci), abs=1e-6) and row["pays"] == m.pays


# -- money, by hand --------------------------------------------------------------------
def test_money_by_hand() -> None:
    """Two members over 12 months, one leaving; a fee of 120 a year; 100 of costs a month.
    Effect +10 of profit per member-month."""
    monthly = pd.DataFrame({"code": [0, 1], "m": [0, 0], "revenue": [100.0, 100.0], "profit": [40.0, 40.0],
                            "purchase_days": [1, 1], "orders": [1, 1], "discounted": [0, 0]})
    panel = Panel(monthly, 2, date(2024, 1, 1), 11)
    members = pd.DataFrame({"code": [0, 1], "enrolled_at": pd.to_datetime(["2024-01-15", "2024-03-10"]),
                            "left_at": pd.to_datetime([None, "2024-08-31"]), "fee_paid": [np.nan, 120.0]})
    costs = pd.DataFrame({"month": pd.date_range("2024-01-01", periods=12, freq="MS"), "cost_type": "operations",
                          "amount": 100.0})
    m = money(panel, members, 120.0, costs, att_revenue=25.0, att_profit=10.0, cf_profit=50.0, launch=date(2024, 1, 1))
    # member 0: Feb..Dec = 11 months; member 1: Apr..Aug = 5 months
    assert m.member_months == 16 and m.incremental_profit == pytest.approx(160.0)
    assert m.incremental_revenue == pytest.approx(400.0)
    assert m.fees == pytest.approx(240.0)             # one started year each
    assert m.total_costs == pytest.approx(1200.0) and m.roi == pytest.approx((160 + 240 - 1200) / 1200)
    assert m.payback_months is None                    # still negative at the end
    assert m.break_even_lift == pytest.approx((1200 - 240) / (16 * 50.0))
    assert m.members == 2 and m.active_members == 1
    w = what_if(m, participation=2.0)
    assert w.incremental_profit == pytest.approx(320.0) and w.fees == pytest.approx(480.0)
    assert w.costs == pytest.approx(1200.0)            # operations are fixed
    w = what_if(m, annual_fee=600.0)
    assert w.fees == pytest.approx(600.0 * 16 / 12)
    with pytest.raises(InvalidParameterError):
        what_if(m, reward_rate=1.5)


def test_payback_counts_from_the_program_start_not_the_data_start() -> None:
    """A program with no stored start whose first member joins 12 months into the data: 250 of
    set-up cost in its first month, then +100 a month. It pays back in its 4th month, not the
    16th month of the data; with a stored launch the count starts there."""
    monthly = pd.DataFrame({"code": [0], "m": [0], "revenue": [100.0], "profit": [40.0], "purchase_days": [1],
                            "orders": [1], "discounted": [0]})
    panel = Panel(monthly, 1, date(2024, 1, 1), 23)
    members = pd.DataFrame({"code": [0], "enrolled_at": pd.to_datetime(["2025-01-10"]),
                            "left_at": pd.to_datetime([None]), "fee_paid": [np.nan]})
    costs = pd.DataFrame({"month": pd.to_datetime(["2025-01-01"]), "cost_type": "operations", "amount": 250.0})
    m = money(panel, members, 0.0, costs, att_revenue=200.0, att_profit=100.0, cf_profit=50.0)
    assert m.payback_months == 4 and str(m.monthly["month"].iloc[0])[:7] == "2025-01"
    launched = money(panel, members, 0.0, costs, att_revenue=200.0, att_profit=100.0, cf_profit=50.0,
                     launch=date(2024, 10, 1))
    assert launched.payback_months == 7 and str(launched.monthly["month"].iloc[0])[:7] == "2024-10"


# -- bad input -------------------------------------------------------------------------
def test_no_programs_is_a_clear_error(tmp_path: Path) -> None:
    store = make_store(tmp_path / "n.duckdb", transactions=[
        {"transaction_id": "T1", "customer_id": "A", "tx_date": "2024-01-05", "amount": 10}])
    with pytest.raises(NoDataError, match="no loyalty programs"):
        loyalty_report.analyse(store, AS_OF)


def test_program_without_enough_members_still_reports_money(tmp_path: Path) -> None:
    """Too few members for an estimate: no lift (None in JSON, never a made-up number),
    but fees and costs are still counted."""
    store = make_store(tmp_path / "few.duckdb", transactions=[
        {"transaction_id": f"T{i}", "customer_id": f"C{i % 5}", "tx_date": f"2024-0{1 + i % 9}-10", "amount": 10}
        for i in range(30)],
        loyalty_programs=[{"program_id": "X", "name": "<b>Tiny</b>", "kind": "club", "annual_fee": 10}],
        loyalty_members=[{"customer_id": "C1", "program_id": "X", "enrolled_at": "2024-03-01"}],
        loyalty_costs=[{"program_id": "X", "cost_date": "2024-05-01", "amount": 50, "cost_type": "marketing"}])
    p = loyalty_report.analyse(store, AS_OF).programs[0]
    assert p.estimate is None and p.name == "<b>Tiny</b>"
    assert p.money.fees == pytest.approx(10.0) and p.money.total_costs == pytest.approx(50.0)
    assert p.money.roi is None and p.money.incremental_profit is None
    row = loyalty_report.to_json(loyalty_report.analyse(store, AS_OF))["programs"][0]
    assert row["lift"] is None and row["roi"] is None and row["costs"] == 50.0


@pytest.mark.parametrize("bad", [dict(pre_months=0), dict(post_months=40), dict(neighbours=0), dict(caliper=0),
                                 dict(lapse_months=9), dict(deal_share=0)])
def test_bad_settings_are_refused(bad: dict) -> None:
    with pytest.raises(InvalidParameterError):
        Design(**bad).check()


def test_filters_share_costs_and_keep_members_apart(planted: Path) -> None:
    """With a region filter only that region's members are analysed, and program costs
    are shared pro rata to them."""
    from crm_core.filters import Filters
    store = make_store_path(planted)
    full = loyalty_report.analyse(store, AS_OF).programs[0]
    north = loyalty_report.analyse(store, AS_OF, filters=Filters.of(regions=["North"])).programs[0]
    n_north = store.scalar("""SELECT count(DISTINCT m.customer_id) FROM loyalty_members m JOIN customers c
                              USING (customer_id) WHERE c.region = 'North'""")
    assert north.money.members == n_north < full.money.members
    assert north.money.total_costs == pytest.approx(full.money.total_costs * n_north / full.money.members)


def test_tier_changes_from_consecutive_spells() -> None:
    """A change is a new row from the day of the change: consecutive rows of a customer
    with different tiers are one move each; same-tier re-enrolments are not moves."""
    m = pd.DataFrame({
        "code": [1, 1, 1, 2, 2, 3, 4, 4],
        "enrolled_at": pd.to_datetime(["2024-01-01", "2024-05-01", "2024-09-01", "2024-02-01", "2024-06-01",
                                       "2024-01-01", "2024-03-01", "2024-01-01"]),
        "tier": ["Silver", "Gold", "Platinum", "Silver", "Gold", "Gold", None, "Gold"],
    })
    got = loyalty_report.tier_changes(m.sample(frac=1.0, random_state=3))     # row order does not matter
    assert got.to_dict("records") == [{"from_tier": "Silver", "to_tier": "Gold", "changes": 2},
                                      {"from_tier": "Gold", "to_tier": "(none)", "changes": 1},
                                      {"from_tier": "Gold", "to_tier": "Platinum", "changes": 1}]
    assert loyalty_report.tier_changes(m[m["code"] == 3]).empty


def test_tier_history_in_the_store_reaches_the_report_and_json(tmp_path: Path) -> None:
    """Spells written as rows: the report counts the move, the current tier table shows
    the open spell only, and the member is counted once."""
    store = make_store(tmp_path / "tiers.duckdb", transactions=[
        {"transaction_id": f"T{i}", "customer_id": f"C{i % 5}", "tx_date": f"2024-0{1 + i % 9}-10", "amount": 10}
        for i in range(30)],
        loyalty_programs=[{"program_id": "V", "name": "VIP", "kind": "vip"}],
        loyalty_members=[
            {"customer_id": "C1", "program_id": "V", "enrolled_at": "2024-02-01", "tier": "Silver",
             "left_at": "2024-05-01"},
            {"customer_id": "C1", "program_id": "V", "enrolled_at": "2024-05-01", "tier": "Gold"},
            {"customer_id": "C2", "program_id": "V", "enrolled_at": "2024-03-01", "tier": "Silver"}])
    p = loyalty_report.analyse(store, AS_OF).programs[0]
    assert p.tier_changes.to_dict("records") == [{"from_tier": "Silver", "to_tier": "Gold", "changes": 1}]
    assert dict(zip(p.tiers["tier"], p.tiers["members"])) == {"Gold": 1, "Silver": 1}
    assert p.money.members == 2 and p.money.active_members == 2
    row = loyalty_report.to_json(loyalty_report.analyse(store, AS_OF))["programs"][0]
    assert row["tier_changes"] == [{"from": "Silver", "to": "Gold", "changes": 1}]
