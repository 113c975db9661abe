"""Nothing wrong is stored silently (issue 22, items 1-5, 7, 8): decimal commas, numbers
that are not numbers, fractions in whole-number columns, ends before starts, negative
costs, NUL bytes, a header naming a column twice, quotes and broken lines past the
reader's sample, a path that looks like a pattern, a churn file offered as service
contacts, and amounts too large to sum exactly."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from crm_core.access.auth import Principal
from crm_core.errors import IngestError, InputFileError, InvalidParameterError
from crm_core.ingest import load as ingest
from crm_core.store.connection import Store

from .conftest import make_store

NOW = datetime(2026, 11, 23, 12, 0)
ANALYST = Principal.of("ana@example.com", "analyst")


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return make_store(tmp_path / "v.duckdb", customers=[{"customer_id": f"C{i}"} for i in range(1, 9)],
                      loyalty_programs=[{"program_id": "P1", "name": "Points", "kind": "points"}])


def amounts(store: Store) -> list[float]:
    return [float(a) for (a,) in store.rows("SELECT amount FROM transactions ORDER BY customer_id")]


def test_decimal_commas_are_decided_per_column(store: Store, tmp_path: Path) -> None:
    """A semicolon export with decimal commas: 10,50 is 10.50, €3,50 is 3.50, 1.234,56 is
    1234.56 (not 1050, 350, 1.23); a column mixing both conventions is refused until the
    user says which; Korean won with thousands commas stays whole."""
    eu = tmp_path / "eu.csv"
    eu.write_text("customer_id;date;amount\nC1;2026-09-01;10,50\nC2;2026-09-02;€3,50\nC3;2026-09-03;1.234,56\n"
                  "C4;2026-09-04;7\n", encoding="utf-8")
    res = ingest.load_file(store, eu, "transactions", now=NOW, actor=ANALYST)
    assert res.status == "loaded", res.errors
    assert amounts(store) == [10.50, 3.50, 1234.56, 7.0]
    won = tmp_path / "won.csv"
    won.write_text('customer_id,date,amount\nC5,2026-09-05,"12,000"\nC6,2026-09-06,"₩1,500,000"\n', encoding="utf-8")
    assert ingest.load_file(store, won, "transactions", now=NOW, actor=ANALYST).status == "loaded"
    assert amounts(store)[4:] == [12000.0, 1500000.0]
    mixed = tmp_path / "mixed.csv"
    mixed.write_text('customer_id,date,amount\nC7,2026-09-07,"10,50"\nC8,2026-09-08,12.75\n', encoding="utf-8")
    before = store.table_counts()
    with pytest.raises(IngestError) as err:
        ingest.load_file(store, mixed, "transactions", now=NOW, actor=ANALYST)
    assert err.value.params["problem"] == "mixed_decimals" and store.table_counts() == before
    assert ingest.load_file(store, mixed, "transactions", now=NOW, actor=ANALYST, decimal_comma=False,
                            accept_rejects=True).rows_loaded == 2
    assert amounts(store)[-2:] == [1050.0, 12.75]        # the user said: a point is the decimal


@pytest.mark.parametrize("cell", ["1e308", "12abc", '"1,2,3x"', "NaN", "--5"])
def test_text_that_is_not_a_number_is_invalid_never_part_of_one(store: Store, tmp_path: Path, cell: str) -> None:
    f = tmp_path / "n.csv"
    f.write_text(f"customer_id,date,amount\nC1,2026-09-01,{cell}\n", encoding="utf-8")
    res = ingest.load_file(store, f, "transactions", now=NOW, actor=ANALYST)
    assert res.status == "rejected" and res.errors[0]["problem"] in ("invalid", "too_big"), res.errors


def test_scientific_notation_that_fits_is_read(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "e.csv"
    f.write_text("customer_id,date,amount\nC1,2026-09-01,1.5e3\n", encoding="utf-8")
    assert ingest.load_file(store, f, "transactions", now=NOW, actor=ANALYST).status == "loaded"
    assert amounts(store) == [1500.0]


def test_amounts_beyond_a_trillion_are_refused_before_they_overflow(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "big.csv"
    f.write_text("customer_id,date,amount\nC1,2026-09-01,2000000000000\nC2,2026-09-02,999999999999.99\n",
                 encoding="utf-8")
    res = ingest.load_file(store, f, "transactions", now=NOW, actor=ANALYST, accept_rejects=True)
    assert [(e["row"], e["problem"]) for e in res.errors] == [(1, "too_big")] and res.rows_loaded == 1


def test_rows_whose_values_contradict_each_other(store: Store, tmp_path: Path) -> None:
    """Satisfaction 3.5 is not rounded to 4; resolved before opened, left before enrolled,
    a negative program cost and a NUL byte in a name are refused with their reason."""
    svc = tmp_path / "s.csv"
    svc.write_text("customer_id,opened_at,resolved_at,satisfaction\nC1,2026-09-01 10:00,2026-09-01 09:00,4\n"
                   "C2,2026-09-01 10:00,2026-09-02 10:00,3.5\nC3,2026-09-01 10:00,2026-09-01 11:00,5\n",
                   encoding="utf-8")
    res = ingest.load_file(store, svc, "service_interactions", now=NOW, actor=ANALYST, accept_rejects=True)
    assert [(e["row"], e["column"], e["problem"]) for e in res.errors] == [
        (1, "resolved_at", "before_start"), (2, "satisfaction", "invalid")]
    assert store.rows("SELECT satisfaction FROM service_interactions") == [(5,)]
    mem = tmp_path / "m.csv"
    mem.write_text("customer_id,program_id,enrolled_at,left_at\nC1,P1,2026-05-01,2026-04-01\n", encoding="utf-8")
    assert ingest.load_file(store, mem, "loyalty_members", now=NOW, actor=ANALYST).errors[0]["problem"] == "before_start"
    cost = tmp_path / "c.csv"
    cost.write_text("program_id,date,amount\nP1,2026-05-01,-100\n", encoding="utf-8")
    assert ingest.load_file(store, cost, "loyalty_costs", now=NOW, actor=ANALYST).errors[0]["problem"] == "negative"
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"customer_id,name\nC9,Kim\x00Lee\n")
    res = ingest.load_file(store, nul, "customers", now=NOW, actor=ANALYST)
    assert res.status == "rejected" and res.errors[0]["column"] == "name"
    assert store.rows("SELECT count(*) FROM customers WHERE customer_id = 'C9'") == [(0,)]


def test_a_header_naming_a_column_twice_is_refused(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "dup.csv"
    f.write_text("customer_id,date,amount,amount\nC1,2026-09-01,10,99\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        ingest.load_file(store, f, "transactions", now=NOW, actor=ANALYST)
    assert err.value.params["problem"] == "repeated_header" and store.table_counts()["transactions"] == 0


def test_quotes_and_broken_lines_past_the_sample(store: Store, tmp_path: Path) -> None:
    """Quoting first seen at row 30,001 is read as quoting (no quote characters stored); an
    unterminated quote there is a message naming the line, never a traceback or a silent load."""
    rows = [f"N{i},Name{i},Seoul" for i in range(30_000)]
    good = tmp_path / "late.csv"
    good.write_text("customer_id,name,city\n" + "\n".join(rows) + '\n"C1","Kim, Min","Seoul"\n', encoding="utf-8")
    res = ingest.load_file(store, good, "customers", now=NOW, actor=ANALYST)
    assert res.status == "loaded" and res.rows_read == 30_001
    assert store.rows("SELECT name, city FROM customers WHERE customer_id = 'C1'") == [("Kim, Min", "Seoul")]
    bad = tmp_path / "broken.csv"
    bad.write_text("customer_id,name,city\n" + "\n".join(rows) + '\n"C2,"Kim,Seoul\nC3,Lee,Busan\n',
                   encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        ingest.load_file(store, bad, "customers", now=NOW, actor=ANALYST)
    assert err.value.params["problem"] in ("open_quote", "ragged") and err.value.params["line"] >= 30_000


def test_a_path_with_pattern_characters_is_one_file(store: Store, tmp_path: Path) -> None:
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text("customer_id,date,amount\nC1,2026-09-01,10\n", encoding="utf-8")
    star = tmp_path / "*.csv"
    star.write_text("customer_id,date,amount\nC2,2026-09-02,20\n", encoding="utf-8")
    res = ingest.load_file(store, star, "transactions", now=NOW, actor=ANALYST)
    assert res.rows_read == 1 and amounts(store) == [20.0]


def test_a_churn_file_is_not_taken_for_service_contacts(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "churn.csv"
    f.write_text("customer_id,date,reason\nC1,2026-09-01,price\n", encoding="utf-8")
    with pytest.raises(IngestError) as err:
        ingest.load_file(store, f, "service_interactions", now=NOW, actor=ANALYST)
    assert err.value.params["problem"] == "wrong_kind" and err.value.params["detected"] == "churn_events"
    ret = tmp_path / "returns.csv"      # a transactions file with a return reason stays a transactions file
    ret.write_text("customer_id,date,amount,reason\nC1,2026-09-01,-10,damaged\n", encoding="utf-8")
    assert ingest.load_file(store, ret, "transactions", now=NOW, actor=ANALYST).status == "loaded"


def test_a_small_archive_cannot_unpack_to_gigabytes(store: Store, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A 30 MB file gzipped to a few KB, with a 1 MB limit on unpacking: refused with that
    reason (not "damaged"), and no temporary file is left behind."""
    import gzip
    import tempfile

    bomb = tmp_path / "bomb.csv.gz"
    with gzip.open(bomb, "wb") as f:
        f.write(b"customer_id,date,amount\n" + b"0" * 30_000_000)
    monkeypatch.setenv("CRM_UNPACKED_MAX_MB", "1")
    before = set(Path(tempfile.gettempdir()).glob("crm-ingest-*"))
    with pytest.raises(InputFileError) as err:
        ingest.load_file(store, bomb, "transactions", now=NOW, actor=ANALYST)
    assert err.value.params["problem"] == "too_large_unpacked"
    assert set(Path(tempfile.gettempdir()).glob("crm-ingest-*")) == before
    assert store.table_counts()["transactions"] == 0


def test_uploads_are_kept_privately_and_deleted_after_the_load(tmp_path: Path) -> None:
    """The Upload page saves a file in this instance's own folder (0700, file 0600), not in a
    shared world-readable one, and deletes it once loaded."""
    import stat

    from crm_app import upload as up

    class Uploaded:
        name, size = "t.csv", 3

        def getvalue(self) -> bytes:
            return b"a,b"

    path = up.saved_file(Uploaded())
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.parent.name.startswith("crm-uploads-") and path.parent != Path("/tmp/crm-uploads")
    up.forget_file(path)
    assert not path.exists()


def test_western_european_text_loads(store: Store, tmp_path: Path) -> None:
    """A CP1252 (Windows Western European) export is detected and read, or named with
    --encoding latin-1 / cp1252; accents arrive intact."""
    f = tmp_path / "eu.csv"
    f.write_bytes("customer_id,name,city\nC1,José Müller,Zürich\nC2,François Lefèvre,Besançon\n".encode("cp1252"))
    res = ingest.load_file(store, f, "customers", now=NOW, actor=ANALYST)
    assert res.status == "loaded" and res.encoding == "cp1252"
    assert store.rows("SELECT name, city FROM customers WHERE customer_id = 'C2'") == [("François Lefèvre", "Besançon")]
    g = tmp_path / "l1.csv"
    g.write_bytes("customer_id,name\nC3,Ångström\n".encode("latin-1"))
    assert ingest.load_file(store, g, "customers", now=NOW, actor=ANALYST, encoding="latin-1").status == "loaded"
    assert store.rows("SELECT name FROM customers WHERE customer_id = 'C3'") == [("Ångström",)]


def test_clear_messages_for_odd_files(store: Store, tmp_path: Path) -> None:
    """31/31/2020 is an invalid date (not "mixes day-first and month-first"); a huge header
    is not echoed back whole."""
    f = tmp_path / "d.csv"
    f.write_text("customer_id,date,amount\nC1,31/31/2020,5\nC2,25/03/2020,5\n", encoding="utf-8")
    res = ingest.load_file(store, f, "transactions", now=NOW, actor=ANALYST)
    assert [(e["row"], e["column"], e["problem"]) for e in res.errors] == [(1, "date", "invalid")]
    big = tmp_path / "h.csv"
    big.write_text("x" * 100_000 + ",y\n1,2\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        ingest.load_file(store, big, "transactions", now=NOW, actor=ANALYST)
    assert len(str(err.value)) < 600 and err.value.params["problem"] == "long_header"


@pytest.mark.parametrize(("content", "problem", "params"), [
    (b"   \n \t \n\n", "empty", {}),                                               # blank space only
    (b"\xef\xbb\xbf  \r\n", "empty", {}),                                          # a BOM and blank space
    (b"customer_id,name,region\nC1,Kim\nC2,Lee,Seoul,x\n" + b"".join(b"C%d,Park,Busan\n" % i for i in range(3, 30)),
     "ragged", {"line": 2, "found": 2, "expected": 3}),                                # ragged early rows
    (b"customer_id,name\nC1," + b"x" * (3 << 20) + b"\n", "line_too_long", {}),       # a 3 MiB cell
    (b"PK\x05\x06" + b"\x00" * 18, "zip_members", {"count": 0}),                      # an empty zip archive
])
def test_odd_files_get_a_message_that_names_the_problem(store: Store, tmp_path: Path, content: bytes, problem: str,
                                                        params: dict) -> None:
    f = tmp_path / "odd.csv"
    f.write_bytes(content)
    before = store.table_counts()
    with pytest.raises(InputFileError) as err:
        ingest.load_file(store, f, "customers", now=NOW, actor=ANALYST)
    assert err.value.params["problem"] == problem and params.items() <= err.value.params.items()
    assert "Error" not in str(err.value) and len(str(err.value)) < 300 and store.table_counts() == before


@pytest.mark.parametrize(("text", "encoding"), [
    ("customer_id,name,region\nC1,王芳,广州\n", "gb18030"),         # statistics say CP949 for these
    ("customer_id,name\nC1,刘洋\nC2,陈静\nC3,杨帆\n", "gb18030"),
    ("customer_id,name,city\nC1,黄磊,成都\nC2,周杰,重庆\n", "gb18030"),
    ("customer_id,name,city\nC1,陳淑芬,臺北\n", "big5"),             # and CP1252 for this one
    ("customer_id,name,region\nC1,김민수,서울\n", "cp949"),
    ("customer_id,name,region\nC1,José Müller,Zürich\n", "cp1252"),
])
def test_short_files_are_read_in_their_encoding(store: Store, tmp_path: Path, text: str, encoding: str) -> None:
    f = tmp_path / "short.csv"
    f.write_bytes(text.encode(encoding))
    res = ingest.load_file(store, f, "customers", now=NOW, actor=ANALYST)
    assert res.status == "loaded" and res.encoding == encoding
    name = text.splitlines()[1].split(",")[1]
    assert store.rows("SELECT name FROM customers WHERE customer_id = 'C1'") == [(name,)]


def test_a_time_zone_or_offset_is_never_dropped(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """01:00+09:00 is 16:00 the day before in UTC, the business zone by default; with
    CRM_TIME_ZONE=Asia/Seoul it is 01:00 that day; ``Z``, ``+0900`` after a space, and a
    Parquet column typed with a zone all convert; a zone DuckDB cannot place (KST) is an
    invalid cell, not the clock time with its zone cut off; times without a zone stay."""
    import pandas as pd

    f = tmp_path / "zoned.csv"
    f.write_text("customer_id,date,amount\nC1,2026-03-01 01:00:00+09:00,10\nC2,2026-03-01T02:00Z,5\n"
                 "C3,2026-03-01 03:00,7\nC4,2026/03/01 04:00 +0900,7\n", encoding="utf-8")
    res = ingest.load_file(store, f, "transactions", now=NOW, actor=ANALYST)
    assert res.status == "loaded" and res.zoned_values == 3 and res.time_zone == "UTC"
    got = dict(store.rows("SELECT customer_id, strftime(coalesce(tx_ts, tx_date::TIMESTAMP), '%Y-%m-%d %H:%M') "
                          "FROM transactions"))
    assert got == {"C1": "2026-02-28 16:00", "C2": "2026-03-01 02:00", "C3": "2026-03-01 03:00",
                   "C4": "2026-02-28 19:00"}
    ingest.rollback(store, res.ingest_id, actor=ANALYST, at=NOW)
    monkeypatch.setenv("CRM_TIME_ZONE", "Asia/Seoul")
    res = ingest.load_file(store, f, "transactions", now=NOW, actor=ANALYST)
    got = dict(store.rows("SELECT customer_id, strftime(coalesce(tx_ts, tx_date::TIMESTAMP), '%Y-%m-%d %H:%M') "
                          "FROM transactions"))
    assert res.time_zone == "Asia/Seoul" and got["C1"] == "2026-03-01 01:00" and got["C2"] == "2026-03-01 11:00"
    ingest.rollback(store, res.ingest_id, actor=ANALYST, at=NOW)
    pq = tmp_path / "zoned.parquet"
    pd.DataFrame({"customer_id": ["C5"], "amount": [3.0],
                  "date": pd.to_datetime(["2026-03-01 01:00"]).tz_localize("Asia/Tokyo")}).to_parquet(pq)
    assert ingest.load_file(store, pq, "transactions", now=NOW, actor=ANALYST, time_zone="UTC").status == "loaded"
    assert store.rows("SELECT strftime(tx_ts, '%Y-%m-%d %H:%M') FROM transactions WHERE customer_id = 'C5'") == [
        ("2026-02-28 16:00",)]
    kst = tmp_path / "kst.csv"
    kst.write_text("customer_id,date,amount\nC6,2026-03-01 01:00 KST,10\n", encoding="utf-8")
    before = store.rows("SELECT count(*) FROM transactions")
    res = ingest.load_file(store, kst, "transactions", now=NOW, actor=ANALYST)
    assert res.status == "rejected" and res.errors[0]["problem"] == "invalid"
    assert store.rows("SELECT count(*) FROM transactions") == before
    with pytest.raises(InvalidParameterError):
        ingest.load_file(store, kst, "transactions", now=NOW, actor=ANALYST, time_zone="Mars/Base")
