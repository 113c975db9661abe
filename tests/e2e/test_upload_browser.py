"""Uploading in a real browser (its own server and database copy): a Korean CP949 file is
previewed, mapped and loaded; the history shows it; the Overview reflects the new data."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from crm_core.i18n import catalogue
from crm_core.store.connection import Store

from .conftest import REPO, Server, nav_link, screenshot, wait_ready


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
    wait_ready(page, ko["kpi.lapse_rate"])
    nav_link(page, ko["page.upload"]).click()
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


XSS = ["<img src=x onerror=alert('xss-img')>", "<script>alert('xss-script')</script>", "[click](javascript:alert(1))",
       ":red[**loud**]", "=HYPERLINK(\"http://evil.example\")"]


def test_hostile_file_name_headers_and_values_stay_text(page: Page, upload_server: tuple[Server, Path],
                                                        tmp_path: Path, console_errors: list[str]) -> None:
    """A file whose name, headers and cells are HTML, script, Markdown links and formulas: it
    loads as data, the page shows it as text, and nothing runs (no dialog, no injected element)."""
    srv, db = upload_server
    en = catalogue("en")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    ids = [r[0] for r in Store(db).rows("SELECT customer_id FROM customers ORDER BY customer_id LIMIT 2")]
    path = tmp_path / (XSS[0] + ".csv")
    lines = ["customer_id,date,amount," + ",".join(f'"{h}"' if "," in h else h.replace('"', "'") for h in XSS[1:])]
    for i, cid in enumerate(ids):
        lines.append(f"{cid},2026-09-0{i + 1},12.5," + ",".join(h.replace('"', "'") for h in XSS[1:]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    page.goto(f"{srv.url}/upload")
    wait_ready(page, en["upload.history"])
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    wait_ready(page, en["upload.mapping"])
    page.get_by_role("button", name=en["upload.load"], exact=True).click()
    wait_ready(page, en["upload.rows_loaded"])
    expect(page.get_by_test_id("stAlertContentSuccess")).to_be_visible()
    assert Store(db).scalar("SELECT count(*) FROM ingest_log WHERE file_name = ?", [path.name]) == 1
    page.reload()
    wait_ready(page, en["upload.history"])
    page.wait_for_timeout(500)
    assert dialogs == []
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("script", has_text="xss-script").count() == 0
    assert page.locator('a[href^="javascript:"]').count() == 0
    screenshot(page, "upload-hostile-en")


def test_cdnow_transactions_alone_load_in_one_step(page: Page, upload_server: tuple[Server, Path],
                                                    console_errors: list[str]) -> None:
    """The public CDNOW sample (no header, columns aligned with spaces, no customers file):
    one Load keeps all 6,919 rows and creates its 2,357 customers; choosing the next file
    clears that result; the same file again says it was loaded before, not "done"."""
    from tests.test_ingest_real_files import _cdnow

    srv, db = upload_server
    en = catalogue("en")
    before = Store(db).table_counts()
    page.goto(f"{srv.url}/upload")
    wait_ready(page, en["upload.history"])
    uploader = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    uploader.set_input_files(str(_cdnow("CDNOW_sample.txt")))
    wait_ready(page, en["upload.mapping"])
    page.get_by_role("button", name=en["upload.load"], exact=True).click()
    wait_ready(page, en["upload.customers_created"])
    expect(page.get_by_test_id("stAlertContentSuccess")).to_be_visible()
    created = page.get_by_test_id("stMetric").filter(has_text=en["upload.customers_created"])
    expect(created).to_contain_text("2,357")
    expect(page.get_by_text(en["upload.identical_count"].format(n="21"), exact=False)).to_be_visible()
    after = Store(db).table_counts()
    assert after["transactions"] == before["transactions"] + 6919
    assert after["customers"] == before["customers"] + 2357
    screenshot(page, "upload-cdnow-en")
    uploader.set_input_files(str(REPO / "tests" / "data" / "ingest" / "tx_ko_cp949.csv"))
    wait_ready(page, en["upload.mapping"])
    page.wait_for_timeout(500)
    expect(page.get_by_test_id("stAlertContentSuccess")).to_have_count(0)     # the last file's result is gone
    uploader.set_input_files(str(_cdnow("CDNOW_sample.txt")))
    wait_ready(page, en["upload.mapping"])
    page.get_by_role("button", name=en["upload.load"], exact=True).click()
    wait_ready(page, en["upload.duplicate"])
    expect(page.get_by_test_id("stAlertContentSuccess")).to_have_count(0)
    assert Store(db).table_counts()["transactions"] == after["transactions"]


@pytest.mark.parametrize("lang", ["ko", "zh_Hant"])
def test_uploader_speaks_the_language(page: Page, upload_server: tuple[Server, Path], lang: str) -> None:
    """Issue 21 item 10: Streamlit's own "Upload" and "200MB per file" give way to the
    catalogue's words (the English ones are hidden, the translated ones drawn in their place)."""
    srv, _db = upload_server
    cat = catalogue(lang)
    page.goto(f"{srv.url}/upload?lang={lang}")
    wait_ready(page, cat["upload.history"])
    zone = page.get_by_test_id("stFileUploaderDropzone")
    # The style element can land a moment after the widget (it is drawn by its own element):
    # wait until the button's text has been replaced, then read everything.
    page.wait_for_function("""() => {
      const p = document.querySelector('[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p');
      return p && getComputedStyle(p, '::after').content !== 'none';
    }""", timeout=10_000)
    shown = zone.evaluate("""z => {
      const p = z.querySelector('button [data-testid="stMarkdownContainer"] p');
      const s = z.querySelector('[data-testid="stFileUploaderDropzoneInstructions"] span');
      const after = (e) => getComputedStyle(e, '::after').content;
      return {button: after(p), hint: after(s), english: [getComputedStyle(p).fontSize, getComputedStyle(s).fontSize]};
    }""")
    assert shown["button"] == f'"{cat["upload.browse"]}"'
    assert shown["hint"] == f'"{cat["upload.drop_here"]}"'
    assert shown["english"] == ["0px", "0px"]


def test_a_refusal_is_said_in_full_under_the_box_and_stays(page: Page, upload_server: tuple[Server, Path],
                                                           console_errors: list[str]) -> None:
    """A load refused for a reason (dates that could be day- or month-first) shows that reason
    on screen, not inside the collapsed progress box, and keeps it through the next click."""
    srv, db = upload_server
    ko = catalogue("ko")
    before = Store(db).table_counts()
    page.goto(f"{srv.url}/upload?lang=ko")
    wait_ready(page, ko["upload.history"])
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        str(REPO / "tests" / "data" / "ingest" / "ambiguous_dates.csv"))
    wait_ready(page, ko["upload.mapping"])
    page.get_by_role("button", name=ko["upload.load"], exact=True).click()
    wait_ready(page, ko["upload.failed"])
    reason = page.get_by_test_id("stAlertContentError").filter(has_text=ko["upload.nothing_changed"])
    expect(reason).to_be_visible()
    expect(reason).to_contain_text(ko["upload.problem.ambiguous_dates"].split("{")[0].strip())
    page.locator(".st-key-up_accept label").first.click()   # a rerun: a widget touched
    page.wait_for_timeout(300)
    wait_ready(page)
    expect(reason).to_be_visible()
    assert Store(db).table_counts()["transactions"] == before["transactions"]
