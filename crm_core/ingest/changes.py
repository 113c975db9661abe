"""What each load did to each customer, and undoing one load exactly.

A customers file is an upsert (new customers inserted, known ones updated where the file
gives a value) and a transactions file creates the customers it names that are not on file.
Deleting "the customers a load added" cannot undo that: a later load may have updated them
(its values would go), the load may have renamed customers that existed before (they would
keep its values), and other data may refer to them. So every load records, per customer it
touched, the customer before it and the values it gave (``customer_changes``, migration 011);
a rollback replays the later loads' values from the rolled-back load's "before", which is
the state "as if that load had never happened, later loads kept". When that state has no
customer that later data still refers to, the rollback is refused with the reason.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

import duckdb
import pandas as pd

from crm_core.errors import RollbackRefusedError

__all__ = ["FIELDS", "record_customers_sql", "record_created_sql", "undo"]

#: The customers columns a load can give (the table's, but the id and the owning load).
FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "VARCHAR"), ("email", "VARCHAR"), ("phone", "VARCHAR"), ("address", "VARCHAR"), ("city", "VARCHAR"),
    ("region", "VARCHAR"), ("country", "VARCHAR"), ("customer_type", "VARCHAR"), ("industry", "VARCHAR"),
    ("acquisition_channel", "VARCHAR"), ("signup_date", "DATE"), ("account_manager", "VARCHAR"))
#: Tables whose rows name a customer: a customer they refer to cannot be removed.
_REFERRING = ("transactions", "loyalty_members", "churn_events", "service_interactions", "campaign_contacts")
_HAS_LOAD = ("transactions", "loyalty_members", "churn_events", "service_interactions",
             "campaign_contacts")   # an ingest_id column
_NEVER = 2**62


def _pack(values: dict[str, str], *, with_owner: str | None = None) -> str:
    parts = [f"{name} := CAST({values.get(name, 'NULL')} AS {typ})" for name, typ in FIELDS]
    if with_owner is not None:
        parts.append(f"ingest_id := CAST({with_owner} AS BIGINT)")
    return f"struct_pack({', '.join(parts)})"


def record_customers_sql(mapped: set[str]) -> str:
    """Before a customers file's upsert: each valid row's customer as it was, and what the
    file gives (only mapped columns; an empty cell gives nothing, as in the upsert)."""
    before = _pack({n: f"c.{n}" for n, _ in FIELDS}, with_owner="c.ingest_id")
    provided = _pack({n: f"t.{n}" for n, _ in FIELDS if n in mapped})
    return (f"INSERT INTO customer_changes SELECT $ingest_id, t.customer_id, c.customer_id IS NOT NULL, "
            f"CASE WHEN c.customer_id IS NOT NULL THEN {before} END, {provided} "
            f"FROM _typed AS t LEFT JOIN customers AS c USING (customer_id) WHERE len(t.problems) = 0")


def record_created_sql() -> str:
    """After a transactions file created customers: they did not exist; the load gave their id
    (and country, when the file has one)."""
    provided = _pack({"country": "country"})
    return (f"INSERT INTO customer_changes SELECT $ingest_id, customer_id, false, NULL, {provided} "
            f"FROM customers WHERE ingest_id = $ingest_id")


def undo(cur: duckdb.DuckDBPyConnection, ingest_id: int) -> tuple[int, int]:
    """Put every customer load ``ingest_id`` touched in the state the other loads alone give
    (inside the caller's transaction, after the load's other rows are gone). Returns
    (customers updated, customers removed). Raises :class:`RollbackRefusedError` when a
    customer that would not exist is still referred to by other data."""
    rows = cur.execute(
        """SELECT c.ingest_id, c.customer_id, c.existed, c.before, c.provided
           FROM customer_changes AS c LEFT JOIN ingest_log AS l USING (ingest_id)
           WHERE c.customer_id IN (SELECT customer_id FROM customer_changes WHERE ingest_id = $id)
             AND c.ingest_id >= $id AND (c.ingest_id = $id OR coalesce(l.status, 'loaded') = 'loaded')
           ORDER BY c.customer_id, c.ingest_id""", {"id": ingest_id}).fetchall()
    keep: list[dict[str, Any]] = []
    gone: list[str] = []
    later: list[dict[str, Any]] = []
    born: list[tuple[str, int]] = []   # (customer, the load from which it exists without the rolled-back one)
    for cid, group in groupby(rows, key=lambda r: r[1]):
        state: dict[str, Any] | None = None
        for load, _cid, existed, before, provided in group:   # the rolled-back load's row comes first
            if load == ingest_id:          # the customer as it was before the rolled-back load
                state = dict(before) if existed and before is not None else None
                if state is None:
                    born.append((cid, _NEVER))
                continue
            if state is None:
                born[-1] = (cid, load)
            later.append({"ingest_id": load, "customer_id": cid, "existed": state is not None,
                          **{f"b_{k}": (state or {}).get(k) for k, _ in FIELDS},
                          "b_ingest_id": (state or {}).get("ingest_id")})
            if state is None:              # without the rolled-back load, this one would have inserted it
                state = {**{k: None for k, _ in FIELDS}, "ingest_id": load}
            state.update({k: v for k, v in provided.items() if v is not None})
        if state is None:
            gone.append(cid)
        else:
            keep.append({"customer_id": cid, **state})
    if born:   # data loaded while such a customer would not have existed could not have loaded
        cur.register("_born", pd.DataFrame(born, columns=["customer_id", "born"]).astype({"customer_id": object}))
        parts = " UNION ".join(
            f"SELECT r.customer_id FROM {t} AS r JOIN _born AS b USING (customer_id) "
            f"WHERE {'coalesce(r.ingest_id, 0)' if t in _HAS_LOAD else '0'} < b.born" for t in _REFERRING)
        used = int(cur.execute(f"SELECT count(*) FROM ({parts})").fetchall()[0][0])
        cur.unregister("_born")
        if used:
            raise RollbackRefusedError(f"load {ingest_id}: customers it created are used by other data",
                                       problem="customers_in_use", id=ingest_id, n=used)
    if gone:
        cur.register("_gone", pd.DataFrame({"customer_id": gone}, dtype=object))
        cur.execute("DELETE FROM customers WHERE customer_id IN (SELECT customer_id FROM _gone)")
        cur.unregister("_gone")
    if keep:
        frame = pd.DataFrame(keep, columns=["customer_id", *(k for k, _ in FIELDS), "ingest_id"]).astype(
            {k: object for k, _ in FIELDS})
        cur.register("_keep", frame)
        sets = ", ".join(f"{k} = CAST(k.{k} AS {typ})" for k, typ in FIELDS)
        cur.execute(f"UPDATE customers AS c SET {sets}, ingest_id = CAST(k.ingest_id AS BIGINT) "
                    "FROM _keep AS k WHERE c.customer_id = k.customer_id")
        cur.unregister("_keep")
    if later:   # the later loads' "before" is now the state without the rolled-back load
        cols = ["ingest_id", "customer_id", "existed", *(f"b_{k}" for k, _ in FIELDS), "b_ingest_id"]
        cur.register("_later", pd.DataFrame(later, columns=cols).astype({f"b_{k}": object for k, _ in FIELDS}))
        before = _pack({k: f"x.b_{k}" for k, _ in FIELDS}, with_owner="x.b_ingest_id")
        cur.execute(f"UPDATE customer_changes AS c SET existed = x.existed, "
                    f"before = CASE WHEN x.existed THEN {before} END "
                    "FROM _later AS x WHERE c.ingest_id = x.ingest_id AND c.customer_id = x.customer_id")
        cur.unregister("_later")
    cur.execute("DELETE FROM customer_changes WHERE ingest_id = ?", [ingest_id])
    return len(keep), len(gone)

