"""Account managers' portfolios: hand-made accounts with known figures, figures that add up
to the whole customer base and agree with the other pages, targets, the CLI."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

from crm_core.cli.main import main as cli
from crm_core.customers.base import customer_base
from crm_core.customers.overview import default_as_of
from crm_core.errors import InvalidParameterError
from crm_core.exits import churn
from crm_core.filters import Filters
from crm_core.relations import managers as mg
from crm_core.store.connection import Store

AS_OF = date(2024, 12, 31)


def tx(cid: str, day: str, amount: float = 100.0) -> dict:
    return {"transaction_id": f"{cid}-{day}", "customer_id": cid, "tx_date": day, "amount": amount,
            "cost": amount * 0.5}


@pytest.fixture()
def hand(store_factory):
    """m1 owns a, b (b left in 2024); m2 owns c; d has no manager; m3 has no account."""
    return store_factory(
        account_managers=[{"manager_id": "m1", "name": "Kim", "annual_cost": 1000},
                          {"manager_id": "m2", "name": "王"}, {"manager_id": "m3", "name": "Idle"}],
        customers=[{"customer_id": "a", "account_manager": "m1"}, {"customer_id": "b", "account_manager": "m1"},
                   {"customer_id": "c", "account_manager": "m2"}, {"customer_id": "d"}],
        transactions=[tx("a", "2023-06-01", 200), tx("a", "2024-03-01", 300), tx("b", "2023-05-01"),
                      tx("b", "2024-02-01", 50), tx("c", "2023-09-01", 400), tx("d", "2024-06-01", 80)],
        churn_events=[{"customer_id": "b", "churn_date": "2024-04-01", "reason": "price"}],
        service_interactions=[{"customer_id": "a", "opened_at": "2024-05-01 09:00", "resolved_at": "2024-05-01 19:00",
                               "type": "complaint"},
                              {"customer_id": "c", "opened_at": "2024-05-01 09:00", "type": "complaint"}])


def test_hand_made_portfolios(hand) -> None:
    t = mg.portfolios(hand, AS_OF, period_days=365, window_days=400,
                      values=_values(hand)).set_index("manager_id")
    m1 = t.loc["m1"]
    assert (m1.accounts, m1.active, m1.revenue, m1.gross_profit) == (2, 2, 350.0, 175.0)
    assert m1.margin == pytest.approx(0.5)
    assert (m1.churn_base, m1.churned, m1.churn_rate) == (2, 1, 0.5)
    assert (m1.complaints, m1.median_resolution_hours) == (1, 10.0)
    assert m1.previous_revenue == pytest.approx(300.0)                # 2023: a 200 + b 100
    assert m1.target == pytest.approx(300.0 * 1.05)
    m2 = t.loc["m2"]
    # c last bought 2023-09-01: with a 400-day window it lapsed on 2024-10-05
    assert (m2.accounts, m2.active, m2.revenue, m2.churned, m2.complaints) == (1, 0, 0.0, 1, 1)
    assert np.isnan(m2.median_resolution_hours)                       # its complaint is still open
    assert t.loc["m3", "accounts"] == 0 and t.loc[mg.NO_MANAGER, "accounts"] == 1
    assert np.isnan(t.loc[mg.NO_MANAGER, "rank"]) and t["rank"].dropna().tolist() == [1, 2, 3]


def _values(store):
    from crm_core.value import quadrants
    return quadrants.value_frame(store, AS_OF, 365).frame


def test_targets_and_ranking(hand) -> None:
    t = mg.portfolios(hand, AS_OF, window_days=400, targets={"m1": 700.0, "m2": 100.0}, values=_values(hand))
    assert t.iloc[0]["manager_id"] == "m1" and t.iloc[0]["attainment"] == pytest.approx(0.5)
    with pytest.raises(InvalidParameterError):
        mg.portfolios(hand, AS_OF, growth=-5)


def test_demo_portfolios_add_up_to_the_base_and_agree_with_the_churn_page(demo_db_master) -> None:
    store = Store(demo_db_master)
    as_of = default_as_of(store)
    t = mg.portfolios(store, as_of)
    base = customer_base(store, as_of, period_days=365)
    assert t["accounts"].sum() == len(base)
    assert t["revenue"].sum() == pytest.approx(base["period_revenue"].sum())
    assert t["active"].sum() == int((base["period_frequency"] > 0).sum())
    d = churn.churn_data(store, as_of, period_days=365)
    assert t["churned"].sum() == d.churned and t["churn_base"].sum() == d.active
    one = t[t.manager_id == "AM01"].iloc[0]
    own = churn.churn_data(store, as_of, period_days=365, filters=Filters.of(account_managers=["AM01"]),
                           window_days=d.window_days)
    assert (one.churned, one.churn_base) == (own.churned, own.active)


def test_cli_managers_json(demo_db_master, capsys) -> None:
    assert cli(["managers", "--db", str(demo_db_master), "--target", "AM01=1000000", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    row = next(r for r in doc["managers"] if r["manager_id"] == "AM01")
    for key in ("manager_id", "accounts", "revenue", "churn_rate", "churn_rate_ci", "clv", "at_risk", "target",
                "attainment", "rank"):
        assert key in row
    assert row["target"] == 1_000_000
