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
