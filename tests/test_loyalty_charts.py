"""The Loyalty page's ECharts builders on the demo database's programs: the waterfall's
floating bars span each running total (below zero too), the event study is indexed to the
pre-enrolment mean, ROI bars are the yearly nets, the balance points the standardised
differences; strict JSON throughout."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from crm_core.charts.loyalty import balance_figure, event_figure, roi_figure, waterfall_figure
from crm_core.charts.palette import SERIES
from crm_core.customers import overview
from crm_core.i18n import Translator
from crm_core.loyalty import report as loyalty_report
from crm_core.loyalty.roi import COST_TYPES
from crm_core.store.connection import Store

from .test_target_charts import plain_json

EN = Translator("en")


@pytest.fixture(scope="module")
def report(demo_db_master: Path) -> Any:
    store = Store(demo_db_master)
    rep = loyalty_report.analyse(store, overview.default_as_of(store))
    assert rep.programs and any(p.estimate is not None for p in rep.programs)
    return rep


def spans(chart: Any) -> list[float]:
    """(bottom, top) of each visible waterfall bar, the invisible base plus the bar, flattened
    to one list (pytest.approx compares flat sequences only)."""
    base, bars = chart.option["series"]
    return [x for b, v in zip(base["data"], bars["data"]) for x in (b, b + v["value"][1])]


def test_waterfall_steps_follow_the_running_total(report: Any) -> None:
    for p in report.programs:
        m = p.money
        chart = waterfall_figure(m, EN, "USD", rate=2.0)
        assert plain_json(chart.option) == chart.option
        steps = [m.incremental_profit or 0.0, m.fees] + [-m.costs[c] for c in COST_TYPES if m.costs.get(c, 0.0)]
        running, expected = 0.0, []
        for v in steps:
            expected.append(tuple(sorted((running, running + 2 * v))))
            running += 2 * v
        expected.append(tuple(sorted((0.0, running))))
        assert spans(chart) == pytest.approx([x for pair in expected for x in pair])
        assert chart.option["series"][1]["data"][-1]["value"][2] == EN.money(running, "USD", compact=True)
        assert all(s["stackStrategy"] == "all" for s in chart.option["series"])


def test_waterfall_below_zero(report: Any) -> None:
    """Costs larger than the profit: the net bar hangs below zero, from the net to zero."""
    m = replace(report.programs[0].money, incremental_profit=100.0, fees=0.0,
                costs={c: (250.0 if c == COST_TYPES[0] else 0.0) for c in COST_TYPES})
    chart = waterfall_figure(m, EN, "USD")
    assert spans(chart) == pytest.approx([0, 100, 100, 100, -150, 100, -150, 0])
    colours = [b["itemStyle"]["color"] for b in chart.option["series"][1]["data"]]
    assert colours == [SERIES["positive"], SERIES["positive"], SERIES["negative"], SERIES["primary"]]


def test_event_study_is_indexed_to_the_months_before(report: Any) -> None:
    e = next(p.estimate for p in report.programs if p.estimate is not None)
    chart = event_figure(e.event, EN, "USD")
    plain_json(chart.option)
    members, control = chart.option["series"]
    before = e.event["k"].to_numpy() < 0
    for series, col in ((members, "members"), (control, "control")):
        y = np.array([v[1] for v in series["data"]], dtype=float)
        assert [v[0] for v in series["data"]] == list(e.event["k"])
        assert np.nanmean(y[before]) == pytest.approx(100.0)
        money = e.event[col].to_numpy(float)
        assert y == pytest.approx(money / np.nanmean(money[before]) * 100)
    assert members["markArea"]["data"] == [[{"xAxis": -0.5}, {"xAxis": 0.5}]]
    assert members["markLine"]["data"] == [{"yAxis": 100}]


def test_roi_bars_are_the_yearly_nets(report: Any) -> None:
    m = next(p.money for p in report.programs if p.verdict.trusted)
    chart = roi_figure(m.yearly, m.monthly, EN, "KRW", rate=1300.0)
    plain_json(chart.option)
    bars, line = chart.option["series"]
    assert [b["value"][1] for b in bars["data"]] == pytest.approx(list(m.yearly["net"] * 1300.0))
    assert [b["value"][0] for b in bars["data"]] == [str(y) for y in m.yearly["year"]]
    finite = [r for r in m.yearly["roi"] if np.isfinite(r)]
    assert [b["value"][3] for b in bars["data"] if b["value"][3]] == [EN.t("loyalty.roi_label", roi=EN.percent(r))
                                                                      for r in finite]
    assert line["data"][-1][1] == pytest.approx(float(m.monthly["cumulative"].iloc[-1]) * 1300.0)


def test_balance_points_are_the_standardised_differences(report: Any) -> None:
    e = next(p.estimate for p in report.programs if p.estimate is not None)
    chart = balance_figure(e.balance, EN)
    plain_json(chart.option)
    before, after = chart.option["series"]
    assert [v[0] for v in before["data"]] == pytest.approx(list(e.balance["before"]))
    assert [v[0] for v in after["data"]] == pytest.approx(list(e.balance["after"]))
    assert chart.option["yAxis"]["data"] == [EN.t(f"loyalty.cov.{c}") for c in e.balance["covariate"]]
    assert before["markArea"]["data"] == [[{"xAxis": -0.1}, {"xAxis": 0.1}]]
