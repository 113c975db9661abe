"""``python -m crm_core build``: the derived layers as a Parquet lake, by DuckDB or by Spark.

Inputs are files or folders of files (Parquet, CSV and what ``ingest`` reads; a folder is
read recursively in name order). Each input file is one load with the rules of
``ingest``: a customers file first, then the transactions files in order; rows that
break a rule are set aside with their reasons (``rejected/``) and counted, the good ones
load; customers named by transactions but not on file are created. Both engines follow
these steps, so they write the same lake (tested):

- ``duckdb``: the loads run in a working database beside the lake (``_work/``) exactly as
  the Upload page runs them, and its tables are written out.
- ``spark``: :mod:`crm_core.lake.spark_engine`, for data that outgrows one machine.

A build over a lake that exists loads only input files it has not seen (path, size and
modification time) and carries the derived layers on from the new rows' month; files
already loaded stay as they are.
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from crm_core.access.auth import Principal
from crm_core.errors import InvalidParameterError
from crm_core.ingest import load as ingest
from crm_core.lake.layout import (
    COMPRESSION,
    CUSTOMER_DAYS_ROW_GROUP,
    LAKE_FORMAT,
    LAYERS,
    TRANSACTION_ROW_GROUP,
    LakeError,
    export_columns,
    money_sql,
    partition_expr,
    read_manifest,
    write_manifest,
)
from crm_core.lake.result import BuildResult
from crm_core.store.connection import Store

__all__ = ["ENGINES", "BuildResult", "build", "input_files", "new_files"]

ENGINES: tuple[str, ...] = ("duckdb", "spark")
_SUFFIXES = (".parquet", ".csv", ".tsv", ".txt", ".gz", ".zip", ".xlsx")


def input_files(path: str | os.PathLike[str]) -> list[Path]:
    """The files of an input: the file itself, or a folder's data files in name order
    (hidden files and Spark's ``_SUCCESS`` markers skipped)."""
    p = Path(path)
    if p.is_file():
        return [p.resolve()]
    if not p.is_dir():
        raise InvalidParameterError(f"no such file or folder: {path}", name="input", value=str(path))
    found = sorted(f.resolve() for f in p.rglob("*") if f.is_file() and not f.name.startswith((".", "_"))
                   and f.name.lower().endswith(_SUFFIXES) and not any(part.startswith((".", "_")) for part in f.relative_to(p).parts[:-1]))
    if not found:
        raise InvalidParameterError(f"no data files in {path}", name="input", value=str(path))
    return found


def _stamp(f: Path) -> dict[str, Any]:
    st = f.stat()
    return {"path": str(f), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def new_files(manifest: dict[str, Any] | None, files: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
    """The (kind, file) pairs the lake has not loaded (same path, size and time: loaded)."""
    seen = {(i["kind"], i["path"], i["size"], i["mtime_ns"]) for i in (manifest or {}).get("inputs", [])}
    out = []
    for kind, f in files:
        s = _stamp(f)
        if (kind, s["path"], s["size"], s["mtime_ns"]) not in seen:
            out.append((kind, f))
    return out


def build(engine: str, *, transactions: str | os.PathLike[str], out: str | os.PathLike[str],
          customers: str | os.PathLike[str] | None = None, now: datetime, day_first: bool | None = None,
          decimal_comma: bool | None = None, identical_rows: str = "purchases", time_zone: str | None = None,
          spark: Any = None) -> BuildResult:
    """Build or update the lake at ``out``; see the module docstring. ``now`` bounds future
    dates as in ``ingest``; ``spark``: a SparkSession to use (default: a local one)."""
    if engine not in ENGINES:
        raise InvalidParameterError(f"unknown engine {engine!r} (one of {', '.join(ENGINES)})", name="engine", value=engine)
    t0 = time.perf_counter()
    lake = Path(out).resolve()
    lake.mkdir(parents=True, exist_ok=True)
    try:
        manifest: dict[str, Any] | None = read_manifest(lake)
    except LakeError as exc:
        if exc.problem != "no_manifest":
            raise
        manifest = None
    if manifest and manifest.get("engine") != engine:
        raise LakeError(f"the lake at {lake} was built by {manifest.get('engine')}; build it again with that engine "
                        "or into a new folder", path=str(lake), problem="engine")
    files = ([("customers", f) for f in input_files(customers)] if customers else []) + \
            [("transactions", f) for f in input_files(transactions)]
    todo = new_files(manifest, files)
    version = int((manifest or {}).get("version", 0))
    res = BuildResult(engine, str(lake), version)
    if not todo and manifest:
        res.up_to_date, res.tables = True, dict(manifest.get("tables", {}))
        res.seconds = time.perf_counter() - t0
        return res
    version += 1
    target = lake / f"v{version}"
    shutil.rmtree(target, ignore_errors=True)
    first_id = int((manifest or {}).get("next_ingest_id", 1))
    options = {"now": now, "day_first": day_first, "decimal_comma": decimal_comma, "identical_rows": identical_rows,
               "time_zone": ingest.business_time_zone(time_zone)}
    if engine == "duckdb":
        tables = _duckdb_build(lake, target, todo, first_id, res, options)
    else:
        from crm_core.lake import spark_engine

        tables = spark_engine.build(lake, target, todo, first_id, manifest, res, options, spark=spark)
    inputs = list((manifest or {}).get("inputs", []))
    for i, (kind, f) in enumerate(todo):
        inputs.append({"kind": kind, **_stamp(f), "ingest_id": first_id + i})
    old_files = (manifest or {}).get("files", {})
    tables["transactions"] = (int((manifest or {}).get("tables", {}).get("transactions", 0)) + tables["transactions"][0],
                              old_files.get("transactions", []) + tables["transactions"][1])
    res.version, res.tables = version, {t: n for t, (n, _files) in tables.items()}
    write_manifest(lake, {"format": LAKE_FORMAT, "engine": engine, "version": version, "built_at": now.isoformat(),
                          "next_ingest_id": first_id + len(todo), "inputs": inputs, "tables": res.tables,
                          "files": {t: files_ for t, (_n, files_) in tables.items()}})
    for old in lake.glob("v*"):   # earlier builds: no reader opens them once the manifest moved on
        if old.is_dir() and old.name != target.name and old.name[1:].isdigit():
            shutil.rmtree(old, ignore_errors=True)
    res.seconds = time.perf_counter() - t0
    return res


def _duckdb_build(lake: Path, target: Path, todo: list[tuple[str, Path]], first_id: int, res: BuildResult,
                  options: dict[str, Any]) -> dict[str, tuple[int, list[str]]]:
    """Load each new file into the working database as ``ingest`` does, then write the lake."""
    work = lake / "_work"
    work.mkdir(exist_ok=True)
    store = Store(str(work / "store.duckdb"), create=True)
    actor = Principal.local_user("build")
    for i, (kind, f) in enumerate(todo):
        r = ingest.load_file(store, f, kind, now=options["now"], accept_rejects=True, actor=actor, file_name=str(f),
                             day_first=options["day_first"], decimal_comma=options["decimal_comma"],
                             identical_rows=options["identical_rows"], time_zone=options["time_zone"],
                             max_bytes=1 << 62, max_errors=0)
        if r.ingest_id != first_id + i:
            raise LakeError(f"the working database of {lake} does not match its manifest: build into a new folder",
                            path=str(lake), problem="work_mismatch")
        res.add({"kind": kind, "file": str(f), "status": r.status, "rows_read": r.rows_read,
                 "rows_loaded": r.rows_loaded, "rows_rejected": r.rows_rejected,
                 "customers_created": r.customers_created, "identical_rows": r.identical_rows,
                 "guest_rows": r.guest_rows})
    ids = [first_id + i for i in range(len(todo))]
    out: dict[str, tuple[int, list[str]]] = {}
    with store.cursor() as cur:
        for problem, n in cur.execute(
                "SELECT p, count(*) FROM (SELECT unnest(CAST(problems AS VARCHAR[])) AS p FROM ingest_quarantine "
                "WHERE list_contains($ids, ingest_id)) GROUP BY p", {"ids": ids}).fetchall():
            res.problems[problem] = int(n)
        for layer in LAYERS:
            cols = ", ".join(f'{money_sql(c, "duckdb")} AS "{c}"' if t == "DOUBLE" else f'CAST("{c}" AS {t}) AS "{c}"'
                             for c, t in export_columns(layer.name))
            where = " WHERE key IN ('default_margin', 'base_currency')" if layer.name == "meta" else ""
            if layer.name == "transactions":   # append-only: each load's rows once, under its own folder
                n, written = _copy(cur, f"SELECT {cols}{_part(layer)}, ingest_id AS p_load FROM transactions "
                                        "WHERE list_contains($ids, ingest_id)", layer.order, lake / "transactions",
                                   "p_load, p_month", {"ids": ids}, TRANSACTION_ROW_GROUP)
                out["transactions"] = (n, written)
                continue
            out[layer.name] = _copy(cur, f'SELECT {cols}{_part(layer)} FROM "{layer.name}"{where}', layer.order,
                                    target / layer.name, layer.partition[0] if layer.partition else None,
                                    row_group=CUSTOMER_DAYS_ROW_GROUP if layer.name == "customer_days" else None)
        out["rejected"] = _copy(
            cur, "SELECT l.kind, l.file_name AS file, q.row_number AS row, q.problems, q.data FROM ingest_quarantine q "
                 "JOIN ingest_log l USING (ingest_id)", ("kind", "file", "row"), target / "rejected", None)
    return out


def _part(layer: Any) -> str:
    expr = partition_expr(layer, "duckdb")
    return f", {expr} AS {layer.partition[0]}" if expr else ""


def _copy(cur: Any, select: str, order: tuple[str, ...], folder: Path, partition: str | None,
          params: dict[str, Any] | None = None, row_group: int | None = None) -> tuple[int, list[str]]:
    """Write ``select`` as Parquet under ``folder`` (one file per partition); (rows, files
    relative to the lake). A partitioned folder only gains files (the loads' own folders)."""
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.rglob("*.parquet"))
    if partition:
        # One COPY per partition: DuckDB's PARTITION_BY writer does not keep the rows' order
        # within a file, and the order is what lets a reader skip row groups.
        keys = [k.strip() for k in partition.split(",")]
        cur.execute(f"CREATE OR REPLACE TEMP TABLE _lake_out AS {select} ORDER BY {partition}, {', '.join(order)}",
                    params)
        size = f", ROW_GROUP_SIZE {int(row_group)}" if row_group else ""
        for values in cur.execute(f"SELECT DISTINCT {partition} FROM _lake_out ORDER BY ALL").fetchall():
            part = folder.joinpath(*(f"{k}={v}" for k, v in zip(keys, values)))
            part.mkdir(parents=True, exist_ok=True)
            where = " AND ".join(f"{k} = ${k}" for k in keys)
            cur.execute(f"COPY (SELECT * EXCLUDE ({partition}) FROM _lake_out WHERE {where} "
                        f"ORDER BY {', '.join(order)}) "
                        f"TO '{_sql_path(part / 'part-0.parquet')}' (FORMAT parquet, COMPRESSION {COMPRESSION}{size})",
                        dict(zip(keys, values)))
        n = int(cur.execute("SELECT count(*) FROM _lake_out").fetchone()[0])
        cur.execute("DROP TABLE _lake_out")
    else:
        n = int(cur.execute(f"SELECT count(*) FROM ({select})", params).fetchone()[0])
        cur.execute(f"COPY ({select} ORDER BY {', '.join(order)}) TO '{_sql_path(folder / 'part-0.parquet')}' "
                    f"(FORMAT parquet, COMPRESSION {COMPRESSION})", params)
    lake = folder.parent if folder.name == "transactions" else folder.parent.parent
    return n, sorted(str(p.relative_to(lake)) for p in set(folder.rglob("*.parquet")) - before)


def _sql_path(p: Path) -> str:
    """A path of ours (the lake folder, made by us) as a SQL string literal."""
    return str(p).replace("'", "''")
