"""The warm-start results and the decorator that serves them (see :mod:`crm_app.warm`).

Kept apart from the warm start itself so that :mod:`crm_app.data` (whose functions are
warmable) and the warm start (which calls them) import one way: warm -> data -> warm_cache.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["warmable", "entries"]

F = TypeVar("F", bound=Callable[..., Any])
_WARM: dict[tuple[Any, ...], Any] = {}
_MISSING = object()


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
