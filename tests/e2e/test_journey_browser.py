"""Lifecycle and Cohorts in a real browser: a click on a Sankey flow lists exactly that flow's
customers (also after a language switch), a click on a heatmap cell lists that cell's buyers,
and the downloaded list holds those customers."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from crm_core.customers import overview
from crm_core.exits import churn
from crm_core.i18n import Translator, catalogue
from crm_core.journey import cohorts as co
from crm_core.journey import lifecycle as lc
from crm_core.periods import period_start
from crm_core.store.connection import Store

from .conftest import Server, nav_link, screenshot, wait_ready
from .test_language_browser import switch_language

EN = catalogue("en")


@pytest.fixture(scope="module")
def truth(e2e_db: Path) -> dict:
    store = Store(e2e_db)
    as_of = overview.default_as_of(store)
    life = lc.lifecycle(store, (period_start(as_of, 365), as_of), window_days=churn.default_window(store, as_of))
    from crm_core.journey import customer as c360

    row = store.df("SELECT customer_id, phone FROM customers WHERE phone IS NOT NULL AND first_purchase IS NOT NULL "
                   "ORDER BY customer_id LIMIT 1 OFFSET 12").iloc[0]
    digits = re.sub(r"\D", "", row["phone"])[-7:]
    one = {"id": row["customer_id"], "digits": digits, "found": set(c360.search(store, digits)["customer_id"]),
           "stage": c360.record(store, row["customer_id"], as_of, window_days=churn.default_window(store, as_of)).stage}
    return {"store": store, "life": life, "flows": lc.flows(life), "who": lc.people(store),
            "cohorts": co.cohorts(store, as_of), "one": one}


def open_page(page: Page, server: Server, lang: str, title_key: str, ready_key: str) -> dict[str, str]:
    cat = catalogue(lang)
    page.goto(f"{server.url}/?lang={lang}")
    wait_ready(page, cat["kpi.lapse_rate"])
    nav_link(page, cat[title_key]).click()
    wait_ready(page, cat[ready_key])
    return cat


def _flow_picked(page: Page) -> str:
    return page.get_by_test_id("stMain").get_by_test_id("stSelectbox").first.get_by_role("combobox").input_value()


def click_a_new_flow(page: Page) -> str:
    """Click the Sankey's links until the flow picker shows another flow; its label."""
    before = _flow_picked(page)
    sankey = page.locator(".st-key-lc_sankey")
    sankey.scroll_into_view_if_needed()
    links = sankey.locator("svg path")
    for i in range(links.count()):
        box = links.nth(i).bounding_box()     # a link's curve passes through the middle of its box
        if not box or box["width"] < 150 or box["height"] < 4:      # nodes are narrow bars
            continue
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        try:
            expect(page.get_by_test_id("stMain").get_by_test_id("stSelectbox").first.get_by_role("combobox")) \
                .not_to_have_value(before, timeout=4_000)
        except AssertionError:
            continue
        wait_ready(page)
        return _flow_picked(page)
    raise AssertionError("no Sankey link changed the flow")


def check_flow(page: Page, truth: dict, lang: str, label: str) -> tuple[str, str]:
    """The picked flow's label, count and list agree with crm_core."""
    tr, cat = Translator(lang), catalogue(lang)
    names = {cat[f"stage.{s}"]: s for s in (lc.FLOW_START, *lc.STAGES)}
    m = re.fullmatch(r"(.+) → (.+) \((.+)\)", label)
    assert m, label
    source, target = names[m.group(1)], names[m.group(2)]
    n = int(truth["flows"].query("source == @source and target == @target")["customers"].sum())
    assert m.group(3) == tr.number(n)
    caption = cat["list.count"].split("{shown}")[0].replace("{n}", tr.number(n))
    expect(page.get_by_text(caption, exact=False).first).to_be_visible(timeout=20_000)
    return source, target


def test_a_sankey_click_lists_that_flow_and_downloads_it(page: Page, server: Server, truth: dict,
                                                        console_errors: list[str]) -> None:
    open_page(page, server, "en", "page.lifecycle", "lifecycle.flows")
    expect(page.get_by_text(EN["lifecycle.sizes_title"], exact=True)).to_be_visible()
    source, target = check_flow(page, truth, "en", click_a_new_flow(page))
    with page.expect_download() as info:
        page.get_by_role("button", name=EN["list.download_csv"]).first.click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_bytes().decode("utf-8-sig"))))
    expected = lc.flow_customers(truth["life"], truth["who"], source, target)
    assert sorted(r["customer_id"] for r in rows) == sorted(expected["customer_id"].astype(str))
    assert {r["stage"] for r in rows} == {target} and {r["stage_before"] for r in rows} == {source}
    screenshot(page, "lifecycle-en")


def test_after_a_language_switch_the_next_sankey_click_works(page: Page, server: Server, truth: dict,
                                                            console_errors: list[str]) -> None:
    open_page(page, server, "en", "page.lifecycle", "lifecycle.flows")
    switch_language(page, "en", "ko")
    wait_ready(page, catalogue("ko")["lifecycle.flows"])
    check_flow(page, truth, "ko", click_a_new_flow(page))


def test_a_heatmap_click_lists_that_cells_buyers(page: Page, server: Server, truth: dict,
                                                console_errors: list[str]) -> None:
    open_page(page, server, "en", "page.cohorts", "cohorts.members")
    t = truth["cohorts"]
    # The heatmap draws the newest cohort at the bottom; click the cell of an older cohort, period 1.
    cohort = t.sizes.index[-6]
    heat = page.locator(".st-key-co_heatmap")
    expect(heat.locator("svg[baseProfile]")).to_be_visible()
    label = heat.locator("svg[baseProfile] text").filter(has_text=re.compile(f"^{cohort}$")).first
    period = heat.locator("svg[baseProfile] text").filter(has_text=re.compile("^1$")).first
    heat.scroll_into_view_if_needed()
    ly, px = label.bounding_box(), period.bounding_box()
    page.mouse.click(px["x"] + px["width"] / 2, ly["y"] + ly["height"] / 2)
    cohort_box = page.get_by_test_id("stMain").get_by_test_id("stSelectbox").filter(has_text=EN["cohorts.cohort"])
    expect(cohort_box.get_by_role("combobox")).to_have_value(cohort, timeout=20_000)
    wait_ready(page)
    n = int(t.buyers.loc[cohort, 1])
    caption = EN["list.count"].split("{shown}")[0].replace("{n}", f"{n:,}")
    expect(page.get_by_text(caption, exact=False).first).to_be_visible(timeout=20_000)
    screenshot(page, "cohorts-en")


def test_customer_360_by_link_and_by_search(page: Page, server: Server, truth: dict,
                                            console_errors: list[str]) -> None:
    """A list's link (customer?id=...&lang=ko) opens the customer in Korean; a search by phone
    digits in English finds them too."""
    one = truth["one"]
    assert one["id"] in one["found"]
    ko = catalogue("ko")
    page.goto(f"{server.url}/customer?id={one['id']}&lang=ko")
    wait_ready(page, ko["c360.stage_now"].format(stage=ko[f"stage.{one['stage']}"]))
    expect(page.get_by_text(ko["c360.stage_history"], exact=True)).to_be_visible()
    screenshot(page, "customer360-ko")
    page.goto(f"{server.url}/customer")
    wait_ready(page, EN["c360.start"])
    box = page.get_by_label(EN["c360.search"], exact=True).and_(page.get_by_test_id("stTextInputField"))
    box.fill(one["digits"])
    box.press("Enter")
    wait_ready(page, EN["c360.pick"].split("(")[0].strip())
    expect(page.get_by_text(EN["c360.stage_now"].split("{")[0], exact=False).first).to_be_visible()
