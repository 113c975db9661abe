"""A load's working tables and how its transaction reads them.

A load parses and checks a file into temporary tables (``_raw``: the cells as read;
``_typed``: the parsed rows and their problems; ``_rejected``) before it writes anything.
They belong to a connection of their own, the checking connection ``chk``, not to the
connection whose transaction writes (``cur``): DuckDB frees a dropped table only when no
open transaction has read it, so a transaction that read them itself would hold them, and
their memory, until its commit. Read through :func:`stream` instead, each is dropped as soon
as the write has read it while the transaction goes on (10M rows: 0.8 GB less while the
derived layers are refreshed).

The raw cells are the largest and the least used: a Parquet file is read where it lies
(:func:`read_raw`), and a CSV's copy is put away before the repeat check
(:func:`shelve_raw`), keeping only the cells of the rows already set aside.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

from crm_core.ingest.read import sniffed_types, typed_sql
from crm_core.ingest.shape import raw_error
from crm_core.ingest.statements import source_kind

__all__ = ["read_raw", "shelve_raw", "unshelve_raw", "set_aside", "drop_raw", "stream", "unordered", "BATCH_ROWS"]

#: Rows per Arrow batch of :func:`stream`.
BATCH_ROWS = 1_000_000


def read_raw(chk: duckdb.DuckDBPyConnection, source: Any, n_columns: int,
             numbers: frozenset[int] = frozenset()) -> bool:
    """``_raw``, the view the checks read: ``_row`` (1 = the first data row) and the cells as
    read (``c1..cN``). A Parquet file is read where it lies, each time (its own row index
    numbers the rows; a copy in memory was 0.7 GB and 0.7 s for 10M rows, and the checks
    read few of its columns). Other files are read once into ``_raw_cells``. Every line is
    read here: an error past the sniffer's sample becomes a message (:func:`raw_error`).

    ``numbers``: columns (1-based) of a delimited file that hold money, read as DECIMAL(18, 2)
    by DuckDB's reader when its sniffer found numbers there and every cell is one, as a
    Parquet file's would be (10M rows: 0.6-1.0 s less than text parsed after; the reader's
    number is the text's, cell for cell: ``tests/test_ingest_cells.py``). A cell that is not
    a plain number (``1,234``, ``$5``, ``(3.50)``) stops that read and the file is read as
    text, as without ``numbers``. Returns whether the numbers were read as numbers (their
    cells are then the numbers printed: the rows set aside get the file's own text, read
    again for them, see :func:`unshelve_raw`)."""
    if numbers and not source.numbered_sql and source.csv_file:
        try:
            sniffed = sniffed_types(chk, source) or ("VARCHAR",) * n_columns
        except duckdb.Error:   # (the sniffer looking at types too failed where the text read did not)
            sniffed = ("VARCHAR",) * n_columns
        types = tuple("DECIMAL(18, 2)" if i in numbers and _is_number(sniffed[i - 1]) else "VARCHAR"
                      for i in range(1, n_columns + 1))
        if len(sniffed) == n_columns and any(t != "VARCHAR" for t in types):
            try:
                _copy_cells(chk, typed_sql(source, types), n_columns)
                return True
            except duckdb.Error:
                pass   # a cell past the sniffer's sample is no plain number: read as text below
    try:
        if source.numbered_sql:   # the file numbers its rows: column 1 is the number
            positional = ", ".join(f"#{i + 1} AS c{i}" for i in range(1, n_columns + 1))
            chk.execute(f"CREATE OR REPLACE TEMP VIEW _raw AS SELECT #1 AS _row, {positional} "
                        f"FROM ({source.numbered_sql})")
            chk.execute("SELECT count(*) FROM _raw").fetchall()   # (a damaged file fails here, as a copy would)
        else:
            # Numbered by their place in the table, which keeps the file's order (DuckDB
            # preserves insertion order): row_number() OVER () read the file on one thread
            # (10M CSV rows: 2.7 s against 1.4 s).
            _copy_cells(chk, source.sql, n_columns)
    except duckdb.Error as exc:
        raise raw_error(exc) from None
    return False


def _copy_cells(chk: duckdb.DuckDBPyConnection, sql: str, n_columns: int) -> None:
    """``_raw_cells``: the columns of ``sql`` as ``c1..cN``, and ``_raw`` numbering them."""
    positional = ", ".join(f"#{i} AS c{i}" for i in range(1, n_columns + 1))
    chk.execute(f"CREATE OR REPLACE TEMP TABLE _raw_cells AS SELECT {positional} FROM ({sql})")
    chk.execute("CREATE OR REPLACE TEMP VIEW _raw AS SELECT rowid + 1 AS _row, * FROM _raw_cells")


def _is_number(duck_type: str) -> bool:
    """Whether the sniffer found numbers (whole, DECIMAL, or floating) in a column."""
    return source_kind(duck_type) in ("integer", "number") or duck_type.upper() in ("FLOAT", "DOUBLE")


def shelve_raw(chk: duckdb.DuckDBPyConnection, source: Any, numbers_read: bool = False) -> bool:
    """Drop a copied file's cells but those of the rows of ``_typed`` with a problem (kept in
    ``_raw_kept``): the repeat check after it (1 s and a 0.4 GB hash table for 10M ids) then
    runs without them. Returns whether anything was put away (a Parquet file keeps its view).
    ``numbers_read`` (:func:`read_raw` read numbers as numbers): none are kept, those rows'
    text is read again (:func:`unshelve_raw`)."""
    if source.numbered_sql:
        return False
    some = not numbers_read and chk.execute("SELECT EXISTS (SELECT 1 FROM _typed WHERE len(problems) > 0)").fetchall()[0][0]
    chk.execute("CREATE OR REPLACE TEMP TABLE _raw_kept AS SELECT * FROM _raw WHERE _row IN "
                f"(SELECT _row FROM _typed WHERE len(problems) > 0) {'' if some else 'LIMIT 0'}")
    chk.execute("DROP VIEW _raw")
    chk.execute("DROP TABLE _raw_cells")
    return True


def unshelve_raw(chk: duckdb.DuckDBPyConnection, source: Any, n_columns: int, marked: bool,
                 numbers_read: bool = False) -> None:
    """``_raw`` again after :func:`shelve_raw`, for the cells of the rows set aside: the kept
    ones, or, when the repeat check set more rows aside (rare: an error) or the numbers were
    read as numbers and some row is set aside, the file read again as text (the cells as the
    file has them: ``7``, not ``7.00``)."""
    if numbers_read and not marked:
        marked = chk.execute("SELECT EXISTS (SELECT 1 FROM _typed WHERE len(problems) > 0)").fetchall()[0][0]
    if marked:
        read_raw(chk, source, n_columns)
    else:
        chk.execute("CREATE OR REPLACE TEMP VIEW _raw AS SELECT * FROM _raw_kept")


def set_aside(chk: duckdb.DuckDBPyConnection, n_columns: int, *, any_rows: bool) -> None:
    """``_rejected``: each row of ``_typed`` with a problem, its problems and its cells as the
    file has them (JSON lists; the headers are kept in the load's log, never in SQL); then
    the raw cells are dropped. ``any_rows`` False: none, and the file is not read again."""
    values = ", ".join(f"CAST(r.c{i} AS VARCHAR)" for i in range(1, n_columns + 1))
    chk.execute(f"""CREATE OR REPLACE TEMP TABLE _rejected AS SELECT t._row, to_json(t.problems) AS problems,
                    to_json([{values}]) AS data FROM _typed t JOIN _raw r USING (_row) WHERE len(t.problems) > 0
                    {'' if any_rows else 'LIMIT 0'}""")
    drop_raw(chk)


def drop_raw(chk: duckdb.DuckDBPyConnection) -> None:
    """Drop ``_raw`` and whatever holds its cells."""
    chk.execute("DROP VIEW IF EXISTS _raw")
    for table in ("_raw_cells", "_raw_kept"):
        chk.execute(f"DROP TABLE IF EXISTS {table}")


@contextmanager
def stream(chk: duckdb.DuckDBPyConnection, cur: duckdb.DuckDBPyConnection, name: str, sql: str) -> Iterator[None]:
    """The rows of ``sql`` on the checking connection, readable once on ``cur`` as ``name``
    (Arrow batches, streamed; see the module docstring). For 10M rows it costs about what
    reading the table directly does."""
    reader = chk.sql(sql).to_arrow_reader(BATCH_ROWS)
    cur.register(name, reader)
    try:
        yield
    finally:
        cur.unregister(name)
        reader.close()


@contextmanager
def unordered(cur: duckdb.DuckDBPyConnection, on: bool = True) -> Iterator[None]:
    """Let ``cur``'s statements write rows in the order its threads produce them (this
    connection only). A load's rows need no order (each carries its file row number), and
    an insert that keeps the order of a CSV's batches writes part-filled row groups that
    the next checkpoint rewrites: for 10M rows 1.8 s and 0.26 GB more when the file closes.
    Unordered, each thread fills its own row groups. ``on`` False (upserts, whose stored rows
    are matched by key) leaves the order as it is."""
    if not on:
        yield
        return
    cur.execute("SET SESSION preserve_insertion_order = false")
    try:
        yield
    finally:
        cur.execute("RESET SESSION preserve_insertion_order")
