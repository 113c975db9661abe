"""Warm start: the default view is computed before serving and handed to the cached
functions only for exactly the same arguments (path, data version, date, filters)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pytest

from crm_app import data, warm
from crm_core.customers import micro, pyramid
from crm_core.filters import Filters
from crm_core.store.connection import Store

REPO = Path(__file__).resolve().parent.parent


def test_warm_results_answer_only_the_same_arguments(demo_db: Path) -> None:
    store = Store(demo_db)
    secs = warm.warm_default(store.path)
    assert secs > 0
    assert set(warm.entries()) >= {"db_info", "filter_options", "headline", "trend", "frame", "targets",
                                   "micro_frame", "micro_cut", "micro_compare", "what_if", "fitted"}
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
    head = data.headline.__wrapped__(store.path, version, as_of, Filters(), 365)
    assert head is warm._WARM[("headline", store.path, version, as_of, Filters(), 365)]
    kpis = head.kpis
    # The pages' opening widgets ask for exactly these (default dims, no conditions, default what-if).
    cut = data.micro_cut.__wrapped__(store.path, version, settings, micro.DEFAULT_DIMS, ())
    assert cut is warm._WARM[("micro_cut", store.path, version, settings, micro.DEFAULT_DIMS, ())]
    pd.testing.assert_frame_equal(cut, data.micro_cut.__wrapped__.compute(store.path, version, settings,
                                                                         micro.DEFAULT_DIMS, ()))
    assert data.micro_cut.__wrapped__(store.path, version, settings, ("region",), ()) is not cut
    cmp = data.micro_compare.__wrapped__(store.path, version, settings, (), ())
    assert cmp is warm._WARM[("micro_compare", store.path, version, settings, (), ())]
    assert cmp.set_index("measure").loc["customers", "a"] == len(frame.customers)
    w = data.what_if.__wrapped__(store.path, version, settings, float(pyramid.DEFAULT_WHATIF_PERCENT))
    assert w is warm._WARM[("what_if", store.path, version, settings, 10.0)]
    # The default CLV fit, as the Lifetime value page and the Churn page's at-risk list ask for it.
    from crm_app import value
    fit = value.fitted.__wrapped__(store.path, version, as_of, Filters(), "week", None)
    assert fit is warm._WARM[("fitted", store.path, version, as_of, Filters(), "week", None)]
    assert fit.model is not None and len(fit.summary) > 0
    assert value.fitted.__wrapped__(store.path, version, as_of, Filters(), "day", None) is not fit
    again = data.headline.__wrapped__.compute(store.path, version, as_of, Filters(), 365).kpis
    assert all(   # DuckDB sums doubles in parallel: equal up to the last digits
        getattr(kpis.current, k) == pytest.approx(getattr(again.current, k)) for k in asdict(kpis.current))


def test_prime_process_loads_what_the_first_page_run_would(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit import delta_generator
    monkeypatch.setattr(delta_generator, "_use_warning_has_been_displayed", False)
    monkeypatch.delitem(sys.modules, "streamlit.emojis", raising=False)
    warm.prime_process(("KRW", "USD"))
    assert "streamlit.emojis" in sys.modules
    assert delta_generator._use_warning_has_been_displayed is True   # the stack walk is skipped under the server


def test_warm_start_never_raises_on_a_bad_database(tmp_path: Path) -> None:
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"not a database")
    assert warm.warm_default(str(bad)) >= 0


def test_launcher_help() -> None:
    out = subprocess.run([sys.executable, "-m", "crm_app.serve", "--help"], capture_output=True, text=True,
                         cwd=REPO, timeout=60)
    assert out.returncode == 0 and "--db" in out.stdout
