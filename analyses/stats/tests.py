"""Tests: two proportions, Poisson-binomial counts, stratified ranks, permutations.

* :func:`two_proportion_z_test`, :func:`share_difference`, :func:`risk_ratio` — two shares;
* :func:`poisson_binomial_pmf`, :func:`poisson_binomial_p_value` — successes of independent
  trials with unequal probabilities (remains inside coverage against the covered share);
* :func:`stratified_rank_test` — van Elteren's stratified Wilcoxon–Mann–Whitney test;
* :func:`background_test` — one group of records against a background group, by permutation
  of locations between them (each record keeps its own column, e.g. its epoch);
* :func:`paired_tests` — paired differences: sign-flip test of the mean and the difference of
  least-squares slopes on a covariate.

References
----------
Chen, S. X. & Liu, J. S. (1997). Statistical applications of the Poisson-binomial and
conditional Bernoulli distributions. Statistica Sinica 7, 875–892.
van Elteren, P. H. (1960). On the combination of independent two-sample tests of Wilcoxon.
Bull. Int. Stat. Inst. 37, 351–361.
Good, P. (2005). Permutation, Parametric and Bootstrap Tests of Hypotheses, 3rd ed. Springer.
Efron, B. & Tibshirani, R. (1993). An Introduction to the Bootstrap. Chapman & Hall.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import stats

from borderscape.analyses.results import StatResult
from borderscape.analyses.stats.intervals import katz, newcombe, percentile_ci
from borderscape.analyses.stats.seeds import Seed, generator
from borderscape.geo.errors import InputError

__all__ = [
    "background_test",
    "paired_tests",
    "poisson_binomial_p_value",
    "poisson_binomial_pmf",
    "risk_ratio",
    "share_difference",
    "stratified_rank_test",
    "two_proportion_z_test",
]


# -- two shares ------------------------------------------------------------------------------


def two_proportion_z_test(k1: float, n1: float, k0: float, n0: float) -> tuple[float, float]:
    """Pooled two-proportion z-test of equal shares ``k1/n1`` and ``k0/n0``.

    ``z = (k1/n1 - k0/n0) / sqrt(p (1 - p) (1/n1 + 1/n0))`` with the pooled share
    ``p = (k1 + k0) / (n1 + n0)`` (z = 0 when the denominator is 0); two-sided
    ``p-value = 2 (1 - Phi(|z|))``.

    Returns
    -------
    (z, p)
    """
    d = k1 / n1 - k0 / n0
    pool = (k1 + k0) / (n1 + n0)
    se = math.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n0))
    z = d / se if se > 0 else 0.0
    return z, float(2 * stats.norm.sf(abs(z)))


def share_difference(k1: int, n1: int, k0: int, n0: int, confidence: float = 0.95) -> StatResult:
    """Difference of two shares ``k1/n1 - k0/n0`` with Newcombe's hybrid score interval
    (method 10, Newcombe 1998, from Wilson intervals: :func:`~borderscape.analyses.stats.intervals.newcombe`)
    and the pooled two-proportion z-test (:func:`two_proportion_z_test`).

    Parameters
    ----------
    k1, n1
        Events and total after (the group).
    k0, n0
        Events and total before (the reference).
    confidence
        Level of the interval.

    Returns
    -------
    StatResult
        Estimate in share units (−1 … 1).
    """
    zs, p = two_proportion_z_test(k1, n1, k0, n0)
    return StatResult(
        name="difference of shares",
        estimate=k1 / n1 - k0 / n0,
        ci=newcombe(k1, n1, k0, n0, confidence),
        p_value=p,
        n=n1 + n0,
        method="difference of proportions, Newcombe (1998) hybrid score CI, pooled two-proportion z-test",
        statistic=zs,
        parameters={"after": [k1, n1], "before": [k0, n0], "confidence": confidence},
    )


def risk_ratio(k1: int, n1: int, k0: int, n0: int, confidence: float = 0.95) -> StatResult:
    """Ratio of two shares ``(k1/n1) / (k0/n0)`` with the Katz log interval
    ``exp(log RR ± z sqrt(1/k1 - 1/n1 + 1/k0 - 1/n0))`` (Katz et al. 1978;
    :func:`~borderscape.analyses.stats.intervals.katz`) and the pooled two-proportion z-test of
    equal shares (:func:`two_proportion_z_test`).

    Parameters
    ----------
    k1, n1
        Events and total in the group.
    k0, n0
        Events and total in the reference group.
    confidence
        Level of the interval.

    Returns
    -------
    StatResult

    Raises
    ------
    InputError
        No event in a group (the log interval is undefined).
    """
    if k1 == 0 or k0 == 0:
        raise InputError(
            "a risk ratio needs at least one event in each group", remedy="merge sparse classes or widen the period"
        )
    zs, p = two_proportion_z_test(k1, n1, k0, n0)
    return StatResult(
        name="risk ratio",
        estimate=(k1 / n1) / (k0 / n0),
        ci=katz(k1, n1, k0, n0, confidence),
        p_value=p,
        n=n1 + n0,
        method="risk ratio with Katz log CI (Katz et al. 1978), pooled two-proportion z-test",
        statistic=float(zs),
        parameters={"group": [k1, n1], "reference": [k0, n0], "confidence": confidence},
    )


# -- the Poisson-binomial test -------------------------------------------------------------


def poisson_binomial_pmf(p: np.ndarray) -> np.ndarray:
    """Exact distribution of the number of successes of independent Bernoulli(pᵢ) trials.

    P(X = k) by the recursion over trials f_{i}(k) = f_{i−1}(k)(1 − pᵢ) + f_{i−1}(k − 1)pᵢ
    (Chen & Liu 1997, Statistica Sinica 7, 875–892), O(n²) operations.

    Parameters
    ----------
    p
        Success probabilities in [0, 1].

    Returns
    -------
    numpy.ndarray
        n + 1 probabilities P(X = 0) … P(X = n).
    """
    p = np.asarray(p, dtype=np.float64)
    pmf = np.zeros(p.size + 1)
    pmf[0] = 1.0
    for i, pi in enumerate(p):
        pmf[1 : i + 2] = pmf[1 : i + 2] * (1.0 - pi) + pmf[0 : i + 1] * pi
        pmf[0] *= 1.0 - pi
    return pmf


def poisson_binomial_p_value(observed: int, p: np.ndarray, *, alternative: str = "less") -> float:
    """p-value of ``observed`` successes under independent Bernoulli(pᵢ) trials.

    ``less``: P(X ≤ observed); ``greater``: P(X ≥ observed); ``two-sided``: the sum of
    P(X = k) over every k no more likely than ``observed`` (relative tolerance 1e-7), the
    rule of :func:`scipy.stats.binomtest`, to which it reduces when all pᵢ are equal.

    Parameters
    ----------
    observed
        Number of successes (e.g. remains inside coverage).
    p
        Success probability of each trial (e.g. the covered share at each record's date).
    alternative
        ``less``, ``greater`` or ``two-sided``.
    """
    pmf = poisson_binomial_pmf(p)
    k = int(observed)
    if alternative == "less":
        value = pmf[: k + 1].sum()
    elif alternative == "greater":
        value = pmf[k:].sum()
    elif alternative == "two-sided":
        value = pmf[pmf <= pmf[k] * (1.0 + 1e-7)].sum()
    else:
        raise ValueError(f"unknown alternative {alternative!r}")
    return float(min(1.0, value))


# -- ranks -------------------------------------------------------------------------------------


def stratified_rank_test(
    values: np.ndarray, after: np.ndarray, strata: np.ndarray | None = None
) -> tuple[float, float]:
    """Two-sided stratified Wilcoxon–Mann–Whitney test (van Elteren 1960) of after against before.

    Within stratum ``s`` (``n_s`` values, ``m_s`` after, ``n_s - m_s`` before) the rank sum
    ``W_s`` of the after-values has ``E_s = m_s (n_s + 1) / 2`` and the tie-corrected variance
    ``V_s = m_s (n_s - m_s) / 12 * ((n_s + 1) - sum_t (t^3 - t) / (n_s (n_s - 1)))`` (``t``
    the sizes of tied groups).  With weights ``1 / (n_s + 1)`` (van Elteren's locally most
    powerful weights)::

        z = sum_s (W_s - E_s) / (n_s + 1) / sqrt(sum_s V_s / (n_s + 1)^2),   p = 2 * (1 - Phi(|z|)).

    One stratum gives the Mann–Whitney U test (normal approximation, no continuity
    correction).  Strata without values on both sides add nothing.  z > 0: after-values are
    larger.

    Parameters
    ----------
    values
        One value per record (any unit).
    after
        Boolean, True for records from the split date.
    strata
        Integer stratum per record (e.g. the border segment); None for one stratum.

    Returns
    -------
    (z, p)
        The standard normal statistic and its two-sided p-value (NaN, NaN when no stratum
        has values on both sides or all values tie).

    References
    ----------
    van Elteren, P. H. (1960). On the combination of independent two-sample tests of
    Wilcoxon. Bull. Int. Stat. Inst. 37, 351–361.
    """
    values = np.asarray(values, dtype=np.float64)
    after = np.asarray(after, dtype=bool)
    strata = np.zeros(values.size, dtype=np.int64) if strata is None else np.asarray(strata)
    num = var = 0.0
    for s in np.unique(strata):
        inside = strata == s
        x, g = values[inside], after[inside]
        n, m = x.size, int(g.sum())
        if m == 0 or m == n:
            continue
        _, ties = np.unique(x, return_counts=True)
        v = m * (n - m) / 12.0 * ((n + 1) - float(np.sum(ties.astype(np.float64) ** 3 - ties)) / (n * (n - 1)))
        num += (float(stats.rankdata(x)[g].sum()) - m * (n + 1) / 2.0) / (n + 1)
        var += v / (n + 1) ** 2
    if not var > 0:
        return math.nan, math.nan
    z = num / math.sqrt(var)
    return z, float(2.0 * stats.norm.sf(abs(z)))


# -- permutation tests ---------------------------------------------------------------------------


def background_test(
    values: np.ndarray,
    pre: np.ndarray,
    post_col: np.ndarray,
    *,
    permutations: int,
    bootstrap: int,
    confidence: float,
    seed: Seed,
    alternative: str,
    effect: Callable[[float, float, int], float],
) -> tuple[float, float, tuple[float, float], float]:
    """Records after an event against background records before it, by permutation of locations.

    ``values``: (records, columns) value of every record's location under every column (e.g.
    the coverage flags of each epoch); ``pre``: the background rows; ``post_col``: the column
    of each other row, in order.  O = Σ of the other rows' values in their own column; E = Σ
    over those rows of the background mean of their column.  The p-value permutes the
    locations between background and other rows ``permutations`` times, keeping every row's
    column (exact under exchangeability of locations over time; Good 2005, ch. 3):
    ``less`` counts permuted O − E ≤ observed, ``greater`` ≥, and
    ``p = (1 + count) / (permutations + 1)``.  The CI is the percentile bootstrap
    (:func:`~borderscape.analyses.stats.intervals.percentile_ci`, ``bootstrap`` resamples) of
    ``effect(O, E, n)``, resampling both groups separately (Efron & Tibshirani 1993, ch. 13).

    Parameters
    ----------
    values, pre, post_col
        As above.
    permutations, bootstrap
        Numbers of permutations and bootstrap resamples.
    confidence
        Level of the interval.
    seed
        Integer or generator (:func:`~borderscape.analyses.stats.seeds.generator`); the
        permutations are drawn first, then the resamples.
    alternative
        ``less`` or ``greater``.
    effect
        ``effect(O, E, n_other)``: the effect size reported (e.g. O/E − 1).

    Returns
    -------
    tuple
        O, E, CI, p-value.
    """
    rng = generator(seed, what="the background permutation test")
    post_rows = np.flatnonzero(~pre)
    pre_rows = np.flatnonzero(pre)
    cols = np.asarray(post_col)

    def o_e(pre_idx: np.ndarray, post_idx: np.ndarray, post_cols: np.ndarray) -> tuple[float, float]:
        return float(values[post_idx, post_cols].sum()), float(values[pre_idx].mean(axis=0)[post_cols].sum())

    o, e = o_e(pre_rows, post_rows, cols)
    n0, pool = pre_rows.size, np.concatenate([pre_rows, post_rows])
    perm = np.empty(permutations)
    for b in range(permutations):
        shuffled = rng.permutation(pool)  # locations move between records; each record keeps its column
        po, pe = o_e(shuffled[:n0], shuffled[n0:], cols)
        perm[b] = po - pe
    tol = 1e-9 * max(1.0, abs(o - e))
    hits = perm <= (o - e) + tol if alternative == "less" else perm >= (o - e) - tol
    p_value = float((1 + np.count_nonzero(hits)) / (permutations + 1))
    boots = np.empty(bootstrap)
    for b in range(bootstrap):
        j = rng.integers(0, post_rows.size, post_rows.size)  # a record keeps its location and column
        bo, be = o_e(rng.choice(pre_rows, n0), post_rows[j], cols[j])
        boots[b] = effect(bo, be, post_rows.size)
    return o, e, percentile_ci(boots, confidence), p_value


def paired_tests(
    a: np.ndarray, b: np.ndarray, x: np.ndarray, *, permutations: int, bootstrap: int, confidence: float, seed: Seed
) -> dict[str, Any]:
    """Paired differences ``d = b − a``: the mean, and the difference of least-squares slopes on ``x``.

    * mean: ``d̄``; p-value by a sign-flip permutation test (``permutations`` random sign
      vectors, two-sided, ``p = (1 + #{|d̄*| ≥ |d̄|}) / (permutations + 1)``; Good 2005); CI:
      percentile bootstrap over pairs (``bootstrap`` resamples).
    * slopes: ordinary least-squares slopes of ``a`` and of ``b`` on ``x``, ``β = Σ (x − x̄)(y − ȳ)
      / Σ (x − x̄)²``; the estimate ``β_b − β_a``; p-value by swapping ``a`` and ``b`` within each
      pair at random (probability ½); CI: percentile bootstrap over pairs, on the same resamples
      as the mean.

    Parameters
    ----------
    a, b
        The paired values (e.g. the energy of the unconstrained and of the avoiding route, kJ).
    x
        The covariate of each pair (e.g. the straight-line distance, km).
    permutations, bootstrap
        Numbers of permutations and of bootstrap resamples.
    confidence
        Level of the intervals.
    seed
        Integer or generator; draws in order: the signs, the resamples, the swaps.

    Returns
    -------
    dict
        ``mean``, ``ci_mean``, ``p_mean``, ``slope_free`` (of ``a``), ``slope_avoid`` (of
        ``b``), ``slope_diff``, ``ci_slope``, ``p_slope``.
    """
    rng = generator(seed, what="the paired tests")
    delta = b - a
    m = delta.size
    signs = rng.choice(np.array([-1.0, 1.0]), size=(permutations, m))
    perm_means = (signs * delta).mean(axis=1)
    p_mean = float((1 + np.count_nonzero(np.abs(perm_means) >= abs(delta.mean()) - 1e-12)) / (permutations + 1))
    boot_idx = rng.integers(0, m, size=(bootstrap, m))
    ci_mean = percentile_ci(delta[boot_idx].mean(axis=1), confidence)

    def slope_diff(x_: np.ndarray, f: np.ndarray, g: np.ndarray) -> float:
        xc_ = x_ - x_.mean()
        sxx_ = float((xc_ * xc_).sum())
        return (
            float((xc_ * (g - g.mean())).sum() / sxx_ - (xc_ * (f - f.mean())).sum() / sxx_)
            if sxx_ > 0
            else float("nan")
        )

    xc = x - x.mean()
    sxx = float((xc * xc).sum())
    slope_a = float((xc * (a - a.mean())).sum() / sxx) if sxx > 0 else float("nan")
    slope_b = float((xc * (b - b.mean())).sum() / sxx) if sxx > 0 else float("nan")
    diff = slope_diff(x, a, b)
    swap = rng.random((permutations, m)) < 0.5
    perm_diffs = np.array([slope_diff(x, np.where(s, b, a), np.where(s, a, b)) for s in swap])
    p_slope = float((1 + np.count_nonzero(np.abs(perm_diffs) >= abs(diff) - 1e-12)) / (permutations + 1))
    boot_slopes = np.array([slope_diff(x[i], a[i], b[i]) for i in boot_idx])
    return dict(
        mean=float(delta.mean()),
        ci_mean=ci_mean,
        p_mean=p_mean,
        slope_free=slope_a,
        slope_avoid=slope_b,
        slope_diff=diff,
        ci_slope=percentile_ci(boot_slopes, confidence),
        p_slope=p_slope,
    )
