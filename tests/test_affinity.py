"""Category affinity: hand-made baskets with exact support, confidence and lift (orders and
customer-days), a synthetic world with a planted lift, the demo's planted pairs, the
cross-sell lists, next category per segment, and the plain self-join it must agree with."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pytest

from crm_core.cli.main import main as cli
from crm_core.customers.overview import default_as_of
from crm_core.customers.rfm import rfm
from crm_core.demo.relations import PLANTED_BASKETS
from crm_core.errors import InvalidParameterError, NoDataError
from crm_core.filters import Filters
from crm_core.relations import affinity as af
from crm_core.relations import scorecards, upgrade
from crm_core.store.connection import Store

AS_OF = date(2024, 12, 31)


def line(cid: str, day: str, cat: str | None, amount: float = 10.0, order: str | None = None, n: int = 0) -> dict:
    return {"transaction_id": f"{cid}-{day}-{cat}-{n}-{amount}", "customer_id": cid, "tx_date": day,
            "amount": amount, "product_category": cat, "order_id": order}


@pytest.fixture()
def hand(store_factory):
    """Baskets in 2024: u1-day1 {A, B}; u1-day2 {A}; u2 order o1 on two days {A, C} and o2 {B};
    u3-day1 {B, C} with a return of A (not counted); an uncategorised line (not counted)."""
    rows = [line("u1", "2024-03-01", "A"), line("u1", "2024-03-01", "B"), line("u1", "2024-03-02", "A"),
            line("u2", "2024-04-01", "A", order="o1"), line("u2", "2024-04-01", "C", order="o1", n=1),
            line("u2", "2024-04-01", "B", order="o2"), line("u3", "2024-05-01", "B"),
            line("u3", "2024-05-01", "C"), line("u3", "2024-05-01", "A", amount=-10.0),
            line("u3", "2024-05-02", None), line("u4", "2022-01-01", "C")]
    return store_factory(transactions=rows)


def test_hand_made_rules(hand) -> None:
    aff = af.affinity(hand, AS_OF, period_days=365)
    assert set(aff.categories) == {"A", "B", "C"} and aff.left_out == ()
    r = af.rules(aff, "basket", min_count=1).set_index(["antecedent", "consequent"])
    # baskets: {A,B}, {A}, {A,C}, {B}, {B,C} -> N = 5; A in 3, B in 3, C in 2
    ab = r.loc[("A", "B")]
    assert (ab.both, ab.units, ab.antecedent_units, ab.consequent_units) == (1, 5, 3, 3)
    assert ab.support == pytest.approx(1 / 5) and ab.confidence == pytest.approx(1 / 3)
    assert ab.lift == pytest.approx((1 / 3) / (3 / 5))
    bc = r.loc[("B", "C")]
    assert bc.confidence == pytest.approx(1 / 3) and bc.lift == pytest.approx((1 / 3) / (2 / 5))
    # histories: u1 {A,B}, u2 {A,B,C}, u3 {B,C}, u4 {C} -> customers with both, candidates A not B
    assert ab.customers == 2 and ab.candidates == 0
    ca = r.loc[("C", "A")]
    assert ca.customers == 1 and ca.candidates == 2
    assert sorted(af.candidates(aff, "C", "A")) == ["u3", "u4"]
    c = af.rules(aff, "customer", min_count=1).set_index(["antecedent", "consequent"])
    assert c.loc[("A", "B"), "units"] == 4 and c.loc[("A", "B"), "confidence"] == pytest.approx(1.0)
    assert af.rules(aff, "basket", min_count=2).empty


def test_bad_input(hand, store_factory) -> None:
    aff = af.affinity(hand, AS_OF)
    with pytest.raises(InvalidParameterError):
        af.rules(aff, "order")
    with pytest.raises(InvalidParameterError):
        af.candidates(aff, "A", "Z")
    with pytest.raises(NoDataError):
        af.affinity(store_factory(transactions=[line("x", "2024-01-01", "A")]), AS_OF)


def test_a_planted_lift_is_recovered_within_5_percent(store_factory) -> None:
    """2,000 one-day baskets: A in 40%, B in 25% of baskets without A and 50% of those with
    A; true lift = 0.5 / (0.4 * 0.5 + 0.6 * 0.25) = 1.4286."""
    rng = np.random.default_rng(7)
    rows = []
    for i in range(2000):
        day = (date(2024, 1, 1) + timedelta(days=int(i % 300))).isoformat()
        has_a = rng.random() < 0.4
        has_b = rng.random() < (0.5 if has_a else 0.25)
        cats = ["A"] * has_a + ["B"] * has_b + ["C"]
        rows += [line(f"c{i}", day, c) for c in cats]
    store = store_factory(transactions=rows)
    r = af.rules(af.affinity(store, AS_OF), "basket").set_index(["antecedent", "consequent"])
    assert r.loc[("A", "B"), "lift"] == pytest.approx(0.5 / (0.4 * 0.5 + 0.6 * 0.25), rel=0.05)
    assert r.loc[("A", "C"), "lift"] == pytest.approx(1.0)


def test_demo_recovers_the_planted_basket_pairs(demo_db_master) -> None:
    store = Store(demo_db_master)
    as_of = default_as_of(store)
    aff = af.affinity(store, as_of)
    r = af.rules(aff, "basket")
    top = set(zip(r.head(4).antecedent, r.head(4).consequent))
    idx = r.set_index(["antecedent", "consequent"])
    for (a, b), p in PLANTED_BASKETS.items():
        assert (a, b) in top
        assert idx.loc[(a, b), "confidence"] == pytest.approx(p, rel=0.05)
    nxt = af.next_by_segment(aff, rfm(store, as_of)[["customer_id", "segment"]])
    assert nxt["customers"].sum() == len(aff.customer_ids)
    assert set(nxt["category"].dropna()) <= set(aff.categories)


def test_pair_counts_equal_a_plain_self_join(demo_db_master) -> None:
    store = Store(demo_db_master)
    as_of = default_as_of(store)
    aff = af.affinity(store, as_of)
    r = af.rules(aff, "basket", min_count=1).set_index(["antecedent", "consequent"])
    plain = store.df("""
        WITH b AS (SELECT DISTINCT customer_id, tx_date, order_id, product_category AS cat FROM transactions
                   WHERE amount > 0 AND product_category IS NOT NULL AND tx_date > $start AND tx_date <= $as_of)
        SELECT x.cat AS a, y.cat AS b, count(*) AS n FROM b AS x JOIN b AS y
          ON x.customer_id = y.customer_id AND x.tx_date = y.tx_date AND x.order_id IS NOT DISTINCT FROM y.order_id
         AND x.cat <> y.cat
        GROUP BY ALL""", {"start": as_of.replace(year=as_of.year - 1), "as_of": as_of})
    for row in plain.itertuples():
        assert r.loc[(row.a, row.b), "both"] == row.n


def test_category_ranking_from_category_days_equals_the_lines(demo_db_master) -> None:
    """Unfiltered, the categories are ranked from category_days (kept at load) and the lines
    without a category of their own: the same counts, in the same order, as counting every
    line up to the as-of date, at any date (before the first line, mid-month, the last day)."""
    store = Store(demo_db_master)
    first, last = store.date_range()
    with store.session():
        for as_of in (first - timedelta(days=1), first, first + timedelta(days=400), last - timedelta(days=17), last):
            params = {"as_of": as_of, **Filters().params()}
            lines = store.query("affinity_categories", params, filtered=False)
            days = store.query("affinity_categories", params, filtered=False, options=frozenset({"days"}))
            assert lines.to_dict("list") == days.to_dict("list"), as_of
            assert len(days) == (0 if as_of < first else store.scalar(
                "SELECT count(DISTINCT product_category) FROM transactions WHERE amount > 0 AND tx_date <= ?", [as_of]))


def test_cli_affinity_json(demo_db_master, capsys) -> None:
    assert cli(["affinity", "--db", str(demo_db_master), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    for key in ("antecedent", "consequent", "support", "confidence", "lift", "customers"):
        assert key in doc["pairs"][0]
    assert doc["next_by_segment"]


def test_a_lines_category_is_its_own_else_its_products(store_factory) -> None:
    """Lines without a category of their own take their product's; a line's own category
    wins over its product's; a line with neither is left out. The same lines count in the
    category ranking, the baskets, the histories, the price levels and the readiness check."""
    products = [{"product_id": "p-a", "name": "a", "category": "A"}, {"product_id": "p-b", "name": "b", "category": "B"},
                {"product_id": "p-none", "name": "n", "category": None}]
    rows = [line("u1", "2024-03-01", None) | {"product_id": "p-a"},                  # -> A (its product's)
            line("u1", "2024-03-01", "B", n=1) | {"product_id": "p-a"},              # -> B (its own wins)
            line("u2", "2024-03-02", None) | {"product_id": "p-b"},                  # -> B
            line("u2", "2024-03-02", "A"),                                           # -> A
            line("u3", "2024-03-03", None) | {"product_id": "p-none"},              # neither: left out
            line("u3", "2024-03-03", None, n=2) | {"product_id": "p-unknown"},      # neither: left out
            line("u3", "2024-03-03", None, n=3),                                     # no product: left out
            line("u4", "2024-03-04", None, amount=-5.0) | {"product_id": "p-a"}]    # a return of A: not bought
    store = store_factory(transactions=rows, products=products)
    with store.session():   # from the lines, and from category_days plus the lines without a category
        for options in (frozenset(), frozenset({"days"})):
            cats = store.query("affinity_categories", {"as_of": AS_OF, **Filters().params()}, filtered=False,
                               options=options)
            assert dict(zip(cats["category"], cats["lines"])) == {"A": 2, "B": 2}, options
    aff = af.affinity(store, AS_OF, period_days=365)
    assert set(aff.categories) == {"A", "B"}
    both = af.rules(aff, "basket", min_count=1).set_index(["antecedent", "consequent"]).loc[("A", "B")]
    assert (both.both, both.units, both.customers) == (2, 2, 2)      # u1's and u2's baskets hold A and B
    assert sorted(aff.customer_ids) == ["u1", "u2"]
    levels = upgrade.upgrade(store, AS_OF).levels
    assert sorted(zip(levels["customer_id"], levels["category"])) == [("u1", "A"), ("u1", "B"), ("u2", "A"), ("u2", "B")]
    assert len(upgrade.upgrade(store, AS_OF, category="B").levels) == 2
    ready = scorecards.readiness(store, AS_OF).set_index("check")
    assert ready.loc["categories", "value"] == pytest.approx(5 / 8)  # A, B, B, A, and the return's A: 5 of 8 lines
