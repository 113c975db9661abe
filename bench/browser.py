"""Browser render times from a cold server, on the benchmark database.

    python bench/browser.py [--db /tmp/crm-bench.duckdb]

Starts ``streamlit run app.py`` on a free loopback port (fresh process: empty caches),
opens the Overview in headless Chromium, then follows the sidebar links to the other
pages. Each time is from the navigation to the page's content being drawn and the
script finished ("notRunning"). Run bench/bench.py first to create the database.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crm_core.i18n import catalogue  # noqa: E402

EN = catalogue("en")
DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
PAGES = [("page.segments", "segments.table", 3.0), ("page.pyramid", "pyramid.whatif", 3.0),
         ("page.micro", "micro.dims", 3.0), ("page.overview", "kpi.churn_rate", 3.0)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="/tmp/crm-bench.duckdb")
    args = ap.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open("/tmp/crm-bench-server.log", "wb")
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.headless=true",
                               f"--server.port={port}", "--server.address=127.0.0.1", "--server.fileWatcherType=none"],
                              cwd=REPO, env={**os.environ, "CRM_DB": args.db}, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        ok = True
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                                         args=["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"])
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            t0 = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_text(EN["kpi.churn_rate"]).first.wait_for(timeout=120_000)
            page.locator(DONE).wait_for(timeout=120_000)
            first = time.perf_counter() - t0
            print(f"{'page':<26}{'seconds':>9}{'target':>8}")
            print(f"{'overview (cold server)':<26}{first:>9.2f}{3.0:>8.1f}  {'ok' if first <= 3 else 'MISSED'}")
            ok &= first <= 3
            for title, marker, target in PAGES:
                t0 = time.perf_counter()
                page.get_by_test_id("stSidebarNav").get_by_role("link", name=EN[title], exact=True).click()
                page.get_by_text(EN[marker]).first.wait_for(timeout=120_000)
                page.locator(DONE).wait_for(timeout=120_000)
                secs = time.perf_counter() - t0
                ok &= secs <= target
                print(f"{EN[title]:<26}{secs:>9.2f}{target:>8.1f}  {'ok' if secs <= target else 'MISSED'}")
            browser.close()
    finally:
        server.terminate()
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
