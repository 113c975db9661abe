"""The value scorecard (V = U + B + R - C - T) and CRM readiness: hand-made customers with
known ranks, properties that must hold for any data, what to improve, the checks' shares and
what an empty database scores, and the CLI."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_core.cli.main import main as cli
from crm_core.errors import InvalidParameterError, NoDataError
from crm_core.relations import scorecards as sc
from crm_core.relations.scorecards import _score
from crm_core.store.connection import Store

AS_OF = date(2024, 12, 31)


def tx(cid: str, day: str, amount: float, discount: float = 0.0, n: int = 0) -> dict:
    return {"transaction_id": f"{cid}-{day}-{n}", "customer_id": cid, "tx_date": day, "amount": amount,
            "discount": discount, "product_category": "A" if n % 2 == 0 else "B"}


@pytest.fixture()
def hand(store_factory):
    """a: 3 purchase days, cheap orders, answered fast; b: 1 big order at a discount, answered
    slowly; c: 2 orders, no service case; d: bought only before the period."""
    return store_factory(
        customers=[{"customer_id": c, "signup_date": "2022-01-01"} for c in "abcd"],
        transactions=[tx("a", "2024-02-01", 20), tx("a", "2024-03-01", 20, n=1), tx("a", "2024-04-01", 20, n=2),
                      tx("b", "2024-05-01", 300, discount=100), tx("c", "2023-06-01", 50), tx("c", "2024-06-01", 60),
                      tx("c", "2024-07-01", 40, n=1), tx("d", "2023-01-01", 10)],
        service_interactions=[{"customer_id": "a", "opened_at": "2024-04-02 09:00", "resolved_at": "2024-04-02 10:00",
                               "satisfaction": 5},
                              {"customer_id": "b", "opened_at": "2024-05-02 09:00", "resolved_at": "2024-05-12 09:00",
                               "satisfaction": 1}])


def test_hand_made_terms(hand) -> None:
    card = sc.value_scorecard(hand, AS_OF, segments=_segments())
    seg = card.segments.set_index("segment")
    assert set(seg.index) == {"s_a", "s_b", "s_c"} and seg["customers"].sum() == 3      # d did not buy in the period
    # U = satisfaction: a 5, b 1, c none (the middle); T = resolution hours: a 1 h, b 240 h, c no case (no effort)
    assert seg.loc["s_a", "U"] == 1.0 and seg.loc["s_b", "U"] == 0.0 and seg.loc["s_c", "U"] == 0.5
    assert seg.loc["s_a", "T"] == 0.0 and seg.loc["s_b", "T"] == 1.0 and seg.loc["s_c", "T"] == 0.0
    # C = net price per order: a 20, c 50, b 300
    assert (seg.loc["s_a", "C"], seg.loc["s_c", "C"], seg.loc["s_b", "C"]) == (0.0, 0.5, 1.0)
    # R = purchase days a year: b 1, c 2, a 3
    assert (seg.loc["s_b", "R"], seg.loc["s_c", "R"], seg.loc["s_a", "R"]) == (0.0, 0.5, 1.0)
    for r in seg.itertuples():
        assert r.V == pytest.approx(r.U + r.B + r.R - r.C - r.T)
    assert seg.loc["s_b", "improve"] in ("C", "T", "U")
    assert card.coverage["U"] == pytest.approx(2 / 3) and card.coverage["C"] == 1.0


def _segments():
    import pandas as pd
    return pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "segment": ["s_a", "s_b", "s_c", "s_d"]})


def test_choosing_measures_and_bad_input(hand, store_factory) -> None:
    card = sc.value_scorecard(hand, AS_OF, segments=_segments(), choice={"C": "full_price_share", "U": "categories"})
    seg = card.segments.set_index("segment")
    assert seg.loc["s_b", "C"] == 0.0            # the only one who bought at a discount pays the least full price
    assert card.choice["C"] == "full_price_share"
    with pytest.raises(InvalidParameterError):
        sc.value_scorecard(hand, AS_OF, choice={"U": "net_price"})
    with pytest.raises(NoDataError):
        sc.value_scorecard(hand, date(2020, 1, 1))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6)), min_size=1, max_size=40))
def test_scores_are_ranks_between_0_and_1(values) -> None:
    arr = np.array([np.nan if v is None else v for v in values], float)
    s = _score(arr, "net_price")
    assert ((s >= 0) & (s <= 1)).all()
    ok = ~np.isnan(arr)
    if ok.sum() > 1 and len(set(arr[ok])) > 1:
        lo, hi = arr[ok].min(), arr[ok].max()
        assert (s[ok][arr[ok] == lo] < 0.5).all() and (s[ok][arr[ok] == hi] > 0.5).all()
        if (arr[ok] == lo).sum() == 1 and (arr[ok] == hi).sum() == 1:      # ties share the mean rank
            assert s[ok].min() == 0 and s[ok].max() == 1
        order = np.argsort(arr[ok], kind="stable")
        assert (np.diff(s[ok][order]) >= -1e-12).all()          # monotone in the value
    assert (s[~ok] == 0.5).all()
    assert (_score(arr, "resolution_hours")[~ok] == 0).all()


def test_readiness_from_hand_made_data(hand) -> None:
    r = sc.readiness(hand, AS_OF).set_index("check")
    assert set(r["dimension"]) == set(sc.CHECKS)
    assert r.loc["customer_ids", "value"] == 1.0
    assert r.loc["reachable", "value"] == 0.0 and r.loc["reachable", "level"] == "weak"   # no e-mail, no phone
    assert r.loc["repeat_history", "value"] == pytest.approx(2 / 4)                        # a and c of four buyers
    assert r.loc["categories", "value"] == 1.0 and r.loc["costs", "value"] == 0.0
    assert r.loc["satisfaction_recorded", "value"] == 1.0
    assert r.loc["control_groups", "value"] == 0.0 and r.loc["loyalty", "value"] == 0.0
    assert r.loc["managers", "level"] == "none"       # no business customer: nothing to judge by


def test_readiness_on_an_empty_database(tmp_path) -> None:
    doc = sc.readiness_summary(Store(tmp_path / "e.duckdb", create=True), AS_OF)
    assert doc["dimensions"][0]["dimension"] == "identify"
    levels = {c["check"]: c["level"] for d in doc["dimensions"] for c in d["checks"]}
    assert levels["campaign_reach"] == "none" and levels["control_groups"] == "weak"


def test_cli_scorecards(demo_db_master, capsys) -> None:
    assert cli(["value-scorecard", "--db", str(demo_db_master), "--measure", "U=repeat", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["measures"]["U"] == "repeat" and doc["segments"]
    for row in doc["segments"]:
        assert row["V"] == pytest.approx(row["U"] + row["B"] + row["R"] - row["C"] - row["T"])
    assert sum(r["customers"] for r in doc["segments"]) > 0
    assert cli(["readiness", "--db", str(demo_db_master), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [d["dimension"] for d in doc["dimensions"]] == list(sc.CHECKS) and 0 <= doc["overall"] <= 1
