"""The Churn page's ECharts builders on the demo database's real aggregates: values are the
aggregates, every reason keeps its colour, strict JSON, and group names (customer data)
never reach a tooltip template."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from crm_core.charts.churn import (
    INACTIVITY_APART,
    complaints_figure,
    dimension_bars,
    reason_area,
    reason_bars,
    reason_donut,
    trend_figure,
)
from crm_core.charts.palette import CHURN_REASON_COLORS
from crm_core.customers import overview
from crm_core.exits import churn
from crm_core.exits import groups as churn_groups
from crm_core.i18n import Translator
from crm_core.store.connection import Store

from .test_target_charts import plain_json, strings

KO = Translator("ko")


@pytest.fixture(scope="module")
def data(demo_db_master: Path) -> dict[str, Any]:
    store = Store(demo_db_master)
    as_of = overview.default_as_of(store)
    d = churn.churn_data(store, as_of)
    start = as_of - timedelta(days=365)
    prof = churn_groups.profile_at(store, start, scores=False, customers=d.customers)
    return {"d": d, "by_region": churn_groups.by_dimension(d.events, start, as_of, "region"),
            "rates": churn_groups.rates_by_group(d.history, prof, start, as_of, "region")}


def test_trend_bars_are_the_period_rates(data: dict[str, Any]) -> None:
    d = data["d"]
    for freq, rates in (("month", d.monthly), ("quarter", d.quarterly)):
        chart = trend_figure(rates, KO, freq)
        assert plain_json(chart.option) == chart.option
        bars = chart.option["series"][0]["data"]
        assert [b["value"][1] for b in bars] == pytest.approx(list(rates["churn_rate"] * 100))
        assert [b.get("itemStyle", {}).get("opacity") == 0.45 for b in bars] == list(rates["partial"])
        assert all(KO.percent(r) in b["value"][2] for b, r in zip(bars, rates["churn_rate"]))
    assert chart.option["xAxis"]["data"][0].endswith(("Q1", "Q2", "Q3", "Q4"))


@pytest.mark.parametrize("value", ["customers", "lost_revenue"])
def test_reason_bars_show_every_reason_in_its_colour(data: dict[str, Any], value: str) -> None:
    """Every stated reason is a bar in its colour. On the demo, inactivity (no stated reason)
    churned 3,106 customers against at most 215 for a stated reason: those are set beside the
    bars, in the subtitle with their share, so the stated reasons keep a readable scale. By lost
    revenue inactivity is not dominant, and it stays a bar."""
    reasons = data["d"].reasons
    chart = reason_bars(reasons, KO, value, "KRW", rate=1300.0)
    plain_json(chart.option)
    unknown = (reasons["reason"] == "unknown").to_numpy()
    apart = reasons.loc[unknown, value].sum() > INACTIVITY_APART * reasons.loc[~unknown, value].max()
    assert apart == (value == "customers")
    shown = reasons[~unknown] if apart else reasons
    bars = chart.option["series"][0]["data"]
    scale = 1300.0 if value == "lost_revenue" else 1.0
    assert [b["value"][1] for b in bars] == pytest.approx(list(shown[value] * scale))
    assert [b["itemStyle"]["color"] for b in bars] == [CHURN_REASON_COLORS[r] for r in shown["reason"]]
    labels = chart.option["xAxis"]["data"]     # wrapped between words only, never inside one
    for lab, r in zip(labels, shown["reason"]):
        name = KO.t(f"reason.{r}")
        assert lab.replace("\n", "").replace(" ", "") == name.replace(" ", ""), (lab, name)
        lines = lab.split("\n")
        for before, after in zip(lines, lines[1:]):
            assert before.endswith(("·", "/")) or after.startswith(("(", "（")) or f"{before} {after}" in name, (lab, name)
    assert chart.option["xAxis"]["axisLabel"]["interval"] == 0       # no reason loses its label
    subtitle = chart.option["title"].get("subtext", "")
    if apart:
        n = int(reasons.loc[unknown, "customers"].sum())
        assert KO.number(n) in subtitle and KO.percent(n / reasons["customers"].sum()) in subtitle
    else:
        assert subtitle == ""


def test_donut_shares_add_up_and_small_slices_keep_their_tooltip(data: dict[str, Any]) -> None:
    reasons = data["d"].reasons
    chart = reason_donut(reasons, KO)
    plain_json(chart.option)
    slices = chart.option["series"][0]["data"]
    shown = reasons[reasons["customers"] > 0]
    total = shown["customers"].sum()
    assert [s["value"] for s in slices] == list(shown["customers"].astype(float))
    for s, n in zip(slices, shown["customers"]):
        assert s["label"]["show"] == (n / total >= 0.05)
        assert KO.number(n) in s["tooltip"]["formatter"] and KO.percent(n / total) in s["tooltip"]["formatter"]


def test_reason_area_stacks_the_monthly_table(data: dict[str, Any]) -> None:
    table = data["d"].over_time
    chart = reason_area(table, KO)
    plain_json(chart.option)
    series = chart.option["series"]
    assert [s["name"] for s in series] == [KO.t(f"reason.{r}") for r in table.columns]
    assert all(s["stack"] == "reasons" for s in series)
    for s, reason in zip(series, table.columns):
        assert s["data"] == pytest.approx(list(table[reason].astype(float)))
    assert len(chart.option["xAxis"]["data"]) == len(table)


def test_group_bars_and_rates(data: dict[str, Any]) -> None:
    table, rates = data["by_region"], data["rates"]
    chart = dimension_bars(table, KO, "region", rates)
    plain_json(chart.option)
    *bars, diamonds = chart.option["series"]
    used = [r for r in table.columns if table[r].any()]
    assert [b["name"] for b in bars] == [KO.t(f"reason.{r}") for r in used]
    for b, reason in zip(bars, used):
        assert [v[1] for v in b["data"]] == pytest.approx(list(table[reason].astype(float)))
    by = rates.set_index("group")
    assert [v[1] for v in diamonds["data"]] == pytest.approx([by.loc[g, "churn_rate"] * 100 for g in table.index
                                                              if g in by.index])
    assert diamonds["yAxisIndex"] == 1


def test_group_names_are_data_never_template(data: dict[str, Any]) -> None:
    """A region named like markup is drawn as text: it is in the series data and axis
    categories, and no tooltip template contains it."""
    evil = '<img src=x onerror="alert(1)">{b}'
    table = data["by_region"].rename(index={data["by_region"].index[0]: evil})
    rates = data["rates"].assign(group=[evil if g == data["by_region"].index[0] else g for g in data["rates"]["group"]])
    chart = dimension_bars(table, KO, "region", rates)
    assert evil in chart.option["xAxis"]["data"]
    assert any(v[0] == evil for s in chart.option["series"] for v in s["data"])
    assert not any(evil in f or "<img" in f for f in strings(chart.option, "formatter"))


def test_complaint_buckets(data: dict[str, Any]) -> None:
    df = data["d"].complaints
    chart = complaints_figure(df, KO)
    plain_json(chart.option)
    shown = df[df["customers"] > 0]
    bars = chart.option["series"][0]["data"]
    assert [b["value"][1] for b in bars] == pytest.approx(list(shown["churn_rate"] * 100))
    assert [b["value"][0] for b in bars] == [KO.t(f"churn.bucket.{x}") for x in shown["bucket"]]
    assert [b["value"][2] for b in bars] == [f"{KO.percent(r)} ({KO.number(c)}/{KO.number(n)})"
                                             for r, c, n in zip(shown["churn_rate"], shown["churned"], shown["customers"])]
