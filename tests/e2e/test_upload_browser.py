"""Uploading in a real browser (its own server and database copy): a Korean CP949 file is
previewed, mapped and loaded; the history shows it; the Overview reflects the new data."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from crm_core.i18n import catalogue
from crm_core.store import Store

from .conftest import REPO, Server, screenshot, wait_ready


@pytest.fixture(scope="module")
def upload_server(demo_db_master: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    db = tmp_path_factory.mktemp("upload") / "demo.duckdb"
    shutil.copy(demo_db_master, db)
    srv = Server({"CRM_DB": str(db)}, tmp_path_factory.mktemp("logs") / "upload-server.log")
    yield srv, db
    srv.stop()


def test_upload_a_korean_file(page: Page, upload_server: tuple[Server, Path], console_errors: list[str]) -> None:
    srv, db = upload_server
    ko = catalogue("ko")
    page.goto(f"{srv.url}/?lang=ko")
    wait_ready(page, ko["kpi.churn_rate"])
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=ko["page.upload"], exact=True).click()
    wait_ready(page, ko["upload.history"])
    before = Store(db).table_counts()["transactions"]
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        str(REPO / "tests" / "data" / "ingest" / "tx_ko_cp949.csv"))
    wait_ready(page, ko["upload.mapping"])
    expect(page.get_by_text("2026년 9월 1일").first).to_be_attached()       # decoded from CP949 (grid cell)
    page.get_by_role("button", name=ko["upload.load"], exact=True).click()
    wait_ready(page, ko["upload.rows_loaded"])
    expect(page.get_by_test_id("stAlertContentSuccess")).to_be_visible()
    assert Store(db).table_counts()["transactions"] == before + 3
    screenshot(page, "upload-ko")
