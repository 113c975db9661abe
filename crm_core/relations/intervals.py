"""95% intervals for the comparisons the relationship pages make: a rate, the difference of
two rates, the difference of two means; vectorised over groups.

- :func:`wilson`: the Wilson score interval of a proportion k/n (good coverage at small
  rates and small n, never outside 0..1; Wald's p +- z*se is not);
- :func:`newcombe`: the difference of two independent proportions, Newcombe's hybrid score
  interval (method 10 of Newcombe 1998, Statistics in Medicine 17:873), built from the two
  Wilson intervals;
- :func:`mean_diff`: the difference of two means for a randomised hold-out, with the
  pooled-variance (Student t) interval. Spending is heavy-tailed, and a small control group
  seldom draws one of the rare big spenders, so its own variance understates the uncertainty
  of its mean: Welch's interval, which trusts each group's own variance, covered the truth
  in 87% of simulated worlds (zero-inflated log-normal spend, 90 held out of 1,000) where
  this one covers 94.5% (``tests/test_intervals.py``). Under random assignment both groups
  share the spread of the population; a campaign that widens the contacted group's spread
  only makes the interval wider.

Missing inputs (n = 0, fewer than two values per group) give NaN bounds, never a made-up
interval.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["Z95", "wilson", "newcombe", "mean_diff"]

Z95 = float(stats.norm.ppf(0.975))


def wilson(k: np.ndarray | float, n: np.ndarray | float, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of the Wilson score interval of ``k`` successes in ``n``."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo, hi = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    bad = ~(n > 0)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def newcombe(k1: np.ndarray | float, n1: np.ndarray | float, k0: np.ndarray | float, n0: np.ndarray | float,
             z: float = Z95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p1 - p0 and its interval (Newcombe's hybrid score method)."""
    k1, n1, k0, n0 = (np.asarray(a, float) for a in (k1, n1, k0, n0))
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p0 = k1 / n1, k0 / n0
    l1, u1 = wilson(k1, n1, z)
    l0, u0 = wilson(k0, n0, z)
    d = p1 - p0
    lo = d - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    hi = d + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    return d, lo, hi


def mean_diff(m1: np.ndarray | float, v1: np.ndarray | float, n1: np.ndarray | float,
              m0: np.ndarray | float, v0: np.ndarray | float, n0: np.ndarray | float,
              level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """m1 - m0 and its pooled-variance interval, from each group's mean, sample variance
    (ddof 1) and size."""
    m1, v1, n1, m0, v0, n0 = (np.asarray(a, float) for a in (m1, v1, n1, m0, v0, n0))
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = ((n1 - 1) * v1 + (n0 - 1) * v0) / (n1 + n0 - 2)
        se = np.sqrt(pooled * (1 / n1 + 1 / n0))
    t = stats.t.ppf(0.5 + level / 2, np.maximum(n1 + n0 - 2, 1))
    d = m1 - m0
    bad = ~((n1 >= 2) & (n0 >= 2))
    return d, np.where(bad, np.nan, d - t * se), np.where(bad, np.nan, d + t * se)
