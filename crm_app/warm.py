"""Warm start: compute what the first visitor will see before the server takes requests.

``python -m crm_app.serve`` calls :func:`warm_default` before it starts Streamlit: the
heavy modules get imported and the default view of the landing and target pages
(latest date, no filters, 365-day period) and the default CLV fit (shared by the Lifetime
value, Quadrants and Churn pages) are computed straight from ``crm_core``. The
cached functions in :mod:`crm_app.data` that are marked :func:`warmable` look here on a
cache miss, so the first page load finds its data ready. Entries are keyed by the exact
arguments, database path and data version included: after a load they simply stop
matching, and the normal computation runs.

It also pays the once-per-process costs that the first page run would otherwise carry
(:func:`prime_process`, about 1 s on this machine): Streamlit's emoji catalogue, Babel's
locale data and Streamlit's "run me with streamlit run" check.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

from .warm_cache import _WARM, _kept, _put, call_args, entries, warmable  # noqa: F401 (warmable, _WARM: re-exported)

__all__ = ["warmable", "warm_default", "entries", "prime_process", "prepare", "watch", "main"]


log = logging.getLogger(__name__)


def prime_process(currencies: tuple[str, ...] = ("USD",)) -> None:
    """Load what a fresh process loads lazily on its first page run, measured in a profile
    of that run on the benchmark database (500k customers):

    * the emoji catalogue Streamlit checks the page icon against (0.35-0.4 s);
    * Streamlit's warning for scripts run without ``streamlit run``: before its first element
      it calls ``inspect.stack()``, which reads the source lines of every frame (0.3 s). This
      process is about to run the server, where the warning never applies, so it is marked
      as done (a private flag; if Streamlit renames it, nothing breaks, the cost returns);
    * Babel's locale data for each language and currency (0.2 s for the first amount).

    Every chart is an ECharts option, plain data, which needs nothing loaded in this process.
    """
    from datetime import date

    from streamlit import delta_generator
    from streamlit.string_util import is_emoji

    from crm_core.i18n import LANGUAGES, translator

    is_emoji("📊")
    if hasattr(delta_generator, "_use_warning_has_been_displayed"):
        delta_generator._use_warning_has_been_displayed = True  # noqa: SLF001 - see the docstring
    for lang in LANGUAGES:
        tr = translator(lang)
        for currency in currencies:
            tr.money(1234.5, currency), tr.money(123_456_789.0, currency, compact=True)
        tr.number(1234.5, 1), tr.percent(0.25), tr.date(date(2024, 3, 5)), tr.month(date(2024, 3, 1))


def warm_default(path: str) -> float:
    """Compute the default view of the database at ``path``; returns the seconds spent.
    Never raises: a database that cannot be read is reported by the pages as usual."""
    t0 = time.perf_counter()
    try:
        from crm_core.customers import micro, pyramid
        from crm_core.filters import Filters
        from crm_core.store.connection import Store

        from . import data

        store = Store(path)
        version = store.data_version()
        info = _put(data.db_info, store.path, version)
        prime_process(tuple(dict.fromkeys((str(info["base_currency"]), "USD"))))
        _put(data.filter_options, store.path, version)
        as_of = info["last_date"]
        if as_of is None:
            return time.perf_counter() - t0
        filters = Filters()
        _put(data.headline, store.path, version, as_of, filters, 365)
        _put(data.trend, store.path, version, as_of, filters)
        settings = data.TargetSettings(as_of=as_of, filters=filters)
        frame = _put(data.frame, store.path, version, settings)
        _WARM[("targets", store.path, version, settings)] = data.target_summaries(frame.customers, settings)
        _WARM[("micro_frame", store.path, version, settings)] = data.attributes(store.path, frame, settings)
        _put(data.micro_cut, store.path, version, settings, micro.DEFAULT_DIMS, ())
        _put(data.micro_compare, store.path, version, settings, (), ())
        _put(data.what_if, store.path, version, settings, float(pyramid.DEFAULT_WHATIF_PERCENT))
        _put(data.upgrade, store.path, version, settings, pyramid.DEFAULT_CLOSENESS)
        # The CLV models of the default view (weeks, margin from the data): the Lifetime value,
        # Quadrants and Churn pages' at-risk list all start from this fit (2-3 s at 5M customers).
        from . import value
        _put(value.fitted, store.path, version, as_of, filters, "week", None)
    except Exception:  # noqa: BLE001 - warming is an optimisation; the pages report real errors
        log.exception("warm start failed; pages will compute on first use")
    return time.perf_counter() - t0


def _keep(fn: Callable[..., Any], *args: Any, load: bool = True) -> Any:
    """``fn(*args)`` read from or computed into the kept results (not the warm-start results:
    those live for the process, these for the data version). Without ``load``, a result
    already kept is not read (None): preparing views kept before costs no reading."""
    from crm_core.store.connection import Store
    from crm_core.store.kept import KeptResults

    plain = fn.compute  # type: ignore[attr-defined]
    full = call_args(plain, args, {})
    if not load and KeptResults(full[0], full[1], Store(full[0]).data_stamp()).has(plain.__name__, full):
        return None
    return _kept(plain, full)


def prepare(path: str) -> dict[str, float]:
    """Compute the default view of the heavy pages (as a first visitor opens them: latest
    date, no filters, 365 days) into the results kept beside the database, so that every
    process reads them instead of computing (:mod:`crm_core.store.kept`). Returns the
    seconds per page; views kept before are not read again (a restart costs no reading)."""
    from crm_core.customers import overview
    from crm_core.filters import Filters
    from crm_core.loyalty.estimate import Design
    from crm_core.store.connection import Store

    from . import data, exits, loyalty, value

    store = Store(path)
    version, as_of = store.data_version(), overview.default_as_of(store)
    spent: dict[str, float] = {}
    if as_of is None:
        return spent
    f = Filters()

    def timed(name: str, work: Callable[[], Any]) -> None:
        t0 = time.perf_counter()
        work()
        spent[name] = round(time.perf_counter() - t0, 3)

    timed("targets", lambda: _keep(data.targets, store.path, version, data.TargetSettings(as_of=as_of, filters=f),
                                   load=False))
    page = SimpleNamespace(as_of=as_of, filters=f, period_days=365)
    vs = value.settings(page, value.unit_costs(store.path, version), {})  # type: ignore[arg-type]
    timed("value", lambda: _keep(value.value_data, store.path, version, vs, load=False))

    def churn_page() -> None:
        window = _keep(exits.default_window, store.path, version, as_of)
        _keep(exits.churn_data, store.path, version, as_of, f, 365, window, None, None, "years", load=False)
        _keep(exits.breakdowns, store.path, version, as_of, f, 365, window, None, "region", None, "years", load=False)
        _keep(exits.at_risk, store.path, version, as_of, f, 365, window, None, None, "years", load=False)
    timed("churn", churn_page)
    timed("loyalty", lambda: _keep(loyalty.report, store.path, version, as_of, f, Design(), load=False))
    return spent


def watch(path: str, interval: float = 30.0) -> threading.Thread:
    """A background thread of the server: prepare the default views now, and again whenever
    the data version changes (a load from the Upload page or the command line)."""
    def run() -> None:
        from crm_core.errors import CrmError, DatabaseBusyError
        from crm_core.store.connection import Store

        done = None
        while True:
            pause, version = interval, None
            try:
                version = Store(path).data_version()
                if version != done:
                    secs = prepare(path)
                    log.info("prepared the default views of data version %s: %s", version, secs)
                    done = version
            except DatabaseBusyError:   # a load holds the file: try again soon, it is not an error
                log.info("database busy; preparing the default views again in 3 s")
                pause = 3.0
            except CrmError as exc:     # e.g. no database yet, or no data: the pages say so themselves
                log.warning("not preparing the default views: %s", exc)
                done = version
            except Exception:  # noqa: BLE001 - preparing is an optimisation; the pages report real errors
                log.exception("preparing the default views failed; pages will compute on first use")
                done = version
            time.sleep(pause)

    thread = threading.Thread(target=run, name="crm-prepare", daemon=True)
    thread.start()
    return thread


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m crm_app.warm --db PATH``: prepare the default views after a load from the
    command line (a scheduled load can run it next), printing the seconds per page."""
    import json
    import os

    from crm_core.store.kept import wait_for_writes

    ap = argparse.ArgumentParser(prog="python -m crm_app.warm", description=main.__doc__)
    ap.add_argument("--db", default=os.environ.get("CRM_DB"), required=not os.environ.get("CRM_DB"))
    args = ap.parse_args(argv)
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    spent = prepare(os.path.realpath(args.db))
    wait_for_writes()
    print(json.dumps(spent))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
