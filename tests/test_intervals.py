"""Intervals and two-proportion tests (analyses/stats/intervals.py, stats/tests.py) against statsmodels and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)
from statsmodels.stats.rates import confint_poisson

from borderscape.analyses.stats.intervals import (
    clopper_pearson,
    garwood,
    katz,
    newcombe,
    percentile_ci,
    wilson,
)
from borderscape.analyses.stats.tests import two_proportion_z_test

CASES = [(0, 10), (1, 10), (7, 30), (30, 100), (99, 100), (100, 100)]


@pytest.mark.parametrize("k,n", CASES)
def test_wilson_and_clopper_pearson_equal_statsmodels_and_scipy(k, n):
    np.testing.assert_allclose(wilson(k, n, 0.9), proportion_confint(k, n, alpha=0.1, method="wilson"), rtol=1e-12)
    low, high = clopper_pearson(k, n, 0.95)
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    np.testing.assert_allclose([float(low), float(high)], [ref.low, ref.high], rtol=1e-8, atol=1e-12)
    lows, highs = clopper_pearson(np.array([k, k]), np.array([n, n]))  # arrays too
    assert lows.shape == (2,) and lows[0] == low and highs[1] == high


@pytest.mark.parametrize("count", [0, 1, 12, 400])
def test_garwood_equals_statsmodels_exact_poisson(count):
    np.testing.assert_allclose(
        garwood(count, 0.95), confint_poisson(count, 1.0, method="exact-c", alpha=0.05), rtol=1e-10
    )


def test_newcombe_katz_and_the_z_test_equal_statsmodels():
    k1, n1, k0, n0 = 30, 100, 20, 110
    np.testing.assert_allclose(
        newcombe(k1, n1, k0, n0), confint_proportions_2indep(k1, n1, k0, n0, method="newcomb"), rtol=1e-10
    )
    np.testing.assert_allclose(
        katz(k1, n1, k0, n0), confint_proportions_2indep(k1, n1, k0, n0, compare="ratio", method="log"), rtol=1e-10
    )
    z, p = two_proportion_z_test(k1, n1, k0, n0)
    ref_z, ref_p = proportions_ztest([k1, k0], [n1, n0])
    assert z == pytest.approx(ref_z, rel=1e-12) and p == pytest.approx(ref_p, rel=1e-12)
    assert two_proportion_z_test(5, 5, 7, 7) == (0.0, 1.0)  # all events: no variance, no evidence


def test_percentile_ci_skips_non_finite_draws():
    draws = np.r_[np.arange(1001.0), np.nan, np.inf]
    assert percentile_ci(draws, 0.9) == pytest.approx((50.0, 950.0), rel=1e-12)
    assert all(np.isnan(percentile_ci(np.array([np.nan]))))
