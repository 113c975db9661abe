"""Switching the language mid-session, in a real browser: the next interaction works on every page
(select boxes keep their value although their labels changed), and the language survives the menu
links and a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from crm_core.i18n import catalogue

from .conftest import Server, nav_link, pick_option, wait_ready

CAT = {lang: catalogue(lang) for lang in ("en", "ko", "zh_Hans", "zh_Hant")}
EN, KO = CAT["en"], CAT["ko"]
NAMES = {"en": "English", "ko": "한국어", "zh_Hans": "简体中文", "zh_Hant": "繁體中文"}

#: (url path, a catalogue key whose text shows once the page is drawn)
PAGES = [("", "kpi.lapse_rate"), ("segments", "page.segments"), ("pyramid", "page.pyramid"), ("micro", "page.micro"),
         ("clv", "page.clv"), ("quadrants", "page.quadrants"), ("churn", "page.churn"), ("loyalty", "page.loyalty"),
         ("lifecycle", "lifecycle.flows"), ("cohorts", "cohorts.members"),
         ("upload", "page.upload"), ("data", "page.data")]
SWITCHES = [("en", "ko"), ("ko", "en"), ("en", "zh_Hans"), ("en", "zh_Hant"), ("zh_Hant", "zh_Hans")]


def sidebar_select(page: Page, label: str):
    return page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text=label)


def shows(select, text: str) -> None:
    """The select box shows ``text`` as its value."""
    expect(select.get_by_role("combobox")).to_have_value(text)


def switch_language(page: Page, src: str, dst: str) -> None:
    pick_option(page, sidebar_select(page, CAT[src]["sidebar.language"]), NAMES[dst])
    expect(sidebar_select(page, CAT[dst]["sidebar.language"])).to_be_visible(timeout=20_000)
    wait_ready(page)


@pytest.mark.parametrize(("path", "ready"), PAGES, ids=[p or "overview" for p, _ in PAGES])
def test_language_switch_then_the_next_interaction(page: Page, server: Server, console_errors: list[str], path: str,
                                                  ready: str) -> None:
    """A period (and on the quadrants page a split method) is set, the language changes, then the
    period changes again: the page redraws in the new language, with no error."""
    src, dst = SWITCHES[PAGES.index((path, ready)) % len(SWITCHES)]
    page.goto(f"{server.url}/{path}?lang={src}")
    wait_ready(page, CAT[src][ready])
    pick_option(page, sidebar_select(page, CAT[src]["sidebar.period"]), CAT[src]["period.90"])
    wait_ready(page)
    if path == "quadrants":
        split = page.get_by_test_id("stMain").get_by_test_id("stSelectbox").first
        pick_option(page, split, CAT[src]["quad.split.mean"])
        wait_ready(page)
    switch_language(page, src, dst)
    period = sidebar_select(page, CAT[dst]["sidebar.period"])
    shows(period, CAT[dst]["period.90"])
    if path == "quadrants":
        split = page.get_by_test_id("stMain").get_by_test_id("stSelectbox").first
        shows(split, CAT[dst]["quad.split.mean"])
    pick_option(page, period, CAT[dst]["period.182"])
    wait_ready(page, CAT[dst][ready])
    shows(period, CAT[dst]["period.182"])
    # and back again: the first language's labels resolve too
    switch_language(page, dst, src)
    pick_option(page, sidebar_select(page, CAT[src]["sidebar.period"]), CAT[src]["period.365"])
    wait_ready(page, CAT[src][ready])


def test_menu_links_and_reload_keep_the_language(page: Page, server: Server, console_errors: list[str]) -> None:
    page.goto(server.url)
    wait_ready(page, EN["kpi.lapse_rate"])
    switch_language(page, "en", "ko")
    link = nav_link(page, KO["page.churn"])
    assert (link.get_attribute("href") or "").endswith("churn?lang=ko")
    link.click()
    wait_ready(page, KO["page.churn"])
    expect(page).to_have_url(f"{server.url}/churn?lang=ko")
    page.reload()
    wait_ready(page, KO["page.churn"])
    expect(sidebar_select(page, KO["sidebar.language"])).to_be_visible()
