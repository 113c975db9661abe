"""The app shell in a real browser: navigation, the language switch, filters, and a busy database."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from crm_core.customers import overview
from crm_core.filters import Filters
from crm_core.i18n import catalogue
from crm_core.store.connection import Store

from .conftest import REPO, Server, nav_link, pick_option, screenshot, wait_ready

EN, KO = catalogue("en"), catalogue("ko")


def test_navigate_to_the_database_page_and_back(page: Page, server: Server, console_errors: list[str]) -> None:
    page.goto(server.url)
    wait_ready(page, EN["kpi.lapse_rate"])
    nav_link(page, EN["page.data"]).click()
    wait_ready(page, EN["data.history"])
    expect(page.get_by_text(EN["table.transactions"]).first).to_be_visible()
    expect(page).to_have_url(f"{server.url}/data")
    screenshot(page, "database-en")
    nav_link(page, EN["page.overview"]).click()
    wait_ready(page, EN["kpi.lapse_rate"])


def test_language_switch_in_the_sidebar(page: Page, server: Server, console_errors: list[str]) -> None:
    page.goto(server.url)
    wait_ready(page, EN["kpi.lapse_rate"])
    language = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text=EN["sidebar.language"])
    pick_option(page, language, "한국어")
    wait_ready(page, KO["kpi.lapse_rate"])
    expect(page.get_by_role("heading", name=KO["page.overview"])).to_be_visible()
    expect(page).to_have_url(f"{server.url}/?lang=ko")


def test_region_filter_changes_the_figures(page: Page, server: Server, e2e_db: Path, console_errors: list[str]) -> None:
    store = Store(e2e_db)
    as_of = overview.default_as_of(store)
    everyone = overview.kpis(store, as_of).current.customers
    korea = overview.kpis(store, as_of, Filters.of(regions=["Korea"])).current.customers
    page.goto(server.url)
    wait_ready(page, EN["kpi.lapse_rate"])
    card = page.get_by_test_id("stMetric").filter(has_text=EN["kpi.customers"]).first
    expect(card.get_by_test_id("stMetricValue")).to_have_text(f"{everyone:,}")
    region = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text=EN["filter.regions"])
    pick_option(page, region, "Korea")
    page.keyboard.press("Escape")
    expect(card.get_by_test_id("stMetricValue")).to_have_text(f"{korea:,}", timeout=20_000)
    wait_ready(page)


HOLD = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); time.sleep(float(sys.argv[2]))"


def test_busy_database_shows_retrying_then_recovers(page: Page, demo_db_master: Path, tmp_path: Path,
                                                     console_errors: list[str]) -> None:
    db = tmp_path / "busy.duckdb"
    shutil.copy(demo_db_master, db)
    # Lock first: the server's warm start then finds the database busy too (and skips), so the
    # page itself has to wait for the lock.
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db), "12"], stdout=subprocess.PIPE, text=True, cwd=REPO)
    srv = None
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        srv = Server({"CRM_DB": str(db)}, tmp_path / "server.log")
        page.goto(srv.url)
        expect(page.get_by_text(EN["status.db_busy_retrying"])).to_be_visible(timeout=20_000)
        screenshot(page, "busy-en")
        wait_ready(page, EN["kpi.lapse_rate"], timeout=40_000)
        expect(page.get_by_text(EN["status.db_busy_retrying"])).to_have_count(0)
    finally:
        holder.wait(30)
        if srv is not None:
            srv.stop()


def test_missing_database_is_a_clear_message(page: Page, tmp_path: Path, console_errors: list[str]) -> None:
    srv = Server({"CRM_DB": str(tmp_path / "nowhere.duckdb")}, tmp_path / "server.log")
    try:
        page.goto(f"{srv.url}/?lang=zh_Hant")
        expect(page.get_by_test_id("stAlertContentError")).to_contain_text("不存在")
        wait_ready(page)
        assert not (tmp_path / "nowhere.duckdb").exists()
    finally:
        srv.stop()


def test_as_of_typed_and_enter_applies(page: Page, server: Server, e2e_db: Path, console_errors: list[str]) -> None:
    """A date typed into the sidebar's As-of field applies on Enter, without a click elsewhere."""
    store = Store(e2e_db)
    last = overview.default_as_of(store)
    earlier = last.replace(year=last.year - 1, day=min(last.day, 28))
    expected = overview.kpis(store, earlier).current.active_customers
    assert expected != overview.kpis(store, last).current.active_customers
    page.goto(server.url)
    wait_ready(page, EN["kpi.lapse_rate"])
    field = page.get_by_test_id("stSidebar").get_by_test_id("stDateInput")
    field.get_by_role("spinbutton").first.click()  # the year segment; typing moves on to month and day
    page.keyboard.type(earlier.strftime("%Y%m%d"))
    page.keyboard.press("Enter")
    card = page.get_by_test_id("stMetric").filter(has_text=EN["kpi.active_customers"]).first
    expect(card.get_by_test_id("stMetricValue")).to_have_text(f"{expected:,}", timeout=20_000)
    expect(field.get_by_role("spinbutton")).to_have_text([f"{earlier:%Y}", f"{earlier:%m}", f"{earlier:%d}"])
    wait_ready(page)


def test_local_mode_refuses_a_foreign_host_name(browser_type: Any, server: Server) -> None:
    """DNS rebinding's end state: a foreign name resolving to 127.0.0.1. Local mode answers
    with the refusal only (no page, no upload, no admin); localhost still works."""
    import os

    port = server.url.rsplit(":", 1)[1]
    browser = browser_type.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                                  args=["--host-resolver-rules=MAP evil.example 127.0.0.1"])
    try:
        page = browser.new_page()
        en = catalogue("en")
        for path in ("/", "/upload", "/admin"):
            page.goto(f"http://evil.example:{port}{path}")
            expect(page.get_by_text(en["auth.local_host_refused"].split("{")[0].strip()[:40], exact=False)
                   ).to_be_visible(timeout=30_000)
            expect(page.get_by_text(en["upload.history"], exact=True)).to_have_count(0)
            expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
        page.goto(f"http://localhost:{port}/")
        wait_ready(page, en["kpi.lapse_rate"])
    finally:
        browser.close()
