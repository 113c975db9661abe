"""Issue 22, item 6: rolling back a load leaves the database as if that load had never
happened, later loads kept, or refuses with a reason and changes nothing.

Hypothesis draws sequences of customers files (inserts and updates, some cells empty),
transactions files (which create the customers they name) and service-contact files, loads
them, rolls one back, and compares with a database built from the remaining files alone:
customers (every attribute and the first purchase), transactions, service contacts, and the
derived running totals and months."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crm_core.access.auth import Principal
from crm_core.errors import RollbackRefusedError
from crm_core.ingest import load as ingest
from crm_core.store.connection import Store

NOW = datetime(2026, 11, 23, 12, 0)
ANALYST = Principal.of("ana@example.com", "analyst")
IDS = ["C1", "C2", "C3", "C4"]

customers_file = st.tuples(st.just("customers"), st.lists(
    st.tuples(st.sampled_from(IDS), st.sampled_from(["", "Kim", "Lee", "Park"]), st.sampled_from(["", "Seoul", "Busan"])),
    min_size=1, max_size=4, unique_by=lambda r: r[0]))
transactions_file = st.tuples(st.just("transactions"), st.lists(
    st.tuples(st.sampled_from(IDS), st.integers(0, 80), st.integers(-2, 9)), min_size=1, max_size=4))
service_file = st.tuples(st.just("service_interactions"), st.lists(
    st.tuples(st.sampled_from(IDS), st.integers(0, 80)), min_size=1, max_size=2))
LOADS = st.lists(st.one_of(customers_file, transactions_file, service_file), min_size=2, max_size=5)


def _write(folder: Path, n: int, load: tuple[str, list[tuple]]) -> Path:
    kind, rows = load
    base = date(2024, 1, 1).toordinal()
    if kind == "customers":
        frame = pd.DataFrame(rows, columns=["customer_id", "name", "region"])
    elif kind == "transactions":
        frame = pd.DataFrame([(f"T{n}-{i}", c, date.fromordinal(base + d).isoformat(), a)
                              for i, (c, d, a) in enumerate(rows)], columns=["transaction_id", "customer_id", "date", "amount"])
    else:
        frame = pd.DataFrame([(c, date.fromordinal(base + d).isoformat() + " 10:00", "complaint") for c, d in rows],
                             columns=["customer_id", "opened_at", "type"])
    path = folder / f"load{n}.csv"
    frame.to_csv(path, index=False)
    return path


def _state(store: Store) -> dict[str, list[tuple]]:
    return {
        "customers": store.rows("SELECT customer_id, name, region, country, first_purchase FROM customers ORDER BY 1"),
        "transactions": store.rows("SELECT transaction_id, customer_id, tx_date, amount FROM transactions ORDER BY 1"),
        "service": store.rows("SELECT customer_id, opened_at, type FROM service_interactions ORDER BY ALL"),
        "days": store.rows("SELECT c.customer_id, d.day, d.next_day, d.purchase_days, d.orders, d.revenue, d.returns "
                           "FROM customer_days AS d JOIN customers AS c USING (customer_key) ORDER BY 1, 2"),
        "months": store.rows("SELECT c.customer_id, m.month, m.revenue, m.purchase_days, m.orders "
                             "FROM customer_months AS m JOIN customers AS c USING (customer_key) ORDER BY 1, 2"),
    }


def _load_all(store: Store, files: list[Path], kinds: list[str]) -> list[int | None]:
    ids = []
    for path, kind in zip(files, kinds):
        res = ingest.load_file(store, path, kind, now=NOW, actor=ANALYST)
        ids.append(res.ingest_id if res.status == "loaded" else None)
    return ids


_counter = itertools.count()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(loads=LOADS, pick=st.integers(0, 10))
@example(loads=[("customers", [("C1", "Kim", "Seoul")]), ("customers", [("C1", "", "Busan")])], pick=0)
@example(loads=[("customers", [("C1", "Kim", "")]), ("customers", [("C1", "Lee", "")])], pick=1)
@example(loads=[("transactions", [("C1", 3, 5)]), ("customers", [("C1", "Kim", "Seoul")])], pick=0)
@example(loads=[("customers", [("C2", "Kim", "")]), ("service_interactions", [("C2", 4)])], pick=0)
@example(loads=[("customers", [("C1", "", ""), ("C2", "", "")]), ("service_interactions", [("C1", 0)]),
                ("customers", [("C1", "", "")])], pick=0)   # C1 exists again, but only after its service contact
def test_rollback_equals_the_database_without_that_load(tmp_path: Path, loads: list, pick: int) -> None:
    run = tmp_path / f"run{next(_counter)}"
    run.mkdir()
    files = [_write(run, n, load) for n, load in enumerate(loads)]
    kinds = [kind for kind, _ in loads]
    store = Store(run / "all.duckdb", create=True)
    ids = _load_all(store, files, kinds)
    loaded = [i for i, x in enumerate(ids) if x is not None]
    if not loaded:
        return
    gone = loaded[pick % len(loaded)]
    before = _state(store)
    try:
        ingest.rollback(store, ids[gone], actor=ANALYST, at=NOW)
    except RollbackRefusedError as exc:   # refused: nothing changed, and it says why
        assert exc.params["problem"] == "customers_in_use" and exc.params["n"] >= 1
        assert _state(store) == before
        assert store.scalar("SELECT status FROM ingest_log WHERE ingest_id = ?", [ids[gone]]) == "loaded"
        return
    rebuilt = Store(run / "without.duckdb", create=True)
    # the remaining files, each in the database state it met; one that was refused stays refused
    again = _load_all(rebuilt, [f for i, f in enumerate(files) if i != gone and ids[i] is not None],
                      [k for i, k in enumerate(kinds) if i != gone and ids[i] is not None])
    assert all(x is not None for x in again)
    assert _state(store) == _state(rebuilt)


def test_rolling_back_a_rename_restores_the_old_name_and_keeps_later_changes(tmp_path: Path) -> None:
    """The three cases the issue names: B's later values survive a rollback of A; customers A
    renamed get their old values back; a customer with service contacts is not deleted."""
    store = Store(tmp_path / "r.duckdb", create=True)
    f = [_write(tmp_path, 0, ("customers", [("C1", "Kim", "Seoul"), ("C2", "Lee", "Busan")])),
         _write(tmp_path, 1, ("customers", [("C1", "Kimberly", ""), ("C3", "Park", "Seoul")])),
         _write(tmp_path, 2, ("customers", [("C3", "", "Busan")])),
         _write(tmp_path, 3, ("service_interactions", [("C2", 5)]))]
    ids = _load_all(store, f, ["customers", "customers", "customers", "service_interactions"])
    ingest.rollback(store, ids[1], actor=ANALYST, at=NOW)            # the rename of C1 and the creation of C3
    assert store.rows("SELECT customer_id, name, region FROM customers ORDER BY 1") == [
        ("C1", "Kim", "Seoul"), ("C2", "Lee", "Busan"), ("C3", None, "Busan")]   # C3 as load 2 alone makes it
    with pytest.raises(RollbackRefusedError):
        ingest.rollback(store, ids[0], actor=ANALYST, at=NOW)        # C2 has a service contact
    assert store.scalar("SELECT count(*) FROM customers") == 3
