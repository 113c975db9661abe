"""Results kept on disk per data version, so a page's cold cost is reading, not aggregating.

At 100M transactions a page's data takes 5-13 s to compute (churn history, CLV fit,
loyalty matching) and a fraction of a second to read back. Every result is a function of
the data (one load: its version and stamp), the code and the arguments; the app's caches
are keyed the same way in memory, and this keeps the expensive ones beside the database so
that a new server process, a second server or a restart finds them: computed once per
data version, shared by every process.

Where: ``CRM_RESULTS_DIR`` if set, else ``<database>.results/`` beside the file (a
directory only this user may enter, like the spill directory). ``CRM_RESULTS_MB`` caps
its size (default :data:`DEFAULT_MB`; ``0`` turns keeping off); past it the least recently
read results go first. Results of another data stamp go when a newer one is written.

Invalidation follows the data, never the clock: the key holds the database's data
version and its random stamp (:meth:`~crm_core.store.connection.Store.data_stamp`, new
with every load), the code (:func:`code_id`, a digest of the package's source files) and
the arguments. A file without a stamp keeps nothing. Only results that took at least
:data:`MIN_SECONDS` to compute are kept: below that, reading them back saves nothing.

The values are pickles, so the directory must be as private as the database itself: it is
created ``0700``, and a directory or file owned by someone else, or writable by others,
is not read (see :func:`_trusted`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import stat
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from crm_core.errors import InvalidParameterError

__all__ = ["DEFAULT_MB", "MIN_SECONDS", "MISSING", "KeptResults", "code_id", "limit_bytes", "results_dir",
           "wait_for_writes"]

log = logging.getLogger(__name__)

#: Default cap of the results directory (MB). The 100M-row benchmark's default views
#: (churn, loyalty, lifetime value, the target pages) take about 1 GB.
DEFAULT_MB = 4096
#: Results computed faster than this are not kept (reading one back costs ~5 ms plus ~0.05 s
#: per 100 MB from the page cache).
MIN_SECONDS = 0.25
#: What :meth:`KeptResults.get` returns when nothing is kept.
MISSING: Any = object()

_SUFFIX = ".pickle"
_CODE_ID: str | None = None
_WRITES: list[threading.Thread] = []
#: Values being written, by file: this process reads them from memory until the file is there.
_PENDING: dict[Path, Any] = {}


def code_id(roots: Iterable[Path] | None = None) -> str:
    """A digest of every ``.py`` and ``.sql`` file of ``crm_core`` and ``crm_app`` (names and
    contents): results of other code never match. Computed once per process (~20 ms)."""
    global _CODE_ID
    if roots is None and _CODE_ID is not None:
        return _CODE_ID
    here = Path(__file__).resolve().parents[2]
    h = hashlib.sha256()
    for root in roots or (here / "crm_core", here / "crm_app"):
        for f in sorted(p for p in Path(root).rglob("*") if p.suffix in (".py", ".sql")):
            h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    digest = h.hexdigest()[:16]
    if roots is None:
        _CODE_ID = digest
    return digest


def limit_bytes() -> int:
    """``CRM_RESULTS_MB`` (whole megabytes, 0: keep nothing) as bytes, else :data:`DEFAULT_MB`."""
    given = os.environ.get("CRM_RESULTS_MB", "").strip()
    if not given:
        return DEFAULT_MB * 2**20
    if not given.isdigit():
        raise InvalidParameterError("CRM_RESULTS_MB must be a whole number of megabytes (0: keep nothing)",
                                    name="CRM_RESULTS_MB", value=given)
    return int(given) * 2**20


def results_dir(db_path: str) -> Path:
    """``CRM_RESULTS_DIR`` (one folder per database inside it), else ``<database>.results``."""
    given = os.environ.get("CRM_RESULTS_DIR", "").strip()
    if given:
        real = os.path.realpath(db_path)
        return Path(given) / f"{Path(real).name}-{hashlib.sha256(real.encode()).hexdigest()[:12]}"
    return Path(db_path + ".results")


def _trusted(path: Path) -> bool:
    """Ours and not writable by anyone else (a pickle from a stranger would run their code)."""
    try:
        st = path.stat()
    except OSError:
        return False
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


class KeptResults:
    """The kept results of one database at one data version and stamp."""

    def __init__(self, db_path: str, version: int, stamp: str | None) -> None:
        self.dir = results_dir(db_path)
        self.version, self.stamp = int(version), stamp
        self.limit = limit_bytes()

    @property
    def enabled(self) -> bool:
        return self.stamp is not None and self.limit > 0

    def _prefix(self) -> str:
        # The code is in the name too: after an upgrade the old code's results go at the next write.
        return f"{self.stamp}-v{self.version}-{code_id()[:12]}-"

    def path(self, name: str, args: tuple[Any, ...]) -> Path:
        """The file of ``name(*args)`` (the arguments pickled into the digest: dates, filters,
        numbers and settings dataclasses all pickle to the same bytes for equal values)."""
        digest = hashlib.sha256(pickle.dumps((code_id(), name, args), protocol=5)).hexdigest()[:32]
        return self.dir / f"{self._prefix()}{name}-{digest}{_SUFFIX}"

    def get(self, name: str, args: tuple[Any, ...]) -> Any:
        """The kept value, or :data:`MISSING` (nothing kept, unreadable or not trusted)."""
        if not self.has(name, args):
            return MISSING
        f = self.path(name, args)
        pending = _PENDING.get(f, MISSING)
        if pending is not MISSING:
            return pending
        try:
            with f.open("rb") as fh:
                value = pickle.load(fh)
        except Exception:  # noqa: BLE001 - a damaged or foreign file is a miss; computing again repairs it
            log.warning("kept result %s unreadable; computing it again", f.name)
            f.unlink(missing_ok=True)
            return MISSING
        os.utime(f)   # recently read: the last to go when the cap is reached
        return value

    def has(self, name: str, args: tuple[Any, ...]) -> bool:
        """Whether ``name(*args)`` is kept (being written, or a trusted file), without reading it."""
        if not self.enabled:
            return False
        f = self.path(name, args)
        return f in _PENDING or (_trusted(self.dir) and _trusted(f))

    def put(self, name: str, args: tuple[Any, ...], value: Any, seconds: float, *, wait: bool = False) -> bool:
        """Keep ``value`` if it took at least :data:`MIN_SECONDS`; written by a background
        thread (the caller has its value already) unless ``wait``. True when it will be kept."""
        if not self.enabled or seconds < MIN_SECONDS:
            return False
        target = self.path(name, args)
        _PENDING[target] = value
        job = threading.Thread(target=self._write, args=(target, value), name=f"keep-{name}")
        _WRITES[:] = [w for w in _WRITES if w.is_alive()]
        _WRITES.append(job)
        job.start()
        if wait:
            job.join()
        return True

    def _write(self, target: Path, value: Any) -> None:
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not _trusted(self.dir):
                log.warning("not keeping results in %s: it is not private to this user", self.dir)
                return
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=5)
            os.replace(tmp, target)
            self._prune(keep=target)
        except Exception:  # noqa: BLE001 - keeping is an optimisation: a full disk or a read-only folder only costs speed
            log.warning("could not keep %s in %s", target.name, self.dir, exc_info=True)
            tmp.unlink(missing_ok=True)
        finally:
            _PENDING.pop(target, None)

    def _prune(self, keep: Path) -> None:
        """Drop results of other data (another stamp or version) or other code, then the least recently read
        until the folder is within the cap; never ``keep`` (just written)."""
        entries = []
        for f in self.dir.iterdir():
            try:
                st = f.stat()
            except OSError:
                continue
            stale_tmp = f.name.endswith(".tmp") and time.time() - st.st_mtime > 3600
            if f != keep and (stale_tmp or (f.suffix == _SUFFIX and not f.name.startswith(self._prefix()))):
                f.unlink(missing_ok=True)
            elif f.suffix == _SUFFIX:
                entries.append((st.st_mtime, st.st_size, f))
        total = sum(size for _, size, _ in entries)
        for _, size, f in sorted(entries):
            if total <= self.limit:
                break
            if f != keep:
                f.unlink(missing_ok=True)
                total -= size

    def files(self) -> list[Path]:
        """The kept result files (for the CLI, the bench and tests)."""
        return sorted(self.dir.glob(f"*{_SUFFIX}")) if self.dir.is_dir() else []

    def clear(self) -> int:
        """Remove every kept result of this database; returns how many."""
        gone = self.files()
        for f in gone:
            f.unlink(missing_ok=True)
        return len(gone)


def wait_for_writes() -> None:
    """Block until every background write of this process has finished (bench, tests)."""
    while _WRITES:
        _WRITES.pop().join()
