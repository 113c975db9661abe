"""How date cells are read (crm_core.ingest.cells): the forgiving parse works on text that is
normalised once per cell, in a layer of its own, with the same results as the expression that
normalises inline."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from crm_core.ingest import cells
from crm_core.ingest.schema import KINDS
from crm_core.ingest.statements import typed_sql

CELLS = ["2024-03-05", "2024-03-05 14:30", "05/03/2024", "5/3/2024 09:15", "31/12/2023", "2024년 3월 5일",
         "2024年3月5日", "2024.03.05", "20240305", "45356", "45356.5", "２０２４－０３－０５", "2024-03-05T01:00:00+09:00",
         "2024-03-05 04:00 +09:00", "2024-03-05 10:00 Asia/Seoul", "2024-03-05 10:00 KST", "31/31/2020", "soon", "",
         None, " 2024-03-05 "]


@pytest.mark.parametrize("day_first", [True, False])
def test_layered_parse_equals_the_inline_one(day_first: bool) -> None:
    """Every cell reads the same through the layers typed_sql builds (exact parse, then the
    words' text once, then the forgiving parse of that text) as through one inline expression."""
    con = duckdb.connect()
    con.execute("CREATE TABLE src AS SELECT i AS _row, c AS c0, 'T' || i AS c1, 'C1' AS c2, '1' AS c3 "
                "FROM (SELECT unnest(range(?)) AS i, unnest(?) AS c)", [len(CELLS), CELLS])
    plain = cells.cell_text("c0")
    inline = (f"CASE WHEN {cells.zoned_timestamp(plain)} IS NOT NULL THEN {cells.zoned_timestamp(plain)} "
              f"ELSE {cells.date_parse(cells.date_text('c0'), day_first)} END")
    want = con.execute(f"SELECT _row, {inline} FROM src ORDER BY _row", {"tz": "Asia/Seoul"}).fetchall()
    sql, _extra = typed_sql(KINDS["transactions"], {"date": "c0", "transaction_id": "c1", "customer_id": "c2",
                                                    "amount": "c3"}, "src", day_first)
    got = con.execute(f"SELECT _row, \"date\" FROM ({sql}) ORDER BY _row",
                      {k: v for k, v in {"tz": "Asia/Seoul", "now": "2030-01-01"}.items() if f"${k}" in sql}).fetchall()
    assert got == want
    assert sum(d is not None for _r, d in got) >= 14   # (most cells are dates; junk and 31/31 are not)


def test_the_words_are_normalised_once_per_date_cell() -> None:
    """The three regular expressions of date_text appear once per date column in the typed
    query (the forgiving parse names their result a dozen times: inline, DuckDB ran them
    for each use; a 2M-row file of day-first dates loaded in 22.5 s, now 10.4 s)."""
    mark = "(년|年|월|月)"
    sql, _extra = typed_sql(KINDS["transactions"], {"date": "c0", "transaction_id": "c1", "customer_id": "c2",
                                                    "amount": "c3"}, "src", True)
    assert sql.count(mark) == 1
    assert cells.date_parse("w", True).count(mark) == 0


TRIM_CELLS = ["C1", " C1", "C1 ", "  C1  ", "C 1", " C 1 ", "\tC1\t", "  ", "", None, " 김민준 ", "全角\u3000", "x" * 30 + " ",
              "C1\u00a0", "\u2003C1", "C1\u202f", "김민준", "\u3000"]


def test_the_guarded_trim_is_trim() -> None:
    """cells.trimmed runs trim only where it can change the text: the same value as trim for
    every cell (ASCII spaces and the Unicode spaces trim removes, no-break and ideographic
    among them, at either end; tabs are kept; NULL stays NULL)."""
    con = duckdb.connect()
    got = con.execute(f"SELECT c, {cells.trimmed('c')}, trim(c) FROM (SELECT unnest(?) AS c)", [TRIM_CELLS]).fetchall()
    assert [g for _c, g, _t in got] == [t for _c, _g, t in got]
    assert got[3][1] == "C1" and got[4][1] == "C 1" and got[6][1] == "\tC1\t" and got[9][1] is None
    assert got[11][1] == "全角" and got[13][1] == "C1" and got[14][1] == "C1" and got[17][1] == ""


def test_padded_ids_load_as_the_ids(tmp_path) -> None:
    """Ids padded with spaces (fixed-width exports) are the ids: " C1 " buys as customer C1,
    from a CSV and from a Parquet file; an id made of spaces is a guest row, set aside."""
    from datetime import datetime

    from crm_core.access.auth import Principal
    from crm_core.ingest import load as ingest
    from tests.conftest import make_store

    rows = [(" T1", "C1 ", "2024-03-05", "10"), ("T2 ", "  C1", "2024-03-06", "20"), ("  T3  ", " C2 ", "2024-03-06", "5"),
            ("T4", "   ", "2024-03-07", "7")]
    for fmt in ("csv", "parquet"):
        store = make_store(tmp_path / f"{fmt}.duckdb", customers=[{"customer_id": "C1"}])
        path = tmp_path / f"padded.{fmt}"
        con = duckdb.connect()
        con.execute("CREATE TABLE f AS SELECT * FROM (VALUES " + ", ".join("(?, ?, ?, ?)" for _ in rows)
                    + ") v(transaction_id, customer_id, date, amount)", [x for r in rows for x in r])
        con.execute(f"COPY f TO '{path}' ({'HEADER' if fmt == 'csv' else 'FORMAT parquet'})")
        res = ingest.load_file(store, path, "transactions", now=datetime(2026, 1, 1), actor=Principal.of("a@x", "analyst"))
        assert (res.status, res.rows_loaded, res.guest_rows, res.customers_created) == ("loaded", 3, 1, 1), (fmt, res)
        assert store.rows("SELECT transaction_id, customer_id FROM transactions ORDER BY 1") == [
            ("T1", "C1"), ("T2", "C1"), ("T3", "C2")]


def test_a_large_csv_is_written_in_full_row_groups(tmp_path, monkeypatch) -> None:
    """A CSV is read in batches that do not end on row-group boundaries, and the checked rows
    reach the write in batches of :data:`~crm_core.ingest.scratch.BATCH_ROWS`; written in that
    order, each batch left a part-filled row group that the next checkpoint rewrote (10M rows:
    1.8 s and 0.26 GB more when the file closed). The load fills its row groups: at most one
    part-filled per thread (2 here), every row kept. (In file order: 19 row groups for 17.)"""
    monkeypatch.setenv("CRM_THREADS", "2")
    from datetime import datetime

    from crm_core.access.auth import Principal
    from crm_core.ingest import load as ingest
    from tests.conftest import make_store

    n, group = 2_000_000, 122_880
    path = tmp_path / "big.csv"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 'T' || i AS transaction_id, 'C' || (i % 5000) AS customer_id, "
                f"DATE '2024-01-01' + CAST(i % 700 AS INTEGER) AS date, (i % 997) / 10 + 1 AS amount FROM range({n}) r(i)) "
                f"TO '{path}' (HEADER)")
    store = make_store(tmp_path / "big.duckdb", customers=[])
    res = ingest.load_file(store, path, "transactions", now=datetime(2026, 1, 1), actor=Principal.local_user("t"))
    assert (res.status, res.rows_loaded, res.customers_created) == ("loaded", n, 5000)
    with store.cursor() as cur:
        groups = cur.execute("SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('transactions')").fetchone()[0]
        assert groups <= -(-n // group) + 1
        assert cur.execute("SELECT count(DISTINCT transaction_id), sum(amount) FROM transactions").fetchone() == (
            n, con.execute(f"SELECT sum(CAST(amount AS DECIMAL(18, 2))) FROM read_csv('{path}')").fetchone()[0])


#: Money cells DuckDB's CSV reader takes as numbers, with their edges (rounding half away from
#: zero, exponents, signs, padding, digits past the cents, the largest DECIMAL(18, 2)).
PLAIN_NUMBERS = ["12.345", "12.355", "-0.005", "-12.345", " 12.5 ", "1e3", "2.5E-1", "+5", ".5", "5.", "0012.50",
                 "1_000", "12.3456789012345678901", "0", "-0", "9999999999999999.99", "0.004999", "7", "", "999999999999"]


def _numbers_read(monkeypatch) -> list[bool]:
    """Record what read_raw answers (whether money was read as numbers; a later call of one
    load reads the rows set aside again, as text)."""
    from crm_core.ingest import scratch

    seen: list[bool] = []
    real = scratch.read_raw

    def spy(*args, **kwargs):
        seen.append(real(*args, **kwargs))
        return seen[-1]
    monkeypatch.setattr(scratch, "read_raw", spy)
    return seen


def _load_amounts(tmp_path, name: str, cells: list[str], seen: list[bool], **options):
    """Load ``cells`` as the amount and cost of a transactions file: (result, whether its money
    was read as numbers, the stored amounts, the cells of the rows set aside)."""
    import csv
    from datetime import datetime

    from crm_core.access.auth import Principal
    from crm_core.ingest import load as ingest
    from tests.conftest import make_store

    path = tmp_path / f"{name}.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["transaction_id", "customer_id", "date", "amount", "cost"])
        for i, cell in enumerate(cells):
            w.writerow([f"T{i}", f"C{i % 7}", "2024-03-05", cell, cell])
    store = make_store(tmp_path / f"{name}.duckdb", customers=[])
    seen.clear()
    res = ingest.load_file(store, path, "transactions", now=datetime(2026, 1, 1), actor=Principal.local_user("t"),
                           accept_rejects=True, **options)
    stored = dict(store.rows("SELECT transaction_id, amount FROM transactions"))
    kept = {r["transaction_id"]: (r["problems"], r["amount"], r["cost"]) for r in ingest.quarantine(store, res.ingest_id)
            .to_dict("records")} if res.rows_rejected else {}
    return res, seen[0], [stored.get(f"T{i}") for i in range(len(cells))], kept


def test_money_read_as_numbers_is_the_money_read_as_text(tmp_path, monkeypatch) -> None:
    """A CSV whose money columns are all plain numbers is read with them as DECIMAL(18, 2) by
    DuckDB's reader (no text copy to parse); the stored amounts are the ones the text parse
    gives, cell for cell: the same file with one cell that is no plain number ("$1.00") is
    read as text and stores the same values. Seeded random number-like cells as well as the
    edges. Rows set aside keep the file's own text ("7", not "7.00")."""
    import random

    rng = random.Random(20261207)
    con = duckdb.connect()
    alphabet = list("0123456789") * 3 + list(".-+e _")
    tries = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))) for _ in range(3000)]
    # (the random cells the reader takes as numbers: the text parse must agree on each)
    taken = [t for t, ok in zip(tries, con.execute("SELECT [TRY_CAST(trim(v) AS DECIMAL(18, 2)) IS NOT NULL "
                                                     "FOR v IN ?]", [tries]).fetchone()[0]) if ok]
    # (after the sniffer's 20,480-row sample, where it no longer looks: the reader alone decides)
    cells = [f"{i % 997}.{i % 100:02d}" for i in range(20_600)] + PLAIN_NUMBERS + taken[:400]
    seen = _numbers_read(monkeypatch)
    res, numbers, as_numbers, _ = _load_amounts(tmp_path, "numbers", cells, seen)
    assert numbers and res.status == "loaded"
    res_text, numbers, as_text, _ = _load_amounts(tmp_path, "text", cells + ["$1.00"], seen)
    assert not numbers and res_text.status == "loaded"
    assert as_numbers == as_text[:len(cells)] and as_text[-1] == Decimal("1.00")
    # set aside in both: the empty amount (missing) and the one past a trillion (too big)
    assert [c for c, a in zip(cells, as_numbers) if a is None] == ["9999999999999999.99", ""]
    edges = as_numbers[20_600:20_600 + 4]
    assert edges == [Decimal("12.35"), Decimal("12.36"), Decimal("-0.01"), Decimal("-12.35")] and len(taken) > 400


def test_a_set_aside_row_keeps_the_files_own_money_text(tmp_path, monkeypatch) -> None:
    """Money read as numbers is printed as numbers ("7.00"): a row set aside gets its cells
    from the file's text, read again for it ("7", "1e3", " 12.5 " as written)."""
    seen = _numbers_read(monkeypatch)
    res, numbers, amounts, kept = _load_amounts(tmp_path, "kept", ["7", "1e3", "12.5", ""], seen)
    assert numbers and res.rows_rejected == 1 and amounts[:3] == [Decimal("7.00"), Decimal("1000.00"), Decimal("12.50")]
    assert kept == {"T3": ("amount:missing", None, None)}
    res, numbers, _amounts, kept = _load_amounts(tmp_path, "kept2", ["7", "1e3", "-5"], seen, known_customers_only=True)
    assert numbers and res.status == "rejected" and res.rows_rejected == 3   # (no customer is known)
    assert {k: v[1:] for k, v in kept.items()} == {"T0": ("7", "7"), "T1": ("1e3", "1e3"), "T2": ("-5", "-5")}


def test_a_cell_past_the_sniffers_sample_that_is_no_plain_number_reads_the_file_as_text(tmp_path, monkeypatch) -> None:
    """The sniffer sees the first 20,480 rows: a money cell after them that is no plain number
    ("1,234.50") stops the numeric read, and the file is read as text, whose parse takes it.
    With decimal commas stated, money is never read as numbers (1.234 is a thousand there)."""
    seen = _numbers_read(monkeypatch)
    res, numbers, amounts, _ = _load_amounts(tmp_path, "late", ["12.50"] * 25_000 + ["1,234.50"], seen)
    assert not numbers and res.status == "loaded" and amounts[-1] == Decimal("1234.50") and amounts[0] == Decimal("12.50")
    res, numbers, amounts, _ = _load_amounts(tmp_path, "comma", ["1.234", "12"], seen, decimal_comma=True)
    assert not numbers and amounts == [Decimal("1234.00"), Decimal("12.00")]


def test_a_failing_sniff_of_types_reads_the_file_as_text(tmp_path, monkeypatch) -> None:
    """Should DuckDB's sniffer fail when it looks at types (it did not when it read text), the
    file is read as text: the load goes on as without the numeric read."""
    from crm_core.ingest import read, scratch

    def broken(cur, source):
        raise duckdb.InvalidInputException("Error when sniffing file")
    monkeypatch.setattr(scratch, "sniffed_types", broken)
    assert read.sniffed_types is not broken
    seen = _numbers_read(monkeypatch)
    res, numbers, amounts, _ = _load_amounts(tmp_path, "sniff", ["7", "12.5"], seen)
    assert not numbers and res.status == "loaded" and amounts == [Decimal("7.00"), Decimal("12.50")]
