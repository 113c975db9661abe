"""Uploads: real files in every format and encoding, each bad input refused clearly with the
database unchanged, all-or-nothing loads, quarantine, duplicates, history and rollback."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_core.access.auth import Principal
from crm_core.access.export import to_csv_bytes
from crm_core.errors import IngestError, InputFileError
from crm_core.ingest import load as ingest
from crm_core.store.connection import Store

from .conftest import make_store

FILES = Path(__file__).resolve().parent / "data" / "ingest"
NOW = datetime(2026, 11, 23, 12, 0)
ANALYST = Principal.of("ana@example.com", "analyst")


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    customers = [{"customer_id": f"C{i:07d}", "name": f"N{i}"} for i in range(1, 6)]
    return make_store(tmp_path / "s.duckdb", customers=customers,
                      loyalty_programs=[{"program_id": "P1", "name": "Points", "kind": "points"}])


def snapshot(store: Store) -> dict:
    return {**store.table_counts(), "data_version": store.data_version(),
            "tx": store.rows("SELECT * EXCLUDE (ingest_id) FROM transactions ORDER BY transaction_id")}


@pytest.mark.parametrize(("name", "encoding"), [
    ("tx_ko_cp949.csv", "cp949"), ("tx_ko_utf8_bom.csv", "utf-8-sig"), ("tx_ko_utf16.csv", "utf-16"),
    ("tx_semicolon.txt", "utf-8"), ("tx_tab.tsv", "utf-8"), ("tx_ko.csv.gz", "utf-8"), ("tx_ko.zip", "cp949")])
def test_korean_files_in_every_encoding_and_wrapper(store: Store, name: str, encoding: str) -> None:
    """Korean headers map by themselves; 2026년 9월 1일, 2026.09.02 and 20260903 are dates;
    ￦12,000, (1500) and full-width ３４５６ are amounts; encoding detected."""
    res = ingest.load_file(store, FILES / name, "transactions", now=NOW, actor=ANALYST)
    assert res.status == "loaded" and res.rows_loaded == 3 and res.encoding == encoding, res.to_json()
    assert res.mapping["고객번호"] == "customer_id" and res.mapping["상품분류"] == "product_category"
    rows = store.rows("SELECT customer_id, tx_date, amount, product_category FROM transactions ORDER BY customer_id")
    assert [(c, d, float(a), p) for c, d, a, p in rows] == [
        ("C0000001", date(2026, 9, 1), 12000.0, "가전"), ("C0000002", date(2026, 9, 2), -1500.0, "식품"),
        ("C0000003", date(2026, 9, 3), 3456.0, "의류")]


@pytest.mark.parametrize(("name", "encoding", "first"), [("tx_zh_gb18030.csv", "gb18030", 1200.5),
                                                          ("tx_zh_big5.csv", "big5", 1200.0)])
def test_chinese_files(store: Store, name: str, encoding: str, first: float) -> None:
    res = ingest.load_file(store, FILES / name, "transactions", now=NOW, actor=ANALYST)
    assert res.status == "loaded" and res.encoding == encoding and res.rows_loaded == 2
    assert float(store.scalar("SELECT amount FROM transactions WHERE customer_id = 'C0000001'")) == first
    assert store.scalar("SELECT tx_date FROM transactions WHERE customer_id = 'C0000002'") == date(2026, 9, 2)


def test_parquet_and_excel_with_a_chosen_sheet(store: Store) -> None:
    """Excel: the sheet is chosen, serial day numbers are dates. The Parquet file holds the
    same rows, so it is then refused as already stored."""
    with pytest.raises(IngestError, match="required"):   # the first sheet is a readme
        ingest.load_file(store, FILES / "tx.xlsx", "transactions", now=NOW, actor=ANALYST)
    res = ingest.load_file(store, FILES / "tx.xlsx", "transactions", now=NOW, actor=ANALYST, sheet="data",
                           mapping={"date": "", "serial": "date"})   # Excel serial days as the date
    assert res.status == "loaded" and res.rows_loaded == 2 and res.format == "xlsx"
    assert sorted(r[0] for r in store.rows("SELECT tx_date FROM transactions WHERE ingest_id = ?", [res.ingest_id])) == [
        date(2026, 9, 1), date(2026, 9, 2)]
    res = ingest.load_file(store, FILES / "tx.parquet", "transactions", now=NOW, actor=ANALYST)
    assert res.status == "rejected" and res.format == "parquet"
    assert {e["problem"] for e in res.errors} == {"duplicate_stored"}


@pytest.mark.parametrize(("name", "error", "problem"), [
    ("empty.csv", InputFileError, "empty"), ("junk.csv", InputFileError, "binary"),
    ("header_only.csv", IngestError, "no_rows"), ("missing_amount.csv", IngestError, "missing_columns"),
    ("ambiguous_dates.csv", IngestError, "ambiguous_dates"), ("mixed_dates.csv", IngestError, "mixed_dates"),
    ("customers.csv", IngestError, "wrong_kind")])
def test_bad_files_are_refused_and_change_nothing(store: Store, name: str, error: type, problem: str) -> None:
    before = snapshot(store)
    with pytest.raises(error) as info:
        ingest.load_file(store, FILES / name, "transactions", now=NOW, actor=ANALYST)
    assert info.value.params["problem"] == problem and str(info.value)
    assert snapshot(store) == before


def test_wrong_kind_is_recognised(store: Store) -> None:
    before = snapshot(store)
    with pytest.raises(IngestError) as info:
        ingest.load_file(store, FILES / "tx_ko_cp949.csv", "customers", now=NOW, actor=ANALYST)
    assert info.value.params == {"problem": "wrong_kind", "kind": "customers", "detected": "transactions"}
    assert snapshot(store) == before


def test_ambiguous_dates_load_once_the_order_is_given(store: Store) -> None:
    res = ingest.load_file(store, FILES / "ambiguous_dates.csv", "transactions", now=NOW, actor=ANALYST, day_first=True)
    assert res.status == "loaded"
    assert store.scalar("SELECT min(tx_date) FROM transactions") == date(2026, 5, 3)


def test_too_large_a_file_is_refused(store: Store) -> None:
    with pytest.raises(InputFileError) as info:
        ingest.load_file(store, FILES / "tx.parquet", "transactions", now=NOW, actor=ANALYST, max_bytes=100)
    assert info.value.params["problem"] == "too_large"


def test_rejected_rows_all_or_nothing_quarantine_duplicate_and_rollback(store: Store, tmp_path: Path) -> None:
    """Bad rows: nothing loads, each problem has its row; accepted: good rows load, bad ones
    wait in the quarantine with the file's own columns; the same file again is a
    duplicate; a rollback removes exactly the load."""
    path = tmp_path / "t.csv"
    path.write_text("customer_id,date,amount,transaction_id,note\n"
                    "C0000001,2026-09-01,10,A1,x\nC9999999,2026-09-02,20,A2,unknown\nC0000002,2026-09-03,abc,A3,\n"
                    "C0000003,2030-01-01,5,A4,future\nC0000004,1960-01-01,5,A5,old\nC0000005,2026-09-04,7,A1,dup\n"
                    "C0000005,,7,A6,no date\n", encoding="utf-8")
    before = snapshot(store)
    strict = {"known_customers_only": True}   # an unknown customer is refused, not created
    res = ingest.load_file(store, path, "transactions", now=NOW, actor=ANALYST, **strict)
    assert res.status == "rejected" and res.rows_read == 7 and res.rows_rejected == 6 and res.rows_loaded == 0
    assert [(e["row"], e["column"], e["problem"]) for e in res.errors] == [
        (2, "customer_id", "unknown_reference"), (3, "amount", "invalid"), (4, "date", "future_date"),
        (5, "date", "before_1970"), (6, "row", "duplicate_in_file"), (7, "date", "missing")]
    assert {k: v for k, v in snapshot(store).items() if k not in ("ingest_log",)} == \
        {k: v for k, v in before.items() if k not in ("ingest_log",)}
    res = ingest.load_file(store, path, "transactions", now=NOW, actor=ANALYST, accept_rejects=True, **strict)
    assert res.status == "loaded" and res.rows_loaded == 1
    q = ingest.quarantine(store, res.ingest_id)
    assert q["row"].tolist() == [2, 3, 4, 5, 6, 7] and list(q.columns[2:]) == ["customer_id", "date", "amount",
                                                                             "transaction_id", "note"]
    assert q.loc[0, "problems"] == "customer_id:unknown_reference" and q.loc[0, "customer_id"] == "C9999999"
    # the repeated id's row keeps its cells too (set aside by the last check, after the file's copy was put away)
    assert q.loc[4, "problems"] == "row:duplicate_in_file" and q.loc[4, "note"] == "dup" and q.loc[4, "amount"] == "7"
    extra = store.rows("SELECT data FROM ingest_extra WHERE ingest_id = ?", [res.ingest_id])
    assert [json.loads(d) for (d,) in extra] == [["x"]]           # the unknown column is kept, not lost
    assert ingest.load_file(store, path, "transactions", now=NOW, actor=ANALYST).status == "duplicate"
    # (its bytes are hashed while the file is read: a reading that fails this time still says "duplicate")
    assert ingest.load_file(store, path, "transactions", now=NOW, actor=ANALYST,
                            mapping={"no such column": "amount"}).status == "duplicate"
    other = tmp_path / "other.csv"   # (other bytes, never loaded: the reading's own error)
    other.write_bytes(path.read_bytes() + b"\n")
    with pytest.raises(IngestError, match="no column"):
        ingest.load_file(store, other, "transactions", now=NOW, actor=ANALYST, mapping={"no such column": "amount"})
    again = tmp_path / "again.csv"
    again.write_text("customer_id,date,amount,transaction_id\nC0000001,2026-09-01,10,A1\n", encoding="utf-8")
    assert ingest.load_file(store, again, "transactions", now=NOW, actor=ANALYST).errors[0]["problem"] == "duplicate_stored"
    hist = ingest.history(store).set_index("ingest_id")
    assert hist.loc[res.ingest_id, "rows_loaded"] == 1 and hist.loc[res.ingest_id, "rows_rejected"] == 6
    assert ingest.rollback(store, res.ingest_id, actor=ANALYST, at=NOW) == 1
    assert store.table_counts()["transactions"] == before["transactions"]
    assert ingest.history(store).set_index("ingest_id").loc[res.ingest_id, "status"] == "rolled_back"


def test_repeated_rows_within_the_file(store: Store, tmp_path: Path) -> None:
    """A row that repeats an earlier one of the file is flagged (the first stays good): by
    transaction_id when the file has it, before a clash with a stored row; else by every
    column as parsed, so a date written two ways is still the same row. A file without
    repeats has none (that case skips the per-row check)."""
    ok = tmp_path / "ok.csv"
    ok.write_text("customer_id,date,amount,transaction_id\nC0000001,2026-09-01,10,K1\n", encoding="utf-8")
    assert ingest.load_file(store, ok, "transactions", now=NOW, actor=ANALYST).status == "loaded"
    keyed = tmp_path / "keyed.csv"
    keyed.write_text("customer_id,date,amount,transaction_id\nC0000001,2026-09-01,10,K1\nC0000002,2026-09-02,20,K2\n"
                     "C0000003,2026-09-03,30, K2\nC0000004,2026-09-04,40,K1\nC0000005,2026-09-05,50,K3\n", encoding="utf-8")
    res = ingest.load_file(store, keyed, "transactions", now=NOW, actor=ANALYST)
    assert [(e["row"], e["problem"]) for e in res.errors] == [
        (1, "duplicate_stored"), (3, "duplicate_in_file"), (4, "duplicate_in_file"), (4, "duplicate_stored")]
    plain = tmp_path / "plain.csv"
    plain.write_text("customer_id,date,amount\nC0000001,2026-09-10,10\nC0000001,2026.09.10,10.00\n"
                     "C0000001,2026-09-10,11\nC0000002,20260910,10\n", encoding="utf-8")
    res = ingest.load_file(store, plain, "transactions", now=NOW, actor=ANALYST, identical_rows="duplicates")
    assert [(e["row"], e["problem"]) for e in res.errors] == [(2, "duplicate_in_file")]
    res = ingest.load_file(store, plain, "transactions", now=NOW, actor=ANALYST)    # default: separate purchases
    assert res.status == "loaded" and res.errors == [] and res.identical_rows == 1 and res.rows_loaded == 4
    people = tmp_path / "people.csv"
    people.write_text("customer_id,name\nN1,a\nN2,b\nN1,c\n", encoding="utf-8")
    res = ingest.load_file(store, people, "customers", now=NOW, actor=ANALYST)
    assert [(e["row"], e["problem"]) for e in res.errors] == [(3, "duplicate_in_file")]
    fine = tmp_path / "fine.csv"
    fine.write_text("customer_id,date,amount\nC0000001,2026-09-21,10\nC0000001,2026-09-22,10\n", encoding="utf-8")
    assert ingest.load_file(store, fine, "transactions", now=NOW, actor=ANALYST).errors == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["K1", "K2", "k1", "K1 ", "", None]), st.sampled_from([1, 2, None])),
                max_size=40))
def test_the_quick_repeat_count_is_the_exact_one(rows: list[tuple[str | None, int | None]]) -> None:
    """The in-file repeat check's quick count (sorted hashes, each against the one before)
    is the number of rows minus the distinct keys, as the exact count says, NULLs equal as in
    GROUP BY; the per-row mark flags every row but the first of each key."""
    import duckdb

    from crm_core.ingest.schema import KINDS
    from crm_core.ingest.statements import in_file_duplicates_sql

    con = duckdb.connect()
    con.execute("CREATE TABLE _t (_row INTEGER, customer_id VARCHAR, amount INTEGER, problems VARCHAR[])")
    if rows:
        con.executemany("INSERT INTO _t VALUES (?, ?, ?, [])", [(i, k, a) for i, (k, a) in enumerate(rows, start=1)])
    quick, count, mark = in_file_duplicates_sql(KINDS["transactions"], {"customer_id", "amount"}, "_t")
    repeats = len(rows) - len(set(rows))
    assert con.execute(quick).fetchall()[0][0] == repeats == con.execute(count).fetchall()[0][0]
    con.execute(mark)
    marked = [r for (r,) in con.execute("SELECT _row FROM _t WHERE len(problems) > 0 ORDER BY _row").fetchall()]
    assert marked == [i for i, row in enumerate(rows, start=1) if row in rows[:i - 1]]


def test_loads_at_the_same_time_take_turns(store: Store, tmp_path: Path) -> None:
    """Two analysts upload files with the same transactions at once: the loads take turns
    (checks and write under one lock), so exactly one loads and the other finds the rows stored."""
    import threading

    files = []
    for i in range(2):
        f = tmp_path / f"same{i}.csv"
        f.write_text("customer_id,date,amount,transaction_id\n" + "".join(
            f"C000000{1 + j % 5},2026-08-{1 + j % 28:02d},{10 + i},S{j}\n" for j in range(2000)), encoding="utf-8")
        files.append(f)
    start, results = threading.Barrier(2), []

    def load(f: Path) -> None:
        start.wait()
        results.append(ingest.load_file(store, f, "transactions", now=NOW, actor=ANALYST))

    threads = [threading.Thread(target=load, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in results) == ["loaded", "rejected"]
    assert {e["problem"] for r in results if r.status == "rejected" for e in r.errors} == {"duplicate_stored"}
    assert store.scalar("SELECT count(*) FROM transactions WHERE transaction_id LIKE 'S%'") == 2000


@pytest.mark.parametrize("extra", [None, "file_row_number"])
def test_parquet_rows_are_numbered_across_row_groups(store: Store, tmp_path: Path, extra: str | None) -> None:
    """Parquet rows are numbered by the file's own row index: the problem rows are the
    file's rows, row groups or not, also when the file has a column named like that index."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 1000
    amounts = [f"{i % 50 + 1}.00" for i in range(n)]
    amounts[776], amounts[998] = "abc", ""
    cols = {"customer_id": [f"C000000{1 + i % 5}" for i in range(n)], "date": ["2026-07-01"] * n,
            "amount": amounts, "transaction_id": [f"P{i}" for i in range(n)]}
    if extra:
        cols[extra] = [str(i) for i in range(n)]
    path = tmp_path / "groups.parquet"
    pq.write_table(pa.table(cols), path, row_group_size=64)
    assert pq.ParquetFile(path).num_row_groups == 16
    res = ingest.load_file(store, path, "transactions", now=NOW, actor=ANALYST, accept_rejects=True)
    assert [(e["row"], e["column"], e["problem"]) for e in res.errors] == [(777, "amount", "invalid"),
                                                                         (999, "amount", "missing")]
    assert res.rows_loaded == n - 2
    q = ingest.quarantine(store, res.ingest_id)   # the rows set aside keep the file's cells, read where they lie
    assert q["row"].tolist() == [777, 999] and q["transaction_id"].tolist() == ["P776", "P998"]
    assert q["amount"].tolist()[0] == "abc" and q["customer_id"].tolist() == ["C0000002", "C0000004"]
    if extra:   # the column is data, kept with its row
        kept = store.rows("SELECT row_number, data FROM ingest_extra WHERE ingest_id = ? AND row_number IN (1, 1000)",
                          [res.ingest_id])
        assert sorted((r, json.loads(d)) for r, d in kept) == [(1, ["0"]), (1000, ["999"])]


def test_customers_update_and_text_stays_text(store: Store) -> None:
    """A customers file adds new customers and updates known ones; formula-like and HTML
    text is stored as text and exported safely."""
    res = ingest.load_file(store, FILES / "customers.csv", "customers", now=NOW, actor=ANALYST)
    assert res.status == "loaded" and res.rows_loaded == 2
    names = dict(store.rows("SELECT customer_id, name FROM customers WHERE customer_id IN ('C1', 'C2')"))
    assert names == {"C1": '=HYPERLINK("http://x")', "C2": "<script>alert(1)</script>"}
    exported = to_csv_bytes(store.df("SELECT customer_id, name, phone FROM customers WHERE customer_id IN ('C1','C2') "
                                     "ORDER BY 1")).decode("utf-8-sig")
    assert "'=HYPERLINK" in exported and "'+82-10-1" in exported and "'@foo" in exported
    assert store.scalar("SELECT count(*) FROM customers WHERE customer_key IS NULL") == 0


def test_churn_reasons_in_three_languages(store: Store) -> None:
    res = ingest.load_file(store, FILES / "churn_reasons.csv", "churn_events", now=NOW, actor=ANALYST, accept_rejects=True)
    assert res.rows_loaded == 3 and [(e["row"], e["problem"]) for e in res.errors] == [(4, "invalid")]
    assert sorted(r[0] for r in store.rows("SELECT reason FROM churn_events")) == ["price", "price", "service"]


def test_a_million_rows_with_three_bad_ones(store: Store, tmp_path: Path) -> None:
    """Validation runs in DuckDB: a 1e6-row file reports exactly its three bad rows."""
    n = 1_000_000
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"transaction_id": [f"T{i}" for i in range(n)],
                       "customer_id": [f"C{1 + i % 5:07d}" for i in range(n)],
                       "date": (pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 600, n), "D")).strftime("%Y-%m-%d"),
                       "amount": np.round(rng.uniform(1, 500, n), 2).astype(str)})
    df.loc[[10, 500_000, 999_998], "amount"] = ["n/a", "12..5", "x"]
    path = tmp_path / "big.csv"
    df.to_csv(path, index=False)
    res = ingest.load_file(store, path, "transactions", now=NOW, actor=ANALYST, accept_rejects=True)
    assert res.rows_read == n and res.rows_rejected == 3 and res.rows_loaded == n - 3
    assert [e["row"] for e in res.errors] == [11, 500_001, 999_999]
    assert store.table_counts()["transactions"] == n - 3


def test_cli_ingest_json_and_exit_codes(tmp_path: Path, store: Store) -> None:
    db = Path(store.path)
    out = subprocess.run([sys.executable, "-m", "crm_core", "ingest", "--db", str(db), "--kind", "transactions",
                          str(FILES / "tx_ko_cp949.csv"), "--json"], capture_output=True, text=True, timeout=120)
    doc = json.loads(out.stdout)
    assert out.returncode == 0 and doc["status"] == "loaded" and doc["rows_loaded"] == 3
    assert set(doc) >= {"status", "kind", "file", "rows_read", "rows_loaded", "rows_rejected", "errors"}
    again = subprocess.run([sys.executable, "-m", "crm_core", "ingest", "--db", str(db), "--kind", "transactions",
                            str(FILES / "tx_ko_cp949.csv"), "--json"], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and json.loads(again.stdout)["status"] == "duplicate"
    bad = subprocess.run([sys.executable, "-m", "crm_core", "ingest", "--db", str(db), "--kind", "transactions",
                          str(FILES / "header_only.csv"), "--json"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and json.loads(bad.stdout)["errors"][0]["problem"] == "no_rows"
    usage = subprocess.run([sys.executable, "-m", "crm_core", "ingest", "--db", str(db), "--kind", "nope", "x"],
                           capture_output=True, text=True, timeout=120)
    assert usage.returncode == 2


def test_progress_reports_every_stage_in_order_with_the_rows(store: Store) -> None:
    seen: list[tuple[str, int | None]] = []
    res = ingest.load_file(store, FILES / "tx_ko_cp949.csv", "transactions", now=NOW, actor=ANALYST,
                           progress=lambda stage, rows: seen.append((stage, rows)))
    assert res.status == "loaded"
    assert seen == [("reading", None), ("parsing", 3), ("checking", 3), ("writing", 3), ("refreshing", 3), ("done", 3)]
    assert [s for s, _ in seen] == list(ingest.STAGES)
    seen.clear()
    again = ingest.load_file(store, FILES / "tx_ko_utf16.csv", "transactions", now=NOW, actor=ANALYST,
                             progress=lambda stage, rows: seen.append((stage, rows)))
    assert again.status == "rejected" and "refreshing" not in [s for s, _ in seen] and seen[-1] == ("done", 3)


@pytest.mark.parametrize("mapping", [{"opened": ""}, {"date": "", "opened": "date"}], ids=["date32", "timestamp"])
def test_typed_parquet_columns_load_like_the_same_rows_as_text(tmp_path: Path, mapping: dict[str, str]) -> None:
    """Parquet dates, timestamps, decimals and integers are cast directly (not printed and
    parsed back); the stored rows equal those of the same data as a CSV file, problems too:
    a missing date, a future date, a pre-1970 date, a NaN amount, a double 2.675 (kept as written: 2.68)."""
    from decimal import Decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    ids = [f"C{i:07d}" for i in (1, 2, 3, 4, 5, 1, 2)]
    days = [date(2026, 9, 1), date(2026, 9, 2), None, date(2027, 1, 1), date(1969, 12, 31), date(2026, 9, 3),
            date(2026, 9, 4)]
    stamps = [datetime(2026, 9, 1, 10, 30), datetime(2026, 9, 2), None, datetime(2027, 1, 1), datetime(1969, 12, 31),
              datetime(2026, 9, 3, 8, 0), datetime(2026, 9, 4, 23, 59, 59)]
    table = pa.table({"transaction_id": [f"T{i}" for i in range(7)], "customer_id": ids,
                      "date": pa.array(days, pa.date32()), "opened": pa.array(stamps, pa.timestamp("us")),
                      "amount": pa.array([2.675, 10.0, 5.0, 7.5, 1.0, float("nan"), -3.25], pa.float64()),
                      "cost": pa.array([Decimal("1.10"), None, Decimal("2.00"), None, None, None, Decimal("0.50")],
                                       pa.decimal128(10, 2)),
                      "quantity": pa.array([1, 2, None, 1, 1, 1, 3], pa.int64())})
    pq.write_table(table, tmp_path / "typed.parquet")
    text = table.to_pandas().astype(object).assign(amount=["2.675", "10.0", "5.0", "7.5", "1.0", "nan", "-3.25"],
                                                   quantity=["1", "2", "", "1", "1", "1", "3"])
    text.to_csv(tmp_path / "typed.csv", index=False)

    results, stored = [], []
    for name in ("typed.parquet", "typed.csv"):
        db = make_store(tmp_path / f"{name}.duckdb", customers=[{"customer_id": c} for c in sorted(set(ids))])
        res = ingest.load_file(db, tmp_path / name, "transactions", now=NOW, actor=ANALYST, accept_rejects=True,
                               mapping=mapping)
        results.append(sorted((e["row"], e["column"], e["problem"]) for e in res.errors))
        stored.append(db.rows("SELECT transaction_id, customer_id, tx_date, tx_ts, amount, cost, quantity "
                              "FROM transactions ORDER BY transaction_id"))
    assert results[0] == results[1]
    assert {(p[1], p[2]) for p in results[0]} == {("date", "missing"), ("date", "future_date"),
                                                   ("date", "before_1970"), ("amount", "invalid")}
    assert stored[0] == stored[1] and len(stored[0]) == 3
    assert stored[0][0][4] == Decimal("2.68") and stored[0][0][5] == Decimal("1.10")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_parsed_rows_are_freed_before_the_derived_layers_are_refreshed(tmp_path: Path, fmt: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The load's temporary tables (the raw cells, the parsed rows) take memory in proportion
    to the file; they are dropped, and their memory returned, once the write has read them,
    though the load's transaction goes on: when the refresh starts, DuckDB holds no in-memory
    table (it would hold the parsed rows until the commit if the transaction had read them
    itself). The load is still all-or-nothing and complete."""
    n = 200_000
    frame = pd.DataFrame({"transaction_id": [f"T{i}" for i in range(n)], "customer_id": [f"C{i % 5000}" for i in range(n)],
                          "date": pd.date_range("2024-01-01", periods=n, freq="min").date.astype(str),
                          "amount": np.round(np.arange(n) % 997 / 7 + 1, 2)})
    path = tmp_path / f"t.{fmt}"
    frame.to_csv(path, index=False) if fmt == "csv" else frame.to_parquet(path, index=False)
    store = make_store(tmp_path / "m.duckdb")
    held: list[float] = []
    refresh = Store.refresh_derived

    def measured(cur, since=None):   # the memory of in-memory tables when the refresh starts
        held.append(cur.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() "
                                "WHERE tag = 'IN_MEMORY_TABLE'").fetchall()[0][0])
        refresh(cur, since)

    monkeypatch.setattr(Store, "refresh_derived", staticmethod(measured))
    res = ingest.load_file(store, path, "transactions", now=NOW, actor=ANALYST)
    assert res.status == "loaded" and res.rows_loaded == n and res.customers_created == 5000
    assert len(held) == 1 and held[0] < 5_000_000, held
    assert store.scalar("SELECT count(*) FROM transactions") == n
    assert store.scalar("SELECT sum(orders) FROM customer_days WHERE next_day = DATE '9999-12-31'") == n
