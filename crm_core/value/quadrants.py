"""Profitability quadrants: where each customer stands today, and today against tomorrow.

Quadrant A (today): gross profit in the window against cost to serve in the window.
    high profit, low cost  -> most_profitable      high profit, high cost -> costly_to_serve
    low profit,  low cost  -> profitable           low profit,  high cost -> least_profitable
Quadrant B (today and tomorrow): current net profit (gross profit - cost to serve) against
future profit (CLV net of cost to serve over the horizon).
    high now, high future -> best     low now, high future -> invest
    high now, low future  -> keep     low now, low future  -> worst
"High" means at or above the split line: the median (default), the mean, or a value.
Selections made on a chart (a box or a lasso) are applied here to every customer, not
only to the points drawn, so a sampled or aggregated chart still selects exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd

from crm_core.errors import InvalidParameterError, ModelFitError
from crm_core.filters import Filters
from crm_core.periods import period_start
from crm_core.store.arrow_frames import index_in, take_or
from crm_core.store.connection import Store
from crm_core.value import clv as clv_model
from crm_core.value.costs import COST_COMPONENTS, CostAssumptions, cost_per_purchase

__all__ = ["QUADRANTS_A", "QUADRANTS_B", "AXES", "Split", "quadrant_frame", "with_clv", "window_cost_per_purchase",
           "score_with_costs", "ValueFrame", "value_frame", "report", "split_value", "varies", "classify",
           "quadrant_summary", "brushed_regions", "select_region", "density", "slog", "slog_inverse"]

QUADRANTS_A: tuple[str, ...] = ("most_profitable", "costly_to_serve", "profitable", "least_profitable")
QUADRANTS_B: tuple[str, ...] = ("best", "keep", "invest", "worst")
# Which columns each chart plots (x, y): the only identifiers that reach pandas or SQL.
AXES: dict[str, tuple[str, str]] = {"a": ("cost_to_serve", "gross_profit"), "b": ("net_profit", "clv")}
FRAME_COLUMNS = ("customer_id", "region", "channel", "customer_type", "revenue", "gross_profit", "purchases",
                 "cost_to_serve", "net_profit")


@dataclass(frozen=True)
class Split:
    method: Literal["median", "mean", "value"] = "median"
    value: float | None = None

    def __post_init__(self) -> None:
        if self.method not in ("median", "mean", "value"):
            raise InvalidParameterError("split must be median, mean or value", name="split", value=self.method)
        if self.method == "value" and (self.value is None or not np.isfinite(self.value)):
            raise InvalidParameterError("a split by value needs a number", name="split_value", value=self.value)


def quadrant_frame(store: Store, as_of: date, period_days: int, filters: Filters = Filters(),
                   assumptions: CostAssumptions = CostAssumptions()) -> pd.DataFrame:
    """One row per customer who bought in the window or cost something in it: revenue,
    gross profit and purchase days in the window, cost to serve, and net profit."""
    if not isinstance(period_days, int) or not 1 <= period_days <= 3660:
        raise InvalidParameterError("period_days must be between 1 and 3660", name="period_days", value=period_days)
    start = period_start(as_of, period_days)
    # The window's activity and the cost to serve (see cost_to_serve) joined in one statement.
    df = store.query("quadrant_frame", {"start": start, "as_of": as_of, "end": as_of, **assumptions.params(),
                                        "components": [c for c in COST_COMPONENTS if c in assumptions.include],
                                        **filters.params()}, filtered=filters.active)
    df["net_profit"] = df["gross_profit"] - df["cost_to_serve"]
    return df


def with_clv(df: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """``df`` plus each customer's ``clv`` and ``p_alive`` from CLV ``scores`` (customers
    who had not bought by the calibration end have no prediction: CLV 0, p_alive NaN)."""
    rows = index_in(df["customer_id"], scores["customer_id"])   # a left join by id (ids unique in scores)
    out = df.reset_index(drop=True)   # a copy, indexed as merge's result is
    clv = take_or(scores["clv"].to_numpy(float, na_value=np.nan), rows, 0.0)
    out["clv"] = np.where(np.isnan(clv), 0.0, clv)
    out["p_alive"] = take_or(scores["p_alive"].to_numpy(float, na_value=np.nan), rows, np.nan)
    return out


@dataclass(frozen=True)
class ValueFrame:
    frame: pd.DataFrame                        # quadrant_frame + clv, p_alive (NaN without a model)
    result: clv_model.ClvResult | None
    error: ModelFitError | None                # why the CLV models could not be fitted


def window_cost_per_purchase(frame: pd.DataFrame) -> pd.Series:
    """Each customer's cost to serve per purchase in the window of a :func:`quadrant_frame`
    (indexed by customer id): what net CLV charges for every purchase the model expects."""
    return cost_per_purchase(frame[["customer_id", "cost_to_serve"]], frame.set_index("customer_id")["purchases"])


def score_with_costs(frame: pd.DataFrame, summary: pd.DataFrame, model: clv_model.ClvModel, *, horizon: float,
                     annual_discount: float = 0.10,
                     groups: clv_model.Groups | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """CLV scores net of each customer's cost to serve per purchase in the window, and
    ``frame`` with them attached (``with_clv``)."""
    per_purchase = window_cost_per_purchase(frame)
    cost = take_or(per_purchase, index_in(summary["customer_id"], per_purchase.index), 0.0)
    scores = clv_model.score(model, summary, horizon=horizon, annual_discount=annual_discount,
                             cost_per_purchase=cost, groups=groups)
    return with_clv(frame, scores), scores


def value_frame(store: Store, as_of: date, period_days: int, filters: Filters = Filters(),
                assumptions: CostAssumptions = CostAssumptions(), *, time_unit: clv_model.TimeUnit = "week",
                horizon: float | None = None, annual_discount: float = 0.10,
                margin: float | None = None) -> ValueFrame:
    """Both quadrant charts' data: window profit and cost to serve per customer, and CLV
    from models fitted on everything up to ``as_of``, net of each customer's cost to
    serve per purchase in the window."""
    frame = quadrant_frame(store, as_of, period_days, filters, assumptions)
    summary = clv_model.clv_summary(store, as_of, filters=filters, time_unit=time_unit)
    groups = clv_model.Groups.of(summary) if len(summary) else None
    try:
        model = clv_model.fit_models(summary, time_unit=time_unit, calibration_end=as_of, margin=margin,
                                     groups=groups)
    except ModelFitError as err:
        return ValueFrame(frame.assign(clv=np.nan, p_alive=np.nan), None, err)
    horizon = horizon if horizon is not None else 365.25 / clv_model.UNIT_DAYS[time_unit]
    framed, scores = score_with_costs(frame, summary, model, horizon=horizon, annual_discount=annual_discount,
                                      groups=groups)
    result = clv_model.ClvResult(model, scores, clv_model.calibration_fit(model, summary),
                                 settings={"horizon": horizon, "annual_discount": annual_discount})
    return ValueFrame(framed, result, None)


def report(store: Store, as_of: date, period_days: int = 365, filters: Filters = Filters(),
           assumptions: CostAssumptions = CostAssumptions(), **clv_settings: object) -> dict:
    """The CLI's ``quadrants --json`` document: both charts' split values and quadrant totals."""
    vf = value_frame(store, as_of, period_days, filters, assumptions, **clv_settings)  # type: ignore[arg-type]
    doc: dict = {"as_of": as_of.isoformat(), "period_days": period_days, "customers": len(vf.frame)}
    for chart in ("a", "b"):
        if chart == "b" and vf.error is not None:
            doc["b"] = {"error": str(vf.error)}
            continue
        q, xs, ys = classify(vf.frame, chart)  # type: ignore[arg-type]
        summary = quadrant_summary(vf.frame, q, chart)  # type: ignore[arg-type]
        doc[chart] = {"x": AXES[chart][0], "y": AXES[chart][1], "x_split": xs, "y_split": ys,
                      "x_varies": varies(vf.frame[AXES[chart][0]]), "y_varies": varies(vf.frame[AXES[chart][1]]),
                      "quadrants": summary.replace({np.nan: None}).to_dict("records")}
    return doc


def split_value(values: pd.Series, split: Split) -> float:
    """Where the split line sits for these values."""
    if split.method == "value":
        return float(split.value)  # type: ignore[arg-type]
    if values.empty:
        return 0.0
    return float(values.median() if split.method == "median" else values.mean())


def varies(values: pd.Series) -> bool:
    """Whether the customers differ on this measure at all (to the cent)."""
    v = values.to_numpy(dtype=np.float64, na_value=np.nan)
    v = np.round(v[np.isfinite(v)], 2)
    return len(v) > 0 and float(v.max()) > float(v.min())


def classify(df: pd.DataFrame, chart: Literal["a", "b"], x_split: Split = Split(),
             y_split: Split = Split()) -> tuple[pd.Series, float, float]:
    """Each customer's quadrant on ``chart``, and the x and y split values used."""
    if chart not in AXES:
        raise InvalidParameterError("unknown quadrant chart", name="chart", value=chart)
    xcol, ycol = AXES[chart]
    xs, ys = split_value(df[xcol], x_split), split_value(df[ycol], y_split)
    high_x, high_y = df[xcol].to_numpy() >= xs, df[ycol].to_numpy() >= ys
    # An axis on which every customer has the same value separates no one: nobody is "high"
    # on it (without this, a file with no cost data put everyone in "costly to serve").
    if not varies(df[xcol]):
        high_x = np.zeros(len(df), dtype=bool)
    if not varies(df[ycol]):
        high_y = np.zeros(len(df), dtype=bool)
    # Codes into the names by (high y, high x): a categorical, not a million strings.
    if chart == "a":   # x = cost (high is bad), y = profit
        names = ["profitable", "least_profitable", "most_profitable", "costly_to_serve"]
    else:              # x = profit now, y = profit in the future
        names = ["worst", "keep", "invest", "best"]
    codes = high_y.astype(np.int8) * 2 + high_x.astype(np.int8)
    return pd.Series(pd.Categorical.from_codes(codes, names), index=df.index, name="quadrant"), xs, ys


def quadrant_summary(df: pd.DataFrame, quadrant: pd.Series, chart: Literal["a", "b"]) -> pd.DataFrame:
    """Per quadrant: customers, revenue, gross profit, cost to serve, net profit, CLV,
    and shares of customers and of gross profit. Every quadrant appears, even if empty."""
    order = QUADRANTS_A if chart == "a" else QUADRANTS_B
    cols = ["revenue", "gross_profit", "cost_to_serve", "net_profit"] + (["clv"] if "clv" in df else [])
    names = pd.Categorical(quadrant, categories=list(order))      # codes, whatever came in
    g = df[cols].groupby(names, observed=False).sum()
    g.index = list(order)
    g.insert(0, "customers", np.bincount(names.codes[names.codes >= 0], minlength=len(order)))
    total_cust = max(int(g["customers"].sum()), 1)
    total_gp = float(g["gross_profit"].sum())
    g["customer_share"] = g["customers"] / total_cust
    g["profit_share"] = g["gross_profit"] / total_gp if total_gp else np.nan
    return g.rename_axis("quadrant").reset_index()


def _in_polygon(x: np.ndarray, y: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Even-odd ray casting: which points (x, y) fall inside the polygon (px, py)."""
    inside = np.zeros(x.shape, bool)
    j = len(px) - 1
    for i in range(len(px)):
        xi, yi, xj, yj = px[i], py[i], px[j], py[j]
        crosses = (yi > y) != (yj > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = (xj - xi) * (y - yi) / (yj - yi) + xi
        inside ^= crosses & (x < at)
        j = i
    return inside


def brushed_regions(selection: Mapping[str, Any] | None) -> tuple[list[dict], list[dict]]:
    """The boxes and lassos of a chart's brush selection (ECharts ``areas``: a ``rect``'s
    ``coord_range`` is ``[[x0, x1], [y0, y1]]``, a ``polygon``'s ``[[x, y], ...]``), in the
    chart's coordinates, for :func:`select_region`. Anything else in the payload (other brush
    types, malformed or non-finite ranges) is left out."""
    boxes: list[dict] = []
    lassos: list[dict] = []
    for area in (selection or {}).get("areas") or []:
        try:
            coords = np.asarray(area.get("coord_range"), float)
        except (TypeError, ValueError, AttributeError):
            continue
        if not np.isfinite(coords).all():
            continue
        if area.get("brush_type") == "rect" and coords.shape == (2, 2):
            boxes.append({"x": list(coords[0]), "y": list(coords[1])})
        elif area.get("brush_type") == "polygon" and coords.ndim == 2 and coords.shape[1] == 2 and len(coords) >= 3:
            lassos.append({"x": list(coords[:, 0]), "y": list(coords[:, 1])})
    return boxes, lassos


def select_region(df: pd.DataFrame, chart: Literal["a", "b"], *, boxes: list[dict] | None = None,
                  lassos: list[dict] | None = None, rate: float = 1.0, log: bool = False) -> np.ndarray:
    """Mask of customers inside any selected box (``{"x": [x0, x1], "y": [y0, y1]}``) or
    lasso (``{"x": [...], "y": [...]}``), given in the coordinates of ``chart`` as drawn: amounts
    in the display currency (``rate`` per base unit), on the signed log scale when ``log``.
    Customers are placed the same way, so a lasso's straight edges are straight where they
    were drawn (its corners alone, taken back to amounts, would bend them)."""
    xcol, ycol = AXES[chart]
    x, y = df[xcol].to_numpy(float) * rate, df[ycol].to_numpy(float) * rate
    if log:
        x, y = slog(x), slog(y)
    mask = np.zeros(len(df), bool)
    for box in boxes or []:
        (x0, x1), (y0, y1) = sorted(map(float, box["x"][:2])), sorted(map(float, box["y"][:2]))
        mask |= (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    for lasso in lassos or []:
        px, py = np.asarray(lasso["x"], float), np.asarray(lasso["y"], float)
        if len(px) >= 3 and len(px) == len(py):
            mask |= _in_polygon(x, y, px, py)
    return mask


def slog(values: np.ndarray | float) -> np.ndarray:
    """Signed log scale for axes with zero and negative values: asinh(v) / ln 10, which is
    ~log10(2|v|) with v's sign for |v| >= 10 and ~linear near zero."""
    return np.arcsinh(np.asarray(values, float)) / np.log(10)


def slog_inverse(values: np.ndarray | list[float] | float) -> np.ndarray:
    """Back from :func:`slog` coordinates (e.g. a selection drawn on a log chart) to values."""
    return np.sinh(np.asarray(values, float) * np.log(10))


def density(x: np.ndarray, y: np.ndarray, bins: int = 80,
            extent: tuple[float, float, float, float] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point counts on a ``bins`` x ``bins`` grid spanning ``extent`` (x0, x1, y0, y1; by
    default the 0.5..99.5 percentiles of x and y): bin centres x, y and counts[y, x], for
    charts with too many points to draw."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.size == 0:
        return np.array([]), np.array([]), np.zeros((0, 0))
    if extent is None:
        lo_x, hi_x = np.nanpercentile(x, [0.5, 99.5])
        lo_y, hi_y = np.nanpercentile(y, [0.5, 99.5])
    else:
        lo_x, hi_x, lo_y, hi_y = (float(e) for e in extent)
    # np.histogram2d's bins, by arithmetic instead of a search of the edges (a million points
    # in 20 ms, not 150): the right edge belongs to the last bin, points outside are left out.
    ex = np.linspace(lo_x, hi_x if hi_x > lo_x else lo_x + 1, bins + 1)
    ey = np.linspace(lo_y, hi_y if hi_y > lo_y else lo_y + 1, bins + 1)
    inside = (x >= ex[0]) & (x <= ex[-1]) & (y >= ey[0]) & (y <= ey[-1])
    ix, iy = _bin(x[inside], ex), _bin(y[inside], ey)
    counts = np.bincount(iy * bins + ix, minlength=bins * bins).reshape(bins, bins).astype(float)
    return (ex[:-1] + ex[1:]) / 2, (ey[:-1] + ey[1:]) / 2, counts


def _bin(v: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin of each value (all within the edges) as numpy's histogram puts it: the arithmetic
    guess, moved by one where rounding put a value on the wrong side of an edge."""
    n = len(edges) - 1
    i = np.clip(((v - edges[0]) * (n / (edges[-1] - edges[0]))).astype(np.int64), 0, n - 1)
    i -= (v < edges[i]) & (i > 0)
    i += (v >= edges[np.minimum(i + 1, n)]) & (i < n - 1)
    return i
