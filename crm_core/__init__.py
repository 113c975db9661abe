"""CRM analytics library: store, metrics, models. Never imports streamlit.

Importing it limits the BLAS library under numpy/scipy to ``CRM_BLAS_THREADS`` threads
(default 1). Our matrices are small (a few dozen columns), so extra BLAS threads do no
useful work, and OpenBLAS's idle threads spin: measured on the 2-core benchmark machine,
they took about a second of CPU from DuckDB and the other analysis thread in the loyalty
analysis (user time 4.6 s -> 3.5 s).
"""

import os

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


_limit_blas_threads()
