"""Cost to serve and the profitability quadrants: hand-made data with known answers, properties."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_core.errors import InvalidParameterError
from crm_core.filters import Filters
from crm_core.store.connection import Store
from crm_core.value import quadrants
from crm_core.value.costs import CostAssumptions, cost_per_purchase, cost_to_serve, default_unit_costs
from crm_core.value.quadrants import Split, classify, quadrant_summary, select_region, slog, slog_inverse

AS_OF = date(2024, 12, 31)


def tx(tid, cid, day, amount, cost=None, discount=None):
    return {"transaction_id": tid, "customer_id": cid, "tx_date": day, "amount": amount, "cost": cost,
            "discount": discount}


@pytest.fixture()
def hand(store_factory):
    return store_factory(
        customers=[{"customer_id": "A", "account_manager": "M1", "region": "North"},
                   {"customer_id": "B", "account_manager": "M1", "region": "South"},
                   {"customer_id": "C", "region": "North"}, {"customer_id": "D", "region": "North"}],
        account_managers=[{"manager_id": "M1", "name": "Kim", "annual_cost": 36525}],
        transactions=[tx("1", "A", "2024-03-01", 500, 300, 20), tx("2", "A", "2024-06-01", 300, 180),
                      tx("3", "A", "2024-06-02", -100, -60), tx("4", "B", "2024-04-01", 50, 45, 5),
                      tx("5", "C", "2024-05-01", 80, 40), tx("6", "C", "2024-05-01", -80, -40),
                      tx("7", "D", "2023-05-01", 900, 400)],
        service_interactions=[
            {"customer_id": "A", "opened_at": "2024-05-01 10:00", "type": "complaint", "cost": 30},
            {"customer_id": "A", "opened_at": "2024-05-02 10:00", "type": "inquiry"},
            {"customer_id": "B", "opened_at": "2024-05-03 10:00", "type": "complaint"},
            {"customer_id": "C", "opened_at": "2024-05-04 10:00", "type": "chat"},
            {"customer_id": "D", "opened_at": "2023-05-04 10:00", "type": "complaint", "cost": 99}],
        loyalty_programs=[{"program_id": "P", "name": "Points", "kind": "points"}],
        loyalty_members=[{"customer_id": "A", "program_id": "P", "enrolled_at": "2023-01-01"},
                         {"customer_id": "C", "program_id": "P", "enrolled_at": "2024-02-01"}],
        loyalty_costs=[{"program_id": "P", "cost_date": "2024-07-01", "amount": 100, "cost_type": "rewards"},
                       {"program_id": "P", "cost_date": "2024-07-01", "amount": 999, "cost_type": "marketing"}],
    )


UNIT = CostAssumptions(unit_costs=(("complaint", 20.0), ("inquiry", 5.0)), return_cost=10.0)


def test_every_component_by_hand(hand) -> None:
    c = cost_to_serve(hand, AS_OF, 365, assumptions=UNIT).set_index("customer_id")
    assert set(c.index) == {"A", "B", "C"}          # D's costs fall before the window
    a, b, cc = c.loc["A"], c.loc["B"], c.loc["C"]
    assert a["service_cost"] == 35 and a["complaints"] == 1 and a["service_contacts"] == 2   # 30 recorded + 5 unit
    assert b["service_cost"] == 20 and cc["service_cost"] == 0                               # unknown type: default 0
    assert a["return_lines"] == 1 and a["return_cost"] == 10 and cc["return_cost"] == 10
    assert a["discounts"] == 20 and b["discounts"] == 5
    assert a["loyalty_cost"] == 50 and cc["loyalty_cost"] == 50 and b["loyalty_cost"] == 0   # rewards only, shared
    assert a["manager_cost"] == pytest.approx(36525 * 366 / 365.25 / 2) == b["manager_cost"]   # 2024: 366 days
    assert a["cost_to_serve"] == pytest.approx(35 + 10 + 20 + 50 + a["manager_cost"])


def test_assumptions_change_the_costs(hand) -> None:
    units_only = CostAssumptions(use_recorded=False, unit_costs=(("complaint", 20.0), ("inquiry", 5.0)),
                                 return_cost=0.0, include=("service_cost", "return_cost"))
    c = cost_to_serve(hand, AS_OF, 365, assumptions=units_only).set_index("customer_id")
    assert c.loc["A", "service_cost"] == 25 and c.loc["A", "cost_to_serve"] == 25
    assert c.loc["A", "manager_cost"] == 0                                    # excluded component
    assert default_unit_costs(hand)[0] == ("complaint", 64.5)                 # mean recorded (30, 99)
    with pytest.raises(InvalidParameterError):
        CostAssumptions(return_cost=-1)
    with pytest.raises(InvalidParameterError):
        CostAssumptions(unit_costs=(("complaint", float("nan")),))
    with pytest.raises(InvalidParameterError):
        CostAssumptions(include=("bribes",))


def test_order_cost_and_loyalty_operating_costs(hand) -> None:
    """A handling cost per order counts purchase days (A: 2, B: 1, C: 1; C's same-day return
    is no order), and charging operating costs adds the program's marketing (999) to the
    rewards (100), shared by its 2 members. Without service data, order costs are what makes
    cost to serve vary (the quadrant A fix for plain transaction files)."""
    c = cost_to_serve(hand, AS_OF, 365, assumptions=CostAssumptions(order_cost=4.0, loyalty_operating=True,
                                                                     include=("order_cost", "loyalty_cost")))
    c = c.set_index("customer_id")
    assert c.loc["A", "orders"] == 2 and c.loc["B", "orders"] == 1 and c.loc["C", "orders"] == 1
    assert c.loc["A", "order_cost"] == 8 and c.loc["B", "order_cost"] == 4
    assert c.loc["A", "loyalty_cost"] == pytest.approx((100 + 999) / 2) == c.loc["C", "loyalty_cost"]
    assert c.loc["A", "cost_to_serve"] == pytest.approx(8 + 1099 / 2)
    plain = cost_to_serve(hand, AS_OF, 365, assumptions=CostAssumptions()).set_index("customer_id")
    assert (plain["order_cost"] == 0).all() and plain.loc["A", "loyalty_cost"] == 50
    with pytest.raises(InvalidParameterError):
        CostAssumptions(order_cost=-1.0)


def test_plain_transactions_vary_once_orders_cost_something(store_factory) -> None:
    store = store_factory(transactions=[tx(f"{c}-{k}", f"C{c}", f"2024-0{1 + k % 9}-1{k // 9}", 100)
                                        for c in range(5) for k in range(1 + 3 * c)])   # 1, 4, 7, 10, 13 orders
    flat = quadrants.quadrant_frame(store, AS_OF, 365)
    assert not quadrants.varies(flat["cost_to_serve"])
    priced = quadrants.quadrant_frame(store, AS_OF, 365, assumptions=CostAssumptions(order_cost=3.0))
    assert quadrants.varies(priced["cost_to_serve"])


@pytest.mark.parametrize("evil", ["complaint' OR 1=1 --", "'; DROP TABLE customers; --", "<script>x</script>"])
def test_contact_types_are_data_never_sql(hand, evil) -> None:
    c = cost_to_serve(hand, AS_OF, 365, assumptions=CostAssumptions(unit_costs=((evil, 1000.0),)))
    assert c["service_cost"].max() < 1000
    assert hand.table_counts()["customers"] == 4


def test_quadrant_frame_and_filters(hand) -> None:
    df = quadrants.quadrant_frame(hand, AS_OF, 365, assumptions=UNIT).set_index("customer_id")
    assert set(df.index) == {"A", "B", "C"}                     # D neither bought nor cost anything in the window
    assert df.loc["A", "revenue"] == 700 and df.loc["A", "gross_profit"] == 280
    assert df.loc["A", "net_profit"] == pytest.approx(280 - df.loc["A", "cost_to_serve"])
    north = quadrants.quadrant_frame(hand, AS_OF, 365, Filters.of(regions=["North"]), UNIT)
    assert set(north["customer_id"]) == {"A", "C"}
    per = cost_per_purchase(cost_to_serve(hand, AS_OF, 365, assumptions=UNIT), df["purchases"])
    assert per["A"] == pytest.approx(df.loc["A", "cost_to_serve"] / 2)     # two purchase days in the window
    # The frame's cost (one statement with the activity) is cost_to_serve's, for any set of components;
    # a customer whose only cost is left out drops out of the frame unless they bought.
    for include in [("service_cost", "return_cost"), ("manager_cost",), (), ("order_cost", "loyalty_cost")]:
        a = CostAssumptions(order_cost=2.0, include=include)
        frame = quadrants.quadrant_frame(hand, AS_OF, 365, assumptions=a).set_index("customer_id")
        costs = cost_to_serve(hand, AS_OF, 365, assumptions=a).set_index("customer_id")["cost_to_serve"]
        assert frame["cost_to_serve"].to_dict() == {c: costs.get(c, 0.0) for c in frame.index}
        assert set(frame.index) == set(frame.index[frame["purchases"] > 0]) | set(costs.index[costs > 0])


FRAME = pd.DataFrame({"customer_id": list("abcd"), "revenue": [100.0, 200, 300, 400],
                      "gross_profit": [10.0, 50, 5, 80], "cost_to_serve": [1.0, 2, 30, 40],
                      "net_profit": [9.0, 48, -25, 40], "clv": [100.0, 5, 300, 1]})


def test_classify_by_hand() -> None:
    qa, xs, ys = classify(FRAME, "a")
    assert (xs, ys) == (16.0, 30.0)
    assert list(qa) == ["profitable", "most_profitable", "least_profitable", "costly_to_serve"]
    qb, _, _ = classify(FRAME, "b", Split("value", 0.0), Split("mean"))
    assert list(qb) == ["keep", "keep", "invest", "keep"]          # CLV mean 101.5; profit split at 0
    summary = quadrant_summary(FRAME, qa, "a")
    assert list(summary["quadrant"]) == list(quadrants.QUADRANTS_A)
    assert summary.set_index("quadrant").loc["costly_to_serve", "gross_profit"] == 80
    with pytest.raises(InvalidParameterError):
        Split("value", None)
    with pytest.raises(InvalidParameterError):
        classify(FRAME, "z")  # type: ignore[arg-type]


def test_selection_by_box_and_lasso() -> None:
    box = select_region(FRAME, "a", boxes=[{"x": [35, 0], "y": [0, 60]}])
    assert list(FRAME["customer_id"][box]) == ["a", "b", "c"]
    triangle = {"x": [0, 50, 0], "y": [0, 0, 100]}           # below the line y = 100 - 2x
    lasso = select_region(FRAME, "a", lassos=[triangle])
    assert list(FRAME["customer_id"][lasso]) == ["a", "b", "c"] and not lasso[3]
    assert not select_region(FRAME, "a").any()


def test_density_grid_counts_as_numpy_histogram2d() -> None:
    """The chart's density shading (a million customers): bin counts by arithmetic equal
    numpy's histogram2d over the same range, ties on the right edge included."""
    rng = np.random.default_rng(7)
    for n in (1, 50, 20_000):
        x = rng.lognormal(size=n) * np.where(rng.random(n) < 0.2, -1, 1)
        y = np.round(rng.normal(size=n), 1)                      # many ties, some on the edges
        cx, cy, counts = quadrants.density(x, y, bins=40)
        lo_x, hi_x = np.percentile(x, [0.5, 99.5])
        lo_y, hi_y = np.percentile(y, [0.5, 99.5])
        ref, ex, ey = np.histogram2d(x, y, bins=40, range=[[lo_x, hi_x if hi_x > lo_x else lo_x + 1],
                                                            [lo_y, hi_y if hi_y > lo_y else lo_y + 1]])
        assert np.array_equal(counts, ref.T) and np.allclose(cx, (ex[:-1] + ex[1:]) / 2)
    assert quadrants.density(np.array([]), np.array([]))[2].shape == (0, 0)


def test_signed_log_round_trip() -> None:
    v = np.array([-1e6, -12.5, -1, 0, 0.3, 1, 999, 4e7])
    assert np.allclose(slog_inverse(slog(v)), v)
    assert np.all(np.diff(slog(v)) > 0)
    assert slog(1000) == pytest.approx(np.log10(2000), abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e6, 1e6), st.floats(0, 1e5), st.floats(-1e6, 1e6)), min_size=1, max_size=60),
       st.sampled_from(["median", "mean"]))
def test_quadrants_partition_customers_and_sum_to_the_totals(rows, method) -> None:
    df = pd.DataFrame(rows, columns=["gross_profit", "cost_to_serve", "clv"])
    df["customer_id"] = [f"c{i}" for i in range(len(df))]
    df["revenue"] = df["gross_profit"].abs()
    df["net_profit"] = df["gross_profit"] - df["cost_to_serve"]
    for chart in ("a", "b"):
        q, _, _ = classify(df, chart, Split(method), Split(method))  # type: ignore[arg-type]
        summary = quadrant_summary(df, q, chart)  # type: ignore[arg-type]
        assert summary["customers"].sum() == len(df)
        for col in ("revenue", "gross_profit", "cost_to_serve", "clv"):
            assert summary[col].sum() == pytest.approx(df[col].sum(), rel=1e-9, abs=1e-6)


def test_window_figures_equal_the_customer_base_on_the_demo(demo_db) -> None:
    from crm_core.customers.base import customer_base
    from crm_core.customers.overview import default_as_of
    from crm_core.store.connection import Store

    store = Store(demo_db)
    as_of = default_as_of(store)
    df = quadrants.quadrant_frame(store, as_of, 182).set_index("customer_id")
    base = customer_base(store, as_of, period_days=182).set_index("customer_id")
    buyers = base[base["period_frequency"] > 0]
    assert set(buyers.index) <= set(df.index)
    got = df.loc[buyers.index]
    assert np.array_equal(got["purchases"].to_numpy(), buyers["period_frequency"].to_numpy())
    assert np.allclose(got["revenue"], buyers["period_revenue"]) and np.allclose(got["gross_profit"],
                                                                                 buyers["period_gross_profit"])
    assert (got["region"].fillna("") == buyers["region"].fillna("")).all()
    others = df.drop(buyers.index)
    assert (others["cost_to_serve"] > 0).all() and (others["purchases"] == 0).all()


def test_no_cost_variation_puts_no_one_in_the_costly_quadrants() -> None:
    """A file without service, return or discount data: cost to serve is 0 for everyone. The
    median split used to put everyone in "costly to serve"/"least profitable"; now the cost axis
    separates no one, and the report says the axis does not vary."""
    df = pd.DataFrame({"cost_to_serve": [0.0] * 6, "gross_profit": [5.0, 10.0, 20.0, 40.0, 80.0, 160.0]})
    q, xs, ys = quadrants.classify(df, "a")
    assert not quadrants.varies(df["cost_to_serve"]) and quadrants.varies(df["gross_profit"])
    assert set(q) == {"most_profitable", "profitable"} and (q == "most_profitable").sum() == 3
    varied = df.assign(cost_to_serve=[0.0, 0.0, 0.0, 10.0, 10.0, 10.0])
    assert set(quadrants.classify(varied, "a")[0]) >= {"costly_to_serve"}


def test_quadrants_page_says_cost_to_serve_does_not_vary(monkeypatch, tmp_path) -> None:
    from streamlit.testing.v1 import AppTest

    from crm_core.i18n import catalogue
    from tests.clv_data import cdnow_store

    db = tmp_path / "cdnow.duckdb"
    cdnow_store(db, costs=False)
    monkeypatch.setenv("CRM_DB", str(db))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=90)
    at.run()
    at.switch_page("pages/quadrants.py").run()
    assert not at.exception, [e.value for e in at.exception]
    first = catalogue("en")["quad.no_cost_variation"].split("{cost}")[0]
    assert any(w.value.startswith(first) for w in at.warning)
    assert quadrants.report(Store(db), date(1997, 12, 31))["a"]["x_varies"] is False
