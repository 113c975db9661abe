"""Warm start: the default view is computed before serving and handed to the cached
functions only for exactly the same arguments (path, data version, date, filters)."""

from __future__ import annotations

import subprocess
from dataclasses import asdict
import sys
from pathlib import Path

import pytest

from crm_app import data, warm
from crm_core.filters import Filters
from crm_core.store import Store

REPO = Path(__file__).resolve().parent.parent


def test_warm_results_answer_only_the_same_arguments(demo_db: Path) -> None:
    store = Store(demo_db)
    secs = warm.warm_default(store.path)
    assert secs > 0
    assert set(warm.entries()) >= {"db_info", "filter_options", "kpis", "trend", "pareto", "frame", "targets",
                                   "micro_frame"}
    version = store.data_version()
    info = data.db_info.__wrapped__(store.path, version)          # the function under st.cache_data
    as_of = info["last_date"]
    settings = data.TargetSettings(as_of=as_of, filters=Filters())
    frame = data.frame.__wrapped__(store.path, version, settings)
    assert frame is warm._WARM[("frame", store.path, version, settings)]          # served from the warm start
    fresh = data.frame.__wrapped__.compute(store.path, version, settings)        # what a computation gives
    assert fresh.customers.equals(frame.customers)
    # Another version (a load happened) or other filters: computed, not served stale.
    other = data.TargetSettings(as_of=as_of, filters=Filters.of(regions=["Korea"]))
    assert data.frame.__wrapped__(store.path, version, other) is not frame
    assert data.frame.__wrapped__(store.path, version + 1, settings) is not frame
    kpis = data.kpis.__wrapped__(store.path, version, as_of, Filters(), 365)
    assert kpis is warm._WARM[("kpis", store.path, version, as_of, Filters(), 365)]
    again = data.kpis.__wrapped__.compute(store.path, version, as_of, Filters(), 365)
    assert all(   # DuckDB sums doubles in parallel: equal up to the last digits
        getattr(kpis.current, k) == pytest.approx(getattr(again.current, k)) for k in asdict(kpis.current))


def test_warm_start_never_raises_on_a_bad_database(tmp_path: Path) -> None:
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"not a database")
    assert warm.warm_default(str(bad)) >= 0


def test_launcher_help() -> None:
    out = subprocess.run([sys.executable, "-m", "crm_app.serve", "--help"], capture_output=True, text=True,
                         cwd=REPO, timeout=60)
    assert out.returncode == 0 and "--db" in out.stdout
