"""The lake's layout: which tables it holds, how they are partitioned, the manifest.

A lake is a folder of Parquet files written by ``python -m crm_core build`` (DuckDB or
Spark) and read by the dashboard and the CLI through DuckDB views (:mod:`crm_core.lake.catalog`):

- ``_lake.json``: the manifest (format, engine, inputs already loaded, row counts, the
  files of each table). A build writes a new version folder ``v<N>/`` and then replaces
  the manifest in one rename, so a reader never sees half a build.
- ``v<N>/transactions/p_month=YYYY-MM/``: the validated transactions, by month;
  ``customers/``; ``customer_days/p_bucket=B/`` (a range of :data:`BUCKET_CUSTOMERS`
  customer keys, each file sorted by ``next_day`` as the store keeps it); ``customer_months/p_year=Y/``
  (by month within the year); ``day_totals/``; ``category_days/``; ``meta/``; ``rejected/`` (rows set aside, with their reasons).

Money that the store keeps as DOUBLE sums is rounded to the millionth and written as
DOUBLE (:func:`money_sql`): a sum of amounts in cents times a four-digit margin is a whole
number of millionths, so the rounding removes only the last-bit noise of the summation
order, and both engines compute the same double from the same whole number (IEEE
multiplication, rounding and division). DOUBLE rather than ``DECIMAL(38, 6)``: a reader
decodes a 128-bit decimal and casts it about three times slower (measured on the
benchmark's ``customer_days``: 0.25 s against 0.09 s for its money columns). Below 9·10⁹
per value (2⁵³ millionths) the two engines' files are identical; above, equal to 1e-15.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb

from crm_core.errors import CrmError
from crm_core.store.connection import Store

__all__ = ["LAKE_FORMAT", "BUCKET_CUSTOMERS", "LAYERS", "DERIVED_CUSTOMER_COLUMNS", "Layer", "LakeError", "MANIFEST",
           "table_schemas", "not_null_columns", "staging_view_sql",
           "money_sql", "TRANSACTION_ROW_GROUP", "CUSTOMER_DAYS_ROW_GROUP", "COMPRESSION",
           "read_manifest", "write_manifest", "export_columns", "partition_expr"]

LAKE_FORMAT = 5     # 5: customer_days and customer_months without customer_id; 4: category_days; 3: customers.first_revenue; 2: money as rounded DOUBLE (1: DECIMAL(38, 6))
#: Columns of ``customers`` the refresh derives (no file gives them; a customers file keeps them).
DERIVED_CUSTOMER_COLUMNS = ("first_purchase", "first_revenue", "customer_key")
#: Rows per row group of the lake's transactions (sorted by customer within a month): a
#: customer's lines are found by row-group statistics without decoding the whole month.
TRANSACTION_ROW_GROUP = 16_384
#: Rows per row group of ``customer_days`` (each file in ``next_day`` order): an as-of scan
#: near the data's end (the Overview's current period, the month to date) reads the last row
#: group or two of each file (31 of 288 groups on the benchmark), not half of it as with
#: Spark's 8 MB groups of ~267k rows (16 of 33). The filtered Overview, cold, best of seven,
#: on a copy of the Spark-built lake rewritten so: 0.334 -> 0.288 s.
CUSTOMER_DAYS_ROW_GROUP = 32_768
#: Parquet compression of the lake's files: none. The dashboard reads them on every cold
#: start; DuckDB scans uncompressed pages about 25% faster than Snappy's (customer_days of
#: the benchmark: 0.138 s against 0.178 s, a native table 0.118 s) for more disk (there:
#: transactions 385 MB against 175 MB, the per-customer layers 349 MB against 303 MB).
COMPRESSION = "uncompressed"
MANIFEST = "_lake.json"
#: Customers per bucket of ``customer_days``: bucket B holds the keys B x 32,768 .. (B + 1) x 32,768 - 1,
#: one file per bucket and build, each in ``next_day`` order (what the population's as-of scans
#: skip row groups by). A range, not a hash: the files' key statistics then do not overlap, so a
#: query for one customer (Customer 360) reads one file instead of every bucket's (measured on
#: the benchmark: its lifecycle queries 0.035 -> 0.018 s and 0.029 -> 0.011 s); a bucket of a
#: fixed size of customers keeps files of about 15 MB at the benchmark's shape at any size
#: (500k customers: 16 files; 50M: about 1,500).
BUCKET_CUSTOMERS = 32_768


class LakeError(CrmError, ValueError):
    """A lake folder that cannot be read or written (missing manifest, wrong format)."""

    def __init__(self, message: str, *, path: str, problem: str) -> None:
        super().__init__(message)
        self.path, self.problem = path, problem


@dataclass(frozen=True)
class Layer:
    """One table of the lake: its partition column (an expression over the row, SQL both
    engines read alike) and the order rows are written in."""

    name: str
    partition: tuple[str, str] | None   # (folder key, expression)
    order: tuple[str, ...]


LAYERS: tuple[Layer, ...] = (
    # (by customer within a month: a customer's lines are in few row groups, found by their statistics)
    Layer("transactions", ("p_month", "strftime(tx_date, '%Y-%m')"), ("customer_id", "tx_date", "transaction_id")),
    Layer("customers", None, ("customer_id",)),
    Layer("customer_days", ("p_bucket", f"customer_key // {BUCKET_CUSTOMERS}"), ("next_day", "customer_key", "day")),
    # (by month within a year: the Overview's trend reads the last 23 months, cohorts from a month on;
    # their row groups are skipped by month. By customer first, a year's file was read whole)
    Layer("customer_months", ("p_year", "year(month)"), ("month", "customer_key")),
    Layer("day_totals", None, ("day",)),
    Layer("category_days", None, ("day", "category")),
    Layer("meta", None, ("key",)),
)


def partition_expr(layer: Layer, engine: str) -> str | None:
    """The partition expression in the engine's SQL."""
    if layer.partition is None:
        return None
    expr = layer.partition[1]
    if engine == "spark":   # (Spark SQL's integer division is ``div``)
        return expr.replace("strftime(tx_date, '%Y-%m')", "date_format(tx_date, 'yyyy-MM')").replace(" // ", " div ")
    return expr


@lru_cache(maxsize=1)
def _catalog() -> tuple[dict[str, list[tuple[str, str]]], dict[str, frozenset[str]], str]:
    """The store's table columns, its NOT NULL columns and the staging view, from a database
    made by the migrations."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="crm-lake-schema-") as tmp:
        store = Store(os.path.join(tmp, "schema.duckdb"), create=True)
        with store.cursor() as cur:
            names = [r[0] for r in cur.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'").fetchall()]
            described = {n: cur.execute(f'DESCRIBE "{n}"').fetchall() for n in names}
            view = cur.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'stg_transactions'").fetchone()[0]
        duckdb.default_connection()   # (nothing kept open on the file)
    schemas = {n: [(r[0], r[1]) for r in rows] for n, rows in described.items()}
    not_null = {n: frozenset(r[0] for r in rows if r[2] == "NO") for n, rows in described.items()}
    return schemas, not_null, view


def table_schemas() -> dict[str, list[tuple[str, str]]]:
    """Table -> [(column, DuckDB type)] as the migrations create them."""
    return {k: list(v) for k, v in _catalog()[0].items()}


def not_null_columns(table: str) -> frozenset[str]:
    """The columns the store declares NOT NULL: a lake file declares them required, which
    a reader decodes without definition levels."""
    return _catalog()[1][table]


def staging_view_sql() -> str:
    """``CREATE VIEW stg_transactions AS ...`` as the migrations leave it."""
    return _catalog()[2]


def export_columns(table: str) -> list[tuple[str, str]]:
    """(column, DuckDB type written), as stored; DOUBLE columns (money sums) go through
    :func:`money_sql`."""
    return list(table_schemas()[table])


def money_sql(column: str, engine: str) -> str:
    """A DOUBLE money column rounded to the millionth, in the engine's SQL (the same
    arithmetic in both; ``+ 0.0`` turns a rounded -0.0 into the 0.0 Spark's rounding gives)."""
    col = f"`{column}`" if engine == "spark" else f'"{column}"'
    one_m = "CAST(1000000 AS DOUBLE)"
    return f"round(CAST({col} AS DOUBLE) * {one_m}) / {one_m} + CAST(0 AS DOUBLE)"


def read_manifest(lake: str | os.PathLike[str]) -> dict[str, Any]:
    path = Path(lake) / MANIFEST
    if not path.is_file():
        raise LakeError(f"not a lake folder (no {MANIFEST}): {lake}", path=str(lake), problem="no_manifest")
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise LakeError(f"unreadable lake manifest {path}: {exc}", path=str(path), problem="bad_manifest") from None
    if manifest.get("format") != LAKE_FORMAT:
        raise LakeError(f"lake format {manifest.get('format')!r} is not {LAKE_FORMAT}: rebuild it with this version",
                        path=str(path), problem="format")
    return manifest


def write_manifest(lake: str | os.PathLike[str], manifest: dict[str, Any]) -> None:
    """Replace the manifest in one rename (readers see the old build or the new one)."""
    path = Path(lake) / MANIFEST
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str), "utf-8")
    os.replace(tmp, path)
