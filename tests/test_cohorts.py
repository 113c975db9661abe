"""Cohorts: a hand-made table with known cells, properties on random histories, and agreement
with the lifecycle stages and the Churn page for the same customers and months."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_core.cli.main import main as cli
from crm_core.customers.overview import default_as_of
from crm_core.errors import InvalidParameterError, NoDataError
from crm_core.exits import churn
from crm_core.exits.history import day_number
from crm_core.journey import cohorts as co
from crm_core.journey import lifecycle as lc
from crm_core.store.connection import Store

from .conftest import make_store
from .test_lifecycle import histories

AS_OF = date(2024, 4, 20)


def tx(cid: str, day: str, amount: float = 100.0) -> dict:
    return {"transaction_id": f"{cid}-{day}", "customer_id": cid, "tx_date": day, "amount": amount}


@pytest.fixture()
def hand(store_factory):
    """X buys in January, February and April; Y in January and only returns in March; Z in
    February; W never buys. As of 20 April the table runs through March."""
    return store_factory(
        customers=[{"customer_id": "X", "acquisition_channel": "online"},
                   {"customer_id": "Y", "acquisition_channel": "online"},
                   {"customer_id": "Z", "acquisition_channel": "store"},
                   {"customer_id": "W", "signup_date": "2024-01-02"}],
        transactions=[tx("X", "2024-01-15"), tx("X", "2024-02-10"), tx("X", "2024-04-05"),
                      tx("Y", "2024-01-20"), tx("Y", "2024-03-01", -30.0), tx("Z", "2024-02-05")],
    )


def test_month_cohorts_by_hand(hand) -> None:
    t = co.cohorts(hand, AS_OF, periods=4)
    assert t.through == date(2024, 3, 31) and t.period == "month"
    assert t.sizes.to_dict() == {"2024-01": 2, "2024-02": 1}
    ret = t.retention()
    assert ret.loc["2024-01"].tolist()[:3] == [1.0, 0.5, 0.0] and np.isnan(ret.loc["2024-01", 3])  # April not over
    assert ret.loc["2024-02"].tolist()[:2] == [1.0, 0.0] and ret.loc["2024-02"].iloc[2:].isna().all()
    assert t.revenue_per_customer().loc["2024-01"].tolist()[:3] == [100.0, 50.0, -15.0]   # Y's return in March
    assert t.cumulative_revenue_per_customer().loc["2024-01"].tolist()[:3] == [100.0, 150.0, 135.0]
    assert t.eligible.loc["2024-01"].tolist() == [2, 2, 2, 0]
    keys = dict(zip(lc.people(hand)["customer_id"].astype(str), lc.people(hand)["customer_key"]))
    assert co.cell_keys(hand, t, "2024-01", 1).tolist() == [keys["X"]]
    assert sorted(co.cell_keys(hand, t, "2024-01").tolist()) == sorted([keys["X"], keys["Y"]])
    assert co.cell_keys(hand, t, "2024-01", 2).tolist() == []
    with pytest.raises(InvalidParameterError):
        co.cell_keys(hand, t, "1999-01")


def test_quarter_and_channel_cohorts_by_hand(hand) -> None:
    q = co.cohorts(hand, AS_OF, by="quarter", periods=3)
    assert q.through == date(2024, 3, 31) and q.sizes.to_dict() == {"2024-Q1": 3}
    assert q.retention().loc["2024-Q1"].tolist()[0] == 1.0 and q.retention().loc["2024-Q1"].iloc[1:].isna().all()
    assert q.revenue_per_customer().loc["2024-Q1", 0] == pytest.approx(370 / 3)
    ch = co.cohorts(hand, AS_OF, by="channel", periods=3)
    assert list(ch.sizes.index) == ["online", "store"]                 # largest first
    assert ch.eligible.loc["online"].tolist() == [2, 2, 2] and ch.eligible.loc["store"].tolist() == [1, 1, 0]
    assert ch.retention().loc["online"].tolist() == [1.0, 0.5, 0.0]
    assert co.cohorts(hand, date(2024, 3, 31), by="quarter").through == date(2024, 3, 31)
    with pytest.raises(NoDataError):
        co.cohorts(hand, date(2023, 12, 31))
    with pytest.raises(InvalidParameterError):
        co.cohorts(hand, AS_OF, by="weekday")


def test_first_category_cohorts(store_factory) -> None:
    store = store_factory(
        products=[{"product_id": "p1", "name": "Pen", "category": "Office"}],
        transactions=[{**tx("A", "2024-01-03", 30.0), "product_id": "p1"},
                      {**tx("A", "2024-01-03", 90.0), "transaction_id": "A-2", "product_category": "Garden"},
                      {**tx("B", "2024-01-04", 10.0), "product_id": "p1"}, tx("C", "2024-02-01")])
    t = co.cohorts(store, date(2024, 2, 29), by="category")
    assert t.sizes.to_dict() == {"Office": 1, "Garden": 1, "(unknown)": 1}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(h=histories(), by=st.sampled_from(["month", "quarter", "region"]))
def test_cells_never_exceed_the_cohort_and_months_add_up(tmp_path_factory, h, by) -> None:
    customers, transactions, events, dates = h
    store = make_store(tmp_path_factory.mktemp("co") / "h.duckdb", customers=customers, transactions=transactions,
                       churn_events=events)
    as_of = dates[-1]
    try:
        t = co.cohorts(store, as_of, by=by, periods=24, limit=None)
    except NoDataError:
        end = co.period_end(as_of, "quarter" if by == "quarter" else "month")
        assert store.scalar("SELECT count(*) FROM customers WHERE first_purchase <= ?", [end]) == 0
        return
    size = t.sizes.to_numpy()[:, None]
    assert (t.eligible.to_numpy() <= size).all() and (t.buyers.fillna(0).to_numpy() <= t.eligible.to_numpy()).all()
    assert int(t.sizes.sum()) == store.scalar("SELECT count(*) FROM customers WHERE first_purchase <= ?", [t.through])
    if by == "month":
        assert (t.retention()[0].dropna() == 1.0).all()
        # buyers of each calendar month, summed over the cohorts = that month's buyers
        ret = t.buyers
        for cohort in t.sizes.index:
            start = pd.Period(cohort, "M")
            for k, n in ret.loc[cohort].dropna().items():
                month = (start + k).start_time.date()
                direct = store.scalar(
                    "SELECT count(DISTINCT customer_id) FROM transactions t JOIN customers c USING (customer_id) "
                    "WHERE t.amount >= 0 AND date_trunc('month', t.tx_date) = ? "
                    "AND strftime(c.first_purchase, '%Y-%m') = ?", [month, cohort])
                assert n == direct, (cohort, k)


def test_cohorts_agree_with_the_lifecycle_and_the_churn_page(demo_db) -> None:
    """For the same customers and month: every cohort member has a stage; the cohorts' customers
    are the known customers who have bought; those not churned are the Churn page's active."""
    store = Store(demo_db)
    as_of = default_as_of(store)
    t = co.cohorts(store, as_of, limit=None)
    window = churn.default_window(store, as_of)
    life = lc.lifecycle(store, (t.through,), window_days=window)
    stages = co.cohort_stages(store, t, life)
    assert stages.sum(axis=1).tolist() == t.sizes.tolist() and int(stages["prospect"].sum()) == 0
    sizes = life.sizes().iloc[-1]
    assert int(t.sizes.sum()) == int(sizes.drop("prospect").sum())
    active, _ = churn.churn_data(store, as_of, window_days=window).history.period(day_number(t.through),
                                                                                  day_number(t.through))
    assert int(stages.drop(columns=["prospect", "churned"]).to_numpy().sum()) == active
    # the newest whole month's cohort: its members are the customers whose first purchase fell in it
    newest = t.sizes.index[-1]
    direct = store.scalar("SELECT count(*) FROM customers WHERE strftime(first_purchase, '%Y-%m') = ?", [newest])
    assert int(t.sizes[newest]) == direct > 0


def test_cli_cohorts_json(demo_db, capsys) -> None:
    store = Store(demo_db)
    as_of = default_as_of(store)
    assert cli(["cohorts", "--db", str(demo_db), "--by", "quarter", "--periods", "8", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    t = co.cohorts(store, as_of, by="quarter", periods=8, limit=None)
    assert doc["by"] == "quarter" and doc["through"] == t.through.isoformat()
    assert [c["cohort"] for c in doc["cohorts"]] == list(t.sizes.index)
    first = doc["cohorts"][0]
    assert first["cohort"].count("-Q") == 1 and first["customers"] == int(t.sizes.iloc[0])
    assert first["retention"] == pytest.approx(t.retention().iloc[0].tolist()) and first["retention"][0] == 1.0
    assert len(doc["cohorts"][-1]["retention"]) == 1
    with pytest.raises(SystemExit) as exit_:
        cli(["cohorts", "--db", str(demo_db), "--by", "weekday"])
    assert exit_.value.code == 2


def test_where_cohorts_stand_from_the_month_grid_is_the_same(demo_db) -> None:
    """The app reads the stages at the table's last month end from the Lifecycle page's grid."""
    store = Store(demo_db)
    as_of = default_as_of(store)
    window = churn.default_window(store, as_of)
    t = co.cohorts(store, as_of)
    grid = lc.lifecycle(store, lc.month_ends(as_of, 24), window_days=window, grid=True)
    direct = co.cohort_stages(store, t, lc.lifecycle(store, (t.through,), window_days=window))
    assert co.cohort_stages(store, t, grid, grid.dates.index(t.through)).equals(direct)
