"""The audit log: who uploaded, rolled back, exported or signed in, when, and how many rows.

Writes go in the caller's transaction where the action has one (an upload and its audit
row commit together or not at all). Times come from the caller (``at``, the server's local time); this
module reads no clock. Only admins read the log.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from crm_core.access.auth import Principal
from crm_core.store.connection import Store

__all__ = ["AUDIT_ACTIONS", "record", "log", "entries"]

#: What is recorded (the ``action`` column).
AUDIT_ACTIONS: tuple[str, ...] = ("upload", "rollback", "export", "sign_in", "roles_changed", "setting_changed",
                                  "denied")


def record(cur: duckdb.DuckDBPyConnection, actor: Principal, action: str, *, at: datetime, subject: str | None = None,
           rows: int | None = None, detail: dict[str, Any] | None = None) -> None:
    """Add one entry using an open cursor (inside the action's own transaction)."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    cur.execute("INSERT INTO audit_log (logged_at, actor, role, action, subject, rows, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [at, actor.user, actor.role + (" (local)" if actor.local else ""), action, subject, rows,
                 json.dumps(detail or {}, ensure_ascii=False, default=str)])


def log(store: Store, actor: Principal, action: str, *, at: datetime, subject: str | None = None,
        rows: int | None = None, detail: dict[str, Any] | None = None) -> None:
    """Add one entry in a transaction of its own (exports, sign-ins, refusals)."""
    with store.transaction() as cur:
        record(cur, actor, action, at=at, subject=subject, rows=rows, detail=detail)


def entries(store: Store, actor: Principal, *, limit: int = 5000, action: str | None = None,
            user: str | None = None) -> pd.DataFrame:
    """The newest entries first (admins only), optionally for one action or one user."""
    actor.require("read_audit")
    if action is not None and action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    return store.df(
        """SELECT entry_id, logged_at, actor, role, action, subject, rows, detail FROM audit_log
           WHERE ($action IS NULL OR action = $action) AND ($user IS NULL OR actor = $user)
           ORDER BY entry_id DESC LIMIT $limit""",
        {"action": action, "user": user, "limit": int(limit)})
