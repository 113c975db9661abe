"""The one DuckDB access point: opening, locking, migrating, querying.

Concurrency model. DuckDB lets one *process* hold a file's write lock. The Streamlit
server is one process serving many sessions in threads, and the CLI may want to write
the same file while it runs. So each process keeps at most one connection per file,
opened on demand and reference-counted: every caller gets its own ``cursor()`` (a
thread-safe child connection), and when the last caller is done the connection is
closed and the lock released. Between queries another process can write; while it
does, opening fails with :class:`DatabaseBusyError`, which callers retry.

Schema. ``sql/migrations/NNN_*.sql`` are applied in order and recorded in
``schema_version``. Opening an older file upgrades it in place (in one transaction);
opening a newer one raises :class:`SchemaVersionError`.

The SQL files themselves are read by :mod:`crm_core.store.sql_text`, and Arrow results become
pandas frames in :mod:`crm_core.store.arrow_frames`.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from crm_core.errors import (
    DatabaseBusyError,
    DatabaseCorruptError,
    DatabaseError,
    DatabaseNotFoundError,
    MemoryLimitError,
    NotACrmDatabaseError,
    ReadOnlyDatabaseError,
    SchemaVersionError,
)
from crm_core.store import refresh
from crm_core.store.arrow_frames import arrow_to_frame
from crm_core.store.settings import connection_settings, lake_settings, memory_limit
from crm_core.store.sql_text import Migration, latest_version, load_sql, migrations, named

__all__ = [
    "Store",
    "Migration",
    "migrations",
    "latest_version",
    "load_sql",
    "DATA_TABLES",
]

#: Tables holding business data, in load order (also the allow-list for counts).
DATA_TABLES: tuple[str, ...] = (
    "account_managers",
    "customers",
    "products",
    "transactions",
    "churn_events",
    "loyalty_programs",
    "loyalty_members",
    "loyalty_costs",
    "service_interactions",
    "campaigns",
    "campaign_contacts",
    "ingest_log",
    "fx_rates",
)


class _Shared:
    """The process-wide connection to one file, with its reference count."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # Loads and rollbacks in this process take turns (other processes cannot open the
        # file for writing at the same time): what a load checked still holds when it writes.
        self.write_lock = threading.RLock()
        self.conn: duckdb.DuckDBPyConnection | None = None
        self.read_only = False
        self.users = 0


_REGISTRY: dict[str, _Shared] = {}
_REGISTRY_LOCK = threading.Lock()


def _shared_for(path: str) -> _Shared:
    with _REGISTRY_LOCK:
        return _REGISTRY.setdefault(path, _Shared())


def _translate(exc: Exception, path: str) -> DatabaseError:
    text = str(exc)
    low = text.lower()
    if "could not set lock" in low or "conflicting lock" in low:
        return DatabaseBusyError(f"database is busy (locked by another process): {path}", path=path)
    if "not a valid duckdb database" in low or "corrupt" in low or "checksum" in low:
        return DatabaseCorruptError(f"not a readable database file: {path}", path=path)
    if "permission denied" in low or "read-only" in low or "read only" in low:
        return ReadOnlyDatabaseError(f"database file is not writable: {path}", path=path)
    if "serialized by" in low or "storage version" in low or "newer" in low:
        return SchemaVersionError(
            f"database file was written by a newer DuckDB: {path}", path=path, found="?", supported="?"
        )
    return DatabaseError(f"cannot open database {path}: {text.splitlines()[0]}", path=path)


class Store:
    """A CRM database file. Cheap to create; connections are opened per use.

    ``create=True`` allows creating a new file; otherwise a missing file is an error.
    ``busy_timeout`` (seconds) retries while another process holds the lock.
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = False, busy_timeout: float = 0.0) -> None:
        self.path = str(Path(path).expanduser().resolve())
        self.create = create
        self.busy_timeout = busy_timeout
        if not create and not os.path.exists(self.path):
            raise DatabaseNotFoundError(f"database file not found: {self.path}", path=self.path)

    def __repr__(self) -> str:
        return f"Store({self.path!r})"

    # -- connections -------------------------------------------------------------
    def _open(self, shared: _Shared) -> None:
        exists = os.path.exists(self.path)
        read_only = exists and not os.access(self.path, os.W_OK)
        if exists and os.path.getsize(self.path) == 0:
            raise DatabaseCorruptError(f"database file is empty: {self.path}", path=self.path)
        try:
            conn = duckdb.connect(self.path, read_only=read_only, config=connection_settings(self.path))
        except duckdb.Error as exc:
            raise _translate(exc, self.path) from exc
        # DuckDB's progress bar (queries over ~2 s) would land in the CLI's --json output.
        conn.execute("SET enable_progress_bar = false")
        try:
            self._check_and_migrate(conn, read_only=read_only, fresh=not exists)
            lake_settings(conn)
        except BaseException:
            conn.close()
            raise
        shared.conn, shared.read_only = conn, read_only

    def _acquire(self) -> _Shared:
        shared = _shared_for(self.path)
        deadline = time.monotonic() + self.busy_timeout
        delay = 0.05
        while True:
            with shared.lock:
                try:
                    if shared.conn is None:
                        self._open(shared)
                    shared.users += 1
                    return shared
                except DatabaseBusyError:
                    if time.monotonic() + delay > deadline:
                        raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def _release(self, shared: _Shared) -> None:
        with shared.lock:
            shared.users -= 1
            if shared.users == 0 and shared.conn is not None:
                shared.conn.close()
                shared.conn = None

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A thread-private cursor on the process-wide connection."""
        shared = self._acquire()
        try:
            assert shared.conn is not None
            cur = shared.conn.cursor()
            try:
                yield cur
            except duckdb.OutOfMemoryException as exc:   # spilling was not enough: name the setting
                raise MemoryLimitError(f"the query needs more memory than the limit ({memory_limit()}, "
                                       f"CRM_MEMORY_LIMIT) even when spilling to disk: {self.path}",
                                       path=self.path, limit=memory_limit()) from exc
            finally:
                cur.close()
        finally:
            self._release(shared)

    @contextmanager
    def session(self) -> Iterator[None]:
        """Keep the process-wide connection open for the duration (one page run): the queries
        inside reuse it, and DuckDB's buffer cache with it, instead of reopening the file for
        each; the file lock is released at the end. A database that cannot be opened is not
        an error here: the first real use reports it."""
        try:
            shared: _Shared | None = self._acquire()
        except DatabaseError:
            shared = None
        try:
            yield
        finally:
            if shared is not None:
                self._release(shared)

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor holding this file's write lock (re-entrant): no other holder of it in
        this process runs until it is closed. Loads and rollbacks take it: a load parses and
        checks into temporary tables first, then writes in :meth:`atomic`, and the checks
        against stored rows must still hold when it writes."""
        with self.cursor() as cur:
            with _shared_for(self.path).write_lock:
                yield cur

    @staticmethod
    @contextmanager
    def atomic(cur: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
        """BEGIN/COMMIT on ``cur``; any exception rolls everything back."""
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor inside BEGIN/COMMIT; any exception rolls everything back. Takes no write
        lock: small independent writes (an audit entry) need not wait for a long load."""
        with self.cursor() as cur, Store.atomic(cur):
            yield cur

    # -- schema ------------------------------------------------------------------
    def _check_and_migrate(self, conn: duckdb.DuckDBPyConnection, *, read_only: bool, fresh: bool) -> None:
        try:
            tables = {r[0] for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
        except duckdb.Error as exc:
            raise _translate(exc, self.path) from exc
        if "schema_version" not in tables:
            if tables:
                raise NotACrmDatabaseError(f"not a CRM database (no schema_version table): {self.path}", path=self.path)
            if read_only:
                raise ReadOnlyDatabaseError(f"cannot initialise a read-only file: {self.path}", path=self.path)
            current = 0
        else:
            current = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
        latest = latest_version()
        if current > latest:
            raise SchemaVersionError(
                f"database schema version {current} is newer than this software supports ({latest}); upgrade the software",
                path=self.path, found=current, supported=latest)
        if current < latest:
            if read_only:
                raise ReadOnlyDatabaseError(
                    f"database schema version {current} needs upgrading to {latest} but the file is read-only: {self.path}",
                    path=self.path)
            self._migrate(conn, current, latest)

    @staticmethod
    def _migrate(conn: duckdb.DuckDBPyConnection, current: int, target: int) -> None:
        conn.execute("BEGIN TRANSACTION")
        try:
            conn.execute("""CREATE TABLE IF NOT EXISTS schema_version (
                version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)""")
            for m in migrations():
                if current < m.version <= target:
                    conn.execute(m.sql)
                    conn.execute("INSERT INTO schema_version VALUES (?, ?, ?)",
                                 [m.version, m.name, datetime.now(timezone.utc).replace(tzinfo=None)])
            if current > 0:  # an upgraded file with data: rebuild the derived columns
                Store.refresh_derived(conn)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def schema_version(self) -> int:
        return int(self.scalar("SELECT max(version) FROM schema_version"))

    # -- queries -----------------------------------------------------------------
    def df(self, sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> pd.DataFrame:
        """Run SQL with bound parameters and return a DataFrame (through Arrow: ~4x faster
        than ``.df()`` for wide results; see :func:`arrow_to_frame` for the types)."""
        with self.cursor() as cur:
            rel = cur.sql(sql, params=params)
            return pd.DataFrame() if rel is None else arrow_to_frame(rel.to_arrow_table())

    def rows(self, sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        with self.cursor() as cur:
            return cur.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> Any:
        with self.cursor() as cur:
            row = cur.execute(sql, params).fetchone()
            return None if row is None else row[0]

    def query(self, name: str, params: Mapping[str, Any] | None = None, *, filtered: bool = True,
              options: frozenset[str] = frozenset()) -> pd.DataFrame:
        """Run the named file ``sql/<name>.sql`` with bound parameters.

        ``filtered=False`` drops the customer-filter semi-join (use when no filter is set);
        ``options`` switches on optional parts (see :func:`load_sql`).
        """
        return self.df(*named(name, params, filtered, options))

    def arrow(self, name: str, params: Mapping[str, Any] | None = None, *, filtered: bool = True,
              options: frozenset[str] = frozenset()) -> pa.Table:
        """As :meth:`query`, but the Arrow table itself: for results of a million rows whose
        columns go straight to numpy (no pandas frame in between)."""
        sql, bound = named(name, params, filtered, options)
        with self.cursor() as cur:
            return cur.sql(sql, params=bound).to_arrow_table()

    # -- metadata ----------------------------------------------------------------
    def meta(self, key: str, default: str | None = None) -> str | None:
        value = self.scalar("SELECT value FROM meta WHERE key = ?", [key])
        return default if value is None else value

    @staticmethod
    def set_meta(cur: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
        cur.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])

    @staticmethod
    def bump_data_version(cur: duckdb.DuckDBPyConnection) -> None:
        """Call inside every write transaction: caches are keyed on this number."""
        cur.execute("""INSERT OR REPLACE INTO meta
            SELECT 'data_version', CAST(coalesce(max(CAST(value AS BIGINT)), 0) + 1 AS VARCHAR)
            FROM meta WHERE key = 'data_version'""")
        # A random stamp per version: a file made again at the same path restarts at version 1 (see .kept).
        cur.execute("INSERT OR REPLACE INTO meta VALUES ('data_stamp', ?)", [uuid.uuid4().hex])

    @staticmethod
    def refresh_derived(cur: duckdb.DuckDBPyConnection, since: date | None = None) -> None:
        """Maintain the derived data after a write (:mod:`crm_core.store.refresh`). Call
        inside the writing transaction, with ``since`` = the earliest transaction date
        written or removed (None: everything)."""
        refresh.refresh_derived(cur, since)

    def fingerprint(self) -> tuple[int, ...]:
        """Stat of the file and its WAL: changes whenever any process writes."""
        out: list[int] = []
        for p in (self.path, self.path + ".wal"):
            try:
                st = os.stat(p)
                out += [st.st_mtime_ns, st.st_size]
            except FileNotFoundError:
                out += [0, 0]
        return tuple(out)

    def data_version(self) -> int:
        """The data version, re-read from the file only when its stat has changed."""
        return self._version_and_stamp()[0]

    def data_stamp(self) -> str | None:
        """The random stamp written with the data version (None: a file from before stamps)."""
        return self._version_and_stamp()[1]

    def _version_and_stamp(self) -> tuple[int, str | None]:
        fp = self.fingerprint()
        cached = _DATA_VERSIONS.get(self.path)
        if not (cached and cached[0] == fp):
            meta = dict(self.rows("SELECT key, value FROM meta WHERE key IN ('data_version', 'data_stamp')"))
            cached = _DATA_VERSIONS[self.path] = (fp, (int(meta.get("data_version") or 0), meta.get("data_stamp")))
        return cached[1]

    def table_counts(self) -> dict[str, int]:
        """Row count of every data table (names from the fixed allow-list), in its order."""
        sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in DATA_TABLES)
        found = dict(self.rows(sql))
        return {name: int(found[name]) for name in DATA_TABLES}

    def date_range(self) -> tuple[Any, Any]:
        """First and last transaction date (None, None when there are none), from
        ``day_totals`` (one row per transaction date, kept by the derived refresh): a
        thousand rows rather than a scan of every line's date."""
        return tuple(self.rows("SELECT min(day), max(day) FROM day_totals")[0])  # type: ignore[return-value]


_DATA_VERSIONS: dict[str, tuple[tuple[int, ...], tuple[int, str | None]]] = {}
