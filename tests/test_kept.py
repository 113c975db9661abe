"""Results kept beside the database (crm_core.store.kept): read back by any process for the
same data, code and arguments; never after a load, never from a stranger's file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crm_app import exits, warm
from crm_core.filters import Filters
from crm_core.store import kept
from crm_core.store.connection import Store

REPO = Path(__file__).resolve().parent.parent


def _bump(path: Path) -> None:
    """What every load does to the file: a new data version and stamp."""
    store = Store(path)
    with store.transaction() as cur:
        Store.bump_data_version(cur)


def test_kept_by_data_version_stamp_code_and_arguments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(tmp_path / "x.duckdb")
    k = kept.KeptResults(db, 3, "s1")
    assert k.get("f", (1,)) is kept.MISSING
    assert not k.put("f", (1,), "quick", kept.MIN_SECONDS / 2, wait=True)      # cheaper to compute than to keep
    assert k.put("f", (1,), {"v": [1, 2]}, 5.0, wait=True)
    assert k.get("f", (1,)) == {"v": [1, 2]}
    assert kept.KeptResults(db, 3, "s1").get("f", (1,)) == {"v": [1, 2]}     # another instance: from the file
    assert k.get("f", (2,)) is kept.MISSING                                   # other arguments
    assert kept.KeptResults(db, 4, "s1").get("f", (1,)) is kept.MISSING       # another load
    assert kept.KeptResults(db, 3, "s2").get("f", (1,)) is kept.MISSING       # another file at version 3
    assert not kept.KeptResults(db, 3, None).enabled                          # a file without stamps keeps nothing
    mode = os.stat(k.dir).st_mode & 0o777
    assert mode == 0o700 and all(os.stat(f).st_mode & 0o777 == 0o600 for f in k.files())
    # Other code: another digest, so another file.
    other = kept.code_id([REPO / "crm_core" / "store"])
    assert other != kept.code_id()
    monkeypatch.setattr(kept, "_CODE_ID", other)
    assert k.get("f", (1,)) is kept.MISSING and not k.has("f", (1,))
    # ... and the first result the other code keeps removes the old code's (an upgrade frees the disk).
    old_file = kept.KeptResults(db, 3, "s1").files()
    assert k.put("g", (1,), "by other code", 5.0, wait=True)
    assert not any(f.exists() for f in old_file) and len(k.files()) == 1
    monkeypatch.setattr(kept, "_CODE_ID", None)
    assert k.put("f", (1,), {"v": [1, 2]}, 5.0, wait=True) and k.has("f", (1,))
    # A result of a newer load makes the older ones go.
    newer = kept.KeptResults(db, 4, "s3")
    assert newer.put("f", (1,), "new", 5.0, wait=True)
    assert [f.name.split("-")[0] for f in newer.files()] == ["s3"]
    monkeypatch.setenv("CRM_RESULTS_MB", "0")
    assert not kept.KeptResults(db, 4, "s3").enabled
    monkeypatch.setenv("CRM_RESULTS_MB", "lots")
    with pytest.raises(ValueError, match="CRM_RESULTS_MB"):
        kept.limit_bytes()


def test_untrusted_damaged_and_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(tmp_path / "x.duckdb")
    k = kept.KeptResults(db, 1, "s")
    k.put("f", ("a",), "A", 5.0, wait=True)
    f = k.path("f", ("a",))
    os.chmod(f, 0o666)                                  # writable by others: a stranger could have put it there
    assert k.get("f", ("a",)) is kept.MISSING
    os.chmod(f, 0o600)
    assert k.get("f", ("a",)) == "A"
    f.write_bytes(b"not a pickle")
    assert k.get("f", ("a",)) is kept.MISSING and not f.exists()   # damaged: dropped, computed again
    # The cap: the least recently read go first, never the one just written.
    monkeypatch.setenv("CRM_RESULTS_MB", "1")
    small = kept.KeptResults(db, 1, "s")
    blob = b"x" * 300_000
    for i, stamp in enumerate((1000, 2000, 3000)):
        small.put("f", (i,), blob, 5.0, wait=True)
        os.utime(small.path("f", (i,)), (stamp, stamp))
    small.put("f", (3,), blob, 5.0, wait=True)
    assert [small.path("f", (i,)).exists() for i in range(4)] == [False, True, True, True]
    monkeypatch.setenv("CRM_RESULTS_DIR", str(tmp_path / "elsewhere"))
    assert kept.results_dir(db).parent == tmp_path / "elsewhere"


def test_a_new_process_reads_the_prepared_churn_page_until_a_load(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``python -m crm_app.warm`` prepares the default views; a fresh process then serves the
    Churn page's data without computing (its computation is made to fail there), and after a
    load computes again."""
    monkeypatch.setattr(kept, "MIN_SECONDS", 0.0)     # the demo computes fast: keep everything
    store = Store(demo_db)
    version = store.data_version()
    spent = warm.prepare(store.path)
    kept.wait_for_writes()
    assert set(spent) == {"targets", "value", "churn", "loyalty"}
    names = {f.name.split("-")[3] for f in kept.KeptResults(store.path, version, store.data_stamp()).files()}
    assert {"churn_data", "breakdowns", "at_risk", "default_window", "fitted", "value_data", "report"} <= names
    # Preparing again (a restarted server) reads nothing back but the churn window it needs.
    read: list[str] = []
    real_get = kept.KeptResults.get
    monkeypatch.setattr(kept.KeptResults, "get", lambda self, name, args: read.append(name) or real_get(self, name, args))
    warm.prepare(store.path)
    assert read == ["default_window"]
    monkeypatch.setattr(kept.KeptResults, "get", real_get)
    as_of = store.date_range()[1]
    here = exits.churn_data.__wrapped__.compute(store.path, version, as_of, Filters(), 365,
                                                exits.default_window.__wrapped__.compute(store.path, version, as_of),
                                                None, None, "years")
    script = f"""
import json, sys
from datetime import date
import crm_core.exits.churn as churn
def refuse(*a, **k):
    raise RuntimeError("computed")
churn.churn_data = refuse
from crm_app import exits
from crm_core.filters import Filters
from crm_core.store.connection import Store
s = Store({store.path!r}); v = s.data_version(); as_of = date.fromisoformat({as_of.isoformat()!r})
w = exits.default_window.__wrapped__(s.path, v, as_of)
try:
    d = exits.churn_data.__wrapped__(s.path, v, as_of, Filters(), 365, w, None, None, "years")
    print(json.dumps({{"churned": d.churned, "active": d.active, "lost": d.lost_profit}}))
except RuntimeError as e:
    print(json.dumps({{"error": str(e)}}))
"""
    run = lambda: json.loads(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,  # noqa: E731
                                            cwd=REPO, check=True).stdout.strip().splitlines()[-1])
    assert run() == {"churned": here.churned, "active": here.active, "lost": here.lost_profit}
    _bump(demo_db)
    assert run() == {"error": "computed"}
