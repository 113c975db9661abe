"""Propensity-score matching: a logistic model of who joins, nearest neighbours on its logit.

Small, dependency-free pieces used by the loyalty analysis:
- :func:`fit_logit` fits a weighted logistic regression by iteratively reweighted least
  squares (Newton's method; a tiny ridge keeps separable data finite);
- :func:`nearest` finds, for every treated unit, its ``k`` nearest controls on a 1-D
  score within a caliper (with replacement), by sorting once and looking at the ``k``
  neighbours on each side of the insertion point;
- :func:`standardized_difference` is the balance measure reported before and after
  matching (difference of means over the pooled pre-matching standard deviation).
"""

from __future__ import annotations

import numpy as np

from crm_core.errors import ModelFitError

__all__ = ["fit_logit", "nearest", "standardized_difference"]


def fit_logit(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None, *, ridge: float = 1e-4,
              max_iter: int = 50, tol: float = 1e-8) -> np.ndarray:
    """Coefficients of P(y = 1 | x) = 1 / (1 + exp(-x @ beta)); ``x`` includes the intercept
    column. ``weights`` are case weights (e.g. inverse sampling fractions)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    if len(y) == 0 or y.min() == y.max():
        raise ModelFitError("need both members and non-members to model who joins", reason="one_class")
    beta = np.zeros(x.shape[1])
    penalty = ridge * w.sum() * np.eye(x.shape[1])
    penalty[0, 0] = 0.0
    for _ in range(max_iter):
        eta = np.clip(x @ beta, -30, 30)
        p = 1.0 / (1.0 + np.exp(-eta))
        grad = x.T @ (w * (y - p)) - penalty @ beta
        hess = (x * (w * p * (1 - p))[:, None]).T @ x + penalty
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.max(np.abs(step)) < tol:
            break
    return beta


def nearest(control: np.ndarray, treated: np.ndarray, k: int, caliper: float) -> tuple[np.ndarray, np.ndarray]:
    """For each treated score, indices of its ``k`` nearest control scores with
    |difference| <= ``caliper`` (-1 where fewer exist) and their weights (1 / matches,
    0 for -1). Ties are broken by position in the sorted controls (deterministic)."""
    control = np.asarray(control, dtype=np.float64)
    treated = np.asarray(treated, dtype=np.float64)
    n, nc = len(treated), len(control)
    if nc == 0 or n == 0:
        return np.full((n, k), -1, dtype=np.int64), np.zeros((n, k))
    order = np.argsort(control, kind="stable")
    s = control[order]
    pos = np.searchsorted(s, treated)
    cand = pos[:, None] + np.arange(-k, k)[None, :]
    valid = (cand >= 0) & (cand < nc)
    cand_c = np.clip(cand, 0, nc - 1)
    dist = np.where(valid, np.abs(s[cand_c] - treated[:, None]), np.inf)
    kk = min(k, cand.shape[1])
    best = np.argsort(dist, axis=1, kind="stable")[:, :kk]
    d_best = np.take_along_axis(dist, best, axis=1)
    idx = order[np.take_along_axis(cand_c, best, axis=1)]
    ok = d_best <= caliper
    idx = np.where(ok, idx, -1)
    counts = ok.sum(axis=1, keepdims=True)
    weights = np.where(ok, 1.0 / np.maximum(counts, 1), 0.0)
    return idx, weights


def standardized_difference(treated: np.ndarray, control: np.ndarray, control_weights: np.ndarray | None,
                            sd: float) -> float:
    """(mean treated - weighted mean control) / ``sd``; ``sd`` is the pooled standard
    deviation before matching, so before and after are on the same scale."""
    if len(treated) == 0 or len(control) == 0:
        return float("nan")
    w = np.ones(len(control)) if control_weights is None else control_weights
    if w.sum() <= 0:
        return float("nan")
    diff = float(np.mean(treated) - np.average(control, weights=w))
    return diff / sd if sd > 0 else 0.0
