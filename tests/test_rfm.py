"""RFM: equal values score alike (cut points on the values), the segment map partitions the grid, hand-made customers
land in the right segments, and segments partition the buyers on random data."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_core.customers import rfm
from crm_core.customers.base import value_tiles
from tests.conftest import make_store

AS_OF = date(2024, 3, 1)


def purchases(cid: str, days_ago: list[int], amount: str = "10") -> list[dict]:
    return [{"transaction_id": f"{cid}{i}", "customer_id": cid, "tx_date": AS_OF - timedelta(days=d),
             "amount": Decimal(amount), "cost": Decimal("4")} for i, d in enumerate(days_ago)]


def test_default_scheme_covers_every_cell_once() -> None:
    grid = rfm.scheme_grid()
    assert grid.shape == (5, 5) and (grid >= 0).all()
    assert {rfm.SEGMENTS[i] for i in grid.ravel()} == set(rfm.SEGMENTS)  # all 11 used
    assert rfm.SEGMENTS[grid[4, 4]] == "champions" and rfm.SEGMENTS[grid[0, 0]] == "lost"
    assert rfm.SEGMENTS[grid[0, 4]] == "cant_lose" and rfm.SEGMENTS[grid[4, 0]] == "new"


def test_bad_schemes_name_the_cell() -> None:
    gap = tuple(r for r in rfm.DEFAULT_SCHEME if r.segment != "new")
    with pytest.raises(rfm.SchemeError) as info:
        rfm.scheme_grid(gap)
    assert info.value.params["value"] == "R5F1"
    overlap = rfm.DEFAULT_SCHEME + (rfm.SegmentRule("lost", 2, 2, 1, 1),)
    with pytest.raises(rfm.SchemeError, match="R=2 F=1"):
        rfm.scheme_grid(overlap)
    with pytest.raises(rfm.SchemeError):
        rfm.scheme_grid((rfm.SegmentRule("'; DROP TABLE customers; --", 1, 5, 1, 5),))


@pytest.fixture()
def five(store_factory):
    """A..E bought on 1..5 days, most recently 60/40/20/10/1 days ago; F never bought."""
    rows = []
    for cid, n, last in (("A", 1, 60), ("B", 2, 40), ("C", 3, 20), ("D", 4, 10), ("E", 5, 1)):
        rows += purchases(cid, [last + 70 + k for k in range(n - 1)] + [last], amount=str(10 * n))
    return store_factory(customers=[{"customer_id": c, "signup_date": date(2023, 1, 1)} for c in "ABCDEF"],
                         transactions=rows)


def test_hand_made_customers_land_in_known_segments(five) -> None:
    df = rfm.rfm(five, AS_OF).set_index("customer_id")
    assert df.loc[list("ABCDE"), "r_score"].tolist() == [1, 2, 3, 4, 5]
    assert df.loc[list("ABCDE"), "f_score"].tolist() == [1, 2, 3, 4, 5]
    assert df.loc[list("ABCDE"), "segment"].astype(str).tolist() == [
        "lost", "hibernating", "need_attention", "loyal", "champions"]
    assert pd.isna(df.loc["F", "segment"])
    summary = rfm.segment_summary(df.reset_index()).set_index("segment")
    assert summary.loc["champions", "customers"] == 1 and summary.loc["champions", "revenue"] == 250
    assert summary.loc["champions", "action"] == "reward" and summary.loc["at_risk", "customers"] == 0
    assert summary["customers"].sum() == 5 and summary["customer_share"].sum() == pytest.approx(1)
    assert summary["revenue"].sum() == 10 + 40 + 90 + 160 + 250


def test_three_bins_use_the_stretched_scale(five) -> None:
    df = rfm.rfm(five, AS_OF, bins=3).set_index("customer_id")
    # five distinct recencies, cuts at the boundaries nearest 5/3 and 10/3 (2 and 3): 1,1,2,3,3
    assert df.loc[list("ABCDE"), "r_score"].tolist() == [1, 1, 2, 3, 3]
    assert rfm.to_five(np.array([1, 2, 3]), 3).tolist() == [1, 3, 5]
    assert df.loc["E", "segment"] == "champions" and df.loc["A", "segment"] == "lost"
    grid = rfm.rf_grid(df.reset_index(), bins=3)
    assert len(grid) == 9 and grid["customers"].sum() == 5


def test_custom_scheme_is_used(five) -> None:
    everyone_lost = (rfm.SegmentRule("lost", 1, 5, 1, 5),)
    df = rfm.rfm(five, AS_OF, scheme=everyone_lost)
    assert set(df["segment"].dropna().astype(str)) == {"lost"}


rows_strategy = st.lists(st.tuples(st.integers(1, 12), st.integers(0, 90), st.integers(-500, 20000)),
                         min_size=1, max_size=60)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy, bins=st.sampled_from([3, 4, 5]))
def test_segments_partition_the_buyers_and_revenue_adds_up(tmp_path_factory, rows, bins: int) -> None:
    start = date(2024, 1, 1)
    store = make_store(tmp_path_factory.mktemp("rfm") / "r.duckdb",
                       customers=[{"customer_id": f"C{i:02d}", "signup_date": start} for i in range(1, 13)],
                       transactions=[{"transaction_id": f"T{k}", "customer_id": f"C{c:02d}",
                                      "tx_date": start + timedelta(days=d), "amount": Decimal(a) / 100}
                                     for k, (c, d, a) in enumerate(rows)])
    df = rfm.rfm(store, start + timedelta(days=90), bins=bins)
    buyers = df[df["frequency"] > 0]
    assert df["customer_id"].is_unique
    assert df["segment"].notna().sum() == len(buyers)  # every buyer exactly one segment, no one else
    summary = rfm.segment_summary(df)
    assert summary["customers"].sum() == len(buyers)
    assert summary["revenue"].sum() == pytest.approx(buyers["revenue"].sum(), abs=1e-6)
    grid = rfm.rf_grid(df, bins)
    assert len(grid) == bins * bins and grid["customers"].sum() == len(buyers)
    assert grid["revenue"].sum() == pytest.approx(buyers["revenue"].sum(), abs=1e-6)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.integers(-3, 3).map(float), st.integers(-10**6, 10**6).map(lambda c: round(c / 100, 2)),
                          st.floats(-1e6, 1e6, allow_nan=False)), max_size=80),
       st.sampled_from([3, 4, 5]), st.booleans())
def test_value_tiles_score_equal_values_alike(values: list[float], bins: int, descending: bool) -> None:
    """Equal values, equal scores; a better value never scores lower; every score is used when
    there are enough distinct values; with all values distinct the bins differ by at most one."""
    v = np.array(values, dtype=np.float64)
    s = value_tiles(v, bins, descending=descending)
    assert len(s) == len(v) and ((s >= 1) & (s <= bins)).all()
    order = np.argsort(-v if descending else v, kind="stable")
    assert (np.diff(s[order]) >= 0).all()                                  # monotone in the value
    for value in np.unique(v):
        assert len(set(s[v == value].tolist())) == 1                       # equal values, one score
    distinct = len(np.unique(v))
    if distinct >= bins:
        assert set(s.tolist()) == set(range(1, bins + 1))
    if distinct == len(v) and len(v) >= bins:
        sizes = np.bincount(s, minlength=bins + 1)[1:]
        assert sizes.max() - sizes.min() <= 1
    assert (value_tiles(v[::-1], bins, descending=descending) == s[::-1]).all()   # row order does not matter


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 40), st.integers(-3000, 3000), st.integers(-2**40, 2**40)), max_size=90),
       st.sampled_from([3, 4, 5]), st.booleans())
def test_value_tiles_counts_whole_numbers_as_it_sorts_them(values: list[int], bins: int, descending: bool) -> None:
    """Whole numbers (days, purchase counts) are grouped by counting, not sorting: the scores
    equal those of the same values as floats, narrow ranges and wide ones (which sort)."""
    v = np.array(values, dtype=np.int64)
    assert value_tiles(v, bins, descending=descending).tolist() == \
        value_tiles(v.astype(np.float64), bins, descending=descending).tolist()


def test_one_time_buyers_share_one_frequency_score() -> None:
    """The issue's case: 60% one-time buyers were split 4,000 to F1 and 2,836 to F2 by customer
    id. Now they are all F1, each repeat count keeps one score, and all five scores are used."""
    f = np.r_[np.ones(600), np.full(180, 2.0), np.full(100, 3.0), np.full(50, 4.0), np.arange(5, 75, dtype=float)]
    s = value_tiles(f, 5)
    assert [sorted(set(f[s == k].astype(int)))[:2] for k in range(1, 6)] == [[1], [2], [3], [4], [5, 6]]
    assert np.bincount(s)[1:].tolist() == [600, 180, 100, 50, 70]
    assert value_tiles(np.array([3.0, 3.0]), 5).tolist() == [3, 3]            # one value: the middle
    assert value_tiles(np.array([1.0, 2.0, 2.0]), 5).tolist() == [1, 5, 5]   # two values: both ends


def test_equal_recency_and_frequency_means_one_segment(demo_db) -> None:
    """On the demo database (thousands of customers share a recency and a frequency): each
    (recency, frequency) pair lands in exactly one segment, and every segment of the scheme fills."""
    from crm_core.store.connection import Store

    df = rfm.rfm(Store(demo_db), date(2026, 9, 30))
    buyers = df[df["frequency"] > 0]
    per_pair = buyers.groupby(["recency_days", "frequency"], observed=True)["segment"].nunique()
    assert (per_pair == 1).all() and (buyers.groupby("frequency")["f_score"].nunique() == 1).all()
    assert set(buyers["segment"].astype(str)) == set(rfm.SEGMENTS)
