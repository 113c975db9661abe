"""Memory: the default limit follows the machine, settings are checked, and a query that
cannot fit under the limit gives a named message (library, CLI, page), never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import crm_core
from crm_core.cli.main import main as cli
from crm_core.customers import overview
from crm_core.customers.base import customer_base
from crm_core.errors import InvalidParameterError, MemoryLimitError
from crm_core.i18n import catalogue
from crm_core.store import settings
from crm_core.store.connection import Store

REPO = Path(__file__).resolve().parent.parent


def test_default_is_half_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRM_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(settings, "available_memory", lambda: 8 * 2**30)
    assert settings.memory_limit() == "4096MB"
    monkeypatch.setenv("CRM_MEMORY_LIMIT", "70%")
    assert settings.memory_limit() == f"{int(8 * 2**30 * 0.7) // 2**20}MB"
    monkeypatch.setattr(settings, "available_memory", lambda: 50 * 2**20)   # never below 64MB
    assert settings.memory_limit() == "64MB"


def test_a_container_limit_lower_than_the_machine_wins(tmp_path: Path) -> None:
    machine = settings.available_memory(limit_files=())
    v2, v1 = tmp_path / "memory.max", tmp_path / "limit_in_bytes"
    v2.write_text("max\n")                                   # cgroup v2 without a limit
    v1.write_text(f"{2 * 2**30}\n")
    assert settings.available_memory(limit_files=(str(v2), str(v1))) == min(machine, 2 * 2**30)
    v2.write_text(f"{machine * 4}\n")                        # higher than the machine: ignored
    assert settings.available_memory(limit_files=(str(v2),)) == machine


@pytest.mark.parametrize(("given", "expected"), [("12GB", "12GB"), (" 800 MB ", "800MB"), ("1.5GiB", "1.5GiB")])
def test_sizes_are_passed_to_duckdb(monkeypatch: pytest.MonkeyPatch, given: str, expected: str) -> None:
    monkeypatch.setenv("CRM_MEMORY_LIMIT", given)
    assert settings.memory_limit() == expected


@pytest.mark.parametrize("given", ["lots", "0%", "150%", "-1GB", "12", "12 parsecs"])
def test_a_bad_memory_setting_is_refused_by_name(monkeypatch: pytest.MonkeyPatch, given: str) -> None:
    monkeypatch.setenv("CRM_MEMORY_LIMIT", given)
    with pytest.raises(InvalidParameterError) as err:
        settings.memory_limit()
    assert err.value.params == {"name": "CRM_MEMORY_LIMIT", "value": given.strip()}


def test_threads_and_temp_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CRM_TEMP_DIR", raising=False)
    monkeypatch.setenv("CRM_THREADS", "1")
    got = settings.connection_settings(str(tmp_path / "crm.duckdb"))
    assert got["threads"] == 1 and got["temp_directory"] == str(tmp_path / "crm.duckdb.tmp")
    monkeypatch.setenv("CRM_TEMP_DIR", str(tmp_path / "spill"))
    assert settings.connection_settings("x.duckdb")["temp_directory"] == str(tmp_path / "spill")
    monkeypatch.setenv("CRM_THREADS", "two")
    with pytest.raises(InvalidParameterError):
        settings.connection_settings("x.duckdb")


def test_a_page_step_under_a_tiny_limit_completes_or_names_the_setting(monkeypatch: pytest.MonkeyPatch,
                                                                         demo_db: Path) -> None:
    """Customer base with its window (every target page's data) under shrinking limits: each
    run either returns exactly the unlimited result (spilling where it must) or raises
    MemoryLimitError carrying the limit; both outcomes occur over this range."""
    store = Store(demo_db)
    as_of = overview.default_as_of(store)
    monkeypatch.delenv("CRM_MEMORY_LIMIT", raising=False)
    full = customer_base(store, as_of, period_days=365)
    outcomes = []
    for limit in ("4MB", "16MB", "64MB", "256MB"):
        monkeypatch.setenv("CRM_MEMORY_LIMIT", limit)
        try:
            got = customer_base(store, as_of, period_days=365)
        except MemoryLimitError as err:
            assert err.params["limit"] == limit and "CRM_MEMORY_LIMIT" in str(err)
            outcomes.append("message")
        else:
            pd.testing.assert_frame_equal(got, full)
            outcomes.append("completed")
    assert outcomes[0] == "message" and outcomes[-1] == "completed", outcomes
    assert not any(a == "completed" and b == "message" for a, b in zip(outcomes, outcomes[1:])), outcomes


def test_cli_names_the_setting(monkeypatch: pytest.MonkeyPatch, demo_db: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CRM_MEMORY_LIMIT", "4MB")
    assert cli(["summary", "--db", str(demo_db), "--json"]) == 1
    err = capsys.readouterr().err
    assert "CRM_MEMORY_LIMIT" in err and "4MB" in err and "Traceback" not in err


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_page_shows_the_translated_message(monkeypatch: pytest.MonkeyPatch, demo_db: Path, lang: str) -> None:
    monkeypatch.setenv("CRM_DB", str(demo_db))
    monkeypatch.setenv("CRM_MEMORY_LIMIT", "4MB")
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(e.value for e in at.error)
    assert catalogue(lang)["error.memory_limit"].format(limit="4MB") in shown


@pytest.mark.parametrize(("given", "on"), [(None, False), ("", False), ("0", False), ("1", True), (" 2 ", True)])
def test_numpy_huge_pages_off_unless_asked(monkeypatch: pytest.MonkeyPatch, given: str | None, on: bool) -> None:
    """numpy's 2 MB pages are off by default (the kernel compacts memory for them when the
    database fills the page cache); NUMPY_MADVISE_HUGEPAGE, numpy's own switch, turns them
    on. Applied to this process and passed on to the processes it starts."""
    from numpy._core import multiarray
    before = multiarray._get_madvise_hugepage()
    if given is None:
        monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    else:
        monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", given)
    try:
        assert crm_core.apply_process_settings() is on
        assert multiarray._get_madvise_hugepage() is on
        assert os.environ["NUMPY_MADVISE_HUGEPAGE"] == ("1" if on else "0")
    finally:
        multiarray._set_madvise_hugepage(before)


def test_a_bad_huge_pages_setting_is_refused_by_name(monkeypatch: pytest.MonkeyPatch, demo_db: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "yes")
    with pytest.raises(InvalidParameterError, match="NUMPY_MADVISE_HUGEPAGE"):
        crm_core.huge_pages()
    assert cli(["summary", "--db", str(demo_db)]) == 1
    assert "NUMPY_MADVISE_HUGEPAGE must be 0 or 1" in capsys.readouterr().err
