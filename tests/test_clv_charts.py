"""The Lifetime value page's ECharts builders on a model fitted to the demo database: the
histogram counts every customer once, the surfaces are the model's, the checks are the
calibration and holdout tables; strict JSON throughout."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crm_core.charts.clv import calibration_figure, clv_histogram, holdout_figure, matrix_figure
from crm_core.charts.echarts import BLUES, RED_YELLOW_GREEN
from crm_core.customers import overview
from crm_core.i18n import Translator
from crm_core.store.connection import Store
from crm_core.value import clv

from .test_target_charts import plain_json

KO = Translator("ko")


@pytest.fixture(scope="module")
def result(demo_db_master: Path) -> clv.ClvResult:
    store = Store(demo_db_master)
    as_of = overview.default_as_of(store)
    res = clv.run_clv(store, as_of - timedelta(weeks=26), holdout_end=as_of)
    assert res.holdout is not None
    return res


def test_histogram_counts_every_customer_once(result: clv.ClvResult) -> None:
    values = result.scores["clv"]
    chart = clv_histogram(values, KO, "KRW", rate=1300.0)
    assert plain_json(chart.option) == chart.option
    bars = chart.option["series"][0]["data"]
    assert len(bars) == 40 and len(chart.option["xAxis"]["data"]) == 40
    assert sum(b[1] for b in bars) == np.isfinite(values.to_numpy(float)).sum()   # extremes folded in, not dropped
    lo, hi = np.percentile(values.to_numpy(float) * 1300.0, [1, 99])
    assert bars[0][2].startswith(KO.money(lo, "KRW", compact=True))
    assert bars[-1][2].endswith(KO.money(hi, "KRW", compact=True))
    assert clv_histogram(pd.Series([], dtype=float), KO, "USD").option["series"][0]["data"] == []


@pytest.mark.parametrize("measure", ["expected_purchases", "p_alive"])
def test_surface_cells_are_the_model(result: clv.ClvResult, measure: str) -> None:
    T = float(result.scores["T"].max())
    mats = clv.frequency_recency_matrix(result.model, T, horizon=52, max_x=12)
    m = mats[measure]
    chart = matrix_figure(m, measure, KO, "week")
    plain_json(chart.option)
    cells = chart.option["series"][0]["data"]
    assert len(cells) == m.size
    z = m.to_numpy(float)
    assert all(c[2] == pytest.approx(z[c[1], c[0]]) for c in cells)
    vm = chart.option["visualMap"]
    assert vm["max"] == (1.0 if measure == "p_alive" else pytest.approx(z.max()))
    assert vm["inRange"]["color"] == (RED_YELLOW_GREEN if measure == "p_alive" else BLUES)
    assert chart.option["yAxis"]["data"] == [KO.number(i) for i in m.index]


def test_fit_checks_are_the_tables(result: clv.ClvResult) -> None:
    cal = result.calibration
    chart = calibration_figure(cal, KO)
    plain_json(chart.option)
    actual, model = chart.option["series"]
    assert [v[1] for v in actual["data"]] == pytest.approx(list(cal["actual"].astype(float)))
    assert [v[1] for v in model["data"]] == pytest.approx(list(cal["expected"].astype(float)))
    h = result.holdout.by_frequency
    chart = holdout_figure(h, KO)
    plain_json(chart.option)
    actual, predicted = chart.option["series"]
    assert chart.option["xAxis"]["data"] == [str(f) for f in h["frequency"]]
    assert [v[1] for v in actual["data"]] == pytest.approx(list(h["actual"]))
    assert [v[1] for v in predicted["data"]] == pytest.approx(list(h["predicted"]))
    assert predicted["lineStyle"]["type"] == "dashed"

