"""The real Streamlit server on a free loopback port, driven by headless Chromium.

Recipes from ../shared/ENVIRONMENT.md: Debian's Chromium via Playwright, no network,
wait for /_stcore/health, then for the app's "not running" state.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"  # pytest-playwright wipes test-results/ itself
DOCS = REPO / "docs"
NO_NETWORK = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            "args": [NO_NETWORK]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1500, "height": 1000}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One ``python -m crm_app.serve`` process (the README's command: warm start, then
    ``streamlit run app.py``); stopped by :meth:`stop`."""

    def __init__(self, env: dict[str, str], log: Path, args: tuple[str, ...] = (), port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        cmd = [sys.executable, "-m", "crm_app.serve", "--server.headless=true",
               f"--server.port={self.port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false",
               "--server.fileWatcherType=none", *args]
        # The background preparation of kept results (crm_app.warm.watch) holds the file while
        # tests read it in-process; off unless a test asks for it (test_kept_browser.py).
        self.proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, "CRM_PREPARE": "0", **env}, stdout=log.open("wb"),
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=1) as r:
                    if r.read() == b"ok":
                        return
            except OSError:
                time.sleep(0.2)
            if self.proc.poll() is not None:
                break
        raise RuntimeError(f"server did not start: {log.read_text(errors='replace')[-2000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def e2e_db(demo_db_master: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("e2e") / "demo.duckdb"
    shutil.copy(demo_db_master, target)
    return target


@pytest.fixture(scope="session")
def server(e2e_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server({"CRM_DB": str(e2e_db)}, tmp_path_factory.mktemp("logs") / "server.log")
    yield srv
    srv.stop()


@pytest.fixture()
def console_errors(page: Page) -> Iterator[list[str]]:
    """Collects browser console errors and page errors; the test fails on any."""
    errors: list[str] = []

    def on_console(m: Any) -> None:
        source = str(m.location.get("url") or "")
        # The identity provider's own pages (its CDN stylesheet, its favicon) and Streamlit's
        # health probes relative to a page URL (/<page>/_stcore/health, a known 404) are not ours.
        if "/oauth2/" in page.url or re.match(r"https?://[^/]+/[^/]+/_stcore/", source):
            return
        errors.append(f"console: {m.text} @ {source}")

    page.on("console", lambda m: on_console(m) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    yield errors
    assert errors == [], errors


def wait_ready(page: Page, expected_text: str | None = None, timeout: float = 30_000) -> None:
    """Wait for expected content, then for the script to finish; fail on exception boxes."""
    if expected_text:
        expect(page.get_by_text(expected_text, exact=False).first).to_be_visible(timeout=timeout)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=timeout)
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator('[data-testid="stException"]').first.inner_text()


def nav_link(page: Page, name: str) -> Locator:
    """A link of the app's sidebar menu (only the pages the user may open are listed)."""
    return page.locator(".st-key-crm_menu").get_by_role("link", name=name, exact=True)


def nav_names(page: Page, timeout: float = 20.0) -> list[str]:
    """The menu's link labels once the menu has settled.

    The menu is drawn link by link; a read during a rerun (the sign-in redirect is followed by
    a query-parameter sync) once caught only its last three links. The labels are read until
    two reads half a second apart, both with the script finished, agree.
    """
    links = page.locator(".st-key-crm_menu").get_by_role("link")
    idle = page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')
    deadline = time.monotonic() + timeout
    last: list[str] | None = None
    while True:
        idle.wait_for(timeout=timeout * 1000)
        now = [t.strip() for t in links.all_inner_texts()]
        if now == last or time.monotonic() > deadline:
            return now
        last = now
        page.wait_for_timeout(500)


def pick_option(page: Page, widget: Locator, name: str, attempts: int = 4) -> None:
    """Open a select/multiselect and choose an option by its exact label.

    A rerun that lands just after the click (the warm start, a query-parameter sync, a chart
    reporting its size) re-renders the widget and closes its menu, or detaches the option being
    clicked; the menu is then opened again rather than waited on for ever.
    """
    option = page.get_by_role("option", name=name, exact=True)
    for attempt in range(attempts):
        wait_ready(page)
        widget.click()
        try:
            option.wait_for(state="visible", timeout=5_000)
            # A rerun landing during the click detaches the open menu's options: try again
            # rather than wait the default 30 s for an option that will not come back.
            option.click(timeout=5_000)
        except PlaywrightTimeoutError:
            if attempt == attempts - 1:
                raise
            page.keyboard.press("Escape")
            continue
        return


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot; with CRM_UPDATE_SCREENSHOT=1 also refresh docs/<name>.png (README)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("CRM_UPDATE_SCREENSHOT") == "1" and name in ("overview-en", "overview-ko"):
        DOCS.mkdir(exist_ok=True)
        shutil.copy(path, DOCS / f"{name}.png")
    return path
