"""Confidence intervals of proportions, ratios, Poisson counts and bootstrap draws.

Each interval is written once here; the tests of :mod:`~borderscape.analyses.stats.tests`
and the battery use them.

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
JASA 22, 209–212.
Clopper, C. J. & Pearson, E. S. (1934). The use of confidence or fiducial limits illustrated in
the case of the binomial. Biometrika 26, 404–413.
Garwood, F. (1936). Fiducial limits for the Poisson distribution. Biometrika 28, 437–442.
Newcombe, R. G. (1998). Interval estimation for the difference between independent proportions:
comparison of eleven methods. Statistics in Medicine 17, 873–890.
Katz, D., Baptista, J., Azen, S. P. & Pike, M. C. (1978). Obtaining confidence intervals for the
risk ratio in cohort studies. Biometrics 34, 469–474.
Efron, B. & Tibshirani, R. (1993). An Introduction to the Bootstrap, ch. 13 (percentile interval).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

__all__ = ["clopper_pearson", "garwood", "katz", "newcombe", "percentile_ci", "wilson"]


def _z(confidence: float) -> float:
    """The two-sided normal quantile ``z_{1 - a/2}`` of a ``confidence`` level."""
    return float(stats.norm.ppf(0.5 + confidence / 2))


def wilson(k: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of the proportion ``k / n`` (Wilson 1927).

    With ``p = k / n`` and ``z = z_{1 - a/2}``::

        centre = (p + z² / (2n)) / (1 + z² / n)
        half   = z sqrt(p (1 - p) / n + z² / (4 n²)) / (1 + z² / n)

    Parameters
    ----------
    k, n
        Events and trials (counts, n > 0).
    confidence
        Level of the interval.

    Returns
    -------
    (low, high)
        Bounds of the proportion.
    """
    z = _z(confidence)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def clopper_pearson(
    k: np.ndarray | float, n: np.ndarray | float, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Clopper–Pearson (exact binomial) interval of the proportion ``k / n``.

    ``low = B(a/2; k, n-k+1)``, ``high = B(1-a/2; k+1, n-k)`` with ``B`` the beta quantile
    and ``a = 1 - confidence`` (Clopper & Pearson 1934); ``low = 0`` when ``k = 0`` and
    ``high = 1`` when ``k = n``.

    Parameters
    ----------
    k, n
        Events and trials (counts; arrays or numbers).
    confidence
        Level of the interval.

    Returns
    -------
    tuple of numpy.ndarray
        Lower and upper bounds (proportions), of the shape of ``k``.
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    a = 1.0 - confidence
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(k > 0, stats.beta.ppf(a / 2, k, n - k + 1), 0.0)
        high = np.where(k < n, stats.beta.ppf(1 - a / 2, k + 1, n - k), 1.0)
    return low, high


def garwood(count: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood 1936) interval of a Poisson mean from one count ``D``.

    ``low = χ²(a/2; 2D) / 2`` (0 when D = 0), ``high = χ²(1 − a/2; 2D + 2) / 2``, with ``χ²(q; ν)``
    the chi-square quantile and ``a = 1 - confidence``.

    Parameters
    ----------
    count
        The observed count D (e.g. deaths over a period).
    confidence
        Level of the interval.

    Returns
    -------
    (low, high)
        Bounds of the Poisson mean (same unit as the count).
    """
    a = 1.0 - confidence
    lo = 0.0 if count == 0 else stats.chi2.ppf(a / 2.0, 2 * count) / 2.0
    return float(lo), float(stats.chi2.ppf(1.0 - a / 2.0, 2 * count + 2) / 2.0)


def percentile_ci(draws: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval (Efron & Tibshirani 1993, ch. 13).

    The ``a/2`` and ``1 − a/2`` quantiles (``numpy.quantile``, linear interpolation) of the
    finite bootstrap draws, ``a = 1 - confidence``; (NaN, NaN) when no draw is finite.

    Parameters
    ----------
    draws
        The statistic recomputed on each bootstrap resample (any unit).
    confidence
        Level of the interval.
    """
    draws = np.asarray(draws, dtype=np.float64)
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        return (float("nan"), float("nan"))
    q = (1.0 - confidence) / 2.0
    return (float(np.quantile(draws, q)), float(np.quantile(draws, 1.0 - q)))


def newcombe(k1: int, n1: int, k0: int, n0: int, confidence: float = 0.95) -> tuple[float, float]:
    """Newcombe's hybrid score interval of the difference of two shares ``k1/n1 - k0/n0``.

    Method 10 of Newcombe (1998), from the :func:`wilson` intervals ``(l1, u1)`` and ``(l0, u0)``
    of the two shares::

        low  = d - sqrt((p1 - l1)² + (u0 - p0)²)
        high = d + sqrt((u1 - p1)² + (p0 - l0)²)

    Parameters
    ----------
    k1, n1
        Events and total of the group (after).
    k0, n0
        Events and total of the reference (before).
    confidence
        Level of the interval.

    Returns
    -------
    (low, high)
        Bounds of the difference, in share units (−1 … 1).
    """
    p1, p0 = k1 / n1, k0 / n0
    l1, u1 = wilson(k1, n1, confidence)
    l0, u0 = wilson(k0, n0, confidence)
    d = p1 - p0
    return d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)


def katz(k1: float, n1: float, k0: float, n0: float, confidence: float = 0.95) -> tuple[float, float]:
    """Katz log interval of the risk ratio ``RR = (k1/n1) / (k0/n0)`` (Katz et al. 1978).

    ``exp(log RR ± z sqrt(1/k1 - 1/n1 + 1/k0 - 1/n0))``; needs at least one event in each group.

    Parameters
    ----------
    k1, n1
        Events and total of the group.
    k0, n0
        Events and total of the reference.
    confidence
        Level of the interval.
    """
    z = _z(confidence)
    rr = (k1 / n1) / (k0 / n0)
    se = math.sqrt(1 / k1 - 1 / n1 + 1 / k0 - 1 / n0)
    return rr * math.exp(-z * se), rr * math.exp(z * se)
