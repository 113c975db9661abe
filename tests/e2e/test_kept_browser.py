"""The server prepares the heavy pages' default views beside the database in the background
(crm_app.warm.watch), and the page then shows those kept results: the same figures as
crm_core computes (that stale results are never served is tests/test_kept.py's)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from crm_core.customers.overview import default_as_of
from crm_core.i18n import Translator
from crm_core.loyalty import report as loyalty_report
from crm_core.store.connection import Store
from crm_core.store.kept import results_dir

from .conftest import Server, wait_ready
from .test_targets_browser import open_page


def _kept_reports(db: Path, stamp: str | None) -> list[Path]:
    return sorted(results_dir(str(db)).glob(f"{stamp}-*-report-*.pickle"))


def test_loyalty_page_from_the_prepared_results(page: Page, demo_db_master: Path, tmp_path: Path) -> None:
    db = tmp_path / "prepared.duckdb"
    shutil.copy(demo_db_master, db)
    store = Store(db)
    stamp = store.data_stamp()
    assert stamp and not results_dir(str(db)).exists()
    srv = Server({"CRM_DB": str(db), "CRM_PREPARE": "1"}, tmp_path / "server.log")
    try:
        deadline = time.monotonic() + 90
        while not _kept_reports(db, stamp) and time.monotonic() < deadline:   # the loyalty analysis (~1 s) is kept
            time.sleep(0.5)
        assert _kept_reports(db, stamp), (tmp_path / "server.log").read_text(errors="replace")[-2000:]
        kept = _kept_reports(db, stamp)[0]
        os.utime(kept, (1_000_000, 1_000_000))     # a read marks it recently used: proof the page read it
        tr = Translator("ko")
        open_page(page, srv, "ko", "page.loyalty")
        wait_ready(page, tr.t("loyalty.effect"))
        assert kept.stat().st_mtime > time.time() - 120
        rep = loyalty_report.analyse(store, default_as_of(store))
        members = page.get_by_test_id("stMetric").filter(has_text=tr.t("loyalty.members"))
        expect(members).to_have_count(len(rep.programs))
        for i, p in enumerate(rep.programs):
            expect(members.nth(i)).to_contain_text(tr.number(p.money.members))
    finally:
        srv.stop()
    log = (tmp_path / "server.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
