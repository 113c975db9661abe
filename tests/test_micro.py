"""Micro-segments on the demo database: cells add up, categories overlap as documented,
selections and comparisons match plain pandas, and bad dimensions are refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crm_core.customers import micro, overview
from crm_core.errors import InvalidParameterError
from crm_core.filters import Filters
from crm_core.store.connection import Store


@pytest.fixture(scope="module")
def mf(demo_db_master: Path) -> micro.MicroFrame:
    store = Store(demo_db_master)
    return micro.micro_frame(store, overview.default_as_of(store))


def test_region_by_tier_cells_add_up_to_everyone(mf: micro.MicroFrame) -> None:
    df = mf.customers
    cells = micro.cut(mf, ["region", "tier"])
    assert cells["customers"].sum() == len(df)
    assert cells["revenue"].sum() == pytest.approx(df["revenue"].sum())
    expected = df.groupby([df["region"].astype(object), df["tier"].astype(object)]).size()
    got = cells.set_index(["region", "tier"])["customers"]
    assert got.sort_index().to_dict() == expected.sort_index().to_dict()
    # RFM mix of each cell: shares of its buyers, summing to 1 where there are buyers.
    mix = cells[[f"mix_{s}" for s in micro.SEGMENTS]].sum(axis=1)
    assert ((cells["buyers"] == 0) | (mix.round(9) == 1)).all()


def test_category_cells_overlap_and_match_the_transactions(mf: micro.MicroFrame, demo_db_master: Path) -> None:
    store = Store(demo_db_master)
    as_of = overview.default_as_of(store)
    truth = store.df("""SELECT product_category AS category, count(DISTINCT customer_id) AS n FROM transactions
                        WHERE amount >= 0 AND tx_date > CAST(? AS DATE) - 365 AND tx_date <= ? GROUP BY 1""",
                     [as_of, as_of]).set_index("category")["n"]
    cells = micro.cut(mf, ["category"]).set_index("category")["customers"]
    assert cells.sort_index().to_dict() == truth.sort_index().to_dict()
    assert cells.sum() > (mf.customers["category_mask"] > 0).sum()  # overlapping by design


def test_select_and_compare_match_pandas(mf: micro.MicroFrame) -> None:
    df = mf.customers
    sel = micro.select(mf, {"region": ["Korea"], "tier": ["top", "big"]})
    expected = df[(df["region"] == "Korea") & df["tier"].isin(["top", "big"])]
    assert set(sel["customer_id"]) == set(expected["customer_id"]) and len(sel) > 0
    cmp = micro.compare(mf, {"region": ["Korea"]}, {"region": ["Japan"]}).set_index("measure")
    korea = df[df["region"] == "Korea"]
    assert cmp.loc["customers", "a"] == len(korea)
    assert cmp.loc["revenue", "a"] == pytest.approx(korea["revenue"].sum())
    assert cmp.loc[[f"mix_{s}" for s in micro.SEGMENTS], "b"].sum() == pytest.approx(1)
    loyal = micro.select(mf, {"loyalty_program": ["VIP"]})
    assert len(loyal) > 0 and (loyal["loyalty_program"] == "VIP").all()
    cell = micro.select(mf, {"r_score": [5], "f_score": [5]})
    assert ((cell["r_score"] == 5) & (cell["f_score"] == 5)).all() and len(cell) > 0


def _compare_by_pandas(df: pd.DataFrame) -> dict[str, float]:
    buyers = df[df["segment"].notna()]
    revenue = df["revenue"].sum()
    out = {"customers": len(df), "buyers": len(buyers), "revenue": revenue, "gross_profit": df["gross_profit"].sum(),
           "margin": df["gross_profit"].sum() / revenue if revenue else np.nan,
           "revenue_per_customer": revenue / len(df) if len(df) else np.nan,
           "average_order_value": revenue / df["frequency"].sum() if df["frequency"].sum() else np.nan,  # per purchase day
           "frequency": buyers["frequency"].mean() if len(buyers) else np.nan,
           "recency_days": buyers["recency_days"].astype(float).mean() if len(buyers) else np.nan}
    for seg in micro.SEGMENTS:
        out[f"mix_{seg}"] = (buyers["segment"] == seg).mean() if len(buyers) else np.nan
    return out


@pytest.mark.parametrize("a, b", [({}, {"tier": ["top"]}),
                                  ({"region": ["Korea"], "category": ["<first>"]}, {"region": ["Japan", "Taiwan"]}),
                                  ({"segment": ["champions"], "channel": []}, {"tier": ["prospect"]})])
def test_compare_equals_plain_pandas_for_every_measure(mf: micro.MicroFrame, a: dict, b: dict) -> None:
    if "category" in a:   # the demo's categories come from the data
        a = {**a, "category": [mf.categories[0]]}
    cmp = micro.compare(mf, a, b).set_index("measure")
    for col, where in (("a", a), ("b", b)):
        expected = _compare_by_pandas(micro.select(mf, where))
        assert list(cmp.index) == list(expected)
        np.testing.assert_allclose(cmp[col].to_numpy(float), np.array(list(expected.values()), float), rtol=1e-12)
    assert micro.select(mf, {}) is mf.customers   # no condition: the frame itself, no copy
    assert micro.select(mf, {"region": []}) is mf.customers


@pytest.mark.parametrize("dims", [["region; DROP TABLE customers"], ["region", "region"],
                                  ["region", "tier", "segment", "channel"], ["customer_id"]])
def test_bad_dimensions_are_refused(mf: micro.MicroFrame, dims: list[str]) -> None:
    with pytest.raises(InvalidParameterError):
        micro.cut(mf, dims)


def test_unknown_selection_key_and_category_are_refused(mf: micro.MicroFrame) -> None:
    with pytest.raises(InvalidParameterError):
        micro.select(mf, {"email": ["x"]})
    with pytest.raises(InvalidParameterError):
        micro.select(mf, {"category": ["<script>alert(1)</script>"]})


def test_filtered_frame_has_the_same_category_bits(demo_db_master: Path, mf: micro.MicroFrame) -> None:
    store = Store(demo_db_master)
    as_of = overview.default_as_of(store)
    korea = micro.micro_frame(store, as_of, Filters.of(regions=["Korea"]))
    assert korea.categories == mf.categories
    whole = mf.customers.set_index("customer_id")["category_mask"]
    part = korea.customers.set_index("customer_id")["category_mask"]
    assert (whole.loc[part.index] == part).all()
    assert isinstance(korea.customers, pd.DataFrame) and (korea.customers["region"] == "Korea").all()


def test_pareto_from_the_frame_equals_the_sql_pareto(demo_db_master: Path, mf: micro.MicroFrame) -> None:
    """The Pyramid page draws both curves from the customer frame; same numbers as overview.pareto."""
    store = Store(demo_db_master)
    as_of = overview.default_as_of(store)
    df = mf.customers
    active = df["period_frequency"].to_numpy() > 0
    for metric in ("revenue", "gross_profit"):
        sql = overview.pareto(store, as_of, metric=metric)
        mine = overview.pareto_from_values(df[f"period_{metric}"].to_numpy()[active], metric)
        assert (mine.customers, mine.customer_share_for_80pct) == (sql.customers, sql.customer_share_for_80pct)
        assert mine.total == pytest.approx(sql.total) and mine.top20_share == pytest.approx(sql.top20_share)
