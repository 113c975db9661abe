"""Read a lake as a CRM database: a small DuckDB catalog of views over its Parquet files.

:func:`attach` makes (once per lake version) a DuckDB file holding the store's schema in
which the lake's tables (transactions, customers, customer_days, customer_months,
day_totals, category_days) are views over the lake's Parquet files, cast to the store's column types.
Every page and CLI command then reads it through :class:`crm_core.store.connection.Store`
as it reads a database file: the same queries, the same figures, no local copy of the
transactions (pages that need raw lines read the lake's files, filtered by DuckDB's
Parquet scans). Tables the lake does not hold (loyalty, service, campaigns) are empty.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import duckdb

from crm_core.lake.layout import LAYERS, LakeError, read_manifest, table_schemas
from crm_core.store.connection import Store
from crm_core.store.sql_text import latest_version

__all__ = ["attach", "catalog_path"]


def catalog_path(lake: str | os.PathLike[str], version: int, built_at: str = "") -> Path:
    """Where the catalog of ``lake``'s version lives: ``<lake>/_catalog/`` when the lake is
    writable, else ``CRM_LAKE_CATALOG_DIR`` or the temp folder. Named by the version, the
    build's time and the store's schema version, so a lake built again into the same folder
    never meets an old catalog, and software with a newer schema makes its own catalog instead
    of migrating one whose layers are views (a migration that changes a table cannot)."""
    own = Path(lake) / "_catalog"
    if os.access(lake, os.W_OK):
        base = own
    else:
        base = Path(os.environ.get("CRM_LAKE_CATALOG_DIR") or tempfile.gettempdir()) / "crm-lake-catalogs"
        base = base / str(abs(hash(str(Path(lake).resolve()))))
    stamp = hashlib.sha1(built_at.encode()).hexdigest()[:8] if built_at else ""
    schema = f"s{latest_version()}"
    return base / (f"v{version}-{stamp}-{schema}.duckdb" if stamp else f"v{version}-{schema}.duckdb")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def attach(lake: str | os.PathLike[str]) -> str:
    """The path of a DuckDB catalog for ``lake`` (made if missing); open it with ``Store``."""
    lake = Path(lake).resolve()
    manifest = read_manifest(lake)
    version = int(manifest["version"])
    path = catalog_path(lake, version, str(manifest.get("built_at", "")))
    if path.is_file():
        return str(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    schemas = table_schemas()
    files = manifest.get("files", {})
    cur = duckdb.connect(str(tmp))
    try:
        Store._migrate(cur, 0, latest_version())
        for layer in LAYERS:
            if layer.name == "meta":
                continue
            found = [str(lake / f) for f in files.get(layer.name, [])]
            if not found:
                continue   # (a lake without rows of a table: the empty table stays)
            for f in found:
                if not os.path.isfile(f):
                    raise LakeError(f"the lake lists a file that is missing: {f}", path=str(lake), problem="missing_file")
            cols = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in schemas[layer.name])
            cur.execute(f'DROP TABLE "{layer.name}"')
            cur.execute(f'CREATE VIEW "{layer.name}" AS SELECT {cols} FROM read_parquet([{", ".join(_quote(f) for f in found)}])')
        meta = [str(lake / f) for f in files.get("meta", [])]
        if meta:
            cur.execute(f"INSERT OR REPLACE INTO meta SELECT key, value FROM read_parquet([{', '.join(_quote(f) for f in meta)}])")
        cur.execute("INSERT OR REPLACE INTO meta VALUES ('data_version', $v), ('lake', $lake), ('data_stamp', $stamp)",
                    {"v": str(version), "lake": str(lake), "stamp": path.stem})
        cur.execute("CHECKPOINT")
    finally:
        cur.close()
    os.replace(tmp, path)
    return str(path)
