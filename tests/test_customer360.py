"""Customer 360: search (ids, names in any script, e-mails, phone digits; contact fields only
for those who may see them; a manager's viewer only finds their accounts), the record of a
hand-made customer, scores that are the other pages' numbers, and the CLI."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

from crm_core.cli.main import main as cli
from crm_core.customers import micro
from crm_core.customers.overview import default_as_of
from crm_core.customers.rfm import ACTIONS
from crm_core.errors import NoDataError
from crm_core.exits import risk
from crm_core.filters import Filters
from crm_core.i18n import LANGUAGES, catalogue
from crm_core.journey import customer as c360
from crm_core.journey import funnel as fn
from crm_core.journey import lifecycle as lc
from crm_core.store.connection import Store
from crm_core.value import quadrants

AS_OF = date(2024, 12, 31)


def tx(cid: str, day: str, amount: float = 100.0, tid: str | None = None) -> dict:
    return {"transaction_id": tid or f"{cid}-{day}", "customer_id": cid, "tx_date": day, "amount": amount}


@pytest.fixture()
def hand(store_factory):
    return store_factory(
        account_managers=[{"manager_id": "m1", "name": "Park Ji-min"}],
        customers=[{"customer_id": "K-001", "name": "김민준", "email": "minjun@example.kr", "phone": "+82 10-1234-5678",
                    "account_manager": "m1", "signup_date": "2024-01-02"},
                   {"customer_id": "K-002", "name": "王芳", "email": "fang@example.cn", "phone": "138 0013 8000"},
                   {"customer_id": "K-0010", "name": "Kimberly Stone", "email": "kim@example.com"}],
        transactions=[tx("K-001", "2024-02-01"), tx("K-001", "2024-06-01", 50.0), tx("K-001", "2024-06-20", -30.0),
                      tx("K-002", "2023-01-10")],
        service_interactions=[{"customer_id": "K-001", "opened_at": "2024-06-21 09:00", "resolved_at": "2024-06-21 15:00",
                               "type": "complaint"}],
        loyalty_programs=[{"program_id": "P", "name": "Points", "kind": "points"}],
        loyalty_members=[{"customer_id": "K-001", "program_id": "P", "enrolled_at": "2024-02-01", "tier": "Silver",
                          "left_at": "2024-06-01"},
                         {"customer_id": "K-001", "program_id": "P", "enrolled_at": "2024-06-01", "tier": "Gold"}],
        campaigns=[{"campaign_id": "c1", "name": "Summer"}],
        campaign_contacts=[{"campaign_id": "c1", "customer_id": "K-001", "contacted_at": "2024-05-20",
                            "responded": True, "response_date": "2024-06-01"}],
    )


def ids(df) -> list[str]:
    return df["customer_id"].astype(str).tolist()


def test_search_by_id_name_email_and_phone(hand) -> None:
    assert ids(c360.search(hand, "K-001")) == ["K-001", "K-0010"]        # exact first, then the prefix
    assert ids(c360.search(hand, "k-00")) == ["K-001", "K-0010", "K-002"]
    assert ids(c360.search(hand, "민준")) == ["K-001"] and ids(c360.search(hand, "王")) == ["K-002"]
    assert ids(c360.search(hand, "KIM")) == ["K-0010"]                   # name and e-mail, any case
    assert ids(c360.search(hand, "example.cn")) == ["K-002"]
    assert ids(c360.search(hand, "010-1234")) == ["K-001"]              # digits of "+82 10-1234-5678"
    assert ids(c360.search(hand, "%")) == [] and ids(c360.search(hand, "_")) == []   # no wildcards
    assert ids(c360.search(hand, "  ")) == []


def test_search_without_contact_rights_and_within_a_managers_accounts(hand) -> None:
    assert ids(c360.search(hand, "민준", contacts=False)) == []
    assert ids(c360.search(hand, "K-001", contacts=False)) == ["K-001", "K-0010"]
    mine = Filters.of(account_managers=["m1"])
    assert ids(c360.search(hand, "K-0", mine)) == ["K-001"]
    with pytest.raises(NoDataError):
        c360.record(hand, "K-002", AS_OF, mine, window_days=180)


def test_the_record_of_a_hand_made_customer(hand) -> None:
    rec = c360.record(hand, "K-001", AS_OF, window_days=180, rule=lc.LifecycleRule(new_days=30))
    p = rec.profile
    assert p["manager_name"] == "Park Ji-min" and p["purchase_days"] == 2 and p["revenue"] == pytest.approx(120.0)
    assert p["returns"] == pytest.approx(30.0)
    assert rec.lines["amount"].tolist() == [-30.0, 50.0, 100.0]           # newest first, the return included
    assert rec.monthly.set_index("month")["revenue"].to_dict() == {np.datetime64("2024-02-01"): 100.0,
                                                                    np.datetime64("2024-06-01"): 20.0}
    assert rec.contacts["kind"].tolist() == ["service", "campaign"]
    assert rec.contacts["hours_to_resolve"].iloc[0] == pytest.approx(6.0)
    assert rec.memberships["tier"].tolist() == ["Silver", "Gold"]
    # the stage at each month end is the population lifecycle's for this customer
    life = lc.lifecycle(hand, lc.month_ends(AS_OF, 24), window_days=180, rule=lc.LifecycleRule(new_days=30))
    row = list(lc.people(hand)["customer_id"].astype(str)).index("K-001")
    expect = [None if s < 0 else lc.STAGES[s] for s in life.stage[row]]
    assert rec.stages["stage"].tolist() == expect
    assert expect[-1] == "churned" and "prospect" in expect and "new" in expect      # bought Feb, lapsed by Dec
    assert c360.next_action(rec.stage) == "win_back"
    with pytest.raises(NoDataError):
        c360.record(hand, "nobody", AS_OF, window_days=180)


def test_scores_are_the_other_pages_numbers(demo_db) -> None:
    store = Store(demo_db)
    as_of = default_as_of(store)
    targets = micro.customer_frame(store, as_of)
    vf = quadrants.value_frame(store, as_of, 365)
    qa, _, _ = quadrants.classify(vf.frame, "a")
    active = vf.frame[vf.frame["p_alive"] > 0.5].iloc[3]
    cid = str(active["customer_id"])
    sig = risk.signals(store, as_of, Filters().one(cid))
    sc = c360.scores(cid, targets=targets, values=vf.frame, clv_scores=vf.result.scores, signals=sig)
    t = targets[targets["customer_id"].astype(str) == cid].iloc[0]
    assert sc["segment"] == t["segment"] and sc["tier"] == t["tier"] and sc["r_score"] == t["r_score"]
    assert sc["clv"] == pytest.approx(float(active["clv"])) and sc["quadrant"] == qa.loc[active.name]
    full = risk.at_risk(vf.result.scores, risk.signals(store, as_of), time_unit="week")
    mine = full[full["customer_id"].astype(str) == cid].iloc[0]
    assert sc["value_at_risk"] == pytest.approx(float(mine["value_at_risk"]))
    assert sc["complaints"] == int(mine["complaints"])
    assert c360.scores("nobody", targets=targets)["segment"] is None


def test_cli_customer_json(demo_db, capsys) -> None:
    store = Store(demo_db)
    cid = str(store.df("SELECT customer_id FROM customers WHERE first_purchase IS NOT NULL LIMIT 1")["customer_id"][0])
    assert cli(["customer", "--db", str(demo_db), cid, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["customer_id"] == cid and doc["stage"] in lc.STAGES and len(doc["stage_history"]) == 24
    assert {"segment", "tier", "p_alive", "clv", "quadrant", "purchases", "next_action"} <= set(doc)
    assert cli(["customer", "--db", str(demo_db), "no-such-id"]) == 1
    assert "error" in capsys.readouterr().err


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_stage_and_step_names_never_reuse_another_measures_name(lang: str) -> None:
    """One name, one definition: the lifecycle stages and funnel steps are not the RFM segments."""
    cat = catalogue(lang)
    segments = {cat[f"segment.{s}"] for s in ACTIONS}
    stages = {cat[f"stage.{s}"] for s in lc.STAGES}
    steps = {cat[f"funnel.step.{s}"] for s in fn.STEPS}
    assert len(stages) == len(lc.STAGES) and len(steps) == len(fn.STEPS)
    assert not stages & segments and not steps & segments and not steps & stages
