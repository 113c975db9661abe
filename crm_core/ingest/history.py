"""The load history: every load, the rows one set aside, and rollback of a load.

A rollback leaves the data as if the load had never happened, later loads kept: the rows it
added go, and the customers it inserted, updated or created are replayed from what the other
loads did (:mod:`crm_core.ingest.changes`); when that state would drop a customer that later
data still refers to, the rollback is refused. The load is marked ``rolled_back``.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd

from crm_core.access import audit
from crm_core.access.auth import Principal
from crm_core.errors import InvalidParameterError
from crm_core.ingest import changes
from crm_core.ingest.schema import CUSTOMER_UPDATES, KINDS, NO_ROLLBACK
from crm_core.store.connection import Store

__all__ = ["history", "quarantine", "rollback"]


def history(store: Store) -> pd.DataFrame:
    """Every load, newest first."""
    return store.df("""SELECT ingest_id, kind, file_name, content_hash, user_name, started_at, finished_at, status,
                              rows_read, rows_loaded, rows_rejected FROM ingest_log ORDER BY ingest_id DESC""")


def quarantine(store: Store, ingest_id: int) -> pd.DataFrame:
    """The rejected rows of a load as read (the file's own headers), with their row number
    and problems: ready to download, fix and upload again."""
    msg = store.scalar("SELECT message FROM ingest_log WHERE ingest_id = ?", [ingest_id])
    headers = json.loads(msg).get("headers", []) if msg else []
    rows = store.rows("SELECT row_number, problems, data FROM ingest_quarantine WHERE ingest_id = ? ORDER BY row_number",
                      [ingest_id])
    out = pd.DataFrame([json.loads(d) for _, _, d in rows], columns=headers or None)
    out.insert(0, "problems", ["; ".join(json.loads(p)) for _, p, _ in rows])
    out.insert(0, "row", [r for r, _, _ in rows])
    return out


def rollback(store: Store, ingest_id: int, *, actor: Principal, at: datetime) -> int:
    """Undo a load: its rows removed, the customers it touched as the other loads alone leave
    them (or :class:`RollbackRefusedError`, nothing changed); the load is marked
    ``rolled_back``. Returns the rows removed (customers: the customers it loaded). Analysts
    and admins only; audited."""
    actor.require("manage_data")
    user = actor.user
    removed = 0
    with store.writer() as cur, Store.atomic(cur):   # the status is read under the lock: one rollback per load
        row = cur.execute("SELECT kind, status FROM ingest_log WHERE ingest_id = ?", [ingest_id]).fetchall()
        if not row:
            raise InvalidParameterError(f"no load {ingest_id}", name="ingest_id", value=ingest_id)
        kind, status = row[0]
        if status != "loaded" or kind not in KINDS:
            raise InvalidParameterError(f"load {ingest_id} is {status}, not a loaded file", name="ingest_id",
                                        value=ingest_id)
        table = KINDS[kind].table
        since = None
        if kind in NO_ROLLBACK:
            raise InvalidParameterError(f"{kind} loads cannot be rolled back (other data may refer to them)",
                                        name="ingest_id", value=ingest_id)
        if kind in CUSTOMER_UPDATES:   # an upsert: undone customer by customer from what each load did
            removed = int(cur.execute("SELECT count(*) FROM customer_changes WHERE ingest_id = ?",
                                      [ingest_id]).fetchone()[0])
        else:
            if kind == "transactions":
                since = cur.execute("SELECT min(tx_date) FROM transactions WHERE ingest_id = ?",
                                    [ingest_id]).fetchone()[0]
            removed = int(cur.execute(f"SELECT count(*) FROM {table} WHERE ingest_id = ?", [ingest_id]).fetchone()[0])
            cur.execute(f"DELETE FROM {table} WHERE ingest_id = ?", [ingest_id])
        # customers the load inserted or updated (a transactions load: those it created) as
        # if it had never happened, later loads kept; refused when that cannot be
        changes.undo(cur, ingest_id)
        cur.execute("UPDATE ingest_log SET status = 'rolled_back', message = ? WHERE ingest_id = ?",
                    [f"rolled back by {user}", ingest_id])
        audit.record(cur, actor, "rollback", at=at, subject=str(ingest_id), rows=removed, detail={"kind": kind})
        Store.refresh_derived(cur, since or date(9999, 12, 31))
        Store.bump_data_version(cur)
    return removed
