"""Customer lifetime value from the store: BG/NBD + Gamma-Gamma, scoring and holdout check.

Conventions (also in the README and the app's help):
- a *purchase* is a day with purchases (several on one day count once, returns netted);
- frequency ``x`` = repeat purchases (purchase days after the first one), ``t_x`` = time
  from the first to the last purchase, ``T`` = time from the first purchase to the end
  of the calibration period, all in the chosen unit (day or week = 7 days);
- Gamma-Gamma uses the average net value of the repeat purchases, for customers with at
  least one repeat;
- CLV over a horizon = sum over monthly steps of expected purchases in the step x
  (expected value per purchase x margin - cost to serve per purchase), discounted at the
  annual rate to the end of each step. Margin is the data's gross margin
  (gross profit / revenue in calibration) unless set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd

from crm_core.errors import InvalidParameterError, ModelFitError
from crm_core.filters import Filters
from crm_core.store.arrow_frames import index_in, take_or
from crm_core.store.connection import Store
from crm_core.value.bgnbd import (
    BgNbdFit,
    expected_count_distribution,
    expected_if_alive,
    expected_purchases,
    fit_bgnbd,
    p_alive,
)
from crm_core.value.costs import margin_basis
from crm_core.value.gamma_gamma import GammaGammaFit, expected_average_value, fit_gamma_gamma

__all__ = ["TimeUnit", "UNIT_DAYS", "MONTH_DAYS", "Groups", "ClvModel", "ClvResult", "Holdout", "clv_summary",
           "fit_models", "score", "holdout_report", "calibration_fit", "frequency_recency_matrix", "run_clv", "to_json",
           "MIN_CUSTOMERS", "FREQUENCY_GROUPS"]

TimeUnit = Literal["day", "week"]
UNIT_DAYS: dict[str, float] = {"day": 1.0, "week": 7.0}
MIN_CUSTOMERS = 20
FREQUENCY_GROUPS = 7          # holdout table: x = 0..6 and 7+
MONTH_DAYS = 365.25 / 12


def _unit(time_unit: str) -> float:
    if time_unit not in UNIT_DAYS:
        raise InvalidParameterError("time unit must be day or week", name="time_unit", value=time_unit)
    return UNIT_DAYS[time_unit]


def clv_summary(store: Store, calibration_end: date, *, holdout_end: date | None = None,
                filters: Filters = Filters(), time_unit: TimeUnit = "week") -> pd.DataFrame:
    """One row per customer who bought by ``calibration_end``: x, t_x, T (in ``time_unit``),
    the average repeat value ``m``, calibration revenue and profit, and holdout purchases."""
    days = _unit(time_unit)
    if holdout_end is not None and holdout_end <= calibration_end:
        raise InvalidParameterError("the holdout must end after the calibration period",
                                    name="holdout_end", value=holdout_end)
    df = store.query("clv_summary", {"calibration_end": calibration_end, "holdout_end": holdout_end,
                                     **filters.params()}, filtered=filters.active)
    x = df["x"].to_numpy(float)
    df["t_x"] = df["t_x_days"].to_numpy(float) / days   # the day counts stay: exact keys for grouping
    df["T"] = df["T_days"].to_numpy(float) / days
    with np.errstate(divide="ignore", invalid="ignore"):
        df["m"] = np.where(x > 0, df["repeat_revenue"].to_numpy(float) / np.maximum(x, 1), np.nan)
    if holdout_end is not None:
        df["holdout_days"] = df["holdout_days"].fillna(0).astype("int64")
    return df


@dataclass(frozen=True)
class ClvModel:
    time_unit: str
    calibration_end: date
    bgnbd: BgNbdFit
    gamma_gamma: GammaGammaFit | None
    gamma_gamma_error: ModelFitError | None
    margin: float
    margin_from_data: bool
    warnings: tuple[str, ...] = ()


def _first_rows(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First row of each distinct key and each row's group id (hash-based, O(rows))."""
    codes, uniques = pd.factorize(key, sort=False)
    first = np.empty(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)   # reverse order: the first row wins
    return first, codes


def _codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.int64), len(uniques)


@dataclass(frozen=True)
class Groups:
    """Customers with identical histories, computed once per summary: (x, t_x, T) groups
    for the likelihood and probability alive, (x, T) groups for expected purchases."""

    first: np.ndarray        # first row of each (x, t_x, T) group
    inverse: np.ndarray      # each row's (x, t_x, T) group
    first_xT: np.ndarray
    inverse_xT: np.ndarray

    @classmethod
    def of(cls, summary: pd.DataFrame) -> Groups:
        if {"t_x_days", "T_days"} <= set(summary.columns) and len(summary):
            x = summary["x"].to_numpy(np.int64)
            t, T = summary["t_x_days"].to_numpy(np.int64), summary["T_days"].to_numpy(np.int64)
            span = int(T.max()) + 1
            if float(x.max() + 1) * span * span < 2.0 ** 62:     # integer keys, no coding pass needed
                xT = x * span + T
                return cls(*_first_rows(xT * span + t), *_first_rows(xT))
        x, t_x, T = (summary[c].to_numpy(float) for c in ("x", "t_x", "T"))
        (cx, _), (ct, nt), (cT, nT) = _codes(x), _codes(t_x), _codes(T)
        xT = cx * nT + cT             # < customers * distinct T: no overflow
        return cls(*_first_rows(xT * nt + ct), *_first_rows(xT))


def fit_models(summary: pd.DataFrame, *, time_unit: str, calibration_end: date,
               margin: float | None = None, groups: Groups | None = None) -> ClvModel:
    """Fit BG/NBD (required) and Gamma-Gamma (optional: its failure is reported, not raised)."""
    n = len(summary)
    if n < MIN_CUSTOMERS:
        raise ModelFitError(f"only {n} customers bought by the calibration end (need {MIN_CUSTOMERS})",
                            reason="too_few_customers", model="bgnbd", count=n, minimum=MIN_CUSTOMERS)
    x, t_x, T = (summary[c].to_numpy(float) for c in ("x", "t_x", "T"))
    g = groups or Groups.of(summary)
    first, weights = g.first, np.bincount(g.inverse).astype(float)
    bg = fit_bgnbd(x[first], t_x[first], T[first], weights)
    warnings: list[str] = []
    if not bg.converged:
        warnings.append("bgnbd_not_converged")
    gg, gg_error = None, None
    try:
        gg = fit_gamma_gamma(x, summary["m"].to_numpy(float))
        if not gg.converged:
            warnings.append("gamma_gamma_not_converged")
    except ModelFitError as exc:
        gg_error = exc
        warnings.append("gamma_gamma_failed")
    from_data = margin is None
    if margin is None:
        revenue = float(summary["revenue"].sum())
        margin = float(summary["gross_profit"].sum()) / revenue if revenue > 0 else 0.0
    if not -1.0 <= margin <= 1.0:
        raise InvalidParameterError("margin must be between -1 and 1", name="margin", value=margin)
    return ClvModel(time_unit, calibration_end, bg, gg, gg_error, float(margin), from_data, tuple(warnings))


def score(model: ClvModel, summary: pd.DataFrame, *, horizon: float, annual_discount: float = 0.10,
          cost_per_purchase: np.ndarray | None = None, groups: Groups | None = None) -> pd.DataFrame:
    """Per customer: probability alive, expected purchases over ``horizon`` (in the model's
    time unit), expected value per purchase, gross CLV, expected cost to serve, net CLV.

    Expected purchases are computed on distinct (x, T) and (x, t_x, T) groups only, so
    scoring a million customers costs what their distinct histories cost.
    """
    if not horizon > 0:
        raise InvalidParameterError("horizon must be positive", name="horizon", value=horizon)
    if not 0 <= annual_discount < 1:
        raise InvalidParameterError("discount rate must be in [0, 1)", name="annual_discount", value=annual_discount)
    p = model.bgnbd.params
    x, t_x, T = (summary[c].to_numpy(float) for c in ("x", "t_x", "T"))
    g = groups or Groups.of(summary)
    alive = p_alive(p, x[g.first], t_x[g.first], T[g.first])[g.inverse]
    first2, inverse2 = g.first_xT, g.inverse_xT      # E[Y(t)] / P(alive) needs (x, T) only
    gx, gT = x[first2], T[first2]
    unit_days = UNIT_DAYS[model.time_unit]
    step = MONTH_DAYS / unit_days
    edges = np.append(np.arange(step, horizon, step), horizon)
    prev = np.zeros_like(gx)
    discounted = np.zeros_like(gx)
    for t in edges:
        cum = expected_if_alive(p, t, gx, gT)
        discounted += (cum - prev) / (1 + annual_discount) ** (t * unit_days / 365.25)
        prev = cum
    disc = discounted[inverse2] * alive
    if model.gamma_gamma is not None and model.gamma_gamma.params.q > 1:
        value = expected_average_value(model.gamma_gamma.params, x, summary["m"].to_numpy(float))
    else:   # no spend model: each customer's own average purchase value
        value = summary["revenue"].to_numpy(float) / np.maximum(x + 1, 1)
    clv_gross = disc * value * model.margin
    cost = np.zeros_like(x) if cost_per_purchase is None else np.asarray(cost_per_purchase, float)
    expected_cost = disc * cost
    # One frame made from its columns; the ids keep their array (through numpy, a million
    # ids became Python strings and were encoded again: 0.25 s).
    return pd.DataFrame({"customer_id": summary["customer_id"].array, "p_alive": alive,
                         "expected_purchases": prev[inverse2] * alive, "expected_value": value, "clv_gross": clv_gross,
                         "expected_cost": expected_cost, "clv": clv_gross - expected_cost,
                         **{c: summary[c].to_numpy() for c in ("x", "t_x", "T")}}, copy=False)


@dataclass(frozen=True)
class Holdout:
    calibration_end: date
    holdout_end: date
    length: float                    # in the model's time unit
    customers: int
    actual: float                    # total purchases in the holdout
    predicted: float
    mae: float                       # per customer
    rmse: float
    by_frequency: pd.DataFrame       # x group, customers, actual mean, predicted mean


def holdout_report(model: ClvModel, summary: pd.DataFrame, holdout_end: date,
                   groups: Groups | None = None) -> Holdout:
    """Predicted vs actual purchases in (calibration_end, holdout_end], overall and by x."""
    length = (holdout_end - model.calibration_end).days / UNIT_DAYS[model.time_unit]
    x, t_x, T = (summary[c].to_numpy(float) for c in ("x", "t_x", "T"))
    g = groups or Groups.of(summary)
    pred = expected_purchases(model.bgnbd.params, length, x[g.first], t_x[g.first], T[g.first])[g.inverse]
    actual = summary["holdout_days"].to_numpy(float)
    err = pred - actual
    grp = np.minimum(x, FREQUENCY_GROUPS).astype(int)
    counts = np.bincount(grp, minlength=FREQUENCY_GROUPS + 1)
    with np.errstate(invalid="ignore"):
        table = pd.DataFrame({
            "frequency": [str(i) for i in range(FREQUENCY_GROUPS)] + [f"{FREQUENCY_GROUPS}+"],
            "customers": counts,
            "actual": np.bincount(grp, actual, FREQUENCY_GROUPS + 1) / counts,
            "predicted": np.bincount(grp, pred, FREQUENCY_GROUPS + 1) / counts,
        })
    table = table[table["customers"] > 0].reset_index(drop=True)
    return Holdout(model.calibration_end, holdout_end, length, len(x), float(actual.sum()), float(pred.sum()),
                   float(np.abs(err).mean()), float(np.sqrt((err ** 2).mean())), table)


def calibration_fit(model: ClvModel, summary: pd.DataFrame, max_x: int = FREQUENCY_GROUPS) -> pd.DataFrame:
    """Actual vs model-expected number of customers with 0..max_x+ repeat purchases."""
    x, T = summary["x"].to_numpy(float), summary["T"].to_numpy(float)
    uniq, inverse = np.unique(T, return_inverse=True)
    expected = expected_count_distribution(model.bgnbd.params, uniq, np.bincount(inverse.ravel()), max_x)
    actual = np.bincount(np.minimum(x, max_x).astype(int), minlength=max_x + 1)
    return pd.DataFrame({"frequency": [str(i) for i in range(max_x)] + [f"{max_x}+"],
                         "actual": actual, "expected": expected})


def frequency_recency_matrix(model: ClvModel, T: float, *, horizon: float, max_x: int = 30,
                             steps: int = 40) -> dict[str, pd.DataFrame]:
    """Model surfaces for a customer observed for ``T``: expected purchases over ``horizon``
    and probability alive, by frequency (rows 0..``max_x``) and recency t_x (``steps``
    columns from 0 to T). Zero repeats means recency 0: those cells are the first row."""
    p = model.bgnbd.params
    xs = np.arange(max_x + 1, dtype=float)
    ts = np.linspace(0.0, T, steps)
    gx, gt = np.meshgrid(xs, ts, indexing="ij")
    gt = np.where(gx == 0, 0.0, gt)
    gT = np.full_like(gx, T)
    alive = p_alive(p, gx.ravel(), gt.ravel(), gT.ravel()).reshape(gx.shape)
    expected = expected_purchases(p, horizon, gx.ravel(), gt.ravel(), gT.ravel()).reshape(gx.shape)
    cols = np.round(ts, 2)
    return {"expected_purchases": pd.DataFrame(expected, index=xs.astype(int), columns=cols),
            "p_alive": pd.DataFrame(alive, index=xs.astype(int), columns=cols)}


@dataclass(frozen=True)
class ClvResult:
    model: ClvModel
    scores: pd.DataFrame
    calibration: pd.DataFrame
    holdout: Holdout | None = None
    settings: dict[str, Any] = field(default_factory=dict)


def run_clv(store: Store, calibration_end: date, *, holdout_end: date | None = None, filters: Filters = Filters(),
            time_unit: TimeUnit = "week", horizon: float | None = None, annual_discount: float = 0.10,
            margin: float | None = None, cost_per_purchase: pd.Series | None = None) -> ClvResult:
    """Everything the CLV page and CLI show: fit at ``calibration_end``, score each customer
    over ``horizon`` (default: one year in ``time_unit``), and check the holdout if given.
    ``cost_per_purchase`` (by customer_id) is the expected cost to serve per purchase."""
    summary = clv_summary(store, calibration_end, holdout_end=holdout_end, filters=filters, time_unit=time_unit)
    horizon = horizon if horizon is not None else 365.25 / UNIT_DAYS[time_unit]
    groups = Groups.of(summary) if len(summary) else None
    model = fit_models(summary, time_unit=time_unit, calibration_end=calibration_end, margin=margin, groups=groups)
    cost = None
    if cost_per_purchase is not None:
        cost = take_or(cost_per_purchase, index_in(summary["customer_id"], cost_per_purchase.index), 0.0)
    scores = score(model, summary, horizon=horizon, annual_discount=annual_discount, cost_per_purchase=cost,
                   groups=groups)
    hold = holdout_report(model, summary, holdout_end, groups) if holdout_end is not None else None
    basis = margin_basis(store, calibration_end)
    settings = {"calibration_end": calibration_end, "holdout_end": holdout_end, "time_unit": time_unit,
                "horizon": horizon, "annual_discount": annual_discount, "margin": model.margin,
                "margin_source": basis.source if model.margin_from_data else "set",
                "cost_share": basis.cost_share}
    return ClvResult(model, scores, calibration_fit(model, summary), hold, settings)


def to_json(result: ClvResult) -> dict[str, Any]:
    """The CLI's ``clv --json`` document."""
    m = result.model
    bg = m.bgnbd.params
    doc: dict[str, Any] = {
        "customers": m.bgnbd.customers,
        "time_unit": m.time_unit,
        "calibration_end": m.calibration_end.isoformat(),
        "bgnbd": {"r": bg.r, "alpha": bg.alpha, "a": bg.a, "b": bg.b, "log_likelihood": m.bgnbd.log_likelihood,
                  "converged": m.bgnbd.converged},
        "gamma_gamma": None,
        "margin": m.margin,
        "margin_source": result.settings["margin_source"],
        "cost_share": result.settings["cost_share"],
        "horizon": result.settings["horizon"],
        "expected_purchases": float(result.scores["expected_purchases"].sum()),
        "clv_total": float(result.scores["clv"].sum()),      # net of the expected cost to serve
        "clv_gross_total": float(result.scores["clv_gross"].sum()),
        "expected_cost_total": float(result.scores["expected_cost"].sum()),
        "warnings": list(m.warnings),
    }
    if m.gamma_gamma is not None:
        gg = m.gamma_gamma
        doc["gamma_gamma"] = {"p": gg.params.p, "q": gg.params.q, "v": gg.params.v, "customers": gg.customers,
                              "log_likelihood": gg.log_likelihood, "converged": gg.converged}
    elif m.gamma_gamma_error is not None:
        doc["gamma_gamma_error"] = str(m.gamma_gamma_error)
    h = result.holdout
    doc["holdout"] = None if h is None else {
        "holdout_end": h.holdout_end.isoformat(), "length": h.length, "customers": h.customers,
        "actual": h.actual, "predicted": h.predicted, "mae": h.mae, "rmse": h.rmse,
        "by_frequency": h.by_frequency.to_dict("records")}
    return doc
