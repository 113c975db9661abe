"""Importing crm_core limits the BLAS threads of numpy and of scipy (loaded later)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROBE = """
import json, numpy            # numpy (and its BLAS) first, as Streamlit does
import crm_core
import scipy.linalg           # scipy brings its own OpenBLAS, loaded after the limit
from threadpoolctl import threadpool_info
print(json.dumps([[i["filepath"], i["num_threads"]] for i in threadpool_info() if i["user_api"] == "blas"]))
"""


def _blas_threads(extra_env: dict[str, str]) -> list[int]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "CRM_BLAS_THREADS")}
    env.update(extra_env, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    libs = json.loads(out.stdout)
    assert len(libs) >= 2, libs          # numpy's and scipy's
    return [n for _, n in libs]


def test_blas_is_single_threaded_by_default() -> None:
    assert set(_blas_threads({})) == {1}


def test_blas_threads_setting() -> None:
    assert set(_blas_threads({"CRM_BLAS_THREADS": "2"})) == {2}
    assert set(_blas_threads({"CRM_BLAS_THREADS": "nonsense"})) == {1}
