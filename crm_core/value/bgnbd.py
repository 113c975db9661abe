"""BG/NBD purchase model (Fader, Hardie & Lee 2005): fit by maximum likelihood, predict.

Each customer is summarised by ``x`` (repeat purchases), ``t_x`` (time of the last
purchase since the first) and ``T`` (time since the first purchase to the end of the
calibration period), in one time unit. While alive a customer buys at rate lambda ~
Gamma(r, alpha); after each purchase they drop out with probability p ~ Beta(a, b).

The fit works on *groups*: customers with identical (x, t_x, T) share one likelihood
term weighted by their count, so a million customers cost what their few hundred
thousand distinct triples cost. The log-likelihood is computed in log space
(``logaddexp``) with the analytic gradient in log-parameters, and minimised with
:func:`crm_core.mle.minimise`. Standard errors come from the observed information (the
Hessian, by differences of the analytic gradient) and the delta method.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from crm_core.errors import ModelFitError
from crm_core.value import mle

__all__ = ["BgNbdParams", "BgNbdFit", "group_triples", "log_likelihood", "fit_bgnbd", "p_alive",
           "expected_purchases", "expected_if_alive",
           "expected_count_distribution"]



@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float

    def as_array(self) -> np.ndarray:
        return np.array([self.r, self.alpha, self.a, self.b])


@dataclass(frozen=True)
class BgNbdFit:
    params: BgNbdParams
    std_errors: BgNbdParams | None   # None when the information matrix is singular
    log_likelihood: float
    customers: int
    groups: int
    evaluations: int        # likelihood evaluations on the full data
    converged: bool
    message: str


def group_triples(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                          np.ndarray, np.ndarray]:
    """Distinct (x, t_x, T) rows, their counts, and each input row's group index."""
    stacked = np.column_stack([np.asarray(x, float), np.asarray(t_x, float), np.asarray(T, float)])
    uniq, inverse, counts = np.unique(stacked, axis=0, return_inverse=True, return_counts=True)
    return uniq[:, 0], uniq[:, 1], uniq[:, 2], counts.astype(float), inverse.ravel()


def _terms(theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray,
           want_grad: bool) -> tuple[np.ndarray, np.ndarray | None]:
    r, alpha, a, b = np.exp(theta)
    gl = special.gammaln
    a1 = gl(r + x) - gl(r) + r * np.log(alpha)
    a2 = gl(a + b) + gl(b + x) - gl(b) - gl(a + b + x)
    la_T, la_t = np.log(alpha + T), np.log(alpha + t_x)
    a3 = -(r + x) * la_T
    rep = x > 0
    a4 = np.where(rep, np.log(a) - np.log(np.where(rep, b + x - 1, 1.0)) - (r + x) * la_t, -np.inf)
    mix = np.logaddexp(a3, a4)
    ll = a1 + a2 + mix
    if not want_grad:
        return ll, None
    w3 = np.exp(a3 - mix)
    w4 = np.exp(a4 - mix)     # 0 where x == 0
    dg = special.digamma
    d_r = dg(r + x) - dg(r) + np.log(alpha) - w3 * la_T - w4 * la_t
    d_alpha = r / alpha - w3 * (r + x) / (alpha + T) - w4 * (r + x) / (alpha + t_x)
    d_a = dg(a + b) - dg(a + b + x) + w4 / a
    d_b = dg(a + b) + dg(b + x) - dg(b) - dg(a + b + x) - w4 / np.where(rep, b + x - 1, 1.0)
    grad = np.vstack([d_r * r, d_alpha * alpha, d_a * a, d_b * b])   # chain rule to log-parameters
    return ll, grad


class _Objective:
    """The weighted log-likelihood and gradient, organised for speed: terms of x alone (the
    gamma and digamma functions) once per distinct x; customers without repeats (whose
    term depends on T only) aggregated per distinct T; log(alpha + T) and log(alpha + t_x)
    once per distinct value. Only the mixing of the two branches (alive at T, or dropped
    out after the last purchase) runs per repeat-buyer group. Equal to summing :func:`_terms`."""

    def __init__(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray) -> None:
        ix, self.xu = pd.factorize(x)
        self.Wx = np.bincount(ix, w, self.xu.size)          # customers per distinct x
        iT, self.Tu = pd.factorize(T)
        it, self.tu = pd.factorize(t_x)
        zero = x == 0
        self.W0 = np.bincount(iT[zero], w[zero], self.Tu.size)   # non-repeaters per distinct T
        rep = ~zero
        self.x, self.w = x[rep], w[rep]
        self.ix, self.iT, self.it = ix[rep], iT[rep], it[rep]
        self.pos = self.xu > 0

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        r, alpha, a, b = np.exp(theta)
        gl, dg = special.gammaln, special.digamma
        xu, Wx, n = self.xu, self.Wx, self.Wx.sum()
        f_x = gl(r + xu) - gl(r) + gl(a + b) + gl(b + xu) - gl(b) - gl(a + b + xu)
        ll = Wx @ f_x + n * r * np.log(alpha)
        g_r = Wx @ (dg(r + xu) - dg(r)) + n * np.log(alpha)
        g_alpha = n * r / alpha
        g_a = Wx @ (dg(a + b) - dg(a + b + xu))
        g_b = Wx @ (dg(a + b) + dg(b + xu) - dg(b) - dg(a + b + xu))
        la_Tu, inv_Tu = np.log(alpha + self.Tu), 1 / (alpha + self.Tu)
        la_tu, inv_tu = np.log(alpha + self.tu), 1 / (alpha + self.tu)
        # Non-repeaters: alive for sure, term -(r) * log(alpha + T).
        ll -= r * (self.W0 @ la_Tu)
        g_r -= self.W0 @ la_Tu
        g_alpha -= r * (self.W0 @ inv_Tu)
        if self.x.size:
            bx = np.where(self.pos, b + xu - 1, 1.0)
            tables = (np.log(a), la_Tu, inv_Tu, la_tu, inv_tu, np.log(bx), 1 / bx)
            n_rep = self.x.size
            if n_rep >= _PARALLEL_ROWS:     # numpy releases the GIL: one chunk per core
                cuts = np.linspace(0, n_rep, _WORKERS + 1).astype(int)
                parts = list(_pool().map(lambda k: self._repeat_part(slice(cuts[k], cuts[k + 1]), r, tables),
                                         range(_WORKERS)))
                part = np.sum(parts, axis=0)
            else:
                part = self._repeat_part(slice(0, n_rep), r, tables)
            ll += part[0]
            g_r -= part[1]
            g_alpha -= part[2]
            g_a += part[3] / a
            g_b -= part[4]
        return float(ll), np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b])

    def _repeat_part(self, sl: slice, r: float, tables: tuple[np.ndarray | float, ...]) -> np.ndarray:
        """Sums over repeat-buyer rows ``sl``: log-likelihood of the branch mixture and the
        pieces of the gradient that depend on it."""
        log_a, la_Tu, inv_Tu, la_tu, inv_tu, log_bx, inv_bx = tables
        iT, it, ix, w = self.iT[sl], self.it[sl], self.ix[sl], self.w[sl]
        la_T, la_t = la_Tu[iT], la_tu[it]           # type: ignore[index]
        rx = r + self.x[sl]
        a3 = -rx * la_T
        a4 = log_a - log_bx[ix] - rx * la_t          # type: ignore[index]
        d = a4 - a3
        e = np.exp(-np.abs(d))
        mix = np.maximum(a3, a4) + np.log1p(e)      # logaddexp(a3, a4), sharing exp(-|d|)
        q = 1 / (1 + e)
        w4 = w * np.where(d >= 0, q, e * q)         # weight of the dropout branch: expit(d)
        w3 = w - w4                                 # weight of the alive branch
        return np.array([w @ mix, w3 @ la_T + w4 @ la_t,
                         (w3 * rx) @ inv_Tu[iT] + (w4 * rx) @ inv_tu[it],   # type: ignore[index]
                         w4.sum(), w4 @ inv_bx[ix]])                         # type: ignore[index]


_PARALLEL_ROWS = 100_000
_WORKERS = max(1, min(4, os.cpu_count() or 1))
_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(_WORKERS, thread_name_prefix="bgnbd")
    return _POOL


def log_likelihood(params: BgNbdParams, x: np.ndarray, t_x: np.ndarray, T: np.ndarray,
                   weights: np.ndarray | None = None) -> float:
    """Total log-likelihood of the data under ``params``."""
    ll, _ = _terms(np.log(params.as_array()), np.asarray(x, float), np.asarray(t_x, float),
                   np.asarray(T, float), False)
    return float(ll.sum() if weights is None else ll @ np.asarray(weights, float))


WARM_START_ROWS = 20_000


def _warm_start(x: np.ndarray, t_x: np.ndarray, T: np.ndarray,
                w: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Log-parameters and Hessian of a fit on a random sample of customers (fixed seed):
    the path for the full fit (see :mod:`crm_core.value.mle`), never its answer."""
    pick = np.random.default_rng(0).choice(x.size, WARM_START_ROWS, p=w / w.sum())
    rows, counts = np.unique(pick, return_counts=True)
    xs, ts, Ts, ws = x[rows], t_x[rows], T[rows], counts.astype(float)
    if not np.any(xs > 0):
        return None
    objective, n = _Objective(xs, ts, Ts, ws), ws.sum()

    def fun_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll, grad = objective(theta)
        return -ll / n, -grad / n

    opt = mle.minimise(fun_grad, np.zeros(4))
    if not opt.converged:
        return None
    return opt.theta, mle.hessian(fun_grad, opt.theta)


def fit_bgnbd(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, weights: np.ndarray | None = None,
              *, start: BgNbdParams | None = None) -> BgNbdFit:
    """Maximum-likelihood BG/NBD parameters. ``weights`` counts customers per row
    (use :func:`group_triples`); without it each row is one customer."""
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    w = np.ones_like(x) if weights is None else np.asarray(weights, float)
    n = float(w.sum())
    if n < 1 or x.size == 0:
        raise ModelFitError("no customers to fit", reason="no_customers", model="bgnbd")
    if np.any(x < 0) or np.any(t_x < 0) or np.any(T < t_x) or np.any((x == 0) & (t_x != 0)):
        raise ModelFitError("inconsistent summary: need x >= 0, 0 <= t_x <= T, t_x = 0 when x = 0",
                            reason="bad_summary", model="bgnbd")
    if not np.any(x > 0):
        raise ModelFitError("nobody made a repeat purchase", reason="no_repeaters", model="bgnbd")
    if not np.any(T > 0):
        raise ModelFitError("all customers were observed for zero time", reason="no_time", model="bgnbd")
    objective = _Objective(x, t_x, T, w)

    def fun_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll, grad = objective(theta)
        return -ll / n, -grad / n     # mean per customer: well scaled

    theta0, hess0 = (np.log(start.as_array()) if start else np.zeros(4)), None
    if start is None and x.size > 2 * WARM_START_ROWS:
        warm = _warm_start(x, t_x, T, w)
        if warm is not None:
            theta0, hess0 = warm
    est = mle.estimate(fun_grad, theta0, hess0, n, "bgnbd")
    return BgNbdFit(BgNbdParams(*est.params), BgNbdParams(*est.std_errors) if est.std_errors is not None else None,
                    est.log_likelihood, int(round(n)), int(x.size), est.evaluations, est.converged, est.message)


def _log_odds_dead(p: BgNbdParams, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    rep = x > 0
    bx = np.where(rep, p.b + x - 1, 1.0)
    return np.where(rep, np.log(p.a / bx) + (p.r + x) * (np.log(p.alpha + T) - np.log(p.alpha + t_x)), -np.inf)


def p_alive(p: BgNbdParams, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Probability that each customer is still alive at the end of calibration."""
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    return special.expit(-_log_odds_dead(p, x, t_x, T))


def expected_purchases(p: BgNbdParams, t: float | np.ndarray, x: np.ndarray, t_x: np.ndarray,
                       T: np.ndarray) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` time units (FHL eq. 10)."""
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    return expected_if_alive(p, t, x, T) * p_alive(p, x, t_x, T)


def expected_if_alive(p: BgNbdParams, t: float | np.ndarray, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """E[Y(t) | x, t_x, T] / P(alive): depends on (x, T) only, so callers can evaluate it
    once per distinct (x, T) and multiply by each customer's probability alive."""
    x, T = np.asarray(x, float), np.asarray(T, float)
    t = np.asarray(t, float)
    z = t / (p.alpha + T + t)
    hyp = special.hyp2f1(p.r + x, p.b + x, p.a + p.b + x - 1, z)
    first = (p.a + p.b + x - 1) / (p.a - 1)
    second = 1 - np.exp((p.r + x) * (np.log(p.alpha + T) - np.log(p.alpha + T + t))) * hyp
    return first * second


def expected_count_distribution(p: BgNbdParams, T: np.ndarray, weights: np.ndarray | None = None,
                                max_x: int = 7) -> np.ndarray:
    """Expected number of customers with 0, 1, ..., ``max_x``+ repeat purchases in their
    own calibration period T (FHL eq. 8, summed over customers); last cell is ``max_x``+."""
    T = np.asarray(T, float)
    w = np.ones_like(T) if weights is None else np.asarray(weights, float)
    gl = special.gammaln
    lbeta_ab = special.betaln(p.a, p.b)
    log_q = np.log(p.alpha / (p.alpha + T))
    log_s = np.log(np.where(T > 0, T / (p.alpha + T), 1.0))
    out = np.zeros(max_x + 1)
    tail = np.zeros_like(T)      # running sum of NBD terms j < x
    for k in range(max_x):
        nbd_k = np.exp(gl(p.r + k) - gl(p.r) - gl(k + 1) + p.r * log_q + k * log_s)
        nbd_k = np.where((T > 0) | (k == 0), nbd_k, 0.0)
        prob = np.exp(special.betaln(p.a, p.b + k) - lbeta_ab) * nbd_k
        if k > 0:
            prob = prob + np.exp(special.betaln(p.a + 1, p.b + k - 1) - lbeta_ab) * (1 - tail)
        tail = tail + nbd_k
        out[k] = prob @ w
    out[max_x] = w.sum() - out[:max_x].sum()
    return out
