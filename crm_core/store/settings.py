"""How much of the machine DuckDB may use: memory, threads, where it spills.

The default memory limit follows the machine: a share (:data:`MEMORY_SHARE`) of the
physical memory, or of a container's limit where one is set and lower. Queries larger
than the limit spill to a temp directory beside the database; a query that cannot fit
even so raises :class:`~crm_core.errors.MemoryLimitError` (in :mod:`.connection`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from crm_core.errors import InvalidParameterError

__all__ = ["CGROUP_LIMIT_FILES", "MEMORY_SHARE", "available_memory", "memory_limit", "connection_settings", "lake_settings"]


#: The share of the memory this process may use that DuckDB takes by default (the rest is
#: Python's: the app keeps per-customer frames in memory too).
MEMORY_SHARE = 0.5


#: Where a container's memory limit is read (cgroup v2, then v1).
CGROUP_LIMIT_FILES: tuple[str, ...] = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")


def available_memory(limit_files: Sequence[str] = CGROUP_LIMIT_FILES) -> int:
    """Bytes this process may use: the machine's memory, or a container's limit (cgroup v2
    ``memory.max``, v1 ``memory.limit_in_bytes``) where one is set and lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit_file in limit_files:
        try:
            text = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = int(text)
    return total


def memory_limit() -> str:
    """DuckDB's memory limit: ``CRM_MEMORY_LIMIT`` (a size DuckDB reads, ``12GB``, or a share,
    ``60%``), else :data:`MEMORY_SHARE` of :func:`available_memory`. Past it, DuckDB spills
    to the temp directory beside the database; what still cannot fit is
    :class:`~crm_core.errors.MemoryLimitError`."""
    given = os.environ.get("CRM_MEMORY_LIMIT", "").strip()
    if not given:
        share = MEMORY_SHARE
    elif (m := _SHARE.fullmatch(given)) and 0 < float(m[1]) <= 100:
        share = float(m[1]) / 100
    elif _SIZE.fullmatch(given):
        return given.replace(" ", "")
    else:
        raise InvalidParameterError("CRM_MEMORY_LIMIT must be a size (12GB, 800MB) or a share of memory (1-100%)",
                                    name="CRM_MEMORY_LIMIT", value=given)
    return f"{max(int(available_memory() * share) // 2**20, 64)}MB"


_SHARE = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_SIZE = re.compile(r"\d+(?:\.\d+)?\s*(?:[KMGT]i?B|B)", re.IGNORECASE)


def connection_settings(path: str) -> dict[str, Any]:
    """DuckDB's settings for a connection to the file at *path*: memory limit, threads
    (``CRM_THREADS``, default the machine's cores) and the spill directory
    (``CRM_TEMP_DIR``, default ``<database>.tmp`` beside the file)."""
    threads = os.environ.get("CRM_THREADS", "").strip()
    if threads and not (threads.isdigit() and int(threads) > 0):
        raise InvalidParameterError("CRM_THREADS must be a positive whole number", name="CRM_THREADS", value=threads)
    return {
        "memory_limit": memory_limit(),
        "threads": int(threads or os.cpu_count() or 2),
        "temp_directory": os.environ.get("CRM_TEMP_DIR") or path + ".tmp",
    }


def lake_settings(conn: duckdb.DuckDBPyConnection) -> None:
    """On a lake's catalog (:mod:`crm_core.lake.catalog`; its meta names the lake), keep
    Parquet footers in memory once read, so its views parse each file's footer once per
    process, not once per query (the lake's files never change: a build writes new ones). A
    Spark-written lake's transactions have 57 footers of 24 KB: half the time of one
    customer's lines. Database files keep DuckDB's default (an upload is read once). Set
    after connecting: the Parquet reader is not loaded when the connection's config is read."""
    if conn.execute("SELECT count(*) FROM meta WHERE key = 'lake'").fetchone()[0]:
        conn.execute("SET GLOBAL parquet_metadata_cache = true")
