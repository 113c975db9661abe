"""Load an analyst's file: map its columns, parse and validate every row in DuckDB, and
write all of it or nothing.

Steps (the CLI and the Upload page share them):
1. Same bytes already loaded for this kind (SHA-256)? -> ``duplicate``, nothing written.
2. Read (:mod:`crm_core.ingest.read`); columns become ``c1..cN`` by position, so no header
   from the file ever reaches SQL; headers map to canonical columns (proposed by
   :func:`crm_core.ingest_schema.propose_mapping`, overridable).
3. Parse in SQL: dates in ISO, ``2024.03.05``, ``2024/3/5``, ``20240305``, ``2024年3月5日``,
   ``2024년 3월 5일``, day-first or month-first (asked when the file does not tell), Excel
   serials; amounts with separators, currency signs, full-width digits, ``(12.50)``.
4. Validate in SQL: missing required values, unparsable values, unknown references,
   duplicates within the file and against stored rows, dates in the future or before
   1970, out-of-range scores. Every problem is listed with its row (1 = first data row).
5. Write in one transaction: good rows (and, if the caller accepts, rejected rows to the
   quarantine), extra columns kept aside, the load recorded. Rejected rows without
   acceptance: nothing is loaded; the rows and reasons are kept for download.
A crash or kill at any point leaves the database as it was (DuckDB's transaction; steps 2-4
only fill temporary tables). Loads and rollbacks of one process take turns (``Store.writer``),
so what step 4 checked against stored rows still holds in step 5.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from crm_core.access import audit
from crm_core.access.auth import Principal
from crm_core.errors import CrmError, IngestError, InputFileError, InvalidParameterError
from crm_core.ingest import changes, scratch
from crm_core.ingest.check import mark_repeats, type_rows
from crm_core.ingest.guess import generated_headers, guess_transactions
from crm_core.ingest.history import history, quarantine, rollback
from crm_core.ingest.read import fingerprint, open_source
from crm_core.ingest.schema import CUSTOMER_UPDATES, KINDS, UPSERT_KEYS, Kind, propose_mapping
from crm_core.ingest.statements import insert_sql, new_customers_sql
from crm_core.store.connection import Store

__all__ = ["STAGES", "Progress", "IngestResult", "Preview", "preview", "load_file", "ROW_PROBLEMS", "STATUSES", "history",
           "quarantine", "rollback", "max_upload_bytes", "MAX_ERRORS", "IDENTICAL_ROWS", "business_time_zone",
           "resolve_mapping", "generated_headers"]

MAX_ERRORS = 200
#: What can be wrong with a row (``column:problem`` in ``errors``; ``row`` for whole-row problems).
ROW_PROBLEMS: tuple[str, ...] = ("missing", "invalid", "unknown_reference", "duplicate_in_file", "duplicate_stored",
                                 "future_date", "before_1970", "out_of_range", "guest", "too_big", "negative",
                                 "before_start")
#: How identical rows of a transactions file without a transaction id are read.
IDENTICAL_ROWS: tuple[str, ...] = ("purchases", "duplicates")
#: Stages of a load, in order, as reported to ``load_file(progress=...)``.
STAGES: tuple[str, ...] = ("reading", "parsing", "checking", "writing", "refreshing", "done")
Progress = Callable[[str, int | None], None]
#: Load statuses in ``ingest_log``.
STATUSES: tuple[str, ...] = ("loaded", "duplicate", "rejected", "rolled_back")


@dataclass
class IngestResult:
    status: str                    # loaded | duplicate | rejected
    kind: str
    file: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    customers_created: int = 0       # customers a transactions file named and the database did not know
    identical_rows: int = 0          # rows repeating an earlier row (no transaction id): separate purchases
    guest_rows: int = 0              # rows without a customer (guest checkouts), set aside
    zoned_values: int = 0            # times that named a zone or offset, converted to ``time_zone``
    time_zone: str | None = None
    reason: str | None = None        # why nothing was loaded (``no_rows_loaded``), when so
    errors: list[dict[str, Any]] = field(default_factory=list)
    errors_total: int = 0
    ingest_id: int | None = None
    mapping: dict[str, str | None] = field(default_factory=dict)
    encoding: str | None = None
    format: str | None = None
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "kind": self.kind, "file": self.file, "rows_read": self.rows_read,
                "rows_loaded": self.rows_loaded, "rows_rejected": self.rows_rejected,
                "customers_created": self.customers_created, "identical_rows": self.identical_rows,
                "guest_rows": self.guest_rows, "zoned_values": self.zoned_values, "time_zone": self.time_zone,
                "reason": self.reason, "errors": self.errors,
                "errors_truncated": max(self.errors_total - len(self.errors), 0), "ingest_id": self.ingest_id,
                "format": self.format, "encoding": self.encoding,
                "mapping": {k: v for k, v in self.mapping.items()}}


def _propose(kind: Kind, headers: tuple[str, ...], sample: list[tuple[Any, ...]] | None) -> dict[str, str | None]:
    """The proposed mapping: by header, or for a transactions file without a header row by
    its values (:mod:`crm_core.ingest.guess`)."""
    if kind.name == "transactions" and generated_headers(headers) and sample:
        return guess_transactions(headers, sample)
    return propose_mapping(kind, list(headers))


def _resolve_mapping(kind: Kind, headers: tuple[str, ...], mapping: dict[str, str] | None,
                     drop_extra: bool, sample: list[tuple[Any, ...]] | None = None
                     ) -> tuple[dict[str, str | None], dict[str, str]]:
    """(source header -> canonical or None, canonical -> positional column c<i>)."""
    proposed = _propose(kind, headers, sample)
    for source, target in (mapping or {}).items():
        if source not in headers:
            raise IngestError(f"no column {source!r} in the file", problem="unknown_source", column=source)
        if target not in {c.name for c in kind.columns} and target != "":
            raise IngestError(f"{target!r} is not a column of {kind.name}", problem="unknown_target", column=target)
        for h, t in proposed.items():   # a canonical column is taken once: the explicit choice wins
            if t == target and h != source:
                proposed[h] = None
        proposed[source] = target or None
    positions: dict[str, str] = {}
    for i, h in enumerate(headers, start=1):
        target = proposed.get(h)
        if target:
            positions[target] = f"c{i}"
        elif not drop_extra:
            positions[f"_extra:{i}"] = f"c{i}"
    missing = kind.missing(set(positions))
    if not mapping:   # a file that fits another kind better was probably uploaded as the wrong kind
        mine = sum(1 for t in proposed.values() if t)
        for other in KINDS.values():
            if other.name == kind.name:
                continue
            theirs = propose_mapping(other, list(headers))
            hit = {t for t in theirs.values() if t}
            # A column the other kind requires that means nothing here (a churn file's reason
            # under service contacts) says the file is the other kind, as more matches do.
            telling = any(t in other.required and not proposed.get(h) for h, t in theirs.items() if t)
            if not other.missing(hit) and (len(hit) > mine + (0 if missing else 1)
                                           or (telling and not missing and len(hit) > mine)):
                raise IngestError(f"this looks like a {other.name} file, not {kind.name} (its columns match "
                                  f"{other.name})", problem="wrong_kind", kind=kind.name, detected=other.name)
    if missing:
        found = ", ".join(h if len(h) <= 40 else h[:39] + "…" for h in headers[:8])   # never echo a huge header
        found += ", …" if len(headers) > 8 else ""
        raise IngestError(f"required column(s) {', '.join(missing)} not found for {kind.name} (the file has: {found}); "
                          "map them with --map SOURCE=column", problem="missing_columns", columns=", ".join(missing),
                          kind=kind.name)
    return proposed, positions


#: The mapping a file's headers get (public: the lake build maps its inputs the same way).
resolve_mapping = _resolve_mapping


def max_upload_bytes() -> int:
    """The upload size limit: ``CRM_UPLOAD_MAX_MB`` (default 2048 MB)."""
    import os

    try:
        return int(float(os.environ.get("CRM_UPLOAD_MAX_MB", "2048")) * 1024 * 1024)
    except ValueError:
        return 2048 * 1024 * 1024


def business_time_zone(given: str | None = None) -> str:
    """The zone stored times are in: ``given``, else ``CRM_TIME_ZONE``, else UTC. A value in a
    file that names its zone or offset (``+09:00``, ``Z``) is converted to it."""
    import os
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    zone = (given or os.environ.get("CRM_TIME_ZONE") or "UTC").strip()
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidParameterError(f"unknown time zone {zone!r} (an IANA name such as Asia/Seoul or UTC)",
                                    name="time_zone", value=zone) from None
    return zone


def load_file(store: Store, path: str | Path, kind: str, *, now: datetime, mapping: dict[str, str] | None = None,
              drop_extra: bool = False, encoding: str | None = None, sheet: str | None = None,
              day_first: bool | None = None, accept_rejects: bool = False, actor: Principal,
              file_name: str | None = None, max_errors: int = MAX_ERRORS, max_bytes: int | None = None,
              progress: Progress | None = None, known_customers_only: bool = False,
              identical_rows: str = "purchases", decimal_comma: bool | None = None,
              time_zone: str | None = None) -> IngestResult:
    """Load ``path`` as ``kind``; see the module docstring. ``now`` bounds "future" dates.

    Transactions: customers the database does not know are created (id only, and country
    when the file has one) unless ``known_customers_only``; rows without a customer (guest
    checkouts) are set aside without stopping the load; identical rows without a
    transaction id are separate purchases (``identical_rows="duplicates"``: errors). A load
    that would add no row is not a success: status ``rejected``, reason ``no_rows_loaded``.
    Times that carry a zone or offset are converted to :func:`business_time_zone`.

    ``actor`` must be allowed to upload (analyst or admin); the load is audited.
    ``progress(stage, rows)`` is called as each of :data:`STAGES` starts (``rows``: the file's
    rows once read, else None); it runs in the loading thread and must be quick."""
    actor.require("upload")
    if store.meta("lake"):   # a lake's catalog: its tables are views over the lake's files
        raise InvalidParameterError(f"this database reads the lake at {store.meta('lake')}: add files to it with "
                                    "`python -m crm_core build`", name="db", value=store.path)
    report = progress or (lambda stage, rows: None)
    report("reading", None)
    user = actor.user
    t0 = time.perf_counter()
    if kind not in KINDS:
        raise InvalidParameterError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})", name="kind", value=kind)
    if identical_rows not in IDENTICAL_ROWS:
        raise InvalidParameterError(f"identical_rows must be one of {', '.join(IDENTICAL_ROWS)}",
                                    name="identical_rows", value=identical_rows)
    zone = business_time_zone(time_zone)
    spec = KINDS[kind]
    is_tx = kind == "transactions"
    create = is_tx and not known_customers_only
    path = Path(path)
    name = file_name or path.name
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    if path.is_file() and path.stat().st_size > limit:
        raise InputFileError(f"the file is {path.stat().st_size / 2**20:,.0f} MB; the limit is {limit / 2**20:,.0f} MB "
                             "(CRM_UPLOAD_MAX_MB)", problem="too_large", limit_mb=round(limit / 2**20))
    # The file's hash (SHA-256, one core, 0.3 s for 0.5 GB) is taken on a thread while DuckDB
    # reads and parses the file (10M rows: 0.1-0.2 s less); whether it was loaded before is
    # asked before any result or error, so a repeated file is still "duplicate", whatever its
    # reading says.
    hashing = ThreadPoolExecutor(1, thread_name_prefix="crm-hash")
    digest_of = hashing.submit(lambda: fingerprint(path)[0] if path.is_file() else "")
    hashing.shutdown(wait=False)
    res = IngestResult("loaded", kind, name)
    # Parse and check into temporary tables first (nothing in the file changes), then write
    # in one transaction. The write lock spans both, so the checks against stored rows still
    # hold when the rows are written. The temporary tables belong to a checking connection
    # (``chk``) that the transaction (``cur``) reads through streams, so each is freed as soon
    # as the write has read it (:mod:`crm_core.ingest.scratch`).
    with store.writer() as cur, cur.cursor() as chk:
        def loaded_before() -> bool:
            digest = digest_of.result()
            return bool(digest) and bool(chk.execute(
                "SELECT count(*) FROM ingest_log WHERE content_hash = ? AND kind = ? AND status = 'loaded'",
                [digest, kind]).fetchall()[0][0])

        with ExitStack() as opened:
            try:
                source = opened.enter_context(open_source(path, encoding=encoding, sheet=sheet, cur=chk))
                res.format, res.encoding = source.format, source.encoding
                headers = source.headers
                sample = (chk.sql(f"SELECT * FROM ({source.sql}) LIMIT 1000").fetchall()
                          if generated_headers(headers) else None)
                proposed, cols = _resolve_mapping(spec, headers, mapping, drop_extra, sample)
                res.mapping = proposed
                # (money read as numbers by DuckDB's reader where every cell is one; not when the
                # file's decimal point is a comma: 1.234 is a thousand there)
                money = frozenset() if decimal_comma else frozenset(
                    int(c[1:]) for name, c in cols.items() if name in spec.money_columns)
                numbers_read = scratch.read_raw(chk, source, len(headers), money)
                res.rows_read = int(chk.execute("SELECT count(*) FROM _raw").fetchall()[0][0])
                report("parsing", res.rows_read)
                if res.rows_read == 0:
                    raise IngestError("the file has a header but no rows", problem="no_rows")
                res.time_zone = zone
                checked = type_rows(chk, spec, cols, now=now, zone=zone, day_first=day_first,
                                    decimal_comma=decimal_comma, create_customers=create)
            except CrmError:
                if loaded_before():
                    return _duplicate(res, t0)
                raise
            if loaded_before():   # (what was read goes with the checking connection)
                return _duplicate(res, t0)
            mapped, extra = set(checked.mapped), list(checked.extra)
            res.zoned_values = checked.zoned_values
            shelved = scratch.shelve_raw(chk, source, numbers_read)   # (the repeat check runs without the cells)
            res.identical_rows, marked = mark_repeats(chk, spec, checked.mapped, identical_rows)
            if shelved:
                scratch.unshelve_raw(chk, source, len(headers), marked, numbers_read)
            report("checking", res.rows_read)
            res.rows_rejected = int(chk.execute("SELECT count(*) FROM _typed WHERE len(problems) > 0").fetchall()[0][0])
            res.guest_rows = int(chk.execute(
                "SELECT count(*) FROM _typed WHERE list_contains(problems, 'customer_id:guest')").fetchall()[0][0])
            blocking = int(chk.execute("SELECT count(*) FROM _typed WHERE len(list_filter(problems, "
                                       "lambda p: p <> 'customer_id:guest')) > 0").fetchall()[0][0])
            res.errors_total = int(chk.execute("SELECT coalesce(sum(len(problems)), 0) FROM _typed").fetchall()[0][0])
            res.errors = [{"row": int(r), "column": p.split(":")[0], "problem": p.split(":")[1]} for r, p in chk.execute(
                "SELECT _row, unnest(problems) FROM _typed WHERE len(problems) > 0 ORDER BY _row LIMIT ?",
                [max_errors]).fetchall()]
            scratch.set_aside(chk, len(headers), any_rows=res.rows_rejected > 0)
        loading = (blocking == 0 or accept_rejects) and res.rows_rejected < res.rows_read
        if not loading and res.rows_rejected == res.rows_read and (blocking == 0 or accept_rejects):
            res.reason = "no_rows_loaded"     # every row set aside: nothing would be added
        since = None
        if loading and kind == "transactions":
            since = chk.execute("SELECT min(CAST(date AS DATE)) FROM _typed WHERE len(problems) = 0").fetchall()[0][0]
        good = f"SELECT * EXCLUDE ({', '.join(extra)}) FROM _typed" if extra else "SELECT * FROM _typed"
        good += " WHERE len(problems) = 0"
        report("writing", res.rows_read)
        with Store.atomic(cur):
            ingest_id = int(cur.execute("SELECT coalesce(max(ingest_id), 0) + 1 FROM ingest_log").fetchall()[0][0])
            res.ingest_id = ingest_id
            with scratch.stream(chk, cur, "_rejected", "SELECT _row, problems, data FROM _rejected"):
                cur.execute("INSERT INTO ingest_quarantine SELECT $id, _row, problems, data FROM _rejected", {"id": ingest_id})
            chk.execute("DROP TABLE _rejected")
            if loading:
                if create:
                    before = int(cur.execute("SELECT count(*) FROM customers").fetchall()[0][0])
                    with scratch.stream(chk, cur, "_created", new_customers_sql(mapped)):
                        cur.execute("INSERT INTO customers (customer_id, country, ingest_id) "
                                    "SELECT customer_id, country, $ingest_id FROM _created", {"ingest_id": ingest_id})
                    res.customers_created = int(cur.execute("SELECT count(*) FROM customers").fetchall()[0][0]) - before
                    if res.customers_created:   # what a rollback of this load undoes
                        cur.execute(changes.record_created_sql(), {"ingest_id": ingest_id})
                if kind in CUSTOMER_UPDATES:
                    with scratch.stream(chk, cur, "_typed", good):
                        cur.execute(changes.record_customers_sql(mapped), {"ingest_id": ingest_id})
                statement = insert_sql(spec, mapped)
                with scratch.stream(chk, cur, "_typed", good), scratch.unordered(cur, kind not in UPSERT_KEYS):
                    cur.execute(statement, {"ingest_id": ingest_id} if "$ingest_id" in statement else None)
                res.rows_loaded = res.rows_read - res.rows_rejected
                if extra and not drop_extra:
                    kept = ", ".join(f"CAST({c} AS VARCHAR)" for c in extra)
                    with scratch.stream(chk, cur, "_extra", f"SELECT _row, to_json([{kept}]) AS data FROM _typed "
                                                     "WHERE len(problems) = 0"):
                        cur.execute("INSERT INTO ingest_extra SELECT $id, _row, data FROM _extra", {"id": ingest_id})
                chk.execute("DROP TABLE _typed")   # read: its memory goes now, before the refresh's
                report("refreshing", res.rows_read)
                Store.refresh_derived(cur, since or date(9999, 12, 31))
                Store.bump_data_version(cur)
            res.status = "loaded" if loading else "rejected"
            digest = digest_of.result()
            cur.execute("INSERT INTO ingest_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [ingest_id, kind, name, digest, user, now, now + timedelta(seconds=time.perf_counter() - t0),
                         res.status, res.rows_read,
                         res.rows_loaded, res.rows_rejected,
                         json.dumps({"headers": list(headers), "extra": [headers[int(c[1:]) - 1] for c in extra],
                                     "errors": res.errors[:20]}, ensure_ascii=False)])
            audit.record(cur, actor, "upload", at=now, subject=name, rows=res.rows_loaded,
                         detail={"kind": kind, "ingest_id": ingest_id, "status": res.status, "rows_read": res.rows_read,
                                 "rows_rejected": res.rows_rejected, "customers_created": res.customers_created})
        # (the checking connection's temporary tables go when it closes)
    res.seconds = time.perf_counter() - t0
    report("done", res.rows_read)
    return res


def _duplicate(res: IngestResult, t0: float) -> IngestResult:
    """The answer for the file of ``res`` when its bytes were loaded before: nothing written."""
    return IngestResult("duplicate", res.kind, res.file, seconds=time.perf_counter() - t0)


@dataclass
class Preview:
    """What the Upload page shows before anything is written."""

    format: str
    encoding: str | None
    sheet: str | None
    sheets: list[str]
    headers: list[str]
    mapping: dict[str, str | None]
    rows: pd.DataFrame        # the first rows as text, the file's own headers


def preview(path: str | Path, kind: str, *, encoding: str | None = None, sheet: str | None = None,
            rows: int = 20) -> Preview:
    """Read the first rows and propose a mapping (no database involved)."""
    import duckdb

    if kind not in KINDS:
        raise InvalidParameterError(f"unknown kind {kind!r}", name="kind", value=kind)
    con = duckdb.connect()
    try:
        with open_source(Path(path), encoding=encoding, sheet=sheet, cur=con) as source:
            positional = ", ".join(f"CAST(#{i} AS VARCHAR) AS c{i}" for i in range(1, len(source.headers) + 1))
            got = con.sql(f"SELECT {positional} FROM ({source.sql}) LIMIT {int(rows)}").fetchall()
            sheets: list[str] = []
            if source.format == "xlsx":
                sheets = [str(n) for n in pd.ExcelFile(path, engine="openpyxl").sheet_names]
            frame = pd.DataFrame(got, columns=list(source.headers), dtype=object)
            sample = (con.sql(f"SELECT * FROM ({source.sql}) LIMIT 1000").fetchall()
                      if generated_headers(source.headers) else None)
            return Preview(source.format, source.encoding, source.sheet, sheets, list(source.headers),
                           _propose(KINDS[kind], source.headers, sample), frame)
    finally:
        con.close()
