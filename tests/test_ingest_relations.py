"""The relationship data as upload kinds: account managers, customer-manager assignments,
products, campaigns and campaign contacts (control flags and responses in English, Korean
and Chinese words). Same rules as every kind: bad rows refused with a reason, all or nothing,
rollback; and what is loaded is what the Campaigns and Managers figures read."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from crm_core.access.auth import Principal
from crm_core.cli.main import main as cli
from crm_core.errors import InvalidParameterError
from crm_core.ingest import history
from crm_core.ingest import load as ingest
from crm_core.relations import campaigns as cp
from crm_core.store.connection import Store

NOW = datetime(2026, 12, 1)
ANALYST = Principal.of("ana@example.com", "analyst")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "rel.duckdb", create=True)
    rows = "customer_id,date,amount\n" + "".join(f"C{i},2024-0{1 + i % 5}-1{i % 9},{10 + i}\n" for i in range(60))
    assert ingest.load_file(s, write(tmp_path, "tx.csv", rows), "transactions", now=NOW, actor=ANALYST).status == "loaded"
    return s


def load(store: Store, path: Path, kind: str, **kw):
    return ingest.load_file(store, path, kind, now=NOW, actor=ANALYST, **kw)


def test_campaign_contacts_with_korean_headers_and_words(store: Store, tmp_path: Path) -> None:
    res = load(store, write(tmp_path, "c.csv", "캠페인코드,캠페인명,시작일,비용\nK1,봄 프로모션,2024-02-01,500\n"), "campaigns")
    assert res.status == "loaded" and res.mapping == {"캠페인코드": "campaign_id", "캠페인명": "name",
                                                      "시작일": "start_date", "비용": "cost"}
    body = "캠페인코드,고객번호,발송일,대조군,반응\n" + "".join(
        f"K1,C{i},2024-02-01,{'예' if i % 5 == 0 else '아니오'},{'O' if i % 3 == 0 else 'X'}\n" for i in range(60))
    res = load(store, write(tmp_path, "cc.csv", body), "campaign_contacts")
    assert res.status == "loaded" and res.rows_loaded == 60, res.errors
    control, responded = store.rows("SELECT count(*) FILTER (WHERE is_control), count(*) FILTER (WHERE responded) "
                                    "FROM campaign_contacts")[0]
    assert (control, responded) == (12, 20)
    t = cp.campaigns(store, date(2024, 12, 31)).campaigns.set_index("campaign_id")
    assert (t.loc["K1", "contacted"], t.loc["K1", "control"], t.loc["K1", "cost"]) == (48, 12, 500.0)


def test_bad_contact_rows_are_refused_with_reasons(store: Store, tmp_path: Path) -> None:
    load(store, write(tmp_path, "c.csv", "campaign_id,name\nK1,Spring\n"), "campaigns")
    body = ("campaign_id,customer_id,is_control,responded\n"
            "K1,C1,false,true\n"        # fine
            "K9,C2,false,true\n"        # no such campaign
            "K1,C3,maybe,true\n"        # not a yes/no
            "K1,C4,是,否\n"              # Chinese yes / no: fine
            "K1,C1,true,false\n"        # the same customer twice in one campaign
            "K1,ZZ,false,false\n")      # no such customer
    res = load(store, write(tmp_path, "cc.csv", body), "campaign_contacts")
    assert res.status == "rejected" and res.rows_loaded == 0
    problems = {(e["row"], e["column"], e["problem"]) for e in res.errors}
    assert {(2, "campaign_id", "unknown_reference"), (3, "is_control", "invalid"), (5, "row", "duplicate_in_file"),
            (6, "customer_id", "unknown_reference")} <= problems
    assert store.scalar("SELECT count(*) FROM campaign_contacts") == 0          # all or nothing
    res = load(store, write(tmp_path, "cc.csv", body), "campaign_contacts", accept_rejects=True)
    assert res.status == "loaded" and res.rows_loaded == 2
    assert sorted(store.rows("SELECT customer_id, is_control, responded FROM campaign_contacts")) == [
        ("C1", False, True), ("C4", True, False)]
    again = load(store, write(tmp_path, "cc2.csv", "campaign_id,customer_id\nK1,C1\n"), "campaign_contacts")
    assert again.status == "rejected" and again.errors[0]["problem"] == "duplicate_stored"
    history.rollback(store, res.ingest_id, actor=ANALYST, at=NOW)
    assert store.scalar("SELECT count(*) FROM campaign_contacts") == 0


def test_managers_and_assignments_load_and_roll_back(store: Store, tmp_path: Path) -> None:
    res = load(store, write(tmp_path, "m.csv", "담당자코드,담당자명,연간비용\nAM1,김지훈,85000\nAM2,王磊,70000\n"),
               "account_managers")
    assert res.status == "loaded" and res.rows_loaded == 2
    first = load(store, write(tmp_path, "a.csv", "고객번호,담당자\nC1,AM1\nC2,AM1\n"), "customer_managers")
    assert first.status == "loaded"
    second = load(store, write(tmp_path, "b.csv", "customer_id,manager\nC1,AM2\nC3,AM9\n"), "customer_managers")
    assert second.status == "rejected" and second.errors == [{"row": 2, "column": "account_manager",
                                                               "problem": "unknown_reference"}]
    second = load(store, write(tmp_path, "b.csv", "customer_id,manager\nC1,AM2\n"), "customer_managers")
    assert store.scalar("SELECT account_manager FROM customers WHERE customer_id = 'C1'") == "AM2"
    assert store.scalar("SELECT count(*) FROM customers") == 60                # nobody created
    history.rollback(store, second.ingest_id, actor=ANALYST, at=NOW)
    assert store.scalar("SELECT account_manager FROM customers WHERE customer_id = 'C1'") == "AM1"
    with pytest.raises(InvalidParameterError):
        history.rollback(store, res.ingest_id, actor=ANALYST, at=NOW)         # others may refer to managers


def test_products_upsert_and_the_cli(store: Store, tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "p.csv", "StockCode,Description,Category,Price\n85123A,WHITE HEART,Home,2.55\n")
    assert cli(["ingest", "--db", str(store.path), "--kind", "products", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "loaded" and doc["mapping"]["StockCode"] == "product_id"
    path = write(tmp_path, "p2.csv", "product_id,name,category\n85123A,WHITE HEART,Decor\n")
    assert cli(["ingest", "--db", str(store.path), "--kind", "products", str(path), "--json"]) == 0
    capsys.readouterr()
    assert store.rows("SELECT category, CAST(unit_price AS DOUBLE) FROM products") == [("Decor", 2.55)]
    bad = write(tmp_path, "p3.csv", "product_id,name,unit_price\nX1,Thing,-3\n")
    assert cli(["ingest", "--db", str(store.path), "--kind", "products", str(bad), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["errors"][0]["problem"] == "negative"
