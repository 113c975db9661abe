"""The warm-start results, the kept results, and the decorator that serves them (see
:mod:`crm_app.warm` and :mod:`crm_core.store.kept`).

Kept apart from the warm start itself so that :mod:`crm_app.data` (whose functions are
warmable) and the warm start (which calls them) import one way: warm -> data -> warm_cache.
"""

from __future__ import annotations

import functools
import inspect
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from crm_core.store.connection import Store
from crm_core.store.kept import MISSING, KeptResults

__all__ = ["warmable", "entries", "call_args"]

F = TypeVar("F", bound=Callable[..., Any])
_WARM: dict[tuple[Any, ...], Any] = {}
_LOCKS: dict[tuple[Any, ...], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def call_args(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Every argument of a call in the signature's order, defaults filled in: the same call
    written two ways is one key."""
    bound = inspect.signature(fn).bind(*args, **kwargs)
    bound.apply_defaults()
    return tuple(bound.arguments.values())


def _kept(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """``fn(*args)`` read from the results kept beside the database (``args`` start with its
    path and data version), else computed and kept. One computation per key in a process:
    a second caller (a page while the warm-up computes the same view) waits for the first."""
    path, version = args[0], args[1]
    store = KeptResults(path, version, Store(path).data_stamp())
    if not store.enabled:
        return fn(*args)
    key = (fn.__name__, *args)
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault(key, threading.Lock())
    with lock:
        value = store.get(fn.__name__, args)
        if value is MISSING:
            t0 = time.perf_counter()
            value = fn(*args)
            store.put(fn.__name__, args, value, time.perf_counter() - t0)
    with _LOCKS_GUARD:
        _LOCKS.pop(key, None)
    return value


def warmable(fn: F | None = None, *, keep: bool = False) -> Any:
    """Let ``fn`` answer from the warm-start results when called with the same arguments;
    with ``keep``, also from the results kept on disk for this data version (and keep what
    it computes: :mod:`crm_core.store.kept`). ``fn.compute`` is the plain function."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            full = call_args(fn, args, kwargs)
            hit = _WARM.get((fn.__name__, *full), MISSING)
            if hit is not MISSING:
                return hit
            return _kept(fn, full) if keep else fn(*full)

        wrapper.compute = fn  # type: ignore[attr-defined]
        wrapper.keep = keep   # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate(fn) if fn is not None else decorate


def entries() -> list[str]:
    """Names of the functions with warm results (for logs and tests)."""
    return sorted({key[0] for key in _WARM})


def _put(fn: Callable[..., Any], *args: Any) -> Any:
    """Compute (or, for kept functions, read) ``fn(*args)`` into the warm-start results."""
    plain = fn.compute  # type: ignore[attr-defined]
    full = call_args(plain, args, {})
    value = _kept(plain, full) if getattr(fn, "keep", False) else plain(*full)
    _WARM[(plain.__name__, *full)] = value
    return value
