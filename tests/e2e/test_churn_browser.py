"""The Churn page in a real browser: figures equal what crm_core computes, every section
renders in Korean, and the churned-customer list downloads."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from crm_core.customers.overview import default_as_of
from crm_core.exits import churn
from crm_core.i18n import Translator
from crm_core.store.connection import Store

from .conftest import Server, screenshot, wait_ready
from .test_targets_browser import open_page


def test_churn_page_in_korean(page: Page, server: Server, e2e_db: Path, console_errors: list[str]) -> None:
    ko = open_page(page, server, "ko", "page.churn")
    wait_ready(page, ko["churn.reasons"])
    store = Store(e2e_db)
    as_of = default_as_of(store)
    d = churn.churn_data(store, as_of)
    tr = Translator("ko")
    for key, value in (("churn.kpi.active", tr.number(d.active)), ("churn.kpi.churned", tr.number(d.churned)),
                       ("kpi.churn_rate", tr.percent(d.churn_rate))):
        expect(page.get_by_test_id("stMetric").filter(has_text=ko[key]).first).to_contain_text(value)
    expect(page.get_by_text(ko["churn.at_risk"], exact=True)).to_be_attached()
    for title in ("churn.trend_title.month", "churn.reasons_title.customers", "churn.donut_title",
                  "churn.area_title", "churn.by_group_title", "churn.complaints_title"):
        expect(page.get_by_text(ko[title], exact=True)).to_be_attached()
    screenshot(page, "churn-ko")
    page.get_by_text(ko["churn.complaints"], exact=True).scroll_into_view_if_needed()
    screenshot(page, "churn-ko-lower")
    with page.expect_download() as info:     # the last list on the page: customers who churned in the period
        page.get_by_role("button", name=ko["list.download_csv"]).last.click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_bytes().decode("utf-8-sig"))))
    start = as_of - timedelta(days=365)
    ev = d.events[(d.events["churn_date"] > str(start)) & (d.events["churn_date"] <= str(as_of))]
    assert len(rows) == len(ev) and {r["customer_id"] for r in rows} == set(ev["customer_id"])
    assert {r["reason"] for r in rows} <= set(churn.REASONS) and all(r["churn_date"] for r in rows)
    assert {"email", "annual_revenue", "method"} <= set(rows[0])
    wait_ready(page)
