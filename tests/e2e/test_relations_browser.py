"""The relationship pages in a real browser: each opens in all four languages without an
error; a click on the lift matrix lists who bought A but not yet B, and the downloaded list
holds exactly those customers; the campaigns table shows no ROI unless its interval decides."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from crm_core.customers import overview
from crm_core.i18n import LANGUAGES, Translator, catalogue
from crm_core.relations import affinity as af
from crm_core.relations import campaigns as cp
from crm_core.store.connection import Store

from .conftest import Server, nav_link, screenshot, wait_ready

EN = catalogue("en")
PAGES = (("page.managers", "managers.accounts"), ("page.service", "service.speeds"),
         ("page.campaigns", "campaigns.by_segment"), ("page.cross_sell", "affinity.definitions"),
         ("page.scorecards", "scorecard.tab.readiness"))


@pytest.fixture(scope="module")
def truth(e2e_db: Path) -> dict:
    store = Store(e2e_db)
    as_of = overview.default_as_of(store)
    aff = af.affinity(store, as_of)
    return {"aff": aff, "rules": af.rules(aff), "campaigns": cp.campaigns(store, as_of).campaigns}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_relationship_page_opens_in_every_language(page: Page, server: Server, lang: str,
                                                         console_errors: list[str]) -> None:
    cat = catalogue(lang)
    page.goto(f"{server.url}/?lang={lang}")
    wait_ready(page, cat["kpi.lapse_rate"])
    for title, ready in PAGES:
        nav_link(page, cat[title]).click()
        wait_ready(page, cat[ready])
        expect(page.get_by_role("heading", name=cat[title], exact=True)).to_be_visible()
        if lang == "ko":
            screenshot(page, f"{title.split('.')[1]}-ko")


def test_a_lift_matrix_click_lists_the_cross_sell_candidates(page: Page, server: Server, truth: dict,
                                                             console_errors: list[str]) -> None:
    page.goto(f"{server.url}/cross_sell")
    wait_ready(page, EN["affinity.definitions"])
    rules = truth["rules"]
    # Click the cell of a rule that is not the one listed first.
    target = rules.iloc[3]
    heat = page.locator(".st-key-af_matrix")
    heat.scroll_into_view_if_needed()
    svg = heat.locator("svg[baseProfile]")
    expect(svg).to_be_visible()
    row = svg.locator("text").filter(has_text=target.antecedent).first.bounding_box()
    cols = svg.locator("text").filter(has_text=target.consequent)
    col = max((cols.nth(i).bounding_box() for i in range(cols.count())), key=lambda b: -b["y"])   # the top axis
    page.mouse.click(col["x"] + col["width"] / 2, row["y"] + row["height"] / 2)
    picker = page.get_by_test_id("stMain").get_by_test_id("stSelectbox").filter(has_text=EN["affinity.pair"])
    expect(picker.get_by_role("combobox")).to_have_value(f"{target.antecedent}\u2192{target.consequent}",
                                                         timeout=20_000)
    wait_ready(page)
    n = len(af.candidates(truth["aff"], target.antecedent, target.consequent))
    caption = EN["list.count"].split("{shown}")[0].replace("{n}", Translator("en").number(n))
    expect(page.get_by_text(caption, exact=False).first).to_be_visible(timeout=20_000)
    with page.expect_download() as info:
        page.get_by_role("button", name=EN["list.download_csv"]).first.click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_bytes().decode("utf-8-sig"))))
    expected = af.candidates(truth["aff"], target.antecedent, target.consequent)
    assert sorted(r["customer_id"] for r in rows) == sorted(map(str, expected))
    screenshot(page, "cross-sell-en")


def test_campaigns_show_roi_only_when_decided(page: Page, server: Server, truth: dict,
                                              console_errors: list[str]) -> None:
    page.goto(f"{server.url}/campaigns")
    wait_ready(page, EN["campaigns.by_segment"])
    table = truth["campaigns"]
    for verdict in set(table["verdict"]):
        expect(page.get_by_text(EN[f"campaigns.verdict.{verdict}"], exact=True).first).to_be_attached()
    screenshot(page, "campaigns-en")
