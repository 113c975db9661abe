"""Lifecycle stages: a hand-made history with every stage known, the plain-SQL reference, the
partition and flow properties on random histories, and agreement with the Churn page."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_core.cli.main import main as cli
from crm_core.customers.overview import default_as_of
from crm_core.errors import InvalidParameterError
from crm_core.exits import churn
from crm_core.exits.history import day_number
from crm_core.filters import Filters
from crm_core.journey import lifecycle as lc
from crm_core.periods import period_start
from crm_core.store.connection import Store

from .conftest import make_store

RULE = lc.LifecycleRule(new_days=30, loyal_purchases=3, risk_factor=1.5)
DATES = (date(2024, 2, 10), date(2024, 5, 15), date(2024, 6, 30), date(2024, 7, 15))


def tx(cid: str, day: str, amount: float = 100.0) -> dict:
    return {"transaction_id": f"{cid}-{day}", "customer_id": cid, "tx_date": day, "amount": amount}


@pytest.fixture()
def hand(store_factory):
    """P prospect; N and S new late; A lapses; B lapses and comes back, then loyal; C exits by an
    event; R is overdue (at risk) before it lapses. Window 60 days."""
    return store_factory(
        customers=[{"customer_id": "P", "signup_date": "2024-01-01", "region": "North"},
                   {"customer_id": "B", "region": "North"}],
        transactions=[tx("A", "2024-01-10"), tx("A", "2024-02-01"),
                      tx("B", "2024-01-05"), tx("B", "2024-05-01"), tx("B", "2024-06-01"),
                      tx("C", "2024-03-01"), tx("N", "2024-06-20"), tx("S", "2024-06-01"),
                      tx("R", "2024-01-01"), tx("R", "2024-01-11"), tx("R", "2024-01-21")],
        churn_events=[{"customer_id": "C", "churn_date": "2024-06-15", "reason": "price"}],
    )


EXPECTED = {  # customer -> stage at each of DATES (None: not yet known)
    "P": ["prospect", "prospect", "prospect", "prospect"],
    "N": [None, None, "new", "new"],
    "A": ["active", "churned", "churned", "churned"],
    "B": ["active", "won_back", "loyal", "loyal"],
    "C": [None, "active", "churned", "churned"],
    "R": ["at_risk", "churned", "churned", "churned"],
    "S": [None, None, "new", "active"],
}


def _stages(life: lc.Lifecycle, store: Store) -> dict[str, list[str | None]]:
    ids = lc.people(store)["customer_id"].astype(str).tolist()
    return {cid: [None if s < 0 else lc.STAGES[s] for s in life.stage[i]] for i, cid in enumerate(ids)}


def test_every_stage_by_hand(hand) -> None:
    life = lc.lifecycle(hand, DATES, window_days=60, rule=RULE)
    assert _stages(life, hand) == EXPECTED
    sizes = life.sizes()
    assert sizes.loc["2024-02-10"].to_dict() == {"prospect": 1, "new": 0, "active": 2, "loyal": 0, "at_risk": 1,
                                                  "churned": 0, "won_back": 0}
    assert sizes.sum(axis=1).tolist() == [4, 5, 7, 7]


def test_flows_and_the_customers_behind_them_by_hand(hand) -> None:
    life = lc.lifecycle(hand, DATES, window_days=60, rule=RULE)
    flows = lc.flows(life, 0, -1)
    got = {(r.source, r.target): r.customers for r in flows.itertuples()}
    assert got == {("not_known", "new"): 1, ("not_known", "churned"): 1, ("not_known", "active"): 1,
                   ("prospect", "prospect"): 1, ("active", "churned"): 1, ("active", "loyal"): 1,
                   ("at_risk", "churned"): 1}
    who = lc.people(hand)
    listed = lc.flow_customers(life, who, "active", "churned")
    assert listed["customer_id"].astype(str).tolist() == ["A"]
    assert set(listed.columns) >= {"customer_id", "region", "stage_before", "stage"}
    assert lc.flow_customers(life, who, "loyal", "new").empty
    with pytest.raises(InvalidParameterError):
        lc.flow_customers(life, who, "nowhere", "new")


def test_the_grid_and_the_date_list_agree_and_filters_cut_rows(hand) -> None:
    ends = lc.month_ends(date(2024, 7, 15), 7)
    assert ends[0] == date(2024, 1, 31) and ends[-1] == date(2024, 7, 15) and ends[3] == date(2024, 4, 30)
    a = lc.lifecycle(hand, ends, window_days=60, rule=RULE, grid=True)
    b = lc.lifecycle(hand, ends, window_days=60, rule=RULE, grid=False)
    assert np.array_equal(a.stage, b.stage)
    north = lc.lifecycle(hand, ends, window_days=60, rule=RULE, filters=Filters.of(["North"]))
    rows = np.searchsorted(a.keys, north.keys)
    assert len(north.keys) == 2 and np.array_equal(north.stage, a.stage[rows])


def _reference(store: Store, dates: tuple[date, ...], window: int, rule: lc.LifecycleRule) -> pd.DataFrame:
    df = store.query("lifecycle_reference", {
        "dates": list(dates), "as_of": dates[-1], "window_days": window, "new_days": rule.new_days,
        "loyal_purchases": rule.loyal_purchases, "risk_factor": rule.risk_factor, **Filters().params()},
        filtered=False)
    out = df.pivot_table(index="d", columns="stage", values="customers", aggfunc="sum").reindex(
        index=pd.to_datetime(list(dates)), columns=list(lc.STAGES)).fillna(0).astype(np.int64)
    return out


def test_the_plain_sql_reference_agrees_on_the_demo(demo_db) -> None:
    """Two implementations of the same definitions: one scan plus arrays, and one plain query."""
    store = Store(demo_db)
    as_of = default_as_of(store)
    window = churn.default_window(store, as_of)
    for rule in (lc.LifecycleRule(), RULE):
        got = lc.stage_sizes(store, as_of, months=12, window_days=window, rule=rule)
        ref = _reference(store, lc.month_ends(as_of, 12), window, rule)
        assert np.array_equal(got.to_numpy(), ref.to_numpy()), (got - ref.to_numpy())


def test_active_customers_are_the_churn_pages_active_base(demo_db) -> None:
    """Not prospect and not churned = the customers the Churn page counts as active at a date."""
    store = Store(demo_db)
    as_of = default_as_of(store)
    window = churn.default_window(store, as_of)
    d = churn.churn_data(store, as_of, window_days=window)
    ends = lc.month_ends(as_of, 12)
    sizes = lc.stage_sizes(store, as_of, months=12, window_days=window)
    for end, (_, row) in zip(ends, sizes.iterrows()):
        active, _ = d.history.period(day_number(end), day_number(end))
        assert int(row.drop(["prospect", "churned"]).sum()) == active, end
    # The period's flows: of the customers active at its start, those churned now are the Churn
    # page's churned-and-not-won-back, plus won-back customers who lapsed again; no more than churned.
    life = lc.lifecycle(store, (period_start(as_of, 365), as_of), window_days=window)
    flows = lc.flows(life)
    left_active = flows[~flows["source"].isin(["not_known", "prospect", "churned"])]
    assert int(left_active["customers"].sum()) == d.active
    gone = int(left_active.loc[left_active["target"] == "churned", "customers"].sum())
    assert d.lost_customers <= gone <= d.churned and d.lost_customers < d.churned


DAY0 = date(2023, 1, 1)


@st.composite
def histories(draw):
    n = draw(st.integers(1, 7))
    customers, transactions, events = [], [], []
    for c in range(n):
        cid = f"c{c}"
        signup = draw(st.one_of(st.none(), st.integers(0, 500)))
        customers.append({"customer_id": cid, "signup_date": None if signup is None else DAY0 + timedelta(signup)})
        for k, day in enumerate(sorted(draw(st.lists(st.integers(0, 540), max_size=6)))):
            amount = draw(st.sampled_from([50.0, 80.0, -20.0]))
            transactions.append({"transaction_id": f"{cid}-{k}", "customer_id": cid, "tx_date": DAY0 + timedelta(day),
                                 "amount": amount})
        if draw(st.integers(0, 5)) == 0:
            events.append({"customer_id": cid, "churn_date": DAY0 + timedelta(draw(st.integers(0, 540))),
                           "reason": "price"})
    picked = sorted(set(draw(st.lists(st.integers(1, 540), min_size=1, max_size=4))))
    return customers, transactions, events, tuple(DAY0 + timedelta(d) for d in picked)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(h=histories(), window=st.sampled_from([20, 45, 90]),
       rule=st.sampled_from([lc.LifecycleRule(), RULE, lc.LifecycleRule(new_days=14, loyal_purchases=2, risk_factor=1)]))
def test_stages_partition_the_known_and_flows_add_up(tmp_path_factory, h, window, rule) -> None:
    customers, transactions, events, dates = h
    store = make_store(tmp_path_factory.mktemp("life") / "h.duckdb", customers=customers, transactions=transactions,
                       churn_events=events)
    life = lc.lifecycle(store, dates, window_days=window, rule=rule)
    sizes = life.sizes()
    known = store.df("SELECT known_since FROM stg_customers")["known_since"]
    for d, (_, row) in zip(dates, sizes.iterrows()):
        assert int(row.sum()) == int((known.notna() & (known <= pd.Timestamp(d))).sum())
    assert np.array_equal(sizes.to_numpy(), _reference(store, dates, window, rule).to_numpy())
    flows = lc.flows(life, 0, -1)
    into = flows.groupby("target")["customers"].sum().reindex(list(lc.STAGES), fill_value=0)
    assert into.tolist() == sizes.iloc[-1].tolist()
    out = flows.groupby("source")["customers"].sum()
    assert out.drop("not_known", errors="ignore").reindex(list(lc.STAGES), fill_value=0).tolist() \
        == sizes.iloc[0].tolist()
    who = lc.people(store)
    for r in flows.itertuples():
        assert len(lc.flow_customers(life, who, r.source, r.target)) == r.customers


def test_bad_rules_and_dates_are_refused(hand) -> None:
    for bad in ({"new_days": 3}, {"loyal_purchases": 1}, {"risk_factor": 0.5}):
        with pytest.raises(InvalidParameterError):
            lc.LifecycleRule(**bad)
    with pytest.raises(InvalidParameterError):
        lc.lifecycle(hand, (date(2024, 5, 1), date(2024, 4, 1)))
    with pytest.raises(InvalidParameterError):
        lc.month_ends(date(2024, 5, 1), 0)


def test_cli_lifecycle_json(demo_db, capsys) -> None:
    store = Store(demo_db)
    as_of = default_as_of(store)
    assert cli(["lifecycle", "--db", str(demo_db), "--as-of", as_of.isoformat(), "--months", "6", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["as_of"] == as_of.isoformat() and [s["stage"] for s in doc["stages"]] == list(lc.STAGES)
    sizes = lc.stage_sizes(store, as_of, months=6)
    assert [s["customers"] for s in doc["stages"]] == sizes.iloc[-1].tolist()
    assert doc["customers"] == int(sizes.iloc[-1].sum()) and len(doc["months"]) == 6
    assert cli(["lifecycle", "--db", str(demo_db), "--risk-factor", "0.2"]) == 1
    assert "risk_factor" in capsys.readouterr().err
