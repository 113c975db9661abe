"""Service and complaints: hand-made cases with known speeds, bands and outcomes; the demo's
planted story (slow complaints before service exits); figures that add up; the CLI."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

from crm_core.cli.main import main as cli
from crm_core.customers.overview import default_as_of
from crm_core.errors import InvalidParameterError, NoDataError
from crm_core.exits.churn import RESPONSE_HOURS
from crm_core.relations import service as sv
from crm_core.store.connection import Store

AS_OF = date(2024, 12, 31)


def tx(cid: str, day: str, amount: float = 100.0) -> dict:
    return {"transaction_id": f"{cid}-{day}", "customer_id": cid, "tx_date": day, "amount": amount}


def case(cid: str, opened: str, hours: float | None, first: float | None = None, typ: str = "complaint",
         sat: int | None = None) -> dict:
    o = np.datetime64(opened.replace(" ", "T"))
    row = {"customer_id": cid, "opened_at": opened, "type": typ, "channel": "phone", "satisfaction": sat}
    if hours is not None:
        row["resolved_at"] = str(o + np.timedelta64(int(hours * 60), "m")).replace("T", " ")
    if first is not None:
        row["first_response_at"] = str(o + np.timedelta64(int(first * 60), "m")).replace("T", " ")
    return row


@pytest.fixture()
def hand(store_factory):
    """Five buyers who complain in March 2024 (horizon 90 days, explicit exits decide churn):
    f1 answered in 2 h and stays (buys in April); f2 in 20 h, leaves (exit in May);
    s1 in 200 h, leaves; s2 in 300 h, stays; o1 never resolved, stays. x1 complained before
    buying (not followed). A second complaint of f1 is not followed (first case only)."""
    rows = [tx(c, "2024-01-10") for c in ("f1", "f2", "s1", "s2", "o1")]
    rows += [tx("f1", "2024-04-15", 60.0), tx("s2", "2024-05-01", 40.0), tx("o1", "2024-03-25", 10.0),
             tx("x1", "2024-06-01")]
    cases = [case("f1", "2024-03-01 09:00", 2, first=0.5, sat=5), case("f1", "2024-03-20 09:00", 100),
             case("f2", "2024-03-02 09:00", 20, first=1, sat=4), case("s1", "2024-03-03 09:00", 200, sat=1),
             case("s2", "2024-03-04 09:00", 300, first=30, sat=2), case("o1", "2024-03-05 09:00", None),
             case("x1", "2024-03-06 09:00", 5), case("f1", "2024-03-07 09:00", 1, typ="inquiry")]
    exits = [{"customer_id": "f2", "churn_date": "2024-05-01", "reason": "service"},
             {"customer_id": "s1", "churn_date": "2024-04-01", "reason": "service"}]
    return store_factory(transactions=rows, churn_events=exits, service_interactions=cases)


def test_bands_use_the_churn_pages_bounds() -> None:
    h = np.array([np.nan, 0.5, 24, 24.01, 72, 100, 168, 168.5])
    assert sv.BANDS[1:4] == ("1_3d", "3_7d", "over_7d") and RESPONSE_HOURS == (24, 72, 168)
    assert [sv.BANDS[i] for i in sv.band_of(h)] == ["unresolved", "within_1d", "within_1d", "1_3d", "1_3d",
                                                    "3_7d", "3_7d", "over_7d"]


def test_hand_made_outcomes_by_band(hand) -> None:
    r = sv.service(hand, AS_OF, period_days=365, horizon_days=90, window_days=400)
    b = r.bands.set_index("band")
    assert b.loc["within_1d", "customers"] == 2 and b.loc["within_1d", "churned_after"] == 1    # f1 stays, f2 leaves
    assert b.loc["over_7d", "customers"] == 2 and b.loc["over_7d", "churned_after"] == 1        # s1 leaves, s2 stays
    assert b.loc["unresolved", "customers"] == 1 and b.loc["unresolved", "churned_after"] == 0
    assert b["customers"].sum() == 5                        # x1 had not bought: not followed
    assert b.loc["within_1d", "churn_rate_after"] == pytest.approx(0.5)
    assert b.loc["within_1d", "repeat_buyers_after"] == 1 and b.loc["over_7d", "repeat_buyers_after"] == 1
    # spend change (90 days after - 90 days up to the case): f1 60 - 100, f2 0 - 100 -> -70
    assert b.loc["within_1d", "spend_change"] == pytest.approx(-70.0)
    assert r.slow_vs_fast["difference"] == pytest.approx(0.0)
    lo, hi = r.slow_vs_fast["ci"]
    assert lo < 0 < hi
    assert r.has_first_response
    assert sv.case_types(hand) == ["complaint", "inquiry"]         # the data's own words, most frequent first
    other = sv.service(hand, AS_OF, horizon_days=90, window_days=400, case_type="inquiry").bands
    assert other["customers"].sum() == 1                            # f1's inquiry


def test_first_response_bands_and_speeds(hand) -> None:
    r = sv.service(hand, AS_OF, horizon_days=90, window_days=400, speed="first_response")
    b = r.bands.set_index("band")
    # first answers: f1 0.5 h, f2 1 h, s2 30 h; s1 and o1 none recorded
    assert (b.loc["within_1d", "customers"], b.loc["1_3d", "customers"], b.loc["unresolved", "customers"]) == (2, 1, 2)
    sp = r.speeds.set_index(["type", "speed"])
    comp = sp.loc[("complaint", "resolution")]
    assert (comp.cases, comp.answered, comp.open) == (7, 6, 1)
    assert comp.q50 == pytest.approx(np.median([2, 100, 20, 200, 300, 5]))
    assert sp.loc[("all", "resolution"), "cases"] == len(r.cases) == 8
    assert r.by_type["cases"].sum() == len(r.cases) == r.by_channel["cases"].sum()
    sat = r.satisfaction.set_index("band")
    assert sat["cases"].sum() == len(r.cases)


def test_bad_input_and_no_cases(hand, store_factory) -> None:
    with pytest.raises(InvalidParameterError):
        sv.service(hand, AS_OF, speed="fast")
    with pytest.raises(InvalidParameterError):
        sv.service(hand, AS_OF, horizon_days=3)
    with pytest.raises(NoDataError):
        sv.service(store_factory(transactions=[tx("a", "2024-01-01")]), AS_OF)


def test_demo_slow_complaints_go_with_churn(demo_db_master) -> None:
    """The demo plants service exits after slowly answered complaints (96-400 hours): churn
    after a complaint answered in over 7 days is far above churn after one answered within a
    day, and the interval of the difference says so."""
    store = Store(demo_db_master)
    r = sv.service(store, default_as_of(store))
    b = r.bands.set_index("band")
    assert b.loc["over_7d", "churn_rate_after"] > 0.8
    assert r.slow_vs_fast["ci"][0] > 0.3
    assert b["customers"].sum() > 300


def test_cli_service_json(demo_db_master, capsys) -> None:
    assert cli(["service", "--db", str(demo_db_master), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [b["band"] for b in doc["bands"]] == list(sv.BANDS)
    for key in ("band", "customers", "churn_rate_after", "churn_rate_after_ci", "repeat_rate_after", "spend_change"):
        assert key in doc["bands"][0]
    assert doc["slow_vs_fast_churn"]["difference"] > 0
