"""Gamma-Gamma spend model (Fader & Hardie 2013; Colombo & Jiang 1999): fit and predict.

A customer's transaction values vary around their own mean; that mean varies across
customers as ``p * v / (q - 1)`` on average. The model is fitted on customers with at
least one repeat purchase, using ``x`` (number of repeat purchases) and ``m`` (the
average value of those repeat purchases). Values must be positive; customers whose
average is not (returns exceeding purchases) are left out of the fit and counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from crm_core.errors import ModelFitError
from crm_core.value import mle

__all__ = ["GammaGammaParams", "GammaGammaFit", "fit_gamma_gamma", "expected_average_value", "MIN_CUSTOMERS"]

MIN_CUSTOMERS = 10
WARM_START_ROWS = 20_000


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    v: float

    def as_array(self) -> np.ndarray:
        return np.array([self.p, self.q, self.v])

    @property
    def population_mean(self) -> float | None:
        """Mean spend per transaction across customers (undefined when q <= 1)."""
        return self.p * self.v / (self.q - 1) if self.q > 1 else None


@dataclass(frozen=True)
class GammaGammaFit:
    params: GammaGammaParams
    std_errors: GammaGammaParams | None
    log_likelihood: float
    customers: int          # customers used (x > 0 and m > 0)
    excluded: int           # repeaters left out because their average value is not positive
    evaluations: int        # likelihood evaluations on the full data
    converged: bool
    message: str


def _terms(theta: np.ndarray, x: np.ndarray, m: np.ndarray, want_grad: bool) -> tuple[np.ndarray, np.ndarray | None]:
    p, q, v = np.exp(theta)
    px = p * x
    lvxm = np.log(v + x * m)
    ll = (special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * np.log(v)
          + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * lvxm)
    if not want_grad:
        return ll, None
    dg = special.digamma
    d_p = x * (dg(px + q) - dg(px) + np.log(m) + np.log(x) - lvxm)
    d_q = dg(px + q) - dg(q) + np.log(v) - lvxm
    d_v = q / v - (px + q) / (v + x * m)
    return ll, np.vstack([d_p * p, d_q * q, d_v * v])


class _Objective:
    """Summed log-likelihood and gradient: gamma/digamma terms once per distinct x, the
    sums of x*ln(m), ln(m) and x*ln(x) once; only ln(v + x*m) is evaluated per customer.
    Equal to summing :func:`_terms`."""

    def __init__(self, x: np.ndarray, m: np.ndarray) -> None:
        self.x, self.m = x, m
        self.xu, ix = np.unique(x, return_inverse=True)
        self.nx = np.bincount(ix, minlength=self.xu.size).astype(float)
        self.n = float(x.size)
        ln_m = np.log(m)
        self.s_xlnm, self.s_lnm, self.s_xlnx = float(x @ ln_m), float(ln_m.sum()), float(x @ np.log(x))

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, v = np.exp(theta)
        gl, dg = special.gammaln, special.digamma
        pxu = p * self.xu
        vxm = v + self.x * self.m
        lv = np.log(vxm)
        s_xl, s_l = float(self.x @ lv), float(lv.sum())
        ll = (self.nx @ (gl(pxu + q) - gl(pxu)) - self.n * gl(q) + self.n * q * np.log(v)
              + p * self.s_xlnm - self.s_lnm + p * self.s_xlnx - p * s_xl - q * s_l)
        d_p = (self.nx * self.xu) @ (dg(pxu + q) - dg(pxu)) + self.s_xlnm + self.s_xlnx - s_xl
        d_q = self.nx @ dg(pxu + q) - self.n * dg(q) + self.n * np.log(v) - s_l
        d_v = self.n * q / v - float(((p * self.x + q) / vxm).sum())
        return float(ll), np.array([d_p * p, d_q * q, d_v * v])


def fit_gamma_gamma(x: np.ndarray, m: np.ndarray, *, start: GammaGammaParams | None = None) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma parameters from repeat counts and average values.

    Rows with ``x == 0`` are ignored (they carry no repeat spend); rows with ``x > 0`` and
    ``m <= 0`` are excluded and counted in ``excluded``.
    """
    x, m = np.asarray(x, float), np.asarray(m, float)
    rep = x > 0
    ok = rep & (m > 0) & np.isfinite(m)
    excluded = int((rep & ~ok).sum())
    x, m = x[ok], m[ok]
    n = x.size
    if n < MIN_CUSTOMERS:
        raise ModelFitError(f"only {n} customers with a repeat purchase of positive value (need {MIN_CUSTOMERS})",
                            reason="too_few_repeaters", model="gamma_gamma", count=n, minimum=MIN_CUSTOMERS)
    if np.ptp(m) == 0:
        raise ModelFitError("every customer has the same average value: spread cannot be estimated",
                            reason="no_variation", model="gamma_gamma")

    def fitter(xs: np.ndarray, ms: np.ndarray):  # -> FunGrad
        objective, count = _Objective(xs, ms), xs.size

        def fun_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
            ll, grad = objective(theta)
            return -ll / count, -grad / count
        return fun_grad

    fun_grad = fitter(x, m)
    theta0 = np.log(start.as_array()) if start else np.log([1.0, 2.0, float(np.mean(m))])
    hess0 = None
    if start is None and n > 2 * WARM_START_ROWS:   # path from a sample fit (see crm_core.value.mle)
        pick = np.random.default_rng(0).choice(n, WARM_START_ROWS, replace=False)
        sample = fitter(x[pick], m[pick])
        warm = mle.minimise(sample, theta0)
        if warm.converged:
            theta0, hess0 = warm.theta, mle.hessian(sample, warm.theta)
    est = mle.estimate(fun_grad, theta0, hess0, n, "gamma_gamma")
    params = GammaGammaParams(*est.params)
    converged = est.converged and bool(params.q > 1)
    message = "q <= 1: mean spend undefined" if est.converged and params.q <= 1 else est.message
    return GammaGammaFit(params, GammaGammaParams(*est.std_errors) if est.std_errors is not None else None,
                         est.log_likelihood, n, excluded, est.evaluations, converged, message)


def expected_average_value(params: GammaGammaParams, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """E[M | x, m]: each customer's expected value per future transaction.

    A weighted mean of the population mean and the customer's own average, weighted by
    how many repeat purchases back it; customers with no repeats (or a non-positive
    average) get the population mean.
    """
    x, m = np.asarray(x, float), np.asarray(m, float)
    p, q, v = params.p, params.q, params.v
    if q <= 1:
        raise ModelFitError("q <= 1: expected spend is undefined", reason="q_le_1", model="gamma_gamma")
    use = (x > 0) & (m > 0) & np.isfinite(m)
    xs, ms = np.where(use, x, 0.0), np.where(use, m, 0.0)
    return p * (v + xs * ms) / (p * xs + q - 1)
