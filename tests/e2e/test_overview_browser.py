"""The Overview in a real browser, in each of the four languages."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from crm_core.i18n import LANGUAGES, catalogue

from .conftest import Server, nav_link, screenshot, wait_ready


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_overview_renders_in_every_language(page: Page, server: Server, console_errors: list[str], lang: str) -> None:
    cat = catalogue(lang)
    page.goto(f"{server.url}/?lang={lang}")
    wait_ready(page, cat["kpi.lapse_rate"])
    for key in ("kpi.customers", "kpi.active_customers", "kpi.revenue", "kpi.gross_profit", "kpi.repeat_rate",
                "kpi.lapse_rate", "kpi.average_order_value"):
        expect(page.get_by_test_id("stMetricLabel").filter(has_text=cat[key]).first).to_be_visible()
    charts = page.get_by_test_id("stEChartsChart")
    expect(charts).to_have_count(2)
    # drawn as SVG: the titles and axis labels are text in the page, in the language
    expect(charts.first.locator("svg text").filter(has_text=cat["chart.trend.title"])).to_have_count(1)
    expect(charts.nth(1).locator("svg text").filter(has_text=cat["chart.pareto.title_revenue"])).to_have_count(1)
    # Sidebar navigation and labels are translated too.
    expect(nav_link(page, cat["page.data"])).to_be_visible()
    screenshot(page, f"overview-{lang}")
