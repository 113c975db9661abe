"""Segments, Pyramid and Micro-segments in a real browser: they render in every language
with the numbers crm_core computes, drill-downs work, and a downloaded list is the
right customers with contact fields and no live formulas."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from crm_core.customers import micro, overview, pyramid, rfm
from crm_core.i18n import LANGUAGES, Translator, catalogue
from crm_core.store.connection import Store

from .conftest import Server, nav_link, pick_option, screenshot, wait_ready

EN = catalogue("en")


def open_page(page: Page, server: Server, lang: str, title_key: str) -> dict[str, str]:
    """Start at the root (a direct page URL makes Streamlit probe ``/<page>/_stcore/...`` and
    log 404s in the console) and follow the sidebar link."""
    cat = catalogue(lang)
    page.goto(f"{server.url}/?lang={lang}")
    wait_ready(page, cat["kpi.lapse_rate"])
    nav_link(page, cat[title_key]).click()
    return cat


@pytest.fixture(scope="module")
def truth(e2e_db: Path) -> dict:
    store = Store(e2e_db)
    as_of = overview.default_as_of(store)
    frame = micro.micro_frame(store, as_of)
    return {"frame": frame, "segments": rfm.segment_summary(frame.customers),
            "pyramid": pyramid.pyramid_summary(frame.customers)}


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_segments_page_in_every_language(page: Page, server: Server, truth: dict, lang: str,
                                         console_errors: list[str]) -> None:
    tr = Translator(lang)
    cat = open_page(page, server, lang, "page.segments")
    wait_ready(page, cat["segments.table"])
    expect(page.locator("h1").filter(has_text=cat["page.segments"])).to_be_visible()
    # Treemap and grid are drawn, titled in the language.
    expect(page.get_by_text(cat["chart.treemap.title_customers"], exact=True)).to_be_visible()
    expect(page.get_by_text(cat["chart.grid.title"], exact=True)).to_be_visible()
    champions = int(truth["segments"].set_index("segment").loc["champions", "customers"])
    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_be_visible()
    # The drill-down list of the default segment (champions) states its size.
    caption = cat["list.count"].split("{shown}")[0].replace("{n}", tr.number(champions))
    expect(page.get_by_text(caption, exact=False).first).to_be_visible()
    screenshot(page, f"segments-{lang}")


def test_segment_drilldown_and_download_are_the_right_customers(page: Page, server: Server, truth: dict,
                                                                console_errors: list[str]) -> None:
    open_page(page, server, "en", "page.segments")
    wait_ready(page, EN["segments.table"])
    customers = truth["frame"].customers
    # A click on the map's "Lost" tile lists the lost customers ...
    lost = int((customers["segment"] == "lost").sum())
    page.locator(".st-key-seg_treemap svg text").filter(has_text=EN["segment.lost"]).first.click()
    expect(page.get_by_text(f"{lost:,} customers", exact=False).first).to_be_visible(timeout=20_000)
    wait_ready(page)
    # ... and so does picking a segment by name.
    page.get_by_test_id("stButtonGroup").get_by_text(EN["segment.at_risk"], exact=True).click()
    expected = set(customers.loc[customers["segment"] == "at_risk", "customer_id"])
    expect(page.get_by_text(f"{len(expected):,} customers", exact=False).first).to_be_visible(timeout=20_000)
    wait_ready(page)
    with page.expect_download() as info:
        page.get_by_role("button", name=EN["list.download_csv"]).first.click()
    body = Path(info.value.path()).read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens CJK names right
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert {r["customer_id"] for r in rows} == expected
    assert {"name", "email", "phone"} <= set(rows[0])
    assert all(r["segment"] == "at_risk" for r in rows)
    # Phone numbers start with "+": neutralised so a spreadsheet shows them as text.
    assert all(not r["phone"] or r["phone"][0] not in "=+-@" for r in rows)


def test_pyramid_page_shows_tiers_and_what_if(page: Page, server: Server, truth: dict,
                                              console_errors: list[str]) -> None:
    ko = open_page(page, server, "ko", "page.pyramid")
    wait_ready(page, ko["pyramid.pareto"])
    expect(page.get_by_text(ko["chart.pyramid.title"], exact=True)).to_be_visible()
    top = truth["pyramid"].set_index("tier").loc["top"]
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    # Both Pareto curves with their summary sentence.
    expect(page.get_by_text(ko["chart.pareto.title_revenue"], exact=True)).to_be_visible()
    expect(page.get_by_text(ko["chart.pareto.title_gross_profit"], exact=True)).to_be_visible()
    assert int(top["customers"]) > 0
    pyramid_chart = page.get_by_test_id("stEChartsChart").first      # SVG: its labels are text in the page
    expect(pyramid_chart.locator("svg text").filter(has_text=Translator("ko").number(int(top["customers"])))
           .first).to_be_visible()
    screenshot(page, "pyramid-ko")
    # The other tabs are built when opened: the what-if with its cards and chart, the upgrade lists.
    expect(page.get_by_test_id("stMetric").filter(has_text=ko["pyramid.moved"])).to_have_count(0)
    page.get_by_role("tab", name=ko["pyramid.tab_whatif"]).click()
    moved = page.get_by_test_id("stMetric").filter(has_text=ko["pyramid.moved"])
    expect(moved).to_be_visible(timeout=20_000)
    w = pyramid.what_if(truth["frame"].customers, pyramid.DEFAULT_WHATIF_PERCENT)
    expect(moved).to_contain_text(f"{int(w.by_tier['moved'].sum()):,}")
    expect(page.get_by_text(ko["chart.whatif.title"], exact=True)).to_be_visible()
    page.get_by_role("tab", name=ko["pyramid.tab_upgrade"]).click()
    expect(page.get_by_test_id("stMetric").filter(has_text=ko["pyramid.close_to"].split("}")[1])
           .first).to_be_visible(timeout=20_000)
    wait_ready(page)
    expect(page.get_by_role("button", name=ko["list.download_csv"])).to_be_visible()
    page.get_by_role("tab", name=ko["pyramid.tab_tiers"]).click()
    wait_ready(page, ko["pyramid.pareto"])
    # Tier shares are validated: 50+50+10+10 is refused with a message, nothing changes.
    page.get_by_text(ko["pyramid.tier_shares"]).click()
    for tier, value in zip(pyramid.VALUE_TIERS, ("50", "50", "10", "10")):
        box = page.get_by_test_id("stNumberInput").filter(has_text=ko[f"tier.{tier}"]).locator("input")
        box.fill(value)
        box.press("Tab")  # commit the typed value before the form is submitted
    page.get_by_role("button", name=ko["pyramid.apply"]).click()
    expect(page.get_by_text(ko["pyramid.shares_invalid"].split("{total}")[0].strip(), exact=False)).to_be_visible(
        timeout=20_000)
    wait_ready(page)


def test_micro_segments_cut_and_compare(page: Page, server: Server, truth: dict, console_errors: list[str]) -> None:
    zh = open_page(page, server, "zh_Hans", "page.micro")
    wait_ready(page, zh["micro.dims"])
    expect(page.get_by_text(zh["chart.mix.title"], exact=True).first).to_be_visible()
    cells = micro.cut(truth["frame"], ["region", "tier"])
    expect(page.get_by_text(zh["micro.cells"].split("{n}")[0] + f"{len(cells):,}", exact=False).first).to_be_visible()
    page.get_by_role("tab", name=zh["micro.tab_compare"]).click()
    expect(page.get_by_text(zh["micro.group_a"]).first).to_be_visible()
    wait_ready(page)
    screenshot(page, "micro-zh_Hans")
    # Switching the language keeps the Compare tab open (the tab's label changes with it).
    ko = catalogue("ko")
    language = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text=zh["sidebar.language"])
    pick_option(page, language, "한국어")
    expect(page.get_by_role("tab", name=ko["micro.tab_compare"])).to_have_attribute("aria-selected", "true", timeout=20_000)
    expect(page.get_by_text(ko["micro.group_a"]).first).to_be_visible()
    wait_ready(page)


def test_customer_text_in_chart_labels_and_tooltips_stays_text(page: Page, tmp_path: Path,
                                                              console_errors: list[str]) -> None:
    """A region named like markup (from an uploaded file) is drawn as text on the chart's axis
    and in its tooltip: no element is created, no script runs."""
    from datetime import date, timedelta

    from tests.conftest import make_store

    from .conftest import Server

    evil = '<img src=x onerror="window.__xss=1">'
    customers = [{"customer_id": f"C{i}", "region": evil if i % 3 else "Seoul"} for i in range(60)]
    start = date(2025, 1, 6)
    transactions = [{"transaction_id": f"T{i}-{k}", "customer_id": f"C{i}", "tx_date": start + timedelta(days=7 * k + i),
                     "amount": 10.0 + i} for i in range(60) for k in range(3)]
    db = tmp_path / "evil.duckdb"
    make_store(db, customers=customers, transactions=transactions)
    srv = Server({"CRM_DB": str(db)}, tmp_path / "server.log")
    try:
        cat = open_page(page, srv, "en", "page.micro")
        wait_ready(page, cat["micro.dims"])
        chart = page.locator(".st-key-micro_bar")
        label = chart.locator("svg text").filter(has_text="<img src=x").first
        expect(label).to_be_visible()
        box = label.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] + 40, box["y"] + box["height"] / 2)   # onto that cell's bar
        tooltip = chart.locator("div").filter(has_text=evil).filter(has_not=page.locator("svg")).last
        expect(tooltip).to_be_visible(timeout=10_000)   # ECharts' tooltip (HTML), the name in it as text
        assert page.evaluate("() => window.__xss") is None
        assert page.locator('img[src="x"]').count() == 0
    finally:
        srv.stop()
