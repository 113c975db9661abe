"""The per-customer layer against hand-computed answers and a plain pandas reference."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_core.customers.base import CUSTOMER_BASE_COLUMNS, customer_base, filter_options, value_tiles
from crm_core.errors import InvalidParameterError
from crm_core.filters import Filters
from crm_core.periods import period_start
from tests.conftest import make_store

AS_OF = date(2024, 6, 30)


def tx(tid: str, cid: str, day: str, amount: str, cost: str | None = None) -> dict:
    return {"transaction_id": tid, "customer_id": cid, "tx_date": date.fromisoformat(day), "amount": Decimal(amount),
            "cost": None if cost is None else Decimal(cost)}


@pytest.fixture()
def hand(store_factory):
    return store_factory(
        customers=[
            {"customer_id": "C1", "signup_date": date(2024, 1, 1), "region": "Korea", "customer_type": "consumer"},
            {"customer_id": "C2", "signup_date": date(2024, 2, 1), "region": "Taiwan", "customer_type": "enterprise"},
            {"customer_id": "C3", "signup_date": date(2024, 5, 1), "region": "Korea"},
            {"customer_id": "C4", "signup_date": date(2024, 8, 1)},
            {"customer_id": "C5"},
        ],
        transactions=[
            tx("T1", "C1", "2024-01-10", "100", "60"), tx("T2", "C1", "2024-01-10", "50", "30"),
            tx("T3", "C1", "2024-03-01", "200"), tx("R1", "C1", "2024-03-05", "-50", "-30"),
            tx("T4", "C1", "2024-07-05", "999", "1"),  # after as_of: ignored
            tx("T5", "C2", "2024-06-30", "10", "5"), tx("T6", "C5", "2024-02-02", "20", "10"),
        ],
    )


def test_recency_frequency_monetary_by_hand(hand) -> None:
    df = customer_base(hand, AS_OF, bins=3).set_index("customer_id")
    assert list(df.columns) == [c for c in CUSTOMER_BASE_COLUMNS if c != "customer_id"]
    assert sorted(df.index) == ["C1", "C2", "C3", "C5"]  # C4 signs up after as_of
    c1 = df.loc["C1"]
    assert (c1.first_purchase, c1.last_purchase) == (pd.Timestamp("2024-01-10"), pd.Timestamp("2024-03-01"))
    assert c1.frequency == 2 and c1.orders == 3  # two orders on one day are one purchase day
    assert c1.revenue == pytest.approx(300) and c1.returns == pytest.approx(50)
    # 40 + 20 + (200 at the default 30% margin = 60) - 20 for the returned item
    assert c1.gross_profit == pytest.approx(100)
    # 300 over two purchase days (the two lines of 01-10 are one purchase, as in the CLV model)
    assert c1.recency_days == 121 and c1.tenure_days == 172 and c1.average_order_value == pytest.approx(150)
    assert df.loc["C3"].frequency == 0 and pd.isna(df.loc["C3"].r_score)
    assert df.loc["C2"].recency_days == 0
    # Scores 1..3, higher is better; equal values, equal scores: C2 and C5 each bought on one
    # day (both F = 1, never split by id); two distinct frequencies take both ends of the scale.
    assert df.loc[["C5", "C1", "C2"], "r_score"].tolist() == [1, 2, 3]
    assert df.loc[["C2", "C5", "C1"], "f_score"].tolist() == [1, 1, 3]
    assert df.loc[["C2", "C5", "C1"], "m_score"].tolist() == [1, 2, 3]


def test_filters_and_options(hand) -> None:
    df = customer_base(hand, AS_OF, Filters.of(regions=["Korea"]))
    assert sorted(df.customer_id) == ["C1", "C3"]
    assert customer_base(hand, AS_OF, Filters.of(customer_types=["enterprise"])).customer_id.tolist() == ["C2"]
    opts = filter_options(hand)
    assert opts["regions"] == ["(unknown)", "Korea", "Taiwan"]


@pytest.mark.parametrize("evil", ["Korea' OR '1'='1", "'; DROP TABLE customers; --", "<script>alert(1)</script>"])
def test_filter_values_are_data_never_sql(hand, evil: str) -> None:
    assert customer_base(hand, AS_OF, Filters.of(regions=[evil])).empty
    assert hand.table_counts()["customers"] == 5


def test_bad_parameters_are_refused(hand) -> None:
    with pytest.raises(InvalidParameterError):
        customer_base(hand, AS_OF, bins=7)
    with pytest.raises(InvalidParameterError):
        Filters.of(regions=[1])  # type: ignore[list-item]


tx_rows = st.lists(
    st.tuples(st.integers(1, 6), st.integers(0, 40), st.integers(-3000, 50000)), min_size=1, max_size=40)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=tx_rows, as_of_offset=st.integers(0, 45), window=st.integers(1, 30))
def test_matches_a_plain_pandas_computation(tmp_path_factory, rows, as_of_offset: int, window: int) -> None:
    start = date(2024, 1, 1)
    as_of = start + timedelta(days=as_of_offset)
    store = make_store(
        tmp_path_factory.mktemp("prop") / "p.duckdb",
        customers=[{"customer_id": f"C{i}", "signup_date": start} for i in range(1, 7)],
        transactions=[{"transaction_id": f"T{k}", "customer_id": f"C{c}", "tx_date": start + timedelta(days=d),
                       "amount": Decimal(a) / 100, "cost": Decimal(a // 2) / 100} for k, (c, d, a) in enumerate(rows)])
    got = customer_base(store, as_of, period_days=window).set_index("customer_id")
    raw = pd.DataFrame(rows, columns=["c", "d", "cents"])
    raw = raw[raw.d <= as_of_offset]
    assert sorted(got.index) == [f"C{i}" for i in range(1, 7)]  # every customer once
    for i in range(1, 7):
        mine = raw[raw.c == i]
        buys = mine[mine.cents >= 0]
        row = got.loc[f"C{i}"]
        assert row.revenue == pytest.approx(mine.cents.sum() / 100)
        assert row.gross_profit == pytest.approx((mine.cents - mine.cents // 2).sum() / 100)
        assert row.frequency == buys.d.nunique() and row.orders == len(buys)
        if len(buys):
            assert row.recency_days == as_of_offset - buys.d.max()
        recent = mine[mine.d > (period_start(as_of, window) - start).days]   # the calendar span
        assert row.period_revenue == pytest.approx(recent.cents.sum() / 100)
        assert row.period_frequency == recent[recent.cents >= 0].d.nunique()
    scored = got[got.frequency > 0]
    for col in ("r_score", "f_score", "m_score"):
        assert scored[col].between(1, 5).all()
        assert got[got.frequency == 0][col].isna().all()
    # Monotone: a higher monetary value never gets a lower m-score.
    ordered = scored.sort_values("revenue")
    assert ordered.m_score.is_monotonic_increasing or ordered.revenue.duplicated().any()
    # Equal behaviour, equal score: customers sharing a value share its score, and the scores
    # are the library's value tiles of the buyers' values.
    for col, key, desc in (("f_score", "frequency", False), ("m_score", "revenue", False),
                           ("r_score", "recency_days", True)):
        assert (scored.groupby(key)[col].nunique() == 1).all()
        want = value_tiles(scored[key].to_numpy(dtype=float), 5, descending=desc)
        assert scored[col].astype(int).tolist() == want.tolist()


def _one_query(store, as_of: date, filters: Filters, period_days: int | None) -> pd.DataFrame:
    """customer_base.sql: the same layer as one plain DuckDB query (join and sort in SQL)."""
    from crm_core.customers.base import ATTRIBUTE_COLUMNS, add_scores
    from crm_core.periods import period_params
    from crm_core.store.arrow_frames import arrow_to_frame
    params = {"as_of": as_of, "period_days": period_days, **filters.params(),
              **(period_params(as_of, period_days) if period_days else {})}
    df = arrow_to_frame(store.arrow("customer_base", params, filtered=filters.active,
                                    options=frozenset({"window"}) if period_days else frozenset()),
                        categorical=ATTRIBUTE_COLUMNS)
    add_scores(df, 5)
    return df


@pytest.mark.parametrize("filters", [Filters(), Filters.of(regions=["Korea"]),
                                     Filters.of(regions=["Japan", "Korea"], customer_types=["consumer"]),
                                     Filters.of(regions=["nowhere"])])
@pytest.mark.parametrize("period_days", [None, 90, 365])
def test_assembled_by_key_equals_the_one_query(demo_db_master, filters: Filters, period_days: int | None) -> None:
    """customer_base places three parts by customer_key (ids sorted in SQL, attributes as
    codes, totals by numpy indexing): value for value and type for type, the same frame as
    one SQL join sorted by customer_id, at dates before, inside and after the data."""
    from crm_core.customers.overview import default_as_of
    from crm_core.store.connection import Store
    store = Store(demo_db_master)
    last = default_as_of(store)
    for as_of in (date(2020, 1, 1), last - timedelta(days=400), last, last + timedelta(days=30)):
        got = customer_base(store, as_of, filters, period_days=period_days)
        want = _one_query(store, as_of, filters, period_days)[list(got.columns)]
        pd.testing.assert_frame_equal(got, want)


def test_assembled_on_hand_data_with_gaps(hand) -> None:
    """Customers without purchases, without attributes, and bought only after as_of."""
    for as_of in (date(2024, 1, 5), AS_OF, date(2025, 1, 1)):
        for period_days in (None, 30):
            got = customer_base(hand, as_of, period_days=period_days)
            pd.testing.assert_frame_equal(got, _one_query(hand, as_of, Filters(), period_days)[list(got.columns)])


def test_attribute_categories_in_every_script(store_factory) -> None:
    """The attributes come from the database as numbers into their sorted values: the
    categories are the values in Python's (code point) order whatever the script or case,
    an empty text is a value and a missing one is missing, exactly as pandas would make them."""
    names = ["서울", "Zürich", "apple", "Apple", "", "北京", "Ωmega", "zeta", "臺北", "apple "]
    store = store_factory(
        customers=[{"customer_id": f"C{i}", "signup_date": date(2024, 1, 1), "region": name,
                    "customer_type": names[-1 - i] if i % 3 else None, "account_manager": "AM" if i % 2 else None}
                   for i, name in enumerate(names)] + [{"customer_id": "CX", "signup_date": date(2024, 1, 1)}],
        transactions=[tx("T1", "C1", "2024-03-01", "10"), tx("T2", "C4", "2024-04-01", "20")])
    got = customer_base(store, AS_OF)
    pd.testing.assert_frame_equal(got, _one_query(store, AS_OF, Filters(), None)[list(got.columns)])
    regions = store.rows("SELECT region FROM stg_customers WHERE region IS NOT NULL")
    assert list(got["region"].cat.categories) == sorted({r for (r,) in regions})
    cx = got.set_index("customer_id").loc["CX"]   # staging names a missing region or type; a manager stays missing
    assert (cx["region"], cx["customer_type"]) == ("(unknown)", "(unknown)") and pd.isna(cx["account_manager"])
    assert list(got["industry"].cat.categories) == []
