"""Exit management: hand-made histories with known churns, the worked example, the demo's
planted reason shares, and the fast period counts against a plain computation."""

from __future__ import annotations

import os
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_core.demo import events as demo_events
from crm_core.demo import generate as demo
from crm_core.errors import InvalidParameterError
from crm_core.exits import churn
from crm_core.exits import groups as churn_groups
from crm_core.exits.history import ChurnHistory
from crm_core.filters import Filters
from crm_core.periods import period_start
from crm_core.store.connection import Store

AS_OF = date(2024, 12, 31)


def tx(cid: str, day: str, amount: float = 100.0) -> dict:
    return {"transaction_id": f"{cid}-{day}", "customer_id": cid, "tx_date": day, "amount": amount,
            "cost": amount * 0.6}


@pytest.fixture()
def hand(store_factory):
    return store_factory(
        customers=[{"customer_id": c, "region": "North" if c in "AB" else "South"} for c in "ABCDE"],
        transactions=[tx("A", "2024-01-10", 100), tx("A", "2024-02-01", 50),
                      tx("B", "2024-01-05"), tx("B", "2024-05-01"), tx("B", "2024-06-01"), tx("B", "2024-12-20"),
                      tx("C", "2024-03-01"), tx("D", "2024-11-15"), tx("D", "2024-12-01")],
        churn_events=[{"customer_id": "C", "churn_date": "2024-06-15", "reason": "price"}],
        service_interactions=[{"customer_id": "B", "opened_at": "2024-07-10 09:00", "resolved_at": "2024-07-11 08:00",
                               "type": "complaint"}],
    )


def test_churn_events_by_hand(hand) -> None:
    ev = churn.churn_events(hand, AS_OF, 60).sort_values(["customer_id", "churn_date"])
    got = [(r.customer_id, str(r.churn_date.date()), r.reason, r.method,
            None if pd.isna(r.return_date) else str(r.return_date.date())) for r in ev.itertuples()]
    assert got == [("A", "2024-04-01", "unknown", "inactivity", None),
                   ("B", "2024-03-05", "unknown", "inactivity", "2024-05-01"),
                   ("B", "2024-07-31", "unknown", "inactivity", "2024-12-20"),
                   ("C", "2024-06-15", "price", "explicit", None)]      # C: judged by its event only
    a = ev[ev["customer_id"] == "A"].iloc[0]
    assert a["annual_revenue"] == pytest.approx(150 / 82 * 365.25)       # lifetime revenue / tenure
    assert a["annual_profit"] == pytest.approx(60 / 82 * 365.25)
    c = ev[ev["customer_id"] == "C"].iloc[0]                             # explicit: the totals on the event's date
    assert (c["annual_revenue"], c["annual_profit"]) == pytest.approx((100 / 106 * 365.25, 40 / 106 * 365.25))


def test_default_window_from_a_customer_sample_is_close(demo_db, monkeypatch) -> None:
    """Above SAMPLE_ABOVE_ROWS the window comes from every 20th customer's gaps: the same
    answer every time, and within 10% of the window from every customer."""
    store = Store(demo_db)
    exact = churn.default_window(store, demo.DEMO_END)
    monkeypatch.setattr(churn, "SAMPLE_ABOVE_ROWS", 0)
    sampled = churn.default_window(store, demo.DEMO_END)
    assert sampled == churn.default_window(store, demo.DEMO_END)
    assert abs(sampled - exact) <= 0.1 * exact, (sampled, exact)


def test_default_window_is_the_quantile_of_gaps(hand) -> None:
    # Gaps after purchases: A 22; B 117, 31, 202; D 16 -> 90% quantile 117 + 0.6 x 85 = 168.
    assert churn.default_window(hand, AS_OF) == 168
    with pytest.raises(InvalidParameterError):
        churn.churn_events(hand, AS_OF, 3)


def test_monthly_rates_by_hand(hand) -> None:
    m = churn.churn_rates(hand, AS_OF, 60, periods=12).set_index("start")
    april, june, july = (m.loc[pd.Timestamp(d)] for d in ("2024-04-01", "2024-06-01", "2024-07-01"))
    assert (april["active"], april["churned"], april["churn_rate"]) == (2, 1, 0.5)   # A, C active; A lapses
    assert (june["active"], june["churned"], june["churn_rate"]) == (2, 1, 0.5)      # B back, C leaves
    assert (july["active"], july["churned"], july["churn_rate"]) == (1, 1, 1.0)      # B lapses again
    assert not m["partial"].any()


def test_period_figures_reasons_and_complaints(hand) -> None:
    d = churn.churn_data(hand, AS_OF, period_days=180, window_days=60, years=2.0)
    assert (d.active, d.churned, d.churn_rate) == (1, 1, 1.0)        # B active on 4 July, lapses 31 July
    r = d.reasons.set_index("reason")
    assert list(d.reasons["reason"]) == list(churn.REASONS)           # every reason listed, unknown included
    assert r.loc["unknown", "customers"] == 1 and r["customers"].sum() == 1
    assert len(d.events) == 1 and len(d.history) == 4              # the period's churn; every churn
    year = churn.reason_summary(churn.churn_events(hand, AS_OF, 60), date(2023, 12, 31), AS_OF).set_index("reason")
    assert (year.loc["price", "customers"], year.loc["unknown", "customers"]) == (1, 2)   # C; A and B once each
    assert year.loc["price", "share"] == pytest.approx(1 / 3)
    assert d.lost_profit == pytest.approx(float(r["lost_annual_profit"].sum()) * 2.0)
    c = d.complaints.set_index("bucket")
    assert (c.loc["within_1d", "customers"], c.loc["within_1d", "churned"]) == (1, 1)
    assert c["customers"].sum() == d.active
    north = churn.churn_events(hand, AS_OF, 60, Filters.of(regions=["North"]))
    assert set(north["customer_id"]) == {"A", "B"}


def test_worked_example_and_break_even() -> None:
    assert churn.lost_value(6600, 0.05, 10_000) == (330, 3_300_000)
    be = churn.break_even(6600, 0.01, 10_000)
    assert be["customers_kept"] == pytest.approx(66) and be["break_even_budget"] == pytest.approx(660_000)
    assert churn.remaining_years(0.25) == 4.0 and churn.remaining_years(None) == 20.0
    with pytest.raises(InvalidParameterError):
        churn.lost_value(10, 1.5, 1)


def test_demo_reasons_recover_the_planted_shares(demo_db) -> None:
    store = Store(demo_db)
    ev = churn.churn_events(store, demo.DEMO_END, 120)
    explicit = ev[ev["method"] == "explicit"]
    summary = churn.reason_summary(explicit, date(2000, 1, 1), demo.DEMO_END).set_index("reason")
    expected = demo_events._exact_counts(demo.PLANTED_CHURN_REASON_SHARES, len(explicit))
    assert {k: int(summary.loc[k, "customers"]) for k in expected} == expected
    assert summary.loc["unknown", "customers"] == 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 400), st.one_of(st.none(), st.integers(1, 200))),
                min_size=1, max_size=40), st.integers(0, 500), st.integers(1, 200), st.integers(0, 10_000))
def test_fast_period_counts_equal_the_plain_definition(rows, start, length, seed) -> None:
    rng = np.random.default_rng(seed)
    n = 31
    first = np.array(rng.integers(0, 300, n), dtype="datetime64[D]")
    events = []
    last: dict[int, int] = {}
    for code, day, back in rows:      # a customer's churns come after their first purchase and previous return
        lo = max(int(first[code].astype(int)), last.get(code, -1) + 1)
        churn_day = lo + day
        back_day = None if back is None else churn_day + back
        events.append((code, churn_day, back_day))
        last[code] = back_day if back_day is not None else 10**6
        if back_day is None:
            last[code] = 10**6
    events = [e for e in events if e[1] < 10**5]
    df = pd.DataFrame({"code": [e[0] for e in events],
                       "churn_date": pd.to_datetime([np.datetime64(e[1], "D") for e in events]),
                       "return_date": pd.to_datetime([None if e[2] is None else np.datetime64(e[2], "D")
                                                      for e in events])})
    coded = ChurnHistory.from_events(df, first)
    active, churned = coded.period(start, start + length)
    base = coded.base(start)
    assert active == int(base.sum())
    assert churned == int((base & coded.churned(start, start + length)).sum())


def test_at_risk_ranks_active_customers_by_value_at_risk() -> None:
    from crm_core.exits import risk

    scores = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "p_alive": [0.9, 0.5, 0.2, 0.1],
                           "clv": [1000.0, 1000.0, 100.0, -50.0], "x": [4.0, 2.0, 0.0, 3.0],
                           "t_x": [40.0, 10.0, 0.0, 30.0], "T": [50.0, 30.0, 20.0, 60.0]})
    sig = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "region": "N", "channel": "web",
                        "customer_type": "consumer", "purchase_days": [5, 3, 1, 4], "recent_purchases": [0, 1, 0, 0],
                        "complaints": [0, 2, 0, 0], "open_cases": [0, 1, 0, 0]})
    r = risk.at_risk(scores, sig, time_unit="week", churned={"c"})
    assert list(r["customer_id"]) == ["b", "a", "d"]                   # c has churned: not "at risk" any more
    assert list(r["value_at_risk"]) == pytest.approx([500.0, 100.0, 0.0])   # negative CLV: nothing at risk
    b = r.iloc[0]
    assert b["recency_days"] == 140 and b["days_overdue"] == 140 - 35  # mean gap 10 weeks / 2 = 35 days
    # 3 purchase days over 210 days -> 1.29 expected in 90 days; 1 bought: ratio 0.78
    assert b["frequency_ratio"] == pytest.approx(1 / (3 * 90 / 210))
    assert (b["complaints"], b["open_cases"]) == (2, 1)
    # Rows not in the same order (no fast alignment): joined by id, the same answer; ties in
    # value at risk are broken by id either way.
    tied = scores.assign(clv=[0.0, 0.0, 0.0, 0.0])
    shuffled = sig.iloc[[3, 1, 0, 2]]
    joined = risk.at_risk(tied, shuffled, time_unit="week", churned={"c"})
    assert list(joined["customer_id"]) == ["a", "b", "d"]
    pd.testing.assert_frame_equal(joined, risk.at_risk(tied, sig, time_unit="week", churned={"c"}))
    pd.testing.assert_frame_equal(risk.at_risk(scores, shuffled, time_unit="week", churned={"c"}), r)


def test_churn_by_segment_and_tier_partitions_the_period(demo_db) -> None:
    """Churn rate per region, RFM segment and value tier at the period's start: the groups
    add up to the page's active and churned customers; reasons by tier add up to the
    reason totals; top customers churn less than small ones in the demo."""
    from datetime import timedelta

    store = Store(demo_db)
    as_of = date(2026, 9, 30)
    start = as_of - timedelta(days=365)
    d = churn.churn_data(store, as_of)
    prof = churn_groups.profile_at(store, start)
    ev = churn_groups.with_profile(d.events, prof)
    light = churn_groups.profile_at(store, start, scores=False)
    for dim in churn_groups.GROUP_DIMENSIONS:
        rates = churn_groups.rates_by_group(d.history, prof if dim in churn_groups.PROFILE_DIMENSIONS else light, start,
                                            as_of, dim)
        assert rates["active"].sum() == d.active and rates["churned"].sum() == d.churned, dim
        assert ((rates["churn_rate"] >= 0) & (rates["churn_rate"] <= 1)).all()
    tiers = churn_groups.rates_by_group(d.history, prof, start, as_of, "tier").set_index("group")
    assert tiers.loc["top", "churn_rate"] < tiers.loc["small", "churn_rate"]
    by_tier = churn_groups.by_dimension(ev, start, as_of, "tier")
    assert by_tier.sum().to_dict() == d.reasons.set_index("reason")["customers"].to_dict()
    assert list(by_tier.index[:4]) == ["top", "big", "medium", "small"]
    with pytest.raises(InvalidParameterError):
        churn_groups.by_dimension(d.events, start, as_of, "segment")   # segments need with_profile first


def _rates_by_pandas(events: pd.DataFrame, profile: pd.DataFrame, start: date, end: date,
                     dimension: str) -> pd.DataFrame:
    """Plain pandas over customer ids (the reference for the numpy version)."""
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    ev = events[["customer_id", "churn_date", "return_date"]]
    before = ev[ev["churn_date"] <= s].sort_values("churn_date", kind="stable").drop_duplicates("customer_id",
                                                                                                keep="last")
    gone = set(before.loc[before["return_date"].isna() | (before["return_date"] > s), "customer_id"].astype(str))
    churned = set(ev.loc[(ev["churn_date"] > s) & (ev["churn_date"] <= e), "customer_id"].astype(str))
    ids = profile["customer_id"].astype(str)
    active = profile["bought"].to_numpy() & ~ids.isin(gone).to_numpy()
    df = pd.DataFrame({"group": profile[dimension].astype(object).fillna("—").to_numpy()[active],
                       "churned": (active & ids.isin(churned).to_numpy())[active]})
    return df.groupby("group").agg(active=("churned", "size"), churned=("churned", "sum"))


def _counted_by_pandas(events: pd.DataFrame, first: pd.Series, start: date, end: date) -> pd.DataFrame:
    """Plain pandas reference for "churned in the period": the first churn in (start, end] of
    each customer active at ``start`` (bought by then; every earlier churn followed by a
    return on or before ``start``)."""
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    before = events[events["churn_date"] <= s]
    gone = set(before.loc[before["return_date"].isna() | (before["return_date"] > s), "customer_id"].astype(str))
    ids = events["customer_id"].astype(str)
    bought = ids.map(first).le(s).fillna(False).to_numpy(bool)
    inside = ((events["churn_date"] > s) & (events["churn_date"] <= e)).to_numpy()
    ev = events[inside & bought & ~ids.isin(gone).to_numpy()]
    return ev.sort_values(["churn_date"], kind="stable").drop_duplicates("customer_id", keep="first")


def test_churn_groups_equal_plain_pandas(demo_db) -> None:
    """Rates per group (masks and bincounts over the history's customer codes) and reasons
    per month (one bincount) equal a plain pandas computation over every churn's ids and
    strings, for every dimension, with the profile in the customers' order or shuffled; the
    page's events are exactly the period's churned customers, one churn each."""
    from datetime import timedelta

    store = Store(demo_db)
    as_of = date(2026, 9, 30)
    start = as_of - timedelta(days=365)
    d = churn.churn_data(store, as_of)
    every = churn.churn_events(store, as_of, d.window_days)
    first = pd.Series(dict(store.rows("SELECT customer_id, first_purchase FROM customers"))).map(pd.Timestamp)
    assert len(d.history) == len(every) > len(d.events)
    counted = _counted_by_pandas(every, first, start, as_of)
    key = lambda f: sorted(zip(f["customer_id"].astype(str), f["churn_date"]))  # noqa: E731
    assert key(d.events) == key(counted) and len(d.events) == d.churned == d.events["customer_id"].nunique()
    heavy = churn_groups.profile_at(store, start)
    light = churn_groups.profile_at(store, start, scores=False)
    shuffled = light.sample(frac=1.0, random_state=7).reset_index(drop=True)
    for dim in churn_groups.GROUP_DIMENSIONS:
        for prof in ([heavy] if dim in churn_groups.PROFILE_DIMENSIONS else [light, shuffled]):
            got = churn_groups.rates_by_group(d.history, prof, start, as_of, dim).set_index("group")
            want = _rates_by_pandas(every, prof, start, as_of, dim)
            assert sorted(got.index) == sorted(want.index), dim
            assert (got.loc[want.index, ["active", "churned"]].to_numpy() == want.to_numpy()).all(), dim
            assert got["churned"].sum() == d.churned and got["active"].sum() == d.active, dim
    for dim in churn.DIMENSIONS:
        got = churn_groups.by_dimension(d.events, start, as_of, dim)
        want = pd.crosstab(counted[dim].astype(object).fillna("—"), counted["reason"]).reindex(
            columns=list(churn.REASONS), fill_value=0)
        assert list(got.index) == sorted(want.index) and (got.to_numpy() == want.loc[got.index].to_numpy()).all()
        assert got.to_numpy().sum() == d.churned
    months = d.over_time
    assert list(months.columns) == list(churn.REASONS) and len(months) == 24
    for month, row in months.iterrows():
        eve = (month - pd.Timedelta(days=1)).date()
        end = min((month + pd.offsets.MonthEnd(0)).date(), as_of)
        want = _counted_by_pandas(every, first, eve, end)["reason"].value_counts().reindex(list(churn.REASONS),
                                                                                         fill_value=0)
        assert (row.to_numpy() == want.to_numpy()).all(), month
    monthly = d.monthly.set_index("start")["churned"]
    assert (months.sum(axis=1).to_numpy() == monthly.loc[months.index].to_numpy()).all() and monthly.sum() > 0


def test_churn_by_probability_alive_by_hand(hand) -> None:
    """Each purchase gets the window until the model's P(alive) falls below the threshold;
    a one-purchase customer keeps the fixed window; explicit events still win."""
    from crm_core.exits.alive import AliveRule, window_days
    from crm_core.value.bgnbd import BgNbdParams, p_alive

    params = BgNbdParams(r=0.5, alpha=6.0, a=0.7, b=2.0)
    rule = AliveRule(params, unit_days=7.0, threshold=0.5)
    # B: purchases on days 0, 117, 148, 350 (from 2024-01-05); after each, x = 0, 1, 2, 3 repeats.
    w = window_days(rule, np.array([1, 2, 3, 4]), np.array([0, 117, 148, 350]), fallback_days=60)
    assert w[0] == 60
    for n, since, days in zip((2, 3, 4), (117, 148, 350), w[1:]):
        T = lambda d: np.array([(since + d) / 7.0])
        x, t_x = np.array([n - 1.0]), np.array([since / 7.0])
        assert p_alive(params, x, t_x, T(days))[0] < 0.5 <= p_alive(params, x, t_x, T(days - 1))[0]
    ev = churn.churn_events(hand, AS_OF, 60, alive=rule).sort_values(["customer_id", "churn_date"])
    got = {(r.customer_id, str(r.churn_date.date()), r.method) for r in ev.itertuples()}
    b_first = pd.Timestamp("2024-01-05") + pd.Timedelta(days=60)          # one purchase so far: fixed window
    expected_b = {("B", str(b_first.date()), "p_alive")}
    for since, days, nxt in zip((117, 148), w[1:3], (148, 350)):
        if days < nxt - since:                                            # lapsed before the next purchase
            expected_b.add(("B", str((pd.Timestamp("2024-01-05") + pd.Timedelta(days=since + int(days))).date()),
                            "p_alive"))
    assert {g for g in got if g[0] == "B"} == expected_b
    assert ("C", "2024-06-15", "explicit") in got
    a_window = window_days(rule, np.array([2]), np.array([22]), 60)[0]   # A: 2024-01-10, 2024-02-01
    a_date = pd.Timestamp("2024-02-01") + pd.Timedelta(days=int(a_window))
    assert (("A", str(a_date.date()), "p_alive") in got) == (a_date <= pd.Timestamp(AS_OF))
    d = churn.churn_data(hand, AS_OF, window_days=60, alive=rule)
    assert d.definition == "p_alive" and d.threshold == 0.5
    with pytest.raises(InvalidParameterError):
        AliveRule(params, 7.0, threshold=1.5)


def test_a_higher_threshold_churns_sooner(demo_db_master) -> None:
    """On the demo: raising the P(alive) threshold shortens every window, so churns come earlier
    and the churn rate does not fall."""
    from crm_core.exits.alive import AliveRule
    from crm_core.value import clv

    store = Store(demo_db_master)
    as_of = date(2026, 9, 30)
    summary = clv.clv_summary(store, as_of, time_unit="week")
    model = clv.fit_models(summary, time_unit="week", calibration_end=as_of)
    rates = []
    for threshold in (0.2, 0.5, 0.8):
        d = churn.churn_data(store, as_of, window_days=120, alive=AliveRule(model.bgnbd.params, 7.0, threshold))
        assert set(d.events["method"].astype(str)) <= {"explicit", "p_alive"}
        rates.append(d.churn_rate)
    assert rates[0] <= rates[1] <= rates[2] and rates[0] < rates[2]


def test_profit_lost_by_clv_at_churn_agrees_with_the_clv_page(demo_db_master) -> None:
    """CLV at churn is what the Lifetime value page would score for the same history, divided by
    P(alive) (the customer is valued as if they had stayed); totals per reason add up."""
    from crm_core.exits.lost_value import clv_at_churn
    from crm_core.value import clv

    store = Store(demo_db_master)
    as_of = date(2026, 9, 30)
    model = clv.fit_models(clv.clv_summary(store, as_of, time_unit="week"), time_unit="week", calibration_end=as_of)
    events = pd.DataFrame({"purchase_days": [1, 3, 8], "tenure_days": [70, 200, 700], "revenue": [80.0, 450.0, 2400.0]})
    got = clv_at_churn(events, model, horizon_days=365.25, annual_discount=0.1)
    x = events["purchase_days"].to_numpy(float) - 1
    summary = pd.DataFrame({"customer_id": ["a", "b", "c"], "x": x, "t_x": [0.0, 150 / 7, 650 / 7],
                            "T": events["tenure_days"] / 7, "m": events["revenue"] / events["purchase_days"],
                            "revenue": events["revenue"]})
    page = clv.score(model, summary, horizon=365.25 / 7, annual_discount=0.1)
    assert got == pytest.approx((page["clv_gross"] / page["p_alive"]).to_numpy(), rel=1e-9)
    assert page["p_alive"].iloc[0] == 1.0 and (got > 0).all()
    years = churn.churn_data(store, as_of, window_days=120)
    by_clv = churn.churn_data(store, as_of, window_days=120, clv_model=model)
    assert (years.lost_profit_method, by_clv.lost_profit_method) == ("years", "clv")
    assert by_clv.reasons["customers"].tolist() == years.reasons["customers"].tolist()
    assert by_clv.lost_profit == pytest.approx(by_clv.reasons["lost_profit"].sum()) and by_clv.lost_profit > 0
    assert by_clv.lost_profit != pytest.approx(years.lost_profit)


_REASONS = ("price", "service", "other")


@settings(max_examples=int(os.environ.get("CRM_PROPERTY_EXAMPLES", 25)), deadline=None)  # more: set the variable
@given(purchases=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 700), st.integers(-50, 400)), min_size=1,
                          max_size=60),
       exits=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 700), st.sampled_from(_REASONS)), max_size=6),
       period=st.sampled_from([30, 90, 182, 365]), window=st.integers(20, 200), offset=st.integers(0, 120))
def test_the_churn_figures_add_up(tmp_path_factory, purchases, exits, period, window, offset) -> None:
    """On random histories (repeat buyers, returns, explicit exits, customers who come back):
    rate x active = churned = the reasons' customers = the rows of the churned list = the
    groups' churned; won back + lost = churned; lost profit / lost customers = the value per
    customer behind the break-even; each month's reason counts = that month's churned."""
    base = date(2023, 1, 1)
    as_of = date.fromordinal(base.toordinal() + 700 - offset)
    rows = [{"transaction_id": f"t{i}", "customer_id": f"c{c}", "tx_date": date.fromordinal(base.toordinal() + d),
             "amount": float(a), "cost": float(a) * 0.5} for i, (c, d, a) in enumerate(purchases)]
    ends = [{"customer_id": f"c{c}", "churn_date": date.fromordinal(base.toordinal() + d), "reason": r}
            for c, d, r in exits if any(p[0] == c for p in purchases)]
    from tests.conftest import make_store

    store = make_store(tmp_path_factory.mktemp("churn") / "h.duckdb", transactions=rows, churn_events=ends)
    try:
        d = churn.churn_data(store, as_of, period_days=period, window_days=window)
    except churn.NoDataError:
        return
    assert d.churned == int(d.reasons["customers"].sum()) == len(d.events) == d.events["customer_id"].nunique()
    if d.active:
        assert round(d.churn_rate * d.active) == d.churned <= d.active
    assert d.won_back + d.lost_customers == d.churned == int(d.reasons["won_back"].sum()) + d.lost_customers
    assert d.lost_per_customer * d.lost_customers == pytest.approx(d.lost_profit)
    assert d.lost_profit == pytest.approx(float(d.reasons["lost_profit"].sum()))
    start = period_start(as_of, period)       # the period's calendar span, as the page cuts it
    prof = churn_groups.profile_at(store, start, scores=False)
    for dim in ("region", "customer_type"):
        by_group = churn_groups.rates_by_group(d.history, prof, start, as_of, dim)
        assert int(by_group["churned"].sum()) == d.churned and int(by_group["active"].sum()) == d.active
    months = d.over_time.sum(axis=1)
    monthly = d.monthly.set_index("start")["churned"]
    assert (months.to_numpy() == monthly.loc[months.index].to_numpy()).all()
