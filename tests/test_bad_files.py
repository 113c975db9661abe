"""Every file of the bad-file corpus (``tests/bad_corpus.py``) through a real load into a real
database: a refused file is refused with its own reason, in every language, and changes no
data; a file refused for its rows names the problem and keeps the rows to download; a messy
but valid file loads and reads back right. The README's table is this corpus."""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from crm_core.access.auth import Principal
from crm_core.errors import IngestError, InputFileError
from crm_core.i18n import LANGUAGES, catalogue
from crm_core.ingest import load as ingest
from crm_core.store.connection import Store

from .bad_corpus import BAD_DIR, CASES, Case, content_of, made_at_test_time, readme_table
from .conftest import REPO, make_store

NOW = datetime(2026, 11, 23, 12, 0)
ANALYST = Principal.of("ana@example.com", "analyst")
DATA_TABLES = ("customers", "transactions", "churn_events", "loyalty_programs", "loyalty_members", "loyalty_costs",
               "service_interactions")


@pytest.fixture(scope="module")
def base_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bad") / "base.duckdb"
    make_store(path, customers=[{"customer_id": f"C{i}"} for i in range(1, 10)],
               transactions=[{"transaction_id": "T1", "customer_id": "C1", "tx_date": "2026-01-05", "amount": 10}],
               loyalty_programs=[{"program_id": "P1", "name": "Points", "kind": "points"}])
    return path


def _data(store: Store) -> dict[str, int]:
    counts = store.table_counts()
    return {t: counts[t] for t in DATA_TABLES} | {"version": store.data_version()}


def test_the_corpus_holds_at_least_100_files_each_kept_or_made() -> None:
    assert len(CASES) >= 100 and len({c.name for c in CASES}) == len(CASES)
    for case in CASES:
        if made_at_test_time(case):
            assert not (BAD_DIR / case.name).exists(), case.name
        else:
            assert (BAD_DIR / case.name).is_file(), f"{case.name}: run python -m tests.bad_corpus"
            if isinstance(case.content, bytes):
                assert (BAD_DIR / case.name).read_bytes() == case.content, case.name


def test_the_readme_table_is_the_corpus() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- bad-files:start -->\n(.*?)\n<!-- bad-files:end -->", readme, flags=re.S)
    assert found, "README.md has no bad-files table"
    assert found.group(1).strip() == readme_table().strip(), "run python -m tests.bad_corpus --table"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_file_gets_what_it_should(case: Case, base_db: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "t.duckdb"
    shutil.copy(base_db, db)
    store = Store(db)
    for k, v in case.env.items():
        monkeypatch.setenv(k, v)
    f = tmp_path / case.name
    f.write_bytes(content_of(case))
    before = _data(store)
    what = case.expect[0]
    if what == "refused":
        with pytest.raises((IngestError, InputFileError)) as err:
            ingest.load_file(store, f, case.kind, now=NOW, actor=ANALYST, **case.options)
        problem = err.value.params.get("problem")
        assert problem == case.expect[1], str(err.value)
        message = str(err.value)
        assert len(message) < 400 and "Traceback" not in message and "Error:" not in message, message
        for lang in LANGUAGES:   # said in every language, with every placeholder filled
            text = catalogue(lang)[f"upload.problem.{problem}"]
            params = {k: v for k, v in err.value.params.items() if k != "problem"}
            assert "{" not in text.format_map({**{k: "x" for k in re.findall(r"{(\w+)}", text)}, **params})
        assert _data(store) == before
    elif what == "rows":
        res = ingest.load_file(store, f, case.kind, now=NOW, actor=ANALYST, **case.options)
        got = {f"{e['column']}:{e['problem']}" for e in res.errors}
        assert res.status == "rejected" and case.expect[1] in got, (res.status, got)
        assert _data(store) == before
        rejected = ingest.quarantine(store, res.ingest_id)
        assert len(rejected) == res.rows_rejected > 0
    else:
        rows, sql, value = case.expect[1:]
        res = ingest.load_file(store, f, case.kind, now=NOW, actor=ANALYST, **case.options)
        assert res.status == "loaded" and res.rows_loaded == rows, (res.status, res.rows_loaded, res.errors[:3])
        if sql is not None:
            got = store.rows(sql)[0][0]
            assert (float(got) == pytest.approx(value)) if isinstance(value, (int, float)) else got == value, got
