"""Maintain the derived layers after a write, inside the writing transaction.

Customers' keys (``sql/refresh_customer_keys.sql``), then, for every customer with a
transaction (or a ``customer_days`` row) from the month of the earliest date written or
removed, their ``customer_days`` running totals, ``customer_months``, first purchase, and the
day and category totals (``sql/refresh_customer_days.sql``): incremental, going on from each
customer's totals before that month. The statements that name ``$lo`` and ``$hi`` run once
per range of ``customer_key`` (:func:`key_ranges`), so a refresh of millions of
customer-days holds one range's window and sorts in memory at a time, and the refresh runs
with DuckDB's ``operator_memory_limit`` (:data:`OPERATOR_MEMORY`) on its cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import duckdb

from crm_core.store.sql_text import load_sql

__all__ = ["refresh_derived", "key_ranges", "operator_memory", "DAYS_PER_RANGE", "ALL_KEYS", "OPERATOR_MEMORY"]


#: Customer-days written per statement by :func:`refresh_derived` (about 0.3 GB of
#: working memory for the window and the sort of each range).
DAYS_PER_RANGE = 5_000_000
#: DuckDB's ``operator_memory_limit`` (the memory for one connection's sorts and hash
#: tables) while the refresh runs, on its cursor only (a connection's own setting: page
#: queries on other cursors keep DuckDB's default). Each statement works on one range of at
#: most :data:`DAYS_PER_RANGE` customer-days, or on the new lines' day aggregate, and stays
#: inside it without spilling (a 10M-line load writes no temporary file). Measured in 10M-line
#: loads against no limit: the refresh 0.3-0.4 s faster (the day aggregate 1.1-1.35 s instead
#: of 1.46-1.91 s) and the load's peak 50-100 MB lower; 128MB and 1GB gained less.
OPERATOR_MEMORY = "256MB"
#: The range of every customer_key (an INTEGER): ``$lo`` and ``$hi`` of one whole range.
ALL_KEYS: tuple[int, int] = (-2**31, 2**31)


def key_ranges(cur: duckdb.DuckDBPyConnection, per_range: int | None = None) -> list[tuple[int, int]]:
    """[``$lo``, ``$hi``) ranges of customer_key splitting the refresh's ``_daily`` into about
    ``per_range`` (:data:`DAYS_PER_RANGE`) customer-days each, together covering every key;
    one range when it is small. Cut from a histogram of the keys in 1,024 equal-width buckets
    (older customers, with lower keys, have more days): the same data always gets the same
    ranges, so the same stored values (a window's sums can differ in the last bit with the
    ranges)."""
    n, first, last = cur.execute("SELECT count(*), min(customer_key), max(customer_key) FROM _daily").fetchall()[0]
    parts = -(-int(n) // (per_range or DAYS_PER_RANGE))
    if parts <= 1:
        return [ALL_KEYS]
    width = -(-(int(last) - int(first) + 1) // _BUCKETS)
    counts = cur.execute("SELECT (customer_key - ?) // ? AS b, count(*) FROM _daily GROUP BY b ORDER BY b",
                         [int(first), width]).fetchall()
    cuts, seen, goal = [], 0, int(n) / parts
    for bucket, count in counts:
        seen += int(count)
        if seen >= goal * (len(cuts) + 1) and len(cuts) < parts - 1:
            cuts.append(int(first) + (int(bucket) + 1) * width)
    return list(zip([ALL_KEYS[0], *cuts], [*cuts, ALL_KEYS[1]]))


#: Buckets of the key histogram :func:`key_ranges` cuts from.
_BUCKETS = 1024


@contextmanager
def operator_memory(cur: duckdb.DuckDBPyConnection, limit: str = OPERATOR_MEMORY) -> Iterator[None]:
    """DuckDB's ``operator_memory_limit`` on ``cur`` for the duration, then the cursor's own
    value again: none, or the value as DuckDB reports it (MiB to one decimal). Not given back
    when the body failed and left a transaction that can run no statement: the body's error
    propagates, and the failed writer's cursor is closed. A setting that cannot be given
    back after a body that succeeded is an error."""
    before = cur.execute("SELECT current_setting('operator_memory_limit')").fetchall()[0][0]
    cur.execute("SET operator_memory_limit = $limit", {"limit": limit})
    ok = False
    try:
        yield
        ok = True
    finally:
        try:
            if before is None:
                cur.execute("RESET operator_memory_limit")
            else:
                cur.execute("SET operator_memory_limit = $limit", {"limit": before})
        except duckdb.Error:
            if ok:
                raise


def refresh_derived(cur: duckdb.DuckDBPyConnection, since: date | None = None) -> None:
    """Maintain the derived data (see the module docstring); call inside the writing
    transaction with ``since`` = the earliest transaction date written or removed (None:
    everything)."""
    with operator_memory(cur):
        _refresh(cur, since)


def _refresh(cur: duckdb.DuckDBPyConnection, since: date | None) -> None:
    start = (since or date(1, 1, 1)).replace(day=1)   # a month is the smallest unit rewritten
    cur.execute(load_sql("refresh_customer_keys"))
    # Order numbers (order-line files) make the order count a distinct count, 2.8 s more
    # on 10M rows: paid only when some transaction has one.
    order_ids = bool(cur.execute("SELECT EXISTS (SELECT 1 FROM transactions WHERE order_id IS NOT NULL)")
                     .fetchall()[0][0])
    sql = load_sql("refresh_customer_days", options=frozenset({"order_ids"}) if order_ids else frozenset())
    ranges: list[tuple[int, int]] | None = None
    # (DuckDB's own parser splits the script: a ";" or "$lo" in a comment is a comment)
    for statement in cur.extract_statements(sql):
        names = statement.named_parameters
        start_param = {"start": start} if "start" in names else {}
        if "lo" not in names:
            cur.execute(statement.query, start_param or None)
            continue
        ranges = ranges or key_ranges(cur)
        for lo, hi in ranges:
            cur.execute(statement.query, {"lo": lo, "hi": hi, **start_param})
