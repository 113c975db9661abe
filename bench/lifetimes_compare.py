"""Fit the same data with the ``lifetimes`` package, run with the Python of its own pinned
environment (``bench/requirements-lifetimes.lock``; ``bench/bench.py`` creates it):

    /tmp/crm-lifetimes-venv/bin/python bench/lifetimes_compare.py DATA.npz

Reads x, t_x, T, m from DATA.npz, fits BetaGeoFitter and GammaGammaFitter one row per
customer (the way lifetimes is used), prints parameters and seconds as JSON.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")
from lifetimes import BetaGeoFitter, GammaGammaFitter  # noqa: E402

data = np.load(sys.argv[1])
x, t_x, T, m = data["x"], data["t_x"], data["T"], data["m"]
t0 = time.perf_counter()
bg = BetaGeoFitter(penalizer_coef=0.0).fit(x, t_x, T)
t_bg = time.perf_counter() - t0
rep = (x > 0) & (m > 0)
t0 = time.perf_counter()
gg = GammaGammaFitter(penalizer_coef=0.0).fit(x[rep], m[rep])
t_gg = time.perf_counter() - t0
print(json.dumps({"bgnbd": {k: float(bg.params_[k]) for k in ("r", "alpha", "a", "b")}, "bgnbd_s": t_bg,
                  "gamma_gamma": {k: float(gg.params_[k]) for k in ("p", "q", "v")}, "gamma_gamma_s": t_gg}))
