"""Lifetime value and Profitability quadrants in a real browser: the pages render in the
user's language, the model tabs work, and a box drawn on the quadrant chart lists (and
downloads) exactly the customers inside it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from playwright.sync_api import Page, expect

from crm_core.customers.overview import default_as_of
from crm_core.store.connection import Store
from crm_core.value import quadrants
from crm_core.value.costs import CostAssumptions, default_unit_costs

from .conftest import Server, screenshot, wait_ready
from .test_targets_browser import open_page


def test_clv_page_in_traditional_chinese(page: Page, server: Server, console_errors: list[str]) -> None:
    zh = open_page(page, server, "zh_Hant", "page.clv")
    wait_ready(page, zh["clv.kpi.total"])
    expect(page.get_by_text(zh["clv.histogram_title"], exact=True)).to_be_visible()
    screenshot(page, "clv-zh_Hant")
    page.get_by_test_id("stButtonGroup").get_by_text(zh["clv.tab.model"], exact=True).click()
    expect(page.get_by_text(zh["clv.calibration_title"], exact=True)).to_be_visible()
    expect(page.get_by_text(zh["clv.fit_caption"].split("{")[0], exact=False).first).to_be_visible()
    screenshot(page, "clv-model-zh_Hant")
    page.get_by_test_id("stButtonGroup").get_by_text(zh["clv.tab.check"], exact=True).click()
    expect(page.get_by_text(zh["clv.holdout_title"], exact=True)).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stMetric").filter(has_text=zh["clv.check.mae"])).to_be_visible()
    wait_ready(page)
    screenshot(page, "clv-check-zh_Hant")


def test_quadrant_box_selection_lists_and_downloads_the_customers(page: Page, server: Server, e2e_db: Path,
                                                                   console_errors: list[str]) -> None:
    en = open_page(page, server, "en", "page.quadrants")
    wait_ready(page, en["quad.select_hint"])
    store = Store(e2e_db)
    frame = quadrants.quadrant_frame(store, default_as_of(store), 365,
                                     assumptions=CostAssumptions(unit_costs=default_unit_costs(store)))
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart.get_by_text(en["quad.title_a"])).to_be_visible()
    screenshot(page, "quadrants-en")
    # Box-select the whole plotting area: every customer is inside, including those drawn on the edges.
    chart.locator('.modebar-btn[data-val="select"]').click(force=True)
    area = chart.locator(".nsewdrag").first.bounding_box()
    assert area is not None
    page.mouse.move(area["x"] + 2, area["y"] + 2)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2, steps=5)
    page.mouse.move(area["x"] + area["width"] - 2, area["y"] + area["height"] - 2, steps=5)
    page.mouse.up()
    expect(page.get_by_text(en["quad.selected"], exact=True)).to_be_visible(timeout=30_000)
    expect(page.get_by_text(f"{len(frame):,} customers", exact=False).first).to_be_visible(timeout=30_000)
    wait_ready(page)
    with page.expect_download() as info:
        page.get_by_role("button", name=en["list.download_csv"]).first.click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_bytes().decode("utf-8-sig"))))
    assert {r["customer_id"] for r in rows} == set(frame["customer_id"])
    assert {r["quadrant"] for r in rows} <= set(quadrants.QUADRANTS_A)
    assert {"cost_to_serve", "net_profit", "email"} <= set(rows[0])
