"""Shared fixtures: real DuckDB files built by the real store and demo generator."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from crm_core.demo import generate as demo
from crm_core.store.connection import Store

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def demo_db_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default demo database, generated once per test session (read-only use)."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    demo.generate(path, customers=demo.DEFAULT_CUSTOMERS, seed=demo.DEFAULT_SEED)
    return path


@pytest.fixture()
def demo_db(demo_db_master: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database that a test may modify."""
    target = tmp_path / "demo.duckdb"
    shutil.copy(demo_db_master, target)
    return target


Row = dict[str, Any]


def make_store(path: Path, *, customers: Iterable[Row] = (), transactions: Iterable[Row] = (),
               churn_events: Iterable[Row] = (), meta: dict[str, str] | None = None,
               **tables: Iterable[Row]) -> Store:
    """A fresh database with hand-made rows (missing columns are NULL). Other tables
    (``service_interactions=[...]``, ``account_managers=[...]``, ...) by keyword.

    Like every writer, it keeps the store's invariant: each transaction's customer has
    a row in ``customers`` (a bare one is added for IDs seen only in transactions).
    """
    customers, transactions = list(customers), list(transactions)
    known = {row["customer_id"] for row in customers}
    for row in transactions:
        if row["customer_id"] not in known:
            known.add(row["customer_id"])
            customers.append({"customer_id": row["customer_id"]})
    store = Store(path, create=True)
    with store.transaction() as cur:
        for table, rows in (("customers", customers), ("transactions", transactions), ("churn_events", churn_events),
                            *tables.items()):
            for row in rows:
                cols = ", ".join(row)  # test-only, fixed names
                cur.execute(f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
        for k, v in (meta or {}).items():
            Store.set_meta(cur, k, v)
        Store.refresh_derived(cur)
        Store.bump_data_version(cur)
    return store


@pytest.fixture()
def store_factory(tmp_path: Path) -> Callable[..., Store]:
    counter = iter(range(10_000))

    def factory(**kwargs: Any) -> Store:
        return make_store(tmp_path / f"hand{next(counter)}.duckdb", **kwargs)

    return factory
