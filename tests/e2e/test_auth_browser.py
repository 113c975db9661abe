"""Sign-in and roles in a real browser against a real OpenID Connect provider on loopback
(``oidc-provider-mock``): each role sees its pages, is refused the others (menu and
direct URL), signs out; an unknown user and an unreachable provider are refused."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from crm_core.customers import overview
from crm_core.filters import Filters
from crm_core.i18n import catalogue
from crm_core.store.connection import Store

from .conftest import Server, free_port, nav_link, nav_names, screenshot, wait_ready

EN = catalogue("en")
ROLES = """
[settings]
default_role = ""
claim = "groups"

[claims]
"crm-analysts" = "analyst"

[users."ada@example.com"]
role = "admin"

[users."ana@example.com"]
role = "analyst"

[users."vic@example.com"]
role = "viewer"
manager = "{manager}"
"""


class Provider:
    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1",
                                      "--port", str(self.port)], stdout=log.open("wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/.well-known/openid-configuration", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(log.read_text(errors="replace")[-2000:])

    def set_claims(self, email: str, claims: dict) -> None:
        req = urllib.request.Request(f"{self.url}/users/{email}", data=json.dumps(claims).encode(), method="PUT",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as r:
            assert r.status == 204

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _secrets(path: Path, app_port: int, metadata_url: str) -> Path:
    path.write_text(f"""[auth]
redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"
cookie_secret = "test-cookie-secret-{app_port}"
client_id = "crm-dashboard"
client_secret = "any"
server_metadata_url = "{metadata_url}"
""")
    return path


@pytest.fixture(scope="module")
def manager(e2e_db: Path) -> str:
    return str(Store(e2e_db).scalar("SELECT account_manager FROM customers WHERE account_manager IS NOT NULL "
                                    "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"))


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    p = Provider(tmp_path_factory.mktemp("oidc") / "provider.log")
    yield p
    p.stop()


@pytest.fixture(scope="module")
def signed_server(provider: Provider, e2e_db: Path, manager: str,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("auth")
    roles = tmp / "roles.toml"
    roles.write_text(ROLES.format(manager=manager))
    port = free_port()
    secrets = _secrets(tmp / "secrets.toml", port, provider.url + "/.well-known/openid-configuration")
    srv = Server({"CRM_DB": str(e2e_db), "CRM_ROLES": str(roles)}, tmp / "server.log",
                 args=(f"--secrets.files={secrets}",), port=port)
    yield srv
    srv.stop()


def sign_in(page: Page, server: Server, email: str) -> None:
    page.goto(server.url)
    page.get_by_role("button", name=EN["auth.sign_in"]).click()
    page.get_by_placeholder("sub").fill(email)
    page.get_by_role("button", name="Authorize").click()


def test_viewer_sees_dashboards_of_their_manager_only_and_is_refused_upload_and_admin(
        page: Page, signed_server: Server, e2e_db: Path, manager: str, console_errors: list[str]) -> None:
    store = Store(e2e_db)
    as_of = overview.default_as_of(store)
    mine = overview.kpis(store, as_of, Filters.of(account_managers=[manager])).current.customers
    everyone = overview.kpis(store, as_of).current.customers
    assert 0 < mine < everyone
    name = store.scalar("SELECT name FROM account_managers WHERE manager_id = ?", [manager])
    n = store.scalar("SELECT count(*) FROM customers WHERE account_manager = ?", [manager])
    sign_in(page, signed_server, "vic@example.com")
    wait_ready(page, EN["kpi.lapse_rate"])
    card = page.get_by_test_id("stMetric").filter(has_text=EN["kpi.customers"]).first
    expect(card.get_by_test_id("stMetricValue")).to_have_text(f"{mine:,}")
    expect(page.get_by_test_id("stSidebar")).to_contain_text("vic@example.com")
    expect(nav_link(page, EN["page.churn"])).to_be_visible()
    links = " ".join(nav_names(page))
    assert EN["page.overview"] in links and EN["page.churn"] in links
    assert EN["page.upload"] not in links and EN["page.admin"] not in links
    refused = EN["auth.page_refused"].format(role=EN["role.viewer"])
    for path in ("upload", "admin"):
        page.goto(f"{signed_server.url}/{path}")
        wait_ready(page)
        expect(page.get_by_test_id("stAlertContentError")).to_contain_text(refused)
        expect(page.get_by_test_id("stFileUploader")).to_have_count(0)
        expect(page.get_by_role("heading", name=EN["page.admin"])).to_have_count(0)
    screenshot(page, "auth-viewer-refused-en")
    # The Managers page opens on the viewer's own portfolio, and lists only that manager.
    nav_link(page, EN["page.managers"]).click()
    wait_ready(page, EN["managers.yours"].format(name=f"{name} ({manager})"))
    accounts = page.get_by_test_id("stMetric").filter(has_text=EN["managers.col.accounts"]).first
    expect(accounts.get_by_test_id("stMetricValue")).to_have_text(f"{n:,}")
    page.get_by_role("button", name=EN["auth.sign_out"]).click()
    end = page.get_by_role("button", name="End session")
    end.click()
    expect(page.get_by_role("button", name=EN["auth.sign_in"])).to_be_visible(timeout=20_000)
    assert nav_names(page) == []
    page.goto(f"{signed_server.url}/churn")
    expect(page.get_by_role("button", name=EN["auth.sign_in"])).to_be_visible(timeout=20_000)
    expect(page.get_by_text(EN["kpi.lapse_rate"])).to_have_count(0)


def test_analyst_by_claim_uploads_but_has_no_admin_page(page: Page, signed_server: Server, provider: Provider,
                                                        console_errors: list[str]) -> None:
    provider.set_claims("lee@example.org", {"sub": "lee@example.org", "email": "lee@example.org",
                                            "groups": ["staff", "crm-analysts"]})
    sign_in(page, signed_server, "lee@example.org")
    wait_ready(page, EN["kpi.lapse_rate"])
    expect(nav_link(page, EN["page.upload"])).to_be_visible()
    links = " ".join(nav_names(page))
    assert EN["page.upload"] in links and EN["page.admin"] not in links
    page.goto(f"{signed_server.url}/upload")
    wait_ready(page, EN["upload.caption"])
    expect(page.get_by_test_id("stFileUploader")).to_have_count(1)
    page.goto(f"{signed_server.url}/admin")
    wait_ready(page)
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text(
        EN["auth.page_refused"].format(role=EN["role.analyst"]))
    expect(page.get_by_role("heading", name=EN["page.admin"])).to_have_count(0)


def test_admin_reads_the_audit_log(page: Page, signed_server: Server, console_errors: list[str]) -> None:
    sign_in(page, signed_server, "ada@example.com")
    wait_ready(page, EN["kpi.lapse_rate"])
    nav_link(page, EN["page.admin"]).click()
    wait_ready(page, EN["admin.caption"])
    page.get_by_role("tab", name=EN["admin.audit"]).click()
    grid = page.get_by_test_id("stDataFrame").last
    expect(grid).to_be_visible()
    screenshot(page, "auth-admin-audit-en")


def test_unknown_user_is_refused(page: Page, signed_server: Server, console_errors: list[str]) -> None:
    sign_in(page, signed_server, "stranger@example.net")
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text("stranger@example.net", timeout=20_000)
    expect(page.get_by_text(EN["kpi.lapse_rate"])).to_have_count(0)
    assert nav_names(page) == []


def test_unreachable_provider_fails_closed(page: Page, e2e_db: Path, tmp_path: Path, console_errors: list[str]) -> None:
    port = free_port()
    dead = f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration"
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES.format(manager="AM01"))
    secrets = _secrets(tmp_path / "secrets.toml", port, dead)
    srv = Server({"CRM_DB": str(e2e_db), "CRM_ROLES": str(roles)}, tmp_path / "server.log",
                 args=(f"--secrets.files={secrets}",), port=port)
    try:
        page.goto(srv.url)
        expect(page.get_by_test_id("stAlertContentError")).to_contain_text("identity provider", timeout=20_000)
        expect(page.get_by_role("button", name=EN["auth.sign_in"])).to_have_count(0)
        expect(page.get_by_text(EN["kpi.lapse_rate"])).to_have_count(0)
        page.goto(f"{srv.url}/upload")
        expect(page.get_by_test_id("stAlertContentError")).to_contain_text("identity provider", timeout=20_000)
        expect(page.get_by_test_id("stFileUploader")).to_have_count(0)
    finally:
        srv.stop()
