"""Warm start: compute what the first visitor will see before the server takes requests.

``python -m crm_app.serve`` calls :func:`warm_default` before it starts Streamlit: the
heavy modules get imported and the default view of the landing and target pages
(latest date, no filters, 365-day period) is computed straight from ``crm_core``. The
cached functions in :mod:`crm_app.data` that are marked :func:`warmable` look here on a
cache miss, so the first page load finds its data ready. Entries are keyed by the exact
arguments, database path and data version included: after a load they simply stop
matching, and the normal computation runs.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["warmable", "warm_default", "entries"]

F = TypeVar("F", bound=Callable[..., Any])
_WARM: dict[tuple[Any, ...], Any] = {}
_MISSING = object()
log = logging.getLogger(__name__)


def warmable(fn: F) -> F:
    """Let ``fn`` answer from the warm-start results when called with the same arguments.
    ``fn.compute`` is the plain function (used to produce those results)."""

    @functools.wraps(fn)
    def wrapper(*args: Any) -> Any:
        hit = _WARM.get((fn.__name__, *args), _MISSING)
        return fn(*args) if hit is _MISSING else hit

    wrapper.compute = fn  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def entries() -> list[str]:
    """Names of the functions with warm results (for logs and tests)."""
    return sorted({key[0] for key in _WARM})


def _put(fn: Callable[..., Any], *args: Any) -> Any:
    value = fn.compute(*args)  # type: ignore[attr-defined]
    _WARM[(fn.compute.__name__, *args)] = value  # type: ignore[attr-defined]
    return value


def warm_default(path: str) -> float:
    """Compute the default view of the database at ``path``; returns the seconds spent.
    Never raises: a database that cannot be read is reported by the pages as usual."""
    t0 = time.perf_counter()
    try:
        from crm_core.filters import Filters
        from crm_core.store import Store

        from . import data

        store = Store(path)
        version = store.data_version()
        info = _put(data.db_info, store.path, version)
        _put(data.filter_options, store.path, version)
        as_of = info["last_date"]
        if as_of is None:
            return time.perf_counter() - t0
        filters = Filters()
        _put(data.kpis, store.path, version, as_of, filters, 365)
        _put(data.trend, store.path, version, as_of, filters)
        _put(data.pareto, store.path, version, as_of, filters, 365, "revenue")
        settings = data.TargetSettings(as_of=as_of, filters=filters)
        frame = _put(data.frame, store.path, version, settings)
        _WARM[("targets", store.path, version, settings)] = data.target_summaries(frame.customers, settings)
        _WARM[("micro_frame", store.path, version, settings)] = data.attributes(store.path, frame, settings)
    except Exception:  # noqa: BLE001 - warming is an optimisation; the pages report real errors
        log.exception("warm start failed; pages will compute on first use")
    return time.perf_counter() - t0
