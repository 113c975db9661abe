"""The store: creation, migration, refusal of bad files, locking, threads, exact money."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from unittest import mock

import duckdb
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crm_core.errors import (
    DatabaseBusyError,
    DatabaseCorruptError,
    DatabaseNotFoundError,
    NotACrmDatabaseError,
    ReadOnlyDatabaseError,
    SchemaVersionError,
)
from crm_core.store import refresh as refresh_module
from crm_core.store.connection import DATA_TABLES, Store, latest_version, load_sql, migrations
from crm_core.store.refresh import ALL_KEYS, DAYS_PER_RANGE, OPERATOR_MEMORY, key_ranges


def test_new_file_gets_every_table_and_the_latest_schema(tmp_path: Path) -> None:
    store = Store(tmp_path / "new.duckdb", create=True)
    assert store.schema_version() == latest_version() >= 2
    assert set(store.table_counts()) == set(DATA_TABLES)
    assert all(n == 0 for n in store.table_counts().values())
    versions = store.rows("SELECT version, name FROM schema_version ORDER BY version")
    assert [v for v, _ in versions] == list(range(1, latest_version() + 1))


def test_no_progress_bar_on_stdout(tmp_path: Path) -> None:
    """DuckDB would draw a progress bar on stdout for long queries, into `--json` output."""
    store = Store(tmp_path / "p.duckdb", create=True)
    with store.cursor() as cur:
        assert cur.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)


def test_missing_file_is_not_created_unless_asked(tmp_path: Path) -> None:
    with pytest.raises(DatabaseNotFoundError):
        Store(tmp_path / "missing.duckdb")
    assert not (tmp_path / "missing.duckdb").exists()


def _v1_file(path: Path) -> None:
    """A file as version 1 of the software left it: tables but no staging views."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)")
    con.execute(migrations()[0].sql)
    con.execute("INSERT INTO schema_version VALUES (1, 'core_tables', now())")
    con.execute("INSERT INTO customers (customer_id, name) VALUES ('C1', '김민준')")
    con.execute("INSERT INTO transactions (transaction_id, customer_id, tx_date, amount, product_category) "
                "VALUES ('T1', 'C1', DATE '2024-01-02', 10.10, 'Books')")
    con.close()


def test_older_file_is_upgraded_in_place_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    _v1_file(path)
    store = Store(path)
    assert store.schema_version() == latest_version()
    assert store.rows("SELECT customer_id, name FROM customers") == [("C1", "김민준")]
    assert store.rows("SELECT amount FROM transactions") == [(Decimal("10.10"),)]  # stored exactly
    # The staging layer works on the old rows, derived data back-filled; the per-row flags
    # of migration 3 were dropped again by migration 9.
    assert store.rows("SELECT customer_id, net_amount, is_return FROM stg_transactions") == [("C1", 10.1, False)]
    columns = {r[0] for r in store.rows("SELECT column_name FROM (DESCRIBE transactions)")}
    assert "first_of_day" not in columns and "first_of_month" not in columns and "tx_date" in columns
    assert store.rows("SELECT customer_key, month, revenue, purchase_days, orders FROM customer_months") == [
        (0, date(2024, 1, 1), 10.1, 1, 1)]
    assert store.rows("SELECT first_purchase FROM customers") == [(date(2024, 1, 2),)]
    assert store.rows("SELECT customer_key, day, purchase_days, revenue FROM customer_days") == [
        (0, date(2024, 1, 2), 1, 10.1)]
    # migration 17: both layers are keyed by the integer key alone
    for layer in ("customer_days", "customer_months"):
        assert "customer_id" not in {r[0] for r in store.rows(f"SELECT column_name FROM (DESCRIBE {layer})")}
    assert store.rows("SELECT day, category, lines FROM category_days") == [(date(2024, 1, 2), "Books", 1)]
    # migrations 19 and 20: the table was rebuilt with its ids, and then its optional numbers,
    # stored uncompressed, rows and columns as before
    assert _id_compression(store) == {"transaction_id": ["Uncompressed"], "customer_id": ["Uncompressed"]}
    assert _forced_compression(store) == {"tx_ts": "uncompressed", "quantity": "uncompressed", "discount": "uncompressed"}
    assert store.rows("SELECT transaction_id, customer_id, tx_date, product_category FROM transactions") == [
        ("T1", "C1", date(2024, 1, 2), "Books")]


def _id_compression(store: Store) -> dict[str, list[str]]:
    """How the two id columns of transactions are stored, once checkpointed."""
    with store.cursor() as cur:
        cur.execute("CHECKPOINT")
        rows = cur.execute("""SELECT column_name, list(DISTINCT compression ORDER BY compression) FROM pragma_storage_info('transactions')
                              WHERE column_name IN ('transaction_id', 'customer_id') AND segment_type = 'VARCHAR'
                              GROUP BY column_name""").fetchall()
    return dict(rows)


def _forced_compression(store: Store) -> dict[str, str]:
    """The compression the optional numbers of transactions are declared with (DuckDB keeps
    a column's USING COMPRESSION in the table's definition)."""
    sql = store.scalar("SELECT sql FROM duckdb_tables() WHERE table_name = 'transactions'")
    return {c: m.group(1).lower() for c in ("tx_ts", "quantity", "discount")
            if (m := re.search(rf"\b{c} \w+(?:\(\d+, ?\d+\))? USING COMPRESSION (\w+)", sql, re.IGNORECASE))}


def test_empty_optional_numbers_are_constant_and_filled_ones_as_they_are(tmp_path: Path) -> None:
    """Migration 20: transactions.tx_ts, quantity and discount skip DuckDB's trial of
    bitpacking and RLE (0.07 s per column per 10M rows written, for columns most files leave
    empty): an empty one is still stored as a constant, a filled one as it is."""
    store = Store(tmp_path / "new.duckdb", create=True)
    assert _forced_compression(store) == {"tx_ts": "uncompressed", "quantity": "uncompressed", "discount": "uncompressed"}
    with store.cursor() as cur:
        cur.execute("INSERT INTO transactions (transaction_id, customer_id, tx_date, amount) "
                    "SELECT 'T' || i, 'C' || (i % 97), DATE '2024-01-01' + CAST(i % 300 AS INTEGER), 1.5 FROM range(300000) r(i)")
        cur.execute("INSERT INTO transactions (transaction_id, customer_id, tx_date, amount, quantity, discount, tx_ts) "
                    "SELECT 'Q' || i, 'C1', DATE '2024-01-01', 2, 1 + i % 5, i % 3, TIMESTAMP '2024-01-01 10:00' "
                    "+ to_seconds(i) FROM range(200000) r(i)")
        cur.execute("CHECKPOINT")
        got = dict(cur.execute("""SELECT column_name, list(DISTINCT compression ORDER BY compression) FROM pragma_storage_info('transactions')
                                  WHERE column_name IN ('tx_ts', 'quantity', 'discount') AND segment_type <> 'VALIDITY'
                                  GROUP BY column_name""").fetchall())
        assert got == {c: ["Constant", "Uncompressed"] for c in ("tx_ts", "quantity", "discount")}
        assert cur.execute("SELECT sum(quantity), sum(discount), count(tx_ts) FROM transactions").fetchone() == (
            600000, Decimal(199999), 200000)


def test_a_new_file_stores_the_transaction_ids_uncompressed(tmp_path: Path) -> None:
    """Migration 19: DuckDB's choice of text compression (tried on every row group) was about
    0.9 s of a 10M-row load for ids it hardly shrinks; ids are written as they are."""
    store = Store(tmp_path / "new.duckdb", create=True)
    with store.cursor() as cur:
        cur.execute("INSERT INTO transactions (transaction_id, customer_id, tx_date, amount, channel) "
                    "SELECT 'T' || i, 'C' || (i % 97), DATE '2024-01-01' + CAST(i % 300 AS INTEGER), 1.5, 'web' FROM range(200000) r(i)")
    assert _id_compression(store) == {"transaction_id": ["Uncompressed"], "customer_id": ["Uncompressed"]}
    with store.cursor() as cur:   # (other text columns keep DuckDB's choice)
        assert cur.execute("SELECT list(DISTINCT compression) FROM pragma_storage_info('transactions') "
                           "WHERE column_name = 'channel' AND segment_type = 'VARCHAR'").fetchone()[0] != ["Uncompressed"]


def test_newer_file_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "newer.duckdb"
    Store(path, create=True).schema_version()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_version VALUES (99, 'from_the_future', now())")
    con.close()
    before = path.read_bytes()
    with pytest.raises(SchemaVersionError) as info:
        Store(path).schema_version()
    assert info.value.params["found"] == 99 and info.value.params["supported"] == latest_version()
    assert "newer" in str(info.value)
    assert path.read_bytes() == before


@pytest.mark.parametrize("content", [b"", b"this is not a database\n" * 200, os.urandom(8192)])
def test_corrupt_or_empty_file_is_refused_without_being_overwritten(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.duckdb"
    path.write_bytes(content)
    with pytest.raises(DatabaseCorruptError):
        Store(path).table_counts()
    assert path.read_bytes() == content


def test_foreign_duckdb_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE something (a INTEGER)")
    con.close()
    with pytest.raises(NotACrmDatabaseError):
        Store(path).table_counts()


def test_unwritable_current_file_is_opened_read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ro.duckdb"
    Store(path, create=True).table_counts()
    monkeypatch.setattr(os, "access", lambda p, mode: False)  # as if the file were not writable (tests run as root)
    store = Store(path)
    assert store.schema_version() == latest_version()
    with pytest.raises(duckdb.InvalidInputException, match="read-only"):
        with store.cursor() as cur:
            cur.execute("INSERT INTO meta VALUES ('x', 'y')")


def test_read_only_old_file_cannot_be_upgraded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old.duckdb"
    _v1_file(path)
    monkeypatch.setattr(os, "access", lambda p, mode: False)  # as if the file were not writable
    with pytest.raises(ReadOnlyDatabaseError):
        Store(path).table_counts()


HOLD_LOCK = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); time.sleep(float(sys.argv[2]))"


def _hold_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_another_process_writing_makes_the_store_busy_then_it_recovers(tmp_path: Path) -> None:
    path = tmp_path / "shared.duckdb"
    Store(path, create=True).table_counts()
    proc = _hold_lock(path, 1.5)
    try:
        with pytest.raises(DatabaseBusyError):
            Store(path).table_counts()
        started = time.monotonic()
        counts = Store(path, busy_timeout=20).table_counts()  # waits for the lock to go
        assert counts["customers"] == 0 and time.monotonic() - started > 0.3
    finally:
        proc.wait(10)


def test_connection_is_released_between_uses_so_other_processes_can_write(tmp_path: Path) -> None:
    path = tmp_path / "shared.duckdb"
    store = Store(path, create=True)
    store.table_counts()
    out = subprocess.run([sys.executable, "-c", "import duckdb,sys; c=duckdb.connect(sys.argv[1]);"
                          "c.execute(\"INSERT INTO meta VALUES ('from_cli', 'yes')\")", str(path)], capture_output=True)
    assert out.returncode == 0, out.stderr
    assert store.meta("from_cli") == "yes"


def test_a_session_keeps_one_connection_then_releases_the_file(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A page run holds one connection: queries inside reuse it (one open, not one per
    query); afterwards another process can write; a missing file is reported at first use."""
    path = tmp_path / "session.duckdb"
    store = Store(path, create=True)
    opened = []
    real = duckdb.connect
    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: opened.append(a) or real(*a, **k))
    with store.session():
        store.table_counts()
        store.meta("x")
        Store(path).data_version()          # another Store on the same file shares it too
    assert len(opened) == 1
    store.table_counts()
    assert len(opened) == 2                  # outside a session every use opens again
    out = subprocess.run([sys.executable, "-c", "import duckdb,sys; c=duckdb.connect(sys.argv[1]);"
                          "c.execute(\"INSERT INTO meta VALUES ('after', 'yes')\")", str(path)], capture_output=True)
    assert out.returncode == 0, out.stderr
    empty = tmp_path / "empty.duckdb"
    empty.write_bytes(b"")
    with Store(empty).session():             # not an error here ...
        with pytest.raises(DatabaseCorruptError):
            Store(empty).table_counts()      # ... but at the first real use


def test_many_threads_share_one_connection_with_their_own_cursors(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.duckdb", create=True)
    with store.transaction() as cur:
        cur.execute("INSERT INTO customers (customer_id) SELECT 'C' || i FROM range(1000) r(i)")
    results: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                results.append(store.scalar("SELECT count(*) FROM customers"))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == [] and results == [1000] * 160


def test_failed_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.duckdb", create=True)
    with pytest.raises(duckdb.ConstraintException):
        with store.transaction() as cur:
            cur.execute("INSERT INTO customers (customer_id) VALUES ('C1')")
            cur.execute("INSERT INTO customers (customer_id) VALUES ('C1')")
    assert store.table_counts()["customers"] == 0


def test_money_is_exact(tmp_path: Path) -> None:
    store = Store(tmp_path / "m.duckdb", create=True)
    with store.transaction() as cur:
        cur.executemany("INSERT INTO transactions (transaction_id, customer_id, tx_date, amount) VALUES (?, 'C', DATE '2024-01-01', ?)",
                        [(f"T{i}", Decimal("0.10")) for i in range(10)] + [("R", Decimal("-0.30"))])
    assert store.scalar("SELECT sum(amount) FROM transactions") == Decimal("0.70")
    assert store.scalar("SELECT typeof(amount) FROM transactions LIMIT 1") == "DECIMAL(18,2)"


def test_data_version_follows_writes(tmp_path: Path) -> None:
    store = Store(tmp_path / "v.duckdb", create=True)
    v0 = store.data_version()
    with store.transaction() as cur:
        Store.bump_data_version(cur)
    assert store.data_version() == v0 + 1
    assert store.data_version() == v0 + 1  # cached by file fingerprint, still right


def test_sql_files_are_fixed_names_only() -> None:
    assert "customer_days" in load_sql("customer_base")
    assert "{filtered_customers}" not in load_sql("customer_base")
    for bad in ("../etc/passwd", "customer_base; DROP TABLE customers", "nonexistent"):
        with pytest.raises(KeyError):
            load_sql(bad)


def _category(day: int, amount: int) -> str | None:
    """A line's own category in the test below: none on every third."""
    return (None, "Books", "Music")[(day + amount) % 3]


@settings(max_examples=20, deadline=None)
@given(first=st.lists(st.tuples(st.sampled_from("ABC"), st.integers(0, 70), st.integers(-3, 9)), max_size=25),
       second=st.lists(st.tuples(st.sampled_from("ABCD"), st.integers(0, 70), st.integers(-3, 9)), max_size=25),
       removed=st.booleans(), per_range=st.sampled_from([DAYS_PER_RANGE, 1, 3]))
@example(first=[("A", 5, 3), ("B", 40, 2)], second=[("A", 2, 4), ("B", 41, -1), ("C", 3, 1)], removed=True,
         per_range=DAYS_PER_RANGE)
@example(first=[("A", 5, 3), ("B", 40, 2), ("C", 1, 1)], second=[("A", 2, 4), ("B", 41, -1), ("D", 3, 1)],
         removed=True, per_range=1)
def test_refresh_derived_matches_brute_force(tmp_path_factory, first, second, removed, per_range) -> None:
    """After an initial load and an incremental one (and, if drawn, the second one removed
    again, as a rollback does): first_purchase is the earliest purchase (NULL when none is
    left), and the customer_days state as of any date, customer_months, day_totals and
    category_days equal brute-force sums; whether the layers are written in one range of
    customers or in many (``per_range``: customer-days per range)."""
    with mock.patch("crm_core.store.refresh.DAYS_PER_RANGE", per_range):
        _refresh_against_brute_force(tmp_path_factory, first, second, removed)


def _refresh_against_brute_force(tmp_path_factory, first, second, removed) -> None:
    store = Store(tmp_path_factory.mktemp("flags") / "f.duckdb", create=True)
    base = date(2024, 1, 1)
    rows: list[tuple[str, date, int]] = []
    for batch in (first, second):
        if not batch:
            continue
        with store.transaction() as cur:
            for cid in {c for c, _, _ in batch}:
                cur.execute("INSERT INTO customers (customer_id) VALUES (?) ON CONFLICT DO NOTHING", [cid])
            for i, (cid, day, amount) in enumerate(batch):
                d = date.fromordinal(base.toordinal() + day)
                rows.append((cid, d, amount))
                cur.execute("INSERT INTO transactions (transaction_id, customer_id, tx_date, amount, cost, "
                            "product_category) VALUES (?, ?, ?, ?, ?, ?)",   # a cost on even amounts (costed_sales)
                            [f"T{len(rows)}", cid, d, amount, amount / 2 if amount % 2 == 0 else None,
                             _category(day, amount)])
            since = min(date.fromordinal(base.toordinal() + day) for _, day, _ in batch)
            Store.refresh_derived(cur, since if batch is second else None)
    if removed and second:   # as ingest.rollback does: delete the rows, refresh from their earliest date
        kept = len(rows) - len(second)
        with store.transaction() as cur:
            cur.execute("DELETE FROM transactions WHERE CAST(substr(transaction_id, 2) AS INTEGER) > ?", [kept])
            Store.refresh_derived(cur, min(d for _, d, _ in rows[kept:]))
        rows = rows[:kept]
    buys = [(c, d) for c, d, a in rows if a >= 0]
    firsts = {c: min(d for cc, d in buys if cc == c) for c, _ in buys}
    assert dict(store.rows("SELECT customer_id, first_purchase FROM customers WHERE first_purchase IS NOT NULL")) == firsts
    # first_revenue: the running revenue on the first purchase day (returns before it included)
    assert dict(store.rows("SELECT customer_id, first_revenue FROM customers WHERE first_revenue IS NOT NULL")) == \
        {c: float(sum(a for cc, d, a in rows if cc == c and d <= first)) for c, first in firsts.items()}
    assert store.scalar("SELECT count(*) FROM customers WHERE (first_revenue IS NULL) <> (first_purchase IS NULL)") == 0
    for day in (0, 20, 35, 70):
        as_of = date.fromordinal(base.toordinal() + day)
        expect = {}
        for c in sorted({c for c, d, _ in rows if d <= as_of}):
            mine = [(d, a) for cc, d, a in rows if cc == c and d <= as_of]
            bought = [d for d, a in mine if a >= 0]
            expect[c] = (max(bought) if bought else None, len(set(bought)), len(bought),
                         float(sum(a for _, a in mine)), float(-sum(a for _, a in mine if a < 0)))
        got = store.rows("""SELECT c.customer_id, d.last_purchase, d.purchase_days, d.orders, d.revenue, d.returns
                            FROM customer_days AS d JOIN customers AS c USING (customer_key)
                            WHERE d.next_day > ? AND d.day <= ?""", [as_of, as_of])
        assert {c: tuple(v) for c, *v in got} == expect
    monthly: dict[tuple[str, date], list[float]] = {}
    for c, d, a in rows:  # customer_months after both loads equals a brute-force monthly sum
        m = monthly.setdefault((c, d.replace(day=1)), [0.0, 0, 0])
        m[0] += a
        m[2] += a >= 0
    for (c, month), m in monthly.items():
        m[1] = len({d for cc, d, a in rows if cc == c and d.replace(day=1) == month and a >= 0})
    got_months = store.rows("SELECT c.customer_id, m.month, m.revenue, m.purchase_days, m.orders "
                            "FROM customer_months AS m JOIN customers AS c USING (customer_key)")
    assert {(c, m): [r, p, o] for c, m, r, p, o in got_months} == monthly
    daily: dict[date, list[int]] = {}
    for _, d, a in rows:  # day_totals: each date's sales and the costed part of them
        t = daily.setdefault(d, [0, 0])
        t[0] += max(a, 0)
        t[1] += a if a > 0 and a % 2 == 0 else 0
    assert {d: [int(x), int(y)] for d, x, y in store.rows("SELECT day, sales, costed_sales FROM day_totals")} == daily
    # category_days: each date's lines of positive amount per category of their own (none: not counted)
    lines: dict[tuple[date, str], int] = {}
    for _, d, a in rows:
        cat = _category((d - base).days, a)
        if a > 0 and cat is not None:
            lines[(d, cat)] = lines.get((d, cat), 0) + 1
    assert {(d, c): n for d, c, n in store.rows("SELECT day, category, lines FROM category_days")} == lines
    # the first and last transaction dates every page starts from are read from day_totals
    assert store.date_range() == ((min(daily), max(daily)) if daily else (None, None))
    keys = dict(store.rows("SELECT customer_id, customer_key FROM customers"))
    assert sorted(keys.values()) == list(range(len(keys)))        # dense, unique, given at each load
    # the per-customer layers carry only the key: every row's is a customer's
    for layer in ("customer_days", "customer_months"):
        assert store.scalar(f"SELECT count(*) FROM {layer} WHERE customer_key IS NULL "
                            "OR customer_key NOT IN (SELECT customer_key FROM customers)") == 0


def test_the_per_customer_layers_are_written_in_the_order_scans_skip_by(tmp_path: Path) -> None:
    """A range of customers' rows is written in the order the pages' scans skip row groups
    by: ``customer_days`` by ``next_day`` (the as-of states), ``customer_months`` by
    ``month`` (the trend, the cohorts). In the table's own order neither falls back (written
    in the order they are computed, both would at every customer)."""
    store = Store(tmp_path / "o.duckdb", create=True)
    with store.transaction() as cur:
        cur.execute("INSERT INTO customers (customer_id) SELECT 'C' || i FROM range(40) AS r(i)")
        cur.execute("INSERT INTO transactions (transaction_id, customer_id, tx_date, amount) "
                    "SELECT 'T' || i, 'C' || (i * 7 % 40), DATE '2024-01-01' + CAST(i * 13 % 300 AS INTEGER), 5 "
                    "FROM range(400) AS r(i)")
        Store.refresh_derived(cur)
    for table, column in (("customer_days", "next_day"), ("customer_months", "month")):
        falls = store.scalar(f"SELECT count(*) FROM (SELECT {column} < lag({column}) OVER (ORDER BY rowid) AS down "
                             f"FROM {table}) WHERE down")
        assert store.scalar(f"SELECT count(*) FROM {table}") > 200 and falls == 0, table


def test_key_ranges_cover_every_key_once_in_about_equal_parts() -> None:
    """The refresh's ranges of customer_key: contiguous, from the least INTEGER to past the
    greatest, one per ``per_range`` customer-days (rounded up), each holding about as many."""
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE _daily AS SELECT CAST(range % 1000 AS INTEGER) AS customer_key FROM range(100000)")
    assert key_ranges(con, 200_000) == [ALL_KEYS]
    ranges = key_ranges(con, 25_000)
    assert len(ranges) == 4 and ranges[0][0] == ALL_KEYS[0] and ranges[-1][1] == ALL_KEYS[1]
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    sizes = [con.execute("SELECT count(*) FROM _daily WHERE customer_key >= ? AND customer_key < ?", [lo, hi])
             .fetchall()[0][0] for lo, hi in ranges]
    assert sum(sizes) == 100_000 and max(sizes) - min(sizes) <= 1000
    con.execute("DELETE FROM _daily")
    assert key_ranges(con, 1) == [ALL_KEYS]   # nothing to write: one range


def _operator_memory(cur: duckdb.DuckDBPyConnection) -> str | None:
    return cur.execute("SELECT current_setting('operator_memory_limit')").fetchall()[0][0]


def test_the_refresh_runs_under_its_operator_memory_and_gives_the_cursor_back_as_it_was(tmp_path: Path) -> None:
    """The refresh's statements run with ``OPERATOR_MEMORY`` as the cursor's
    ``operator_memory_limit`` (seen from inside, where the key ranges are cut); afterwards the
    cursor has its own value again: DuckDB's default (none), or one it had set. Other cursors
    never see it (a connection's own setting)."""
    store = Store(tmp_path / "m.duckdb", create=True)
    seen: list[str | None] = []

    def spying(cur, per_range=None):
        seen.append(_operator_memory(cur))
        return key_ranges(cur, per_range)

    with store.cursor() as probe:
        expected = _operator_memory(probe)   # DuckDB's default: none
        probe.execute("SET operator_memory_limit = $v", {"v": OPERATOR_MEMORY})
        limited = _operator_memory(probe)
        probe.execute("RESET operator_memory_limit")
    assert expected is None and limited is not None
    with mock.patch.object(refresh_module, "key_ranges", spying), store.transaction() as cur, \
            store.cursor() as other:
        cur.execute("INSERT INTO customers (customer_id) VALUES ('A')")
        cur.execute("INSERT INTO transactions (transaction_id, customer_id, tx_date, amount) "
                    "VALUES ('T1', 'A', DATE '2024-03-05', 10)")
        Store.refresh_derived(cur)
        assert seen == [limited] and _operator_memory(cur) is None and _operator_memory(other) is None
        cur.execute("SET operator_memory_limit = '512MiB'")   # (given back as DuckDB reports it: MiB to 0.1)
        mine = _operator_memory(cur)
        Store.refresh_derived(cur, date(2024, 3, 1))
        assert seen == [limited, limited] and _operator_memory(cur) == mine
    assert store.scalar("SELECT revenue FROM customer_days") == 10


def test_a_failed_refresh_raises_its_own_error_and_a_failed_restore_is_not_hidden(tmp_path: Path) -> None:
    """A refresh statement that fails inside a transaction leaves it unable to run even the
    ``SET`` that gives the cursor its setting back: the statement's own error is raised, not
    that one. Outside a transaction the setting is given back after the failure too; and a
    setting that cannot be given back after a refresh that succeeded is an error."""
    store = Store(tmp_path / "f.duckdb", create=True)
    broken = mock.patch.object(refresh_module, "load_sql", lambda name, **_: "SELECT * FROM no_such_table")
    with broken, pytest.raises(duckdb.CatalogException, match="no_such_table"), store.transaction() as cur:
        Store.refresh_derived(cur)
    with broken, store.cursor() as cur:
        with pytest.raises(duckdb.CatalogException, match="no_such_table"):
            Store.refresh_derived(cur)
        assert _operator_memory(cur) is None
    with store.cursor() as cur:
        cur.execute("BEGIN")
        with pytest.raises(duckdb.TransactionException):
            with refresh_module.operator_memory(cur):
                with pytest.raises(duckdb.ConstraintException):
                    cur.execute("INSERT INTO customers (customer_id) VALUES (NULL)")   # the transaction fails
        cur.execute("ROLLBACK")


def test_write_lock_serialises_loads_but_not_small_writes(tmp_path: Path) -> None:
    """Store.writer (loads, rollbacks) takes turns with other writers; a plain transaction
    (an audit entry, a setting) does not wait for it, so a long load does not stall sign-ins."""
    import threading

    store = Store(tmp_path / "w.duckdb", create=True)
    done: list[str] = []

    def plain() -> None:
        with store.transaction() as cur:
            Store.set_meta(cur, "probe", "1")
        done.append("plain")

    def writer() -> None:
        with store.writer():
            done.append("writer")

    with store.writer():
        t1 = threading.Thread(target=plain)
        t1.start()
        t1.join(timeout=10)
        assert done == ["plain"]                 # went through while the lock was held
        t2 = threading.Thread(target=writer)
        t2.start()
        t2.join(timeout=0.5)
        assert t2.is_alive() and done == ["plain"]   # waits for its turn
    t2.join(timeout=10)
    assert done == ["plain", "writer"] and store.meta("probe") == "1"


def test_a_semicolon_or_parameter_in_a_refresh_comment_is_only_a_comment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The refresh script is split by DuckDB's parser, not at every ";": a comment may say
    "; $lo" without cutting a statement in two or binding a parameter it does not use."""
    from crm_core.store import refresh
    from tests.conftest import make_store

    rows = [{"transaction_id": f"T{i}", "customer_id": f"C{i % 3}", "tx_date": date(2024, 1, 1 + i), "amount": 10 + i}
            for i in range(6)]
    plain = make_store(tmp_path / "plain.duckdb", transactions=rows)
    real = refresh.load_sql
    monkeypatch.setattr(refresh, "load_sql", lambda name, **kw: real(name, **kw).replace(
        "\nDROP TABLE _firsts;", "\n-- a note; naming $lo and $hi and $start\nDROP TABLE _firsts;"))
    noted = make_store(tmp_path / "noted.duckdb", transactions=rows)
    query = "SELECT customer_key, day, next_day, purchase_days, orders, revenue FROM customer_days ORDER BY ALL"
    assert noted.rows(query) == plain.rows(query) and len(plain.rows(query)) == 6
