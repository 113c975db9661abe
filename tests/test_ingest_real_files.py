"""Analysts' real files load as they are: a transactions file alone (customers created),
identical purchases kept, order lines (quantity x unit price, invoices, cancellations,
guest checkouts), headers of common exports, files without a header row or aligned with
spaces, every kind from a minimal and a full file, and a load that adds nothing is not a
success. CDNOW, a public file no one here wrote, is the reference."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from crm_core.access.auth import Principal
from crm_core.ingest import load as ingest
from crm_core.ingest.schema import KINDS, propose_mapping, template_rows
from crm_core.store.connection import Store
from crm_core.value import clv
from tests.clv_data import CALIBRATION_END, FH_2013_GAMMA_GAMMA, FHL_2005

CDNOW = Path(__file__).resolve().parents[2] / "shared" / "data" / "cdnow"
NOW = datetime(2026, 12, 1)
ANALYST = Principal.of("ana@example.com", "analyst")


def _cdnow(name: str) -> Path:
    """The public CDNOW file from ``../shared/data/cdnow`` beside the repository (the sample
    is also kept in ``tests/data``, byte for byte)."""
    path = CDNOW / name
    if not path.exists() and name == "CDNOW_sample.txt":
        path = Path(__file__).parent / "data" / "cdnow_sample.txt"
    assert path.exists(), f"the public CDNOW data is missing: {path}"
    return path


def test_cdnow_sample_loads_alone_in_one_call_and_gives_the_published_models(tmp_path: Path) -> None:
    """No customers file, no header, columns aligned with spaces: one load keeps all 6,919
    rows (21 identical same-day purchases included), creates the 2,357 customers, and the
    models fitted from the database are the published ones."""
    store = Store(tmp_path / "cdnow.duckdb", create=True)
    res = ingest.load_file(store, _cdnow("CDNOW_sample.txt"), "transactions", now=NOW, actor=ANALYST)
    assert res.status == "loaded" and res.rows_read == res.rows_loaded == 6919 and res.rows_rejected == 0
    assert res.customers_created == 2357 and res.identical_rows == 21 and res.guest_rows == 0
    assert res.mapping == {"column1": "customer_id", "column2": None, "column3": "date", "column4": "quantity",
                           "column5": "amount"}
    assert store.table_counts()["transactions"] == 6919
    model = clv.run_clv(store, CALIBRATION_END.date(), time_unit="week", horizon=39).model
    for name in ("r", "alpha", "a", "b"):
        assert getattr(model.bgnbd.params, name) == pytest.approx(FHL_2005[name], abs=0.0006), name
    for name in ("p", "q", "v"):
        assert getattr(model.gamma_gamma.params, name) == pytest.approx(FH_2013_GAMMA_GAMMA[name], abs=0.006), name
    # A customers file later fills in the created customers' details.
    people = tmp_path / "people.csv"
    people.write_text("customer_id,name,region\n00004,Kim,Seoul\n", encoding="utf-8")
    assert ingest.load_file(store, people, "customers", now=NOW, actor=ANALYST).status == "loaded"
    assert store.rows("SELECT name, region FROM customers WHERE customer_id = '00004'") == [("Kim", "Seoul")]
    assert store.table_counts()["customers"] == 2357
    # Identical rows as duplicates instead: refused, nothing more loaded.
    copy = tmp_path / "again.txt"
    shutil.copy(_cdnow("CDNOW_sample.txt"), copy)
    strict = ingest.load_file(Store(tmp_path / "strict.duckdb", create=True), copy, "transactions", now=NOW,
                              actor=ANALYST, identical_rows="duplicates")
    assert strict.status == "rejected" and strict.rows_rejected == 21


def test_cdnow_master_header_is_recognised(tmp_path: Path) -> None:
    store = Store(tmp_path / "m.duckdb", create=True)
    res = ingest.load_file(store, _cdnow("CDNOW_master.txt"), "transactions", now=NOW, actor=ANALYST)
    assert res.status == "loaded" and res.rows_loaded == 69659 and res.customers_created == 23570
    assert res.mapping == {"customer_id": "customer_id", "date": "date", "number_of_cds": "quantity",
                           "dollar_value": "amount"}


def test_order_lines_invoices_cancellations_and_guests(tmp_path: Path) -> None:
    """An order-lines export (the UCI Online Retail shape): amount = quantity x unit price;
    two lines of one invoice are one order; a C-prefixed invoice is a cancellation (a
    return); a line without a customer is a guest checkout, set aside without stopping the
    load; customers are created with their country; a rollback removes them again."""
    path = tmp_path / "retail.csv"
    path.write_text(
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "536365,85123A,WHITE HANGING HEART,6,12/13/2010 8:26,2.55,17850.0,United Kingdom\n"
        "536365,71053,WHITE METAL LANTERN,6,12/13/2010 8:26,3.39,17850.0,United Kingdom\n"
        "536366,22633,HAND WARMER,2,12/14/2010 9:01,1.85,13047.0,United Kingdom\n"
        "C536379,D,Discount,-1,12/14/2010 9:41,27.50,13047.0,United Kingdom\n"
        "536370,22728,ALARM CLOCK,24,12/1/2010 8:45,3.75,12583.0,France\n"
        "536414,22139,RETROSPOT TEA SET,56,12/1/2010 11:52,0.00,,United Kingdom\n", encoding="utf-8")
    store = Store(tmp_path / "r.duckdb", create=True)
    res = ingest.load_file(store, path, "transactions", now=NOW, actor=ANALYST)
    assert res.mapping["InvoiceNo"] == "order_id" and res.mapping["UnitPrice"] == "unit_price"
    assert res.mapping["CustomerID"] == "customer_id" and res.mapping["Description"] is None
    assert res.status == "loaded" and res.rows_loaded == 5 and res.rows_rejected == 1 and res.guest_rows == 1
    assert res.errors == [{"row": 6, "column": "customer_id", "problem": "guest"}]
    assert res.customers_created == 3
    got = store.df("SELECT customer_id, order_id, amount FROM transactions ORDER BY order_id, amount")
    assert got.to_dict("records") == [
        {"customer_id": "17850", "order_id": "536365", "amount": pytest.approx(15.30)},
        {"customer_id": "17850", "order_id": "536365", "amount": pytest.approx(20.34)},
        {"customer_id": "13047", "order_id": "536366", "amount": pytest.approx(3.70)},
        {"customer_id": "12583", "order_id": "536370", "amount": pytest.approx(90.00)},
        {"customer_id": "13047", "order_id": "C536379", "amount": pytest.approx(-27.50)}]
    days = store.df("SELECT orders FROM customer_days JOIN customers USING (customer_key) WHERE customer_id = '17850'")
    assert days["orders"].tolist() == [1]                               # two lines, one invoice
    assert store.rows("SELECT country FROM customers WHERE customer_id = '12583'") == [("France",)]
    assert ingest.quarantine(store, res.ingest_id)["problems"].tolist() == ["customer_id:guest"]
    assert ingest.rollback(store, res.ingest_id, actor=ANALYST, at=NOW) == 5
    assert store.table_counts()["customers"] == 0                       # the customers it created go too


def test_a_load_that_adds_nothing_is_not_a_success_and_blocks_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "z.duckdb", create=True)
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,date,amount\nA,2024-01-05,abc\nB,2024-01-06,xyz\n", encoding="utf-8")
    res = ingest.load_file(store, bad, "transactions", now=NOW, actor=ANALYST, accept_rejects=True)
    assert res.status == "rejected" and res.reason == "no_rows_loaded" and res.rows_loaded == 0
    assert store.table_counts()["transactions"] == 0 and store.table_counts()["customers"] == 0
    again = ingest.load_file(store, bad, "transactions", now=NOW, actor=ANALYST, accept_rejects=True)
    assert again.status == "rejected"                                   # not "duplicate": nothing went in
    assert len(ingest.quarantine(store, again.ingest_id)) == 2


def test_known_customers_only_keeps_the_strict_behaviour(tmp_path: Path) -> None:
    store = Store(tmp_path / "k.duckdb", create=True)
    f = tmp_path / "t.csv"
    f.write_text("customer_id,date,amount\nA,2024-01-05,10\n", encoding="utf-8")
    res = ingest.load_file(store, f, "transactions", now=NOW, actor=ANALYST, known_customers_only=True)
    assert res.status == "rejected" and res.errors[0]["problem"] == "unknown_reference"
    assert store.table_counts()["customers"] == 0


@pytest.mark.parametrize("headers, want", [
    (["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"],
     {"InvoiceNo": "order_id", "StockCode": "product_id", "Quantity": "quantity", "InvoiceDate": "date",
      "UnitPrice": "unit_price", "CustomerID": "customer_id", "Country": "country"}),
    (["Name", "Email", "Created at", "Total", "Lineitem quantity", "Lineitem price", "Lineitem sku"],
     {"Email": "customer_id", "Created at": "date", "Total": "amount", "Lineitem quantity": "quantity",
      "Lineitem price": "unit_price", "Lineitem sku": "product_id"}),
    (["주문번호", "구매자ID", "결제일시", "결제금액", "수량"],
     {"주문번호": "order_id", "구매자ID": "customer_id", "결제일시": "date", "결제금액": "amount", "수량": "quantity"}),
    (["订单号", "买家账号", "付款时间", "实付金额", "商品单价"],
     {"订单号": "order_id", "买家账号": "customer_id", "付款时间": "date", "实付金额": "amount",
      "商品单价": "unit_price"}),
    (["TotalPrice", "customerid", "invoicedate"], {"TotalPrice": "amount", "customerid": "customer_id",
                                                   "invoicedate": "date"}),
])
def test_headers_of_common_exports(headers: list[str], want: dict[str, str]) -> None:
    got = propose_mapping(KINDS["transactions"], headers)
    assert {k: v for k, v in got.items() if v} == want


ORDER = ("customers", "loyalty_programs", "transactions", "churn_events", "loyalty_members", "loyalty_costs",
         "service_interactions", "account_managers", "customer_managers", "products", "campaigns", "campaign_contacts")


def test_every_kind_loads_from_its_template_and_from_a_minimal_file(tmp_path: Path) -> None:
    """Each kind through the same load as the CLI and the page: its template (every column,
    the example row the page offers for download) and a file of its required columns only."""
    store = Store(tmp_path / "all.duckdb", create=True)
    for kind in ORDER:
        cols, required, example = template_rows(kind)
        full = tmp_path / f"{kind}-full.csv"
        pd.DataFrame([example], columns=cols).to_csv(full, index=False)
        res = ingest.load_file(store, full, kind, now=NOW, actor=ANALYST)
        assert res.status == "loaded" and res.rows_loaded == 1, (kind, res.errors)
        assert all(res.mapping[c] == c for c in cols), (kind, res.mapping)
        minimal = tmp_path / f"{kind}-min.csv"
        row = dict(zip(cols, example))
        own = {"customers": "customer_id", "loyalty_programs": "program_id", "account_managers": "manager_id",
               "products": "product_id", "campaigns": "campaign_id"}
        if kind in own:
            row[own[kind]] += "-2"
        if kind in own and kind != "customers":
            pd.DataFrame([{c: row[c] for c in required}]).to_csv(minimal, index=False)
        else:
            other = {**row, **{c: row[c] for c in required}}
            for c in required:       # a second, different row of the required columns
                if c in ("date", "churn_date", "enrolled_at", "opened_at"):
                    other[c] = "2024-04-06"
            if kind in ("customer_managers", "campaign_contacts"):   # another (known) customer
                other["customer_id"] = "C0001-2"
            pd.DataFrame([{c: other[c] for c in required}]).to_csv(minimal, index=False)
        res = ingest.load_file(store, minimal, kind, now=NOW, actor=ANALYST)
        assert res.status == "loaded" and res.rows_loaded == 1, (kind, res.errors)
    counts = store.table_counts()
    assert all(counts[KINDS[k].table] >= 2 for k in ORDER)
    assert store.scalar("SELECT count(*) FROM customers WHERE account_manager = 'AM01'") == 2
