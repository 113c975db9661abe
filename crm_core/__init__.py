"""CRM analytics library: store, metrics, models. Never imports streamlit.

Importing it limits the BLAS library under numpy/scipy to ``CRM_BLAS_THREADS`` threads
(default 1). Our matrices are small (a few dozen columns), so extra BLAS threads do no
useful work, and OpenBLAS's idle threads spin: measured on the 2-core benchmark machine,
they took about a second of CPU from DuckDB and the other analysis thread in the loyalty
analysis (user time 4.6 s -> 3.5 s). It also keeps numpy from asking the kernel for 2 MB
pages unless ``NUMPY_MADVISE_HUGEPAGE=1`` (see :func:`huge_pages`).
"""

import os
import re

__version__ = "0.1.0"


def _limit_blas_threads() -> None:
    """BLAS libraries loaded later (scipy brings its own OpenBLAS) read the environment when
    they load; those already loaded (numpy's, when Streamlit imported it first) are limited
    through threadpoolctl."""
    value = os.environ.get("CRM_BLAS_THREADS", "1")
    threads = str(max(int(value), 1)) if value.isdigit() else "1"
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, threads)
    import numpy  # noqa: F401  (load numpy's BLAS library, then limit it)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=int(threads), user_api="blas")


def huge_pages() -> bool:
    """Whether numpy asks the kernel for 2 MB pages (transparent huge pages, ``madvise``) for
    its arrays of 4 MB and more: numpy's own switch ``NUMPY_MADVISE_HUGEPAGE`` (1 or 0) when
    set, else off. With the database file filling the page cache, each such page can make
    the kernel compact memory first: the customer base at 5M customers took 1.4-4.3 s with
    them and 1.6-1.8 s without on the benchmark machine (2026-12-06), with twice the
    kernel time."""
    given = os.environ.get("NUMPY_MADVISE_HUGEPAGE", "").strip()
    if not given:
        return False
    if not re.fullmatch(r"[+-]?\d+", given):   # numpy reads it as a whole number (non-zero: on)
        from crm_core.errors import InvalidParameterError

        raise InvalidParameterError("NUMPY_MADVISE_HUGEPAGE must be 0 or 1", name="NUMPY_MADVISE_HUGEPAGE", value=given)
    return int(given) != 0


def apply_process_settings() -> bool:
    """Apply :func:`huge_pages` to this process (numpy reads its variable only when first
    imported, so the setting is also made directly) and to the processes it starts. Done on
    importing this package; the CLI calls it again to name a bad value. Returns the setting."""
    on = huge_pages()
    os.environ["NUMPY_MADVISE_HUGEPAGE"] = "1" if on else "0"
    from numpy._core import multiarray  # the switch numpy itself sets from the variable at import
    toggle = getattr(multiarray, "_set_madvise_hugepage", None)
    if toggle is not None:
        toggle(on)
    return on


def _numpy_pages() -> None:
    from crm_core.errors import CrmError

    try:
        apply_process_settings()
    except CrmError:   # a value numpy itself refuses when it starts; the CLI names it
        pass


_limit_blas_threads()
_numpy_pages()
