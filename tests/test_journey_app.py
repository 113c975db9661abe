"""AppTest for the Lifecycle and Cohorts pages: figures from crm_core, lists behind a flow and
a cell, the chart-click readers, and Korean labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_app.journey import picked_cell, picked_link
from crm_core.customers import overview
from crm_core.exits import churn
from crm_core.i18n import catalogue
from crm_core.journey import cohorts as co
from crm_core.journey import lifecycle as lc
from crm_core.periods import period_start
from crm_core.store.connection import Store

from .test_app import run_app


def test_lifecycle_page_shows_the_stages_and_lists_a_flow(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    en = catalogue("en")
    at = run_app(monkeypatch, demo_db)
    at.switch_page("pages/lifecycle.py").run()
    assert not at.exception, [e.value for e in at.exception]
    store = Store(demo_db)
    as_of = overview.default_as_of(store)
    sizes = lc.stage_sizes(store, as_of, window_days=churn.default_window(store, as_of))
    cards = {m.label: m.value for m in at.metric}
    for stage in lc.STAGES:
        assert cards[en[f"stage.{stage}"]] == f"{int(sizes.iloc[-1][stage]):,}"
    assert cards[en["lifecycle.known"]] == f"{int(sizes.iloc[-1].sum()):,}"
    assert len(at.get("echarts_chart")) == 2
    flow = at.selectbox(key="lc_flow")
    source, target = flow.value.split(">")
    assert source != target and source in (lc.FLOW_START, *lc.STAGES) and target in lc.STAGES   # a real move first
    flow.set_value("active>churned").run()           # the list follows the chosen flow
    assert not at.exception
    count = [c.value for c in at.caption if c.value.endswith(en["list.count"].split("}")[-1])]
    life = lc.lifecycle(store, (period_start(as_of, 365), as_of), window_days=churn.default_window(store, as_of))
    n = int(lc.flows(life).query("source == 'active' and target == 'churned'")["customers"].sum())
    assert count and count[0].startswith(f"{n:,} ")


def test_cohorts_page_shows_the_heatmap_and_lists_a_cell(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    en = catalogue("en")
    at = run_app(monkeypatch, demo_db)
    at.switch_page("pages/cohorts.py").run()
    assert not at.exception, [e.value for e in at.exception]
    store = Store(demo_db)
    t = co.cohorts(store, overview.default_as_of(store))
    heat = at.get("echarts_chart")[0]
    assert len(at.get("echarts_chart")) == 2 and heat.proto is not None
    newest = t.sizes.index[-1]
    assert at.selectbox(key="co_cohort_month").value == newest
    older = t.sizes.index[-4]
    at.selectbox(key="co_cohort_month").set_value(older).run()
    at.selectbox(key="co_k_month").set_value(2).run()
    assert not at.exception
    count = [c.value for c in at.caption if c.value.endswith(en["list.count"].split("}")[-1])]
    assert count and count[0].startswith(f"{int(t.buyers.loc[older, 2]):,} ")


def test_the_pages_speak_korean(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    ko = catalogue("ko")
    at = run_app(monkeypatch, demo_db, lang="ko")
    at.switch_page("pages/lifecycle.py").run()
    assert not at.exception and at.title[0].value == ko["page.lifecycle"]
    assert ko["stage.won_back"] in [m.label for m in at.metric]
    at.switch_page("pages/cohorts.py").run()
    assert not at.exception and at.title[0].value == ko["page.cohorts"]


def test_chart_clicks_are_read_only_from_links_and_cells() -> None:
    edge = {"selection": {"selected": [{"series_index": 0, "data_type": "edge", "data_indices": [4]}], "areas": []}}
    node = {"selection": {"selected": [{"series_index": 0, "data_type": "node", "data_indices": [1]}], "areas": []}}
    assert picked_link(edge) == 4 and picked_link(node) is None and picked_link(None) is None
    assert picked_link({"selection": {"selected": [], "areas": []}}) is None
    cell = {"selection": {"selected": [{"series_index": 0, "data_type": "main", "data_indices": [7]}], "areas": []}}
    assert picked_cell(cell) == 7 and picked_cell({}) is None


def test_funnel_page_shows_the_steps_and_lists_whom_to_move_on(monkeypatch: pytest.MonkeyPatch,
                                                             demo_db: Path) -> None:
    from crm_core.journey import funnel as fn

    en = catalogue("en")
    at = run_app(monkeypatch, demo_db, lang="ko")
    at.switch_page("pages/funnel.py").run()
    assert not at.exception and at.title[0].value == catalogue("ko")["page.funnel"]
    at.session_state["lang"] = "en"
    at.switch_page("pages/funnel.py").run()
    assert not at.exception, [e.value for e in at.exception]
    store = Store(demo_db)
    as_of = overview.default_as_of(store)
    f = fn.funnel(store, as_of, window_days=churn.default_window(store, as_of))
    table = next(d.value for d in at.dataframe if en["funnel.col.step"] in d.value.columns)
    assert table[en["col.customers"]].tolist() == [f"{n:,}" for n in f.steps["customers"]]
    at.selectbox(key="fn_stopped").set_value("repeat_buyer").run()
    count = [c.value for c in at.caption if c.value.endswith(en["list.count"].split("}")[-1])]
    assert count and count[0].startswith(f"{len(f.stopped_at('repeat_buyer')):,} ")


def test_customer_360_page_opens_a_searched_customer(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    from crm_core.journey import customer as c360

    en = catalogue("en")
    store = Store(demo_db)
    cid = str(store.df("SELECT customer_id FROM customers WHERE first_purchase IS NOT NULL "
                       "ORDER BY customer_id LIMIT 1 OFFSET 40")["customer_id"][0])
    at = run_app(monkeypatch, demo_db, c360_q=cid)
    at.switch_page("pages/customer.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="c360_pick").value == cid
    as_of = overview.default_as_of(store)
    rec = c360.record(store, cid, as_of, window_days=churn.default_window(store, as_of))
    assert at.subheader[0].value == en["c360.stage_now"].format(stage=en[f"stage.{rec.stage}"])
    cards = {m.label: m.value for m in at.metric}
    assert cards[en["c360.purchases"]] == f"{int(rec.profile['purchase_days']):,}"
    assert len(at.get("echarts_chart")) == 2
    at.session_state["c360_q"] = "no such customer at all"
    at.switch_page("pages/customer.py").run()
    assert at.warning[0].value == en["c360.none_found"]


def test_a_one_purchase_customer_is_told_why_probability_active_is_100(monkeypatch: pytest.MonkeyPatch,
                                                                        demo_db: Path) -> None:
    """BG/NBD counts a customer without a repeat purchase as alive (P(alive) = 1), beside a
    stage that may say churned: the screen says why, for such a customer only."""
    en = catalogue("en")
    store = Store(demo_db)
    as_of = overview.default_as_of(store)
    counts = store.df("SELECT c.customer_id, d.purchase_days FROM customer_days d JOIN customers c USING (customer_key) "
                      "WHERE d.day <= $as_of AND d.next_day > $as_of ORDER BY c.customer_id", {"as_of": as_of})
    once = counts[counts.purchase_days == 1].customer_id.tolist()
    many = counts[counts.purchase_days >= 3].customer_id.tolist()
    assert once and many
    shown = {}
    for cid in (once[0], once[len(once) // 2], many[0]):
        at = run_app(monkeypatch, demo_db, c360_q=cid)
        at.switch_page("pages/customer.py").run()
        assert not at.exception, [e.value for e in at.exception]
        cards = {m.label: m.value for m in at.metric}
        shown[cid] = (cards[en["c360.p_alive"]], en["c360.one_purchase"] in [c.value for c in at.caption])
    for cid in (once[0], once[len(once) // 2]):
        p_alive, told = shown[cid]
        assert told == (p_alive != "—"), (cid, shown[cid])
        assert p_alive in ("—", "100%", "100.0%"), (cid, p_alive)
    assert shown[many[0]][1] is False
    assert any(told for _p, told in shown.values())


def test_every_customer_list_links_to_the_360_screen(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    at = run_app(monkeypatch, demo_db, lang="ko")
    at.switch_page("pages/lifecycle.py").run()
    preview = next(d.value for d in at.dataframe if "open" in d.value.columns)
    first = preview.iloc[0]
    assert first["open"] == f"customer?id={first['customer_id']}&lang=ko"
