"""Overview KPIs, trend and Pareto against hand-computed answers, and properties."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_core.customers import overview
from crm_core.errors import InvalidParameterError, NoDataError
from crm_core.filters import Filters
from crm_core.periods import period_start
from crm_core.store.connection import Store
from tests.conftest import make_store


def tx(tid: str, cid: str, day: str, amount: str, cost: str) -> dict:
    return {"transaction_id": tid, "customer_id": cid, "tx_date": date.fromisoformat(day),
            "amount": Decimal(amount), "cost": Decimal(cost)}


@pytest.fixture()
def periods(store_factory):
    """10-day periods ending 2024-01-30: p0 = (01-20, 01-30], p1 = (01-10, 01-20], p2 = (12-31, 01-10]."""
    return store_factory(
        customers=[{"customer_id": c, "region": "North" if c in "AB" else "South"} for c in "ABCD"]
        + [{"customer_id": "E", "signup_date": date(2024, 1, 29), "region": "South"}],
        transactions=[
            tx("a1", "A", "2024-01-05", "100", "50"), tx("a2", "A", "2024-01-15", "100", "50"),
            tx("a3", "A", "2024-01-25", "100", "50"), tx("ar", "A", "2024-01-26", "-20", "-10"),
            tx("b1", "B", "2024-01-15", "40", "20"), tx("b2", "B", "2024-01-16", "60", "30"),
            tx("c1", "C", "2024-01-25", "30", "15"), tx("c2", "C", "2024-01-25", "30", "15"),
            tx("d1", "D", "2024-01-14", "50", "25"), tx("d2", "D", "2024-01-22", "50", "25"),
        ],
        churn_events=[{"customer_id": "D", "churn_date": date(2024, 1, 28), "reason": "price"}],
    )


def test_kpis_by_hand(periods) -> None:
    k = overview.kpis(periods, date(2024, 1, 30), period_days=10)
    cur, prev = k.current, k.previous
    assert (cur.customers, cur.active_customers, cur.revenue, cur.gross_profit) == (5, 3, 190.0, 95.0)
    assert cur.average_order_value == pytest.approx(190 / 3)  # C bought two lines on 01-25: one purchase
    assert cur.repeat_rate == 0.0
    assert cur.lapse_rate == pytest.approx(2 / 3)  # B stopped buying; D bought but left (exit event)
    assert (prev.customers, prev.active_customers, prev.revenue) == (3, 3, 250.0)
    assert prev.repeat_rate == pytest.approx(1 / 3) and prev.lapse_rate == 0.0
    assert k.change("revenue") == pytest.approx((190 - 250) / 250)
    # the previous lapse rate's base, p2 = (12-31, 01-10], starts before the data (01-05): no change
    assert k.first_date == date(2024, 1, 5) and not k.covered("lapse_rate") and k.change("lapse_rate") is None


def test_changes_need_the_data_to_cover_the_previous_period(periods, store_factory) -> None:
    """One purchase in December makes p2 covered: the lapse rate's change (in points) is shown.
    In the first period of the data nothing is compared."""
    covered = store_factory(transactions=[*(dict(zip(("transaction_id", "customer_id", "tx_date", "amount"), r))
                                             for r in periods.rows("SELECT transaction_id, customer_id, tx_date, amount "
                                                                   "FROM transactions")),
                                          tx("f1", "F", "2023-12-01", "10", "5")],
                            churn_events=[{"customer_id": "D", "churn_date": date(2024, 1, 28), "reason": "price"}])
    k = overview.kpis(covered, date(2024, 1, 30), period_days=10)
    assert k.covered("lapse_rate") and k.change("lapse_rate") == pytest.approx(2 / 3)  # rates change in points
    early = overview.kpis(covered, date(2023, 12, 10), period_days=10)
    assert early.current.active_customers == 1 and not early.covered("revenue")
    assert all(early.change(name) is None for name in overview.KPI_NAMES)
    doc = overview.summary(covered, date(2023, 12, 10), period_days=10)
    assert doc["previous"]["covered"] is False and overview.summary(covered, date(2024, 1, 30),
                                                                     period_days=10)["previous"]["covered"] is True


def test_kpis_respect_filters(periods) -> None:
    k = overview.kpis(periods, date(2024, 1, 30), Filters.of(regions=["North"]), period_days=10)
    assert (k.current.customers, k.current.active_customers, k.current.revenue) == (2, 1, 80.0)
    assert k.current.lapse_rate == pytest.approx(1 / 2)


def test_empty_periods_give_missing_rates_not_errors(periods) -> None:
    k = overview.kpis(periods, date(2030, 1, 1), period_days=10)
    assert k.current.active_customers == 0 and k.current.revenue == 0
    assert k.current.repeat_rate is None and k.current.lapse_rate is None and k.current.average_order_value is None
    assert k.change("revenue") is None


def test_trend_months_and_partial_flag(periods) -> None:
    df = overview.trend(periods, date(2024, 1, 30), months=3)
    assert [m.strftime("%Y-%m") for m in df.month] == ["2023-11", "2023-12", "2024-01"]
    assert df.revenue.tolist() == [0.0, 0.0, 540.0] and df.active_customers.tolist()[-1] == 4
    assert df.partial.tolist() == [False, False, True]
    assert not overview.trend(periods, date(2024, 1, 31), months=1).partial.iloc[0]


def test_trend_whole_months_equal_the_transactions(periods) -> None:
    """A whole month comes from customer_months, the month of as_of from the transactions:
    January as a finished month equals January read as the current month, filtered or not."""
    for f, expect in ((Filters(), (540.0, 270.0, 4, 9)), (Filters.of(regions=["North"]), (380.0, 190.0, 2, 5))):
        done = overview.trend(periods, date(2024, 2, 10), f, months=2)
        current = overview.trend(periods, date(2024, 1, 31), f, months=1)
        jan = done[["revenue", "gross_profit", "active_customers", "orders"]].iloc[0].tolist()
        assert jan == current[["revenue", "gross_profit", "active_customers", "orders"]].iloc[0].tolist()
        assert tuple(jan) == expect   # A, B, C, D bought; A's return lowers revenue, not orders
        assert done.iloc[1][["revenue", "active_customers", "orders"]].tolist() == [0.0, 0, 0]


@pytest.mark.parametrize("as_of", [date(2024, 3, 1), date(2024, 6, 17), date(2024, 11, 30), date(2024, 12, 31)])
def test_month_to_date_from_running_totals_equals_the_lines(demo_db_master, as_of) -> None:
    """The month of as_of comes from customer_days (running totals at as_of less those the day
    before the month): the same figures as the month's lines read directly (net revenue, gross
    profit, buyers = customers with a line that is not a return, orders as customer_months
    counts them), on the demo's lines with returns and order numbers, filtered or not."""
    store = Store(demo_db_master)
    start = as_of.replace(day=1)
    for f in (Filters(), Filters.of(regions=["Korea", "Japan"]), Filters.of(customer_types=["small business"])):
        got = overview.trend(store, as_of, f, months=1).iloc[0]
        where = "" if not f.active else (
            " AND customer_id IN (SELECT customer_id FROM customers"
            " WHERE (len($regions) = 0 OR list_contains($regions, region))"
            " AND (len($types) = 0 OR list_contains($types, customer_type)))")
        want = store.rows(f"""
            SELECT coalesce(sum(net_amount), 0), coalesce(sum(gross_profit), 0),
                   count(DISTINCT customer_id) FILTER (WHERE NOT is_return),
                   count(*) FILTER (WHERE NOT is_return AND order_id IS NULL)
                   + count(DISTINCT (customer_id, purchase_date, order_id)) FILTER (WHERE NOT is_return
                                                                               AND order_id IS NOT NULL)
            FROM stg_transactions WHERE purchase_date BETWEEN $start AND $as_of{where}""",
            {"start": start, "as_of": as_of, **({"regions": list(f.regions), "types": list(f.customer_types)}
                                                  if f.active else {})})[0]
        assert want[2] > 0
        assert got.revenue == pytest.approx(float(want[0]), rel=1e-12, abs=1e-6)
        assert got.gross_profit == pytest.approx(float(want[1]), rel=1e-12, abs=1e-6)
        assert (got.active_customers, got.orders) == (want[2], want[3])


@pytest.mark.parametrize("period_days", [30, 365])
def test_headline_is_the_kpis_and_the_pareto_values_of_the_lines(demo_db_master, period_days) -> None:
    """One query gives the Overview's KPIs and both Pareto curves: the KPIs are those of
    kpis(), and the curves rank exactly the buyers of the period (a line that is not a
    return) by their net revenue / gross profit in it, read from the lines directly."""
    import numpy as np

    store = Store(demo_db_master)
    as_of = date(2024, 11, 30)
    start = period_start(as_of, period_days) + timedelta(days=1)   # (365 days: a calendar year)
    for f in (Filters(), Filters.of(regions=["Korea", "Japan"]), Filters.of(customer_types=["small business"])):
        head = overview.headline(store, as_of, f, period_days)
        plain = overview.kpis(store, as_of, f, period_days)
        for now, want in ((head.kpis.current, plain.current), (head.kpis.previous, plain.previous)):
            for name in overview.KPI_NAMES:
                assert getattr(now, name) == pytest.approx(getattr(want, name), rel=1e-12), name
        where = "" if not f.active else (
            " AND customer_id IN (SELECT customer_id FROM customers"
            " WHERE (len($regions) = 0 OR list_contains($regions, region))"
            " AND (len($types) = 0 OR list_contains($types, customer_type)))")
        rows = store.rows(f"""
            SELECT sum(net_amount), sum(gross_profit) FROM stg_transactions
            WHERE purchase_date BETWEEN $start AND $as_of{where}
            GROUP BY customer_id HAVING count(*) FILTER (WHERE NOT is_return) > 0""",
            {"start": start, "as_of": as_of, **({"regions": list(f.regions), "types": list(f.customer_types)}
                                                  if f.active else {})})
        assert len(rows) == head.kpis.current.active_customers > 0
        for i, metric in enumerate(overview.PARETO_METRICS):
            curve = head.pareto[metric]
            want = np.sort(np.array([float(r[i]) for r in rows]))[::-1]
            assert curve.customers == len(rows)
            assert curve.total == pytest.approx(want.sum(), rel=1e-9, abs=0.01 * len(rows))
            np.testing.assert_allclose(curve.curve["v"].to_numpy(), want[curve.curve["rank"].to_numpy() - 1],
                                       atol=0.0051)   # (values in cents)
            assert curve.top20_share == overview.pareto(store, as_of, f, period_days, metric).top20_share


def test_pareto_by_hand(store_factory) -> None:
    store = store_factory(transactions=[tx(f"t{i}", f"C{i:02d}", "2024-01-10", str(i), "0") for i in range(1, 11)])
    res = overview.pareto(store, date(2024, 1, 31), period_days=30)
    assert res.customers == 10 and res.total == 55
    assert res.customer_share_for_80pct == pytest.approx(0.6)  # 10+9+8+7+6+5 = 45 >= 44
    assert res.top20_share == pytest.approx(19 / 55)
    assert res.curve.value_share.iloc[-1] == pytest.approx(1.0)


def test_pareto_profit_can_exceed_total_when_the_tail_loses_money(store_factory) -> None:
    store = store_factory(transactions=[tx("a", "A", "2024-01-10", "100", "0"), tx("b", "B", "2024-01-10", "50", "80")])
    res = overview.pareto(store, date(2024, 1, 31), period_days=30, metric="gross_profit")
    assert res.total == 70 and res.curve.value_share.max() == pytest.approx(100 / 70)


@settings(max_examples=25, deadline=None)
@given(values=st.lists(st.integers(1, 100_000), min_size=1, max_size=60))
def test_pareto_is_monotone_and_ends_at_one(tmp_path_factory, values: list[int]) -> None:
    store = make_store(tmp_path_factory.mktemp("pareto") / "p.duckdb",
                       transactions=[tx(f"t{i}", f"C{i}", "2024-01-10", str(v), "0") for i, v in enumerate(values)])
    res = overview.pareto(store, date(2024, 1, 31), period_days=30, points=10)
    shares = res.curve.value_share.tolist()
    assert shares == sorted(shares) and shares[-1] == pytest.approx(1.0)
    assert res.total == pytest.approx(sum(values))
    assert 0 < res.customer_share_for_80pct <= 1 and res.top20_share >= 0.2 - 1e-9


def test_bad_parameters_and_empty_database(store_factory) -> None:
    store = store_factory()
    with pytest.raises(NoDataError):
        overview.default_as_of(store)
    with pytest.raises(InvalidParameterError):
        overview.kpis(store, date(2024, 1, 1), period_days=0)
    with pytest.raises(InvalidParameterError):
        overview.pareto(store, date(2024, 1, 1), metric="amount; DROP TABLE x")  # type: ignore[arg-type]
    assert overview.pareto(store, date(2024, 1, 1)).customers == 0


def test_summary_keys_are_stable(periods) -> None:
    out = overview.summary(periods, date(2024, 1, 30), period_days=10)
    assert list(out)[:9] == ["as_of", "period_days", "customers", "active_customers", "revenue", "gross_profit",
                             "repeat_rate", "lapse_rate", "average_order_value"]
    assert out["as_of"] == "2024-01-30" and out["previous"]["as_of"] == str(date(2024, 1, 30) - timedelta(days=10))


def test_average_order_value_is_one_definition(demo_db) -> None:
    """Per purchase day everywhere: the Overview over a period holding all the data (which also
    caught DuckDB narrowing the summed counts to one byte: 116,173 orders read as -51), the
    customer base, the segment table and a micro-segment give the same number for the same
    customers (revenue / purchase days; same-day lines are one purchase, as in the CLV model)."""
    from crm_core.customers import micro, rfm
    from crm_core.customers.base import customer_base
    from crm_core.store.connection import Store

    store = Store(demo_db)
    as_of = overview.default_as_of(store)
    base = customer_base(store, as_of)
    buyers = base[base["frequency"] > 0]
    per_day = buyers["revenue"].sum() / buyers["frequency"].sum()
    assert buyers["orders"].sum() > buyers["frequency"].sum()          # several lines a day do happen
    assert overview.kpis(store, as_of, period_days=3650).current.average_order_value == pytest.approx(per_day)
    assert buyers["average_order_value"].to_numpy() == pytest.approx((buyers["revenue"] / buyers["frequency"]).to_numpy())
    seg = rfm.segment_summary(rfm.rfm(store, as_of))
    assert (seg["revenue"].sum() / (seg["revenue"] / seg["average_order_value"]).sum()) == pytest.approx(per_day)
    frame = micro.micro_frame(store, as_of)
    everyone = micro.compare(frame, {}, {}).set_index("measure")
    assert everyone.loc["average_order_value"].iloc[0] == pytest.approx(per_day)
