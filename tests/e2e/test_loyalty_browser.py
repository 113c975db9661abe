"""The Loyalty page in a real browser: every program's card shows crm_core's figures in
Korean, the charts render, and choosing a program redraws its details."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from crm_core.customers.overview import default_as_of
from crm_core.i18n import Translator
from crm_core.loyalty import report as loyalty_report
from crm_core.store.connection import Store

from .conftest import Server, screenshot, wait_ready
from .test_targets_browser import open_page


def test_loyalty_page_in_korean(page: Page, server: Server, e2e_db: Path, console_errors: list[str]) -> None:
    ko = open_page(page, server, "ko", "page.loyalty")
    wait_ready(page, ko["loyalty.effect"])
    store = Store(e2e_db)
    rep = loyalty_report.analyse(store, default_as_of(store))
    tr = Translator("ko")
    members = page.get_by_test_id("stMetric").filter(has_text=ko["loyalty.members"])
    expect(members).to_have_count(len(rep.programs))
    for i, p in enumerate(rep.programs):
        expect(members.nth(i)).to_contain_text(tr.number(p.money.members))
        expect(page.get_by_text(p.name, exact=False).first).to_be_visible()
    for title in ("loyalty.wf.title", "loyalty.event.title", "loyalty.balance.title"):
        expect(page.get_by_text(ko[title], exact=True)).to_be_attached()
    if any(p.verdict.trusted is None for p in rep.programs):   # no point ROI unless a design passed its placebo
        expect(page.get_by_text(ko["loyalty.not_credible"], exact=True).first).to_be_visible()
    screenshot(page, "loyalty-ko")
    chosen = next(p for p in rep.programs if p.verdict.trusted)
    page.get_by_test_id("stButtonGroup").get_by_text(chosen.name, exact=True).click()
    wait_ready(page, ko["loyalty.what_if"])
    expect(page.get_by_text(ko["loyalty.roi.title"], exact=True)).to_be_attached()
    expect(page.get_by_text(ko[f"loyalty.reason.{chosen.verdict.reason}"], exact=True)).to_be_visible()
    analysed = page.get_by_test_id("stMetric").filter(has_text=ko["loyalty.analysed"])
    expect(analysed).to_contain_text(tr.number(chosen.estimate.members_analysed))
    page.get_by_text(ko["loyalty.what_if"], exact=True).scroll_into_view_if_needed()
    screenshot(page, "loyalty-ko-lower")
