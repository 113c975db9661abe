"""Lifetime value and Profitability quadrants in a real browser: the pages render in the
user's language, the model tabs work, and a box drawn on the quadrant chart lists (and
downloads) exactly the customers inside it."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from crm_core.charts.quadrants import GRID, quadrant_chart
from crm_core.customers.overview import default_as_of
from crm_core.i18n import translator
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


def chart_extent(frame: pd.DataFrame) -> tuple[tuple[float, float], tuple[float, float]]:
    """The axis ranges (signed-log coordinates) of the page's default chart A of ``frame``."""
    quadrant, xs, ys = quadrants.classify(frame, "a", quadrants.Split(), quadrants.Split())
    option = quadrant_chart(frame, quadrant, "a", xs, ys, translator("en"), "USD", log=True).option
    x, y = option["xAxis"][0], option["yAxis"][0]
    return (x["min"], x["max"]), (y["min"], y["max"])


def plot_area(chart: Locator) -> tuple[float, float, float, float]:
    """Left, top, right, bottom of the plotting area on the page (the builder's fixed margins)."""
    box = chart.bounding_box()
    assert box is not None
    return (box["x"] + GRID["left"], box["y"] + GRID["top"], box["x"] + box["width"] - GRID["right"],
            box["y"] + box["height"] - GRID["bottom"])


def tool_centres(chart: Locator) -> list[tuple[float, float]]:
    """Page coordinates of the chart's tools (box, lasso, clear), found where they are drawn:
    the canvas has no elements to click, so the top-right corner of a screenshot is read for
    the icons' strokes (dark columns, grouped where they are at most 6 px apart)."""
    box = chart.bounding_box()
    assert box is not None
    pixels = np.asarray(Image.open(io.BytesIO(chart.screenshot())).convert("L"))
    corner = pixels[:GRID["top"] - 4, -170:] < 200
    cols, rows = np.nonzero(corner.any(axis=0))[0], np.nonzero(corner.any(axis=1))[0]
    groups: list[list[int]] = []
    for c in cols:
        if groups and c <= groups[-1][1] + 6:
            groups[-1][1] = c
        else:
            groups.append([c, c])
    offset = pixels.shape[1] - 170
    y = box["y"] + (rows.min() + rows.max()) / 2
    return [(box["x"] + offset + (a + b) / 2, y) for a, b in groups]


def test_quadrant_box_selection_lists_and_downloads_the_customers(page: Page, server: Server, e2e_db: Path,
                                                                   console_errors: list[str]) -> None:
    en = open_page(page, server, "en", "page.quadrants")
    wait_ready(page, en["quad.select_hint"])
    store = Store(e2e_db)
    frame = quadrants.quadrant_frame(store, default_as_of(store), 365,
                                     assumptions=CostAssumptions(unit_costs=default_unit_costs(store)))
    chart = page.get_by_role("img", name=en["quad.title_a"])
    expect(chart).to_be_visible()
    chart.scroll_into_view_if_needed()
    screenshot(page, "quadrants-en")
    tools = tool_centres(chart)
    assert len(tools) == 3, tools                        # box, lasso, clear
    # The box tool, then a box over the whole plotting area: every customer is inside,
    # including those drawn on the edges.
    page.mouse.click(*tools[0])
    left, top, right, bottom = plot_area(chart)
    page.mouse.move(left + 2, top + 2)
    page.mouse.down()
    page.mouse.move((left + right) / 2, (top + bottom) / 2, steps=5)
    page.mouse.move(right - 2, bottom - 2, steps=5)
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
    # The lasso tool, then a triangle over the lower-left half of the area: the list holds
    # exactly the customers inside that triangle as drawn (straight edges on the log axes).
    chart.scroll_into_view_if_needed()               # the download's rerun may have moved it
    page.mouse.click(*tool_centres(chart)[1])
    left, top, right, bottom = plot_area(chart)
    corners = [(left + 4, top + 4), (right - 4, bottom - 4), (left + 4, bottom - 4)]
    page.mouse.move(*corners[0])
    page.mouse.down()
    for x, y in corners[1:] + corners[:1]:
        page.mouse.move(x, y, steps=12)
    page.mouse.up()
    (x0, x1), (y0, y1) = chart_extent(frame)
    drawn = {"x": [x0 + (x - left) / (right - left) * (x1 - x0) for x, _ in corners],
             "y": [y0 + (bottom - y) / (bottom - top) * (y1 - y0) for _, y in corners]}
    inside = int(quadrants.select_region(frame, "a", lassos=[drawn], log=True).sum())
    assert 100 < inside < len(frame) - 100        # a real part of the customers, not all
    count = page.get_by_text(" customers (showing", exact=False).first
    expect(count).not_to_have_text(re.compile(f"^{len(frame):,} customers"), timeout=30_000)
    wait_ready(page)
    shown = int(count.inner_text().split(" ")[0].replace(",", ""))
    # Within a pixel of the edges a customer may fall either way (the mouse path is sampled).
    assert abs(shown - inside) <= max(3, inside // 200), (shown, inside)


def test_a_customer_id_like_markup_stays_text_in_the_quadrant_tooltip(page: Page, tmp_path: Path,
                                                                       console_errors: list[str]) -> None:
    """Customer ids travel in the chart's Arrow datasets and reach the tooltip only through
    placeholders: an id written like markup shows as text, no element is made, no script runs."""
    from datetime import date, timedelta

    from tests.conftest import make_store

    from .conftest import Server

    evil = '<img src=x onerror="window.__xss=1">'
    start = date(2025, 1, 6)
    transactions = [{"transaction_id": f"T{i}-{k}", "customer_id": f"{evil}{i}", "tx_date": start + timedelta(days=9 * k + i),
                     "amount": 10.0 + 7 * i, "cost": 5.0 + i} for i in range(40) for k in range(3)]
    db = tmp_path / "evil.duckdb"
    store = make_store(db, transactions=transactions)
    frame = quadrants.quadrant_frame(store, default_as_of(store), 365,
                                     assumptions=CostAssumptions(unit_costs=default_unit_costs(store)))
    quadrant, xs, ys = quadrants.classify(frame, "a", quadrants.Split(), quadrants.Split())
    option = quadrant_chart(frame, quadrant, "a", xs, ys, translator("en"), "USD", log=True).option
    (x0, x1), (y0, y1) = ((a["min"], a["max"]) for a in (option["xAxis"][0], option["yAxis"][0]))
    first = next(d["source"] for d in option["dataset"] if len(d["source"]))
    srv = Server({"CRM_DB": str(db)}, tmp_path / "server.log")
    try:
        en = open_page(page, srv, "en", "page.quadrants")
        wait_ready(page, en["quad.select_hint"])
        chart = page.get_by_role("img", name=en["quad.title_a"])
        chart.scroll_into_view_if_needed()
        left, top, right, bottom = plot_area(chart)
        x = left + (float(first["x"].iloc[0]) - x0) / (x1 - x0) * (right - left)
        y = bottom - (float(first["y"].iloc[0]) - y0) / (y1 - y0) * (bottom - top)
        page.mouse.move(x, y)
        tooltip = chart.locator("div").filter(has_text=str(first["id"].iloc[0])).last
        expect(tooltip).to_be_visible(timeout=10_000)   # ECharts' tooltip (HTML), the id in it as text
        assert page.evaluate("() => window.__xss") is None
        assert page.locator('img[src="x"]').count() == 0
    finally:
        srv.stop()
