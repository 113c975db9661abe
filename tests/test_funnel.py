"""The funnel: hand-made contacts with known steps and times, nested steps on random
histories, the lifetime step against the lifecycle, the period's contacts, and the CLI."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_core.cli.main import main as cli
from crm_core.customers.overview import default_as_of
from crm_core.errors import InvalidParameterError, NoDataError
from crm_core.exits import churn
from crm_core.journey import funnel as fn
from crm_core.journey import lifecycle as lc
from crm_core.store.connection import Store

from .conftest import make_store
from .test_lifecycle import histories

AS_OF = date(2024, 12, 31)
RULE = fn.FunnelRule(loyal_purchases=3, lifetime_days=200)


def tx(cid: str, day: str, amount: float = 100.0) -> dict:
    return {"transaction_id": f"{cid}-{day}", "customer_id": cid, "tx_date": day, "amount": amount}


@pytest.fixture()
def hand(store_factory):
    """K: a bare contact. S: signed up, never bought. F: signed up 10 days before one purchase.
    R: two purchase days. L: three purchase days, recent, a customer for under 200 days. T: four
    purchase days since January and still buying: lifetime. G: loyal since long ago but gone.
    L had a campaign contact 5 days before its second purchase."""
    return store_factory(
        customers=[{"customer_id": "K"}, {"customer_id": "S", "signup_date": "2024-03-01"},
                   {"customer_id": "F", "signup_date": "2024-05-01", "acquisition_channel": "web"}],
        transactions=[tx("F", "2024-05-11"), tx("R", "2024-06-01"), tx("R", "2024-06-21"),
                      tx("L", "2024-09-01"), tx("L", "2024-10-01"), tx("L", "2024-12-01"),
                      tx("T", "2024-01-05"), tx("T", "2024-04-05"), tx("T", "2024-08-05"), tx("T", "2024-12-20"),
                      tx("G", "2023-01-05"), tx("G", "2023-01-15"), tx("G", "2023-01-25")],
        campaigns=[{"campaign_id": "c1", "name": "Autumn"}],
        campaign_contacts=[{"campaign_id": "c1", "customer_id": "L", "contacted_at": "2024-09-26"},
                           {"campaign_id": "c1", "customer_id": "R", "contacted_at": "2024-05-01", "is_control": True}],
    )


def test_steps_conversions_and_times_by_hand(hand) -> None:
    f = fn.funnel(hand, AS_OF, rule=RULE, window_days=180)
    got = {r.step: r.customers for r in f.steps.itertuples()}
    assert got == {"contact": 7, "prospect": 6, "first_buyer": 5, "repeat_buyer": 4, "loyal": 3, "lifetime": 1}
    conv = f.steps.set_index("step")["conversion"]
    assert conv["prospect"] == pytest.approx(6 / 7) and conv["lifetime"] == pytest.approx(1 / 3)
    days = f.steps.set_index("step")["median_days"]
    assert days["first_buyer"] == 10                     # F: sign-up to first purchase (the others never signed up)
    assert days["repeat_buyer"] == 25                    # R 20, L 30, T 91, G 10 -> median of 10, 20, 30, 91
    assert days["loyal"] == pytest.approx(np.median([61, 122, 10]))  # L Oct->Dec, T Apr->Aug, G
    assert days["lifetime"] == 0                         # T: loyal in August, a customer 200 days by then
    stopped = {s: len(f.stopped_at(s)) for s in fn.STEPS}
    assert stopped == {"contact": 1, "prospect": 1, "first_buyer": 1, "repeat_buyer": 1, "loyal": 2, "lifetime": 1}
    touches = f.touches.set_index("step")
    assert touches.loc["repeat_buyer", "campaign_touched"] == 1      # L, 5 days before; R's was a control
    assert touches.loc["first_buyer", "movers"] == 5 and touches["service_touched"].sum() == 0


def test_by_channel_and_the_periods_new_contacts(hand) -> None:
    f = fn.funnel(hand, AS_OF, rule=RULE, window_days=180, by="channel")
    web = f.steps[f.steps["group"] == "web"].set_index("step")["customers"]
    assert web["contact"] == 1 and web["first_buyer"] == 1              # F came by web
    groups = f.steps[f.steps["group"] != "all"].groupby("step")["customers"].sum()
    assert groups.to_dict() == f.steps[f.steps["group"] == "all"].set_index("step")["customers"].to_dict()
    recent = fn.funnel(hand, AS_OF, rule=RULE, window_days=180, known_after=date(2024, 4, 30))
    assert {r.step: r.customers for r in recent.steps.itertuples()}["contact"] == 3    # F, R and L
    with pytest.raises(InvalidParameterError):
        fn.funnel(hand, AS_OF, by="weekday")
    with pytest.raises(InvalidParameterError):
        fn.FunnelRule(lifetime_days=3)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(h=histories(), window=st.sampled_from([20, 90]))
def test_steps_are_nested_and_stopped_lists_partition_the_contacts(tmp_path_factory, h, window) -> None:
    customers, transactions, events, dates = h
    store = make_store(tmp_path_factory.mktemp("fn") / "h.duckdb", customers=customers, transactions=transactions,
                       churn_events=events)
    known = store.scalar("SELECT count(*) FROM stg_customers WHERE known_since IS NULL OR known_since <= ?", [dates[-1]])
    if known == 0:      # nobody on file yet at that date: said plainly, not an empty funnel
        with pytest.raises(NoDataError):
            fn.funnel(store, dates[-1], window_days=window)
        return
    f = fn.funnel(store, dates[-1], rule=fn.FunnelRule(loyal_purchases=3, lifetime_days=60), window_days=window)
    counts = f.steps["customers"].tolist()
    assert counts == sorted(counts, reverse=True)
    assert sum(len(f.stopped_at(s)) for s in fn.STEPS) == counts[0]
    assert counts[0] == store.scalar("SELECT count(*) FROM stg_customers WHERE known_since IS NULL OR known_since <= ?",
                                     [dates[-1]])
    life = lc.lifecycle(store, (dates[-1],), window_days=window, rule=lc.LifecycleRule(loyal_purchases=3))
    sizes = life.sizes().iloc[-1]
    assert counts[2] == int(sizes.drop("prospect").sum())               # first-time buyers = every buyer
    assert counts[5] <= int(sizes.drop(["prospect", "churned"]).sum())   # lifetime customers have not churned


def test_lifetime_customers_are_loyal_and_not_churned_on_the_demo(demo_db) -> None:
    store = Store(demo_db)
    as_of = default_as_of(store)
    window = churn.default_window(store, as_of)
    f = fn.funnel(store, as_of, window_days=window)
    life = lc.lifecycle(store, (as_of,), window_days=window)
    keys = f.stopped_at("lifetime")
    stage = life.stage[np.searchsorted(life.keys, keys), -1]
    assert len(keys) > 0 and not (stage == lc.STAGES.index("churned")).any()
    loyal_now = f.steps.set_index("step").loc["loyal", "customers"]
    assert loyal_now == store.scalar("SELECT count(DISTINCT customer_key) FROM customer_days "
                                     "WHERE day <= ? AND purchase_days >= 4", [as_of])


def test_cli_funnel_json(demo_db, capsys) -> None:
    store = Store(demo_db)
    as_of = default_as_of(store)
    assert cli(["funnel", "--db", str(demo_db), "--by", "region", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    f = fn.funnel(store, as_of, by="region")
    assert [s["step"] for s in doc["steps"]] == list(fn.STEPS)
    assert [s["customers"] for s in doc["steps"]] == f.steps[f.steps["group"] == "all"]["customers"].tolist()
    assert doc["steps"][0]["conversion"] is None and 0 < doc["steps"][2]["conversion"] <= 1
    assert doc["by"] == "region" and len(doc["groups"]) > 1
    assert sum(g["steps"][0]["customers"] for g in doc["groups"]) == doc["steps"][0]["customers"]


def test_a_given_lifecycle_gives_the_same_funnel(demo_db) -> None:
    """The app hands the funnel the Lifecycle page's month grid instead of computing churn again."""
    store = Store(demo_db)
    as_of = default_as_of(store)
    window = churn.default_window(store, as_of)
    grid = lc.lifecycle(store, lc.month_ends(as_of, 24), window_days=window, grid=True)
    a = fn.funnel(store, as_of, window_days=window)
    b = fn.funnel(store, as_of, window_days=window, life=grid)
    assert a.steps.equals(b.steps) and np.array_equal(a.deepest, b.deepest)
