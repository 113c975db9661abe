"""The pyramid: tiers by rank with known answers, Inactive and Prospects, upgrade
candidates, the what-if arithmetic, and partition properties on random values."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_core.customers import pyramid
from crm_core.customers.base import customer_base
from crm_core.errors import InvalidParameterError


def frame(values: list[float], inactive: int = 0, prospects: int = 0) -> pd.DataFrame:
    """A customer base: active customers with the given window values, then inactive, then prospects."""
    n = len(values)
    rows = [{"customer_id": f"A{i:04d}", "frequency": 3, "period_frequency": 1, "period_revenue": float(v),
             "period_gross_profit": float(v) / 2} for i, v in enumerate(values)]
    rows += [{"customer_id": f"I{i:04d}", "frequency": 2 + i % 3, "period_frequency": 0, "period_revenue": 0.0,
              "period_gross_profit": 0.0} for i in range(inactive)]
    rows += [{"customer_id": f"P{i:04d}", "frequency": 0, "period_frequency": 0, "period_revenue": 0.0,
              "period_gross_profit": 0.0} for i in range(prospects)]
    cols = ["customer_id", "frequency", "period_frequency", "period_revenue", "period_gross_profit"]
    df = pd.DataFrame(rows, columns=cols).sort_values("customer_id", kind="stable").reset_index(drop=True)
    assert len(df) == n + inactive + prospects
    return df


def test_hundred_customers_split_1_4_15_80() -> None:
    df = frame(list(range(1, 101)), inactive=3, prospects=2)
    df["tier"] = pyramid.assign_tiers(df)
    by = df.groupby("tier", observed=False)["period_revenue"]
    assert by.size().tolist() == [1, 4, 15, 80, 3, 2]
    assert by.min()["top"] == 100 and by.min()["big"] == 96 and by.max()["medium"] == 95 and by.min()["medium"] == 81
    pyr = pyramid.pyramid_summary(df).set_index("tier")
    assert pyr.loc["top", "revenue_share"] == pytest.approx(100 / 5050)
    assert pyr["customers"].sum() == 105 and pyr.loc["prospect", "revenue"] == 0


def test_ties_go_by_customer_id_and_custom_shares() -> None:
    df = frame([5.0] * 10)
    df["tier"] = pyramid.assign_tiers(df, shares=(0.1, 0.2, 0.3, 0.4))
    assert df["tier"].astype(str).tolist() == ["top", "big", "big", "medium", "medium", "medium"] + ["small"] * 4
    with pytest.raises(InvalidParameterError):
        pyramid.assign_tiers(df, shares=(0.5, 0.5, 0.1, 0.1))
    with pytest.raises(InvalidParameterError):
        pyramid.assign_tiers(df, metric="customer_id; DROP TABLE x")


def test_upgrade_candidates_are_close_to_the_next_tier() -> None:
    df = frame(list(range(1, 101)), inactive=4)
    df["tier"] = pyramid.assign_tiers(df)
    cands = pyramid.upgrade_candidates(df, closeness=0.9)
    big = cands[cands["tier"] == "big"]
    assert big["period_revenue"].tolist() == [99.0, 98.0, 97.0, 96.0][::-1] or set(big["period_revenue"]) == {96.0, 97.0, 98.0, 99.0}
    assert (big["next_tier"] == "top").all() and big["gap"].min() == pytest.approx(1.0)
    medium = cands[cands["tier"] == "medium"]  # >= 0.9 * 96 = 86.4
    assert sorted(medium["period_revenue"]) == [87.0, 88.0, 89.0, 90.0, 91.0, 92.0, 93.0, 94.0, 95.0]
    inactive = cands[cands["tier"] == "inactive"]  # frequency >= Small's median (3)
    assert set(inactive["frequency"]) <= {3, 4} and len(inactive) == 2


def test_what_if_moves_the_best_of_each_tier_and_adds_the_tier_above_average() -> None:
    df = frame(list(range(1, 101)), inactive=10)
    df["tier"] = pyramid.assign_tiers(df)
    w = pyramid.what_if(df, 50)
    rows = w.by_tier.set_index("tier")
    assert rows.loc["big", "moved"] == 2  # round(4 * 0.5)
    # Big's best two (99, 98) each bring Top's average (100): +1 +2.
    assert rows.loc["big", "delta_revenue"] == pytest.approx(3.0)
    # Medium: 8 of 15 (round(7.5) = 8) -> 95..88 become Big's average 97.5.
    assert rows.loc["medium", "moved"] == 8
    assert rows.loc["medium", "delta_revenue"] == pytest.approx(8 * 97.5 - sum(range(88, 96)))
    # Inactive: 5 of 10 reactivate at Small's average (40.5).
    assert rows.loc["inactive", "delta_revenue"] == pytest.approx(5 * 40.5)
    assert w.delta_revenue == pytest.approx(rows["delta_revenue"].sum())
    assert len(w.moved) == rows["moved"].sum() and set(w.moved["next_tier"]) == {"top", "big", "medium", "small"}
    assert pyramid.what_if(df, 0).delta_revenue == 0
    with pytest.raises(InvalidParameterError):
        pyramid.what_if(df, 150)


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.floats(-100, 1e6, allow_nan=False), min_size=0, max_size=300),
       inactive=st.integers(0, 20), prospects=st.integers(0, 20))
def test_tiers_partition_everyone_and_revenue_adds_up(values: list[float], inactive: int, prospects: int) -> None:
    df = frame(values, inactive, prospects)
    df["tier"] = pyramid.assign_tiers(df)
    assert df["tier"].notna().all()
    pyr = pyramid.pyramid_summary(df)
    assert pyr["customers"].sum() == len(df)
    assert pyr["revenue"].sum() == pytest.approx(df["period_revenue"].sum(), rel=1e-9, abs=1e-6)
    # Ordered: every Top value >= every Big value >= ... (ranking by value).
    mins = df.groupby("tier", observed=True)["period_revenue"].min()
    maxs = df.groupby("tier", observed=True)["period_revenue"].max()
    present = [t for t in pyramid.VALUE_TIERS if t in mins.index]
    for upper, lower in zip(present, present[1:]):
        assert mins[upper] >= maxs[lower]
    n = len(values)
    assert (df["tier"] == "top").sum() == int(np.ceil(0.01 * n - 1e-9))


def test_pyramid_through_the_store(store_factory) -> None:
    as_of = date(2024, 12, 31)
    rows = [{"transaction_id": f"T{i}", "customer_id": f"C{i:03d}", "tx_date": as_of - timedelta(days=10),
             "amount": Decimal(i)} for i in range(1, 101)]
    rows.append({"transaction_id": "OLD", "customer_id": "OLD", "tx_date": as_of - timedelta(days=400),
                 "amount": Decimal(5)})
    store = store_factory(customers=[{"customer_id": "NEW", "signup_date": date(2024, 6, 1)}], transactions=rows)
    df = customer_base(store, as_of, period_days=365)
    df["tier"] = pyramid.assign_tiers(df)
    tiers = dict(zip(df["customer_id"], df["tier"].astype(str)))
    assert tiers["C100"] == "top" and tiers["C096"] == "big" and tiers["OLD"] == "inactive" and tiers["NEW"] == "prospect"
