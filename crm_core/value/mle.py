"""Maximum-likelihood helpers shared by the CLV models: minimise a mean negative
log-likelihood with an analytic gradient, fast on large data, and standard errors.

Large data sets are fitted in two stages. A sample of customers is fitted first (cheap),
and the Hessian there, which estimates the full data's curvature, drives Newton steps
on the full likelihood; each step costs one evaluation and the error shrinks by the
sample's relative error per step, so a handful of evaluations reach the full optimum.
If that does not converge, L-BFGS-B takes over from the best point found. Either way the
answer is the maximum of the *full* likelihood; the sample only chooses the path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from crm_core.errors import ModelFitError

__all__ = ["FunGrad", "Optimum", "Estimate", "minimise", "estimate", "hessian", "std_errors", "STEP_TOL", "FLAT_GRAD", "settled"]

FunGrad = Callable[[np.ndarray], tuple[float, np.ndarray]]
STEP_TOL = 1e-7          # Newton: stop when no log-parameter moves more than this (relative 1e-7)
FLAT_GRAD = 1e-6         # mean log-likelihood gradient at which a stalled line search counts as converged
BOUND = 12.0             # log-parameters stay within +-BOUND (6e-6 .. 1.6e5)


@dataclass(frozen=True)
class Optimum:
    theta: np.ndarray
    fun: float
    evaluations: int
    converged: bool
    message: str
    grad: np.ndarray | None = None     # the gradient at theta, when the optimiser has it


def hessian(fun_grad: FunGrad, theta: np.ndarray, step: float = 1e-5,
            g0: np.ndarray | None = None) -> np.ndarray:
    """Forward differences of the analytic gradient (one evaluation per parameter)."""
    n = theta.size
    g0 = fun_grad(theta)[1] if g0 is None else g0
    hess = np.empty((n, n))
    for i in range(n):
        e = np.zeros(n)
        e[i] = step
        hess[i] = (fun_grad(theta + e)[1] - g0) / step
    return (hess + hess.T) / 2


def std_errors(hess_total: np.ndarray, theta: np.ndarray) -> np.ndarray | None:
    """Standard errors of exp(theta) from the Hessian of the *total* negative
    log-likelihood in log-parameters (delta method); None when it is not invertible."""
    try:
        var = np.diag(np.linalg.inv(hess_total))
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(var)) or np.any(var <= 0):
        return None
    return np.exp(theta) * np.sqrt(var)


def _newton(fun_grad: FunGrad, theta: np.ndarray, hess0: np.ndarray,
            max_steps: int = 25) -> tuple[np.ndarray, float, np.ndarray, int, bool]:
    """Newton steps with a fixed Hessian and step halving; (theta, f, grad, evals, converged)."""
    f, g = fun_grad(theta)
    evals = 1
    for _ in range(max_steps):
        step = np.linalg.solve(hess0, g)
        scale = 1.0
        while True:
            cand = np.clip(theta - scale * step, -BOUND, BOUND)
            fc, gc = fun_grad(cand)
            evals += 1
            if np.isfinite(fc) and fc <= f + 1e-12 * abs(f):
                break
            scale /= 2
            if scale < 1e-3:
                return theta, f, g, evals, False
        moved = float(np.max(np.abs(cand - theta)))
        theta, f, g = cand, fc, gc
        if moved < STEP_TOL:
            return theta, f, g, evals, True
    return theta, f, g, evals, False


def minimise(fun_grad: FunGrad, theta0: np.ndarray, hess0: np.ndarray | None = None) -> Optimum:
    """Minimise ``fun_grad`` (value and gradient) over log-parameters within +-BOUND."""
    evals = 0
    if hess0 is not None and np.all(np.isfinite(hess0)) and np.all(np.linalg.eigvalsh(hess0) > 0):
        theta, f, g, evals, ok = _newton(fun_grad, np.asarray(theta0, float), hess0)
        if ok:
            return Optimum(theta, f, evals, True, "Newton steps converged", g)
        theta0 = theta
    res = optimize.minimize(fun_grad, theta0, jac=True, method="L-BFGS-B", bounds=[(-BOUND, BOUND)] * len(theta0),
                            options={"maxiter": 500, "ftol": 1e-13, "gtol": 1e-8})
    grad = np.asarray(res.jac) if getattr(res, "jac", None) is not None else None
    ok, message = settled(bool(res.success), str(res.message), grad)
    return Optimum(np.asarray(res.x), float(res.fun), evals + int(res.nfev), ok, message, grad)


def settled(success: bool, message: str, grad: np.ndarray | None) -> tuple[bool, str]:
    """L-BFGS-B's verdict, except that a line search that cannot improve (``ABNORMAL``) at a
    gradient below :data:`FLAT_GRAD` is the optimum reached to machine precision, not a failure:
    on CDNOW the same fit ended either way depending on the last bits of the summed inputs
    (gradient 2.2e-8 against L-BFGS-B's 1e-8)."""
    if not success and message.startswith("ABNORMAL") and grad is not None and np.all(np.isfinite(grad)) \
            and float(np.max(np.abs(grad))) <= FLAT_GRAD:
        return True, "converged: gradient below tolerance, no further improvement possible"
    return success, message


@dataclass(frozen=True)
class Estimate:
    params: np.ndarray                 # exp(theta)
    std_errors: np.ndarray | None
    log_likelihood: float              # total over all customers
    evaluations: int
    converged: bool                    # the optimiser converged and no parameter sits at a bound
    message: str


def estimate(fun_grad: FunGrad, theta0: np.ndarray, hess0: np.ndarray | None, n: float, model: str) -> Estimate:
    """:func:`minimise` a mean negative log-likelihood over ``n`` customers, then standard
    errors; a likelihood that cannot be evaluated raises :class:`ModelFitError`."""
    opt = minimise(fun_grad, theta0, hess0)
    theta = opt.theta
    if not np.all(np.isfinite(theta)) or not np.isfinite(opt.fun):
        raise ModelFitError("the likelihood could not be evaluated", reason="not_finite", model=model)
    at_bound = bool(np.any(np.abs(theta) >= BOUND - 0.01))
    se = std_errors(hessian(fun_grad, theta, g0=opt.grad) * n, theta)
    return Estimate(np.exp(theta), se, -opt.fun * n, opt.evaluations, opt.converged and not at_bound,
                    "parameters at the search bound" if at_bound else opt.message)
