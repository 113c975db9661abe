"""Period boundaries are calendar spans: "the last 12 months" to 31 December 2024 is all of
2024, leap day and New Year's Day included, on every page that cuts a period."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_core.customers import overview
from crm_core.customers.base import customer_base
from crm_core.exits import churn
from crm_core.periods import months_back, period_start
from crm_core.value.costs import cost_to_serve

from .conftest import make_store


@pytest.mark.parametrize("as_of, days, want", [
    (date(2024, 12, 31), 365, date(2023, 12, 31)),     # all of 2024: 366 days
    (date(2024, 2, 29), 365, date(2023, 2, 28)),
    (date(2024, 4, 30), 30, date(2024, 3, 31)),        # month end to month end
    (date(2024, 3, 31), 30, date(2024, 2, 29)),
    (date(2024, 3, 15), 90, date(2023, 12, 15)),
    (date(2024, 8, 31), 182, date(2024, 2, 29)),
    (date(2024, 3, 15), 100, date(2024, 3, 15) - timedelta(days=100)),   # not a calendar choice: days
])
def test_period_start(as_of: date, days: int, want: date) -> None:
    assert period_start(as_of, days) == want


@given(day=st.dates(date(1990, 1, 1), date(2100, 12, 31)), months=st.integers(0, 60))
def test_months_back_lands_in_the_right_month_and_stays_put_when_it_can(day: date, months: int) -> None:
    got = months_back(day, months)
    assert (day.year * 12 + day.month) - (got.year * 12 + got.month) == months
    last = calendar.monthrange(got.year, got.month)[1]
    if day.day == calendar.monthrange(day.year, day.month)[1]:
        assert got.day == last                            # month ends stay month ends
    else:
        assert got.day == min(day.day, last)              # clamped only when the month is shorter
    assert months_back(day, 0) == day


def test_a_leap_year_keeps_new_years_day_in_the_last_12_months(tmp_path: Path) -> None:
    """Purchases on 1 January and 31 December 2024; as of 31 December 2024 both are in the
    last 12 months (365 days back would start on 2 January and drop the first)."""
    store = make_store(tmp_path / "leap.duckdb", transactions=[
        {"transaction_id": "T1", "customer_id": "A", "tx_date": "2024-01-01", "amount": 100, "cost": 60},
        {"transaction_id": "T2", "customer_id": "A", "tx_date": "2024-12-31", "amount": 50, "cost": 30},
        {"transaction_id": "T3", "customer_id": "B", "tx_date": "2023-12-31", "amount": 7, "cost": 1},
    ])
    as_of = date(2024, 12, 31)
    k = overview.kpis(store, as_of, period_days=365)
    assert k.current.revenue == pytest.approx(150.0) and k.current.active_customers == 1
    assert k.previous.revenue == pytest.approx(7.0)           # all of 2023: the day before counts there
    base = customer_base(store, as_of, period_days=365).set_index("customer_id")
    assert base.loc["A", "period_revenue"] == pytest.approx(150.0)
    assert base.loc["B", "period_revenue"] == pytest.approx(0.0)
    pareto = overview.pareto(store, as_of, period_days=365)
    assert pareto.total == pytest.approx(150.0) and pareto.customers == 1
    costs = cost_to_serve(store, as_of, 365)
    assert set(costs["customer_id"]) <= {"A"}        # B's only cost is in 2023
    assert overview.summary(store, as_of, period_days=365)["previous"]["as_of"] == "2023-12-31"


def test_churn_period_is_the_calendar_year(tmp_path: Path) -> None:
    """A churn event on 1 January 2024 is in the 12 months to 31 December 2024."""
    store = make_store(tmp_path / "c.duckdb", transactions=[
        {"transaction_id": "T1", "customer_id": "A", "tx_date": "2023-06-01", "amount": 100},
        {"transaction_id": "T2", "customer_id": "B", "tx_date": "2023-06-01", "amount": 100},
        {"transaction_id": "T3", "customer_id": "B", "tx_date": "2024-06-01", "amount": 100}],
        churn_events=[{"customer_id": "A", "churn_date": "2024-01-01", "reason": "price"}])
    s = churn.summary(store, date(2024, 12, 31), period_days=365)
    assert s["churned"] == 1 and s["reasons"][0]["reason"] == "price"
