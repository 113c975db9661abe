"""Parse and check one file's rows: the rules every load applies, wherever it runs.

:func:`check_rows` turns the raw table ``_raw`` (``_row``, ``c1..cN`` as read) into the
typed table ``_typed`` (canonical columns, ``problems`` per row): the file-wide decisions
(day/month order, decimal commas, cancellation prefixes) from the file's own values, the
row's own problems, and repeats within the file. The Upload page and ``ingest`` run it
inside a load (:func:`crm_core.ingest.load.load_file`, which adds the checks against
stored rows); the lake build runs the same function on each input file inside a Spark task
(:mod:`crm_core.lake.spark_engine`), so both engines set aside exactly the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from crm_core.ingest.schema import FALSE_WORDS, REASON_WORDS, TRUE_WORDS, Kind
from crm_core.ingest.statements import (
    ZONE_SUFFIX,
    checks_sql,
    decimal_commas,
    has_key,
    in_file_duplicates_sql,
    source_kind,
    stored_duplicates_sql,
    typed_sql,
)
from crm_core.ingest.statements import day_first as decide_day_first

__all__ = ["Checked", "check_rows", "type_rows", "mark_repeats"]


@dataclass(frozen=True)
class Checked:
    """What :func:`check_rows` decided and counted (the rows are in ``_typed``)."""

    mapped: frozenset[str]        # canonical columns the file maps
    extra: tuple[str, ...]        # positional columns kept aside (not mapped)
    zoned_values: int             # times naming a zone or offset, converted
    identical_rows: int           # repeats read as separate purchases (no transaction id)


def check_rows(cur: duckdb.DuckDBPyConnection, spec: Kind, cols: dict[str, str], *, now: datetime, zone: str,
               day_first: bool | None, decimal_comma: bool | None, create_customers: bool,
               identical_rows: str, stored: bool = True) -> Checked:
    """Create ``_typed`` from ``_raw``; see the module docstring. ``stored``: also check
    against the database's rows (references, stored duplicates); the lake build checks
    those across files itself."""
    typed = type_rows(cur, spec, cols, now=now, zone=zone, day_first=day_first, decimal_comma=decimal_comma,
                      create_customers=create_customers, stored=stored)
    identical, _marked = mark_repeats(cur, spec, typed.mapped, identical_rows)
    return Checked(typed.mapped, typed.extra, typed.zoned_values, identical)


def type_rows(cur: duckdb.DuckDBPyConnection, spec: Kind, cols: dict[str, str], *, now: datetime, zone: str,
              day_first: bool | None, decimal_comma: bool | None, create_customers: bool,
              stored: bool = True) -> Checked:
    """:func:`check_rows` but for repeats within the file (:func:`mark_repeats`), the last
    step, which reads ``_typed`` only (``identical_rows`` of the result: 0)."""
    is_tx = spec.name == "transactions"
    types = dict(cur.execute("SELECT column_name, column_type FROM (DESCRIBE _raw)").fetchall())
    dates = {c.name: cols[c.name] for c in spec.columns if c.type in ("date", "timestamp") and c.name in cols
             and source_kind(types.get(cols[c.name])) != "date"}   # typed dates have no day/month question
    first = decide_day_first(cur, "_raw", dates, day_first)
    zoned = 0
    if dates:   # told on the result: which times were moved to business time
        # (a zone follows a time: the cheap test for ':' first, in a WHERE, which DuckDB
        # evaluates lazily, unlike a FILTER clause: 0.58 -> 0.10 s on 10M dates)
        zoned = int(cur.execute("SELECT " + " + ".join(
            f"(SELECT count(*) FROM _raw WHERE contains(CAST({c} AS VARCHAR), ':') "
            f"AND regexp_matches(trim(CAST({c} AS VARCHAR)), '{ZONE_SUFFIX}'))"
            for c in dates.values())).fetchall()[0][0])
    cancel = False
    if is_tx and "order_id" in cols:   # invoice numbers, some C + digits: those are cancellations
        o = cols["order_id"]
        numeric, prefixed = cur.execute(
            f"SELECT count(*) FILTER (WHERE regexp_full_match(trim(CAST({o} AS VARCHAR)), '[0-9]+')), "
            f"count(*) FILTER (WHERE regexp_full_match(trim(CAST({o} AS VARCHAR)), 'C[0-9]+')) FROM _raw").fetchone()
        cancel = bool(numeric and prefixed)
    money = {c.name: cols[c.name] for c in spec.columns if c.type == "money" and c.name in cols
             and source_kind(types.get(cols[c.name])) in ("text", "other")}
    commas = decimal_commas(cur, "_raw", money, decimal_comma)
    typed, extra = typed_sql(spec, cols, "_raw", first, types, guests=is_tx, cancel_prefix=cancel,
                             decimal_comma=commas)
    params: dict[str, Any] = {"now": now, "tz": zone, "reason_keys": list(REASON_WORDS),
                              "reason_values": list(REASON_WORDS.values()),
                              "true_words": list(TRUE_WORDS), "false_words": list(FALSE_WORDS)}
    for col in spec.columns:
        if col.type == "enum":
            params[f"choices_{col.name}"] = list(col.choices)
    mapped = {c for c in cols if not c.startswith("_extra:")}
    if stored:
        # Parse, the row's own problems and the checks against other rows and tables in one
        # statement (one pass, one materialised table; three were 2-3 s more on 10M rows).
        code = f"SELECT t.* REPLACE ({checks_sql(spec, mapped, create_customers=create_customers)} AS problems) FROM ({typed}) AS t"
    else:
        code = typed
    cur.execute(f"CREATE OR REPLACE TEMP TABLE _typed AS {code}", {k: v for k, v in params.items() if f"${k}" in code})
    if stored:
        marking = stored_duplicates_sql(spec, mapped, "_typed")
        if marking:
            cur.execute(marking)
    return Checked(frozenset(mapped), tuple(extra), zoned, 0)


def mark_repeats(cur: duckdb.DuckDBPyConnection, spec: Kind, mapped: frozenset[str],
                 identical_rows: str) -> tuple[int, bool]:
    """Rows of ``_typed`` repeating an earlier row: (identical rows read as separate
    purchases, whether any row was marked ``row:duplicate_in_file``). Without a transaction
    id, identical transactions are separate purchases unless ``identical_rows`` is
    ``duplicates``; with one, a repeated id is an error."""
    quick, count, mark = in_file_duplicates_sql(spec, set(mapped), "_typed")
    repeats = int(cur.execute(quick).fetchall()[0][0]) and int(cur.execute(count).fetchall()[0][0])
    if repeats and spec.name == "transactions" and not has_key(spec, set(mapped)) and identical_rows == "purchases":
        return repeats, False    # two equal purchases on one day are two purchases
    if repeats:
        cur.execute(mark)
    return 0, bool(repeats)
