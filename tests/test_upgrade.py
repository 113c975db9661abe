"""Upgrade candidates: regular buyers of a category who buy it from its cheaper range
(hand-made lines with known unit prices), and the Cross-selling page's upgrade tab."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from crm_core.errors import InvalidParameterError, NoDataError
from crm_core.relations import upgrade as up

AS_OF = date(2024, 12, 31)


def line(cid: str, day: str, amount: float, qty: int | None, cat: str = "Tea", n: int = 0) -> dict:
    return {"transaction_id": f"{cid}-{day}-{n}", "customer_id": cid, "tx_date": day, "amount": amount,
            "quantity": qty, "product_category": cat}


@pytest.fixture()
def hand(store_factory):
    """Tea unit prices: cheap c1 (5, 5, 5 a unit: 3 lines), c2 (5: one line only), mid m (10, 10),
    dear d (20, 20); a return and an old line do not count; Rice has one buyer."""
    rows = [line("c1", "2024-02-01", 10, 2), line("c1", "2024-03-01", 5, 1), line("c1", "2024-04-01", 5, None),
            line("c2", "2024-02-01", 15, 3), line("m", "2024-02-01", 10, 1), line("m", "2024-05-01", 30, 3),
            line("d", "2024-02-01", 20, 1), line("d", "2024-03-01", 40, 2), line("d", "2024-03-02", -40, 2),
            line("m", "2022-01-01", 1, 1), line("r", "2024-06-01", 8, 1, cat="Rice")]
    return store_factory(transactions=rows)


def test_hand_made_candidates(hand) -> None:
    u = up.upgrade(hand, AS_OF)
    s = up.summary_table(u).set_index("category")
    # Tea lines' unit prices: 5, 5, 5, 5, 10, 10, 20, 20 -> thirds at the 33rd and 67th percentiles
    prices = np.array([5, 5, 5, 5, 10, 10, 20, 20], float)
    lo, hi = np.quantile(prices, 1 / 3), np.quantile(prices, 2 / 3)
    assert s.loc["Tea", "lower_third"] == pytest.approx(lo) and s.loc["Tea", "upper_third"] == pytest.approx(hi)
    assert (s.loc["Tea", "buyers"], s.loc["Tea", "regular_buyers"], s.loc["Tea", "candidates"]) == (4, 3, 1)
    cand = up.candidates(u, "Tea")
    assert list(cand["customer_id"]) == ["c1"] and cand["gap"].iloc[0] == pytest.approx(hi / 5)
    assert list(up.candidates(u, "Tea", min_lines=1)["customer_id"]) == ["c1", "c2"]
    assert s.loc["Rice", "candidates"] == 0
    only = up.upgrade(hand, AS_OF, category="Rice")
    assert set(only.levels["category"]) == {"Rice"}


def test_bad_input(hand) -> None:
    u = up.upgrade(hand, AS_OF)
    with pytest.raises(InvalidParameterError):
        up.candidates(u, "Tea", min_lines=0)
    with pytest.raises(NoDataError):
        up.upgrade(hand, date(2020, 1, 1))


def test_cross_sell_upgrade_tab(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    from crm_core.customers.overview import default_as_of
    from crm_core.i18n import catalogue
    from crm_core.store.connection import Store

    from .test_app import run_app

    en = catalogue("en")
    at = run_app(monkeypatch, demo_db)
    at.switch_page("pages/cross_sell.py").run()
    next(tab for tab in at.tabs if tab.label == en["affinity.tab.upgrade"])
    at.session_state["af_tab"] = en["affinity.tab.upgrade"]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    store = Store(demo_db)
    u = up.upgrade(store, default_as_of(store))
    first = up.summary_table(u).iloc[0]
    assert at.selectbox(key="up_category").value == first.category
    count = [c.value for c in at.caption if c.value.endswith(en["list.count"].split("}")[-1])]
    assert count and count[0].startswith(f"{int(first.candidates):,} ")
