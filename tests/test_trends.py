"""Trends and comparisons: agreement with scipy/statsmodels and planted effects."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from borderscape.analyses.results import StatResult
from borderscape.analyses.stats import trends as tr
from borderscape.geo.errors import InputError


def test_mann_kendall_equals_scipy_kendalltau_with_ties():
    rng = np.random.default_rng(0)
    y = rng.poisson(4, 50).astype(float) + 0.05 * np.arange(50)  # ties in y
    res = tr.mann_kendall(y, continuity=False)
    ref = stats.kendalltau(np.arange(50), y, method="asymptotic")
    assert res.parameters["tau_b"] == pytest.approx(ref.statistic, rel=1e-12)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    # ties in time as well (e.g. several records per year)
    t = rng.integers(2000, 2020, 50)
    y2 = rng.poisson(4, 50).astype(float)
    res2 = tr.mann_kendall(y2, t, continuity=False)
    ref2 = stats.kendalltau(t, y2, method="asymptotic")
    assert res2.parameters["tau_b"] == pytest.approx(ref2.statistic, rel=1e-12)
    assert res2.p_value == pytest.approx(ref2.pvalue, rel=1e-10)
    assert isinstance(res, StatResult) and res.n == 50


def test_mann_kendall_closed_form_on_a_monotone_series():
    res = tr.mann_kendall([1.0, 2.0, 3.0, 4.0, 5.0])
    assert res.parameters["S"] == 10
    assert res.parameters["var_S"] == pytest.approx(5 * 4 * 15 / 18)
    assert res.statistic == pytest.approx(9 / math.sqrt(5 * 4 * 15 / 18))
    assert res.p_value == pytest.approx(2 * stats.norm.sf(9 / math.sqrt(50 / 3)))
    assert res.estimate == 1.0


def test_theil_sen_and_sen_ci_equal_scipy_theilslopes():
    rng = np.random.default_rng(1)
    x = np.sort(rng.uniform(0, 30, 40))
    y = np.round(2 + 0.4 * x + rng.normal(0, 3, 40))  # rounded: ties in y
    res = tr.mann_kendall(y, x, confidence=0.9)
    ref = stats.theilslopes(y, x, 0.9)
    assert res.estimate == pytest.approx(ref.slope, rel=1e-12)
    assert res.parameters["intercept"] == pytest.approx(ref.intercept, rel=1e-12)
    assert res.ci == pytest.approx((ref.low_slope, ref.high_slope), rel=1e-12)


def test_planted_trend_is_recovered_and_dates_give_per_year_slopes():
    rng = np.random.default_rng(2)
    dates = pd.date_range("2000-01-01", periods=120, freq="MS")
    years = (dates - dates[0]).days.to_numpy() / 365.25
    y = 20 + 1.5 * years + rng.normal(0, 2, 120)  # +1.5 deaths per month per year
    res = tr.mann_kendall(y, dates)
    assert res.parameters["time_unit"] == "year"
    assert res.ci[0] < 1.5 < res.ci[1]
    assert res.p_value < 1e-10


def test_yue_wang_correction():
    rng = np.random.default_rng(3)
    n = 200
    ar = np.zeros(n)
    for i in range(1, n):
        ar[i] = 0.8 * ar[i - 1] + rng.normal()
    plain = tr.mann_kendall(ar)
    corrected = tr.mann_kendall(ar, autocorrelation="yue-wang")
    assert corrected.parameters["correction_factor"] > 3  # positive autocorrelation
    assert corrected.p_value > plain.p_value
    assert corrected.estimate == plain.estimate
    assert corrected.parameters["S"] == plain.parameters["S"]
    # closed form: 1 + 2 sum (1 - k/n) r^k with r the bias-corrected lag-1 autocorrelation
    d = ar - plain.estimate * np.arange(n)
    d = d - d.mean()
    r = (n * np.sum(d[:-1] * d[1:]) / np.sum(d * d) + 1) / (n - 4)
    k = np.arange(1, n)
    factor = 1 + 2 * np.sum((1 - k / n) * r**k)
    assert corrected.parameters["correction_factor"] == pytest.approx(factor, rel=1e-12)
    z = (plain.parameters["S"] - np.sign(plain.parameters["S"])) / math.sqrt(plain.parameters["var_S"] * factor)
    assert corrected.statistic == pytest.approx(z, rel=1e-12)
    # an alternating series (negative autocorrelation) is never made more significant
    alt = np.r_[np.tile([0.0, 1.0], 20)] + 0.01 * np.arange(40)
    assert tr.mann_kendall(alt, autocorrelation="yue-wang").parameters["correction_factor"] == 1.0


def _ar1(rng, n, rho, trend=0.0):
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = rho * e[i - 1] + rng.normal()
    return e + trend * np.arange(n)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_hamed_rao_equals_pymannkendall(seed):
    mk = pytest.importorskip("pymannkendall")
    rng = np.random.default_rng(seed)
    y = _ar1(rng, 60, 0.7, trend=0.02 * seed)
    ref = mk.hamed_rao_modification_test(y)
    res = tr.mann_kendall(y, autocorrelation="hamed-rao")
    plain = mk.original_test(y)
    assert ref.var_s > plain.var_s  # positive autocorrelation: the factor is above 1, where both agree
    assert res.parameters["S"] == ref.s
    assert res.parameters["var_S"] * res.parameters["correction_factor"] == pytest.approx(ref.var_s, rel=1e-10)
    assert res.statistic == pytest.approx(ref.z, rel=1e-10)
    assert res.p_value == pytest.approx(ref.p, rel=1e-8, abs=1e-14)
    assert res.estimate == pytest.approx(ref.slope, rel=1e-12)
    assert "Hamed & Rao (1998)" in res.method


def test_hamed_rao_with_yearly_time_and_floor():
    mk = pytest.importorskip("pymannkendall")
    rng = np.random.default_rng(11)
    y = _ar1(rng, 30, 0.8)
    # a time axis in years (equal steps) detrends the same way as pymannkendall's index
    res = tr.mann_kendall(y, np.arange(1995, 2025), autocorrelation="hamed-rao")
    assert res.statistic == pytest.approx(mk.hamed_rao_modification_test(y).z, rel=1e-10)
    # a negatively autocorrelated series: pymannkendall deflates the variance, we never do
    alt = np.tile([0.0, 3.0], 20) + 0.05 * np.arange(40) + 0.1 * rng.normal(size=40)
    ref = mk.hamed_rao_modification_test(alt)
    assert ref.var_s < mk.original_test(alt).var_s
    got = tr.mann_kendall(alt, autocorrelation="hamed-rao")
    assert got.parameters["correction_factor"] == 1.0
    assert got.p_value == pytest.approx(tr.mann_kendall(alt).p_value)


def test_uncorrected_variance_against_pymannkendall():
    """S, Var S and the plain p-value equal pymannkendall's original test.  (Its Yue–Wang test sums
    the empirical autocorrelations of every lag, which add up to about -1/2 for any centred series,
    so its factor is below 1 even for AR(1) rho = 0.6; ours is the AR(1) form checked above.)"""
    mk = pytest.importorskip("pymannkendall")
    rng = np.random.default_rng(5)
    y = _ar1(rng, 150, 0.6)
    plain = tr.mann_kendall(y)
    ref = mk.original_test(y)
    assert plain.parameters["S"] == ref.s and plain.parameters["var_S"] == pytest.approx(ref.var_s)
    assert plain.p_value == pytest.approx(ref.p, rel=1e-10)
    assert tr.mann_kendall(y, autocorrelation="yue-wang").parameters["correction_factor"] > 2


def _its_frame(rng, n=72, t0=36, level=8.0, slope_change=-0.2):
    t = np.arange(n, dtype=float)
    post = (t >= t0).astype(float)
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = 0.4 * e[i - 1] + rng.normal(0, 2)
    y = 30 + 0.1 * t + level * post + slope_change * (t - t0) * post + e
    return pd.DataFrame({"t": t, "post": post, "t_post": (t - t0) * post, "y": y})


def test_its_equals_statsmodels_formula_with_hac():
    rng = np.random.default_rng(4)
    df = _its_frame(rng)
    res = tr.interrupted_time_series(df["t"], df["y"], 36, maxlags=3, bootstrap=0)
    ref = smf.ols("y ~ t + post + t_post", df).fit(cov_type="HAC", cov_kwds={"maxlags": 3})
    ci = ref.conf_int()
    for rec, name in ((res.level_change, "post"), (res.slope_change, "t_post"), (res.pre_slope, "t")):
        assert rec.estimate == pytest.approx(ref.params[name], rel=1e-10)
        assert rec.parameters["se"] == pytest.approx(ref.bse[name], rel=1e-10)
        assert rec.p_value == pytest.approx(ref.pvalues[name], rel=1e-8)
        assert rec.ci == pytest.approx((ci.loc[name, 0], ci.loc[name, 1]), rel=1e-10)
    default = tr.interrupted_time_series(df["t"], df["y"], 36, bootstrap=0)
    assert default.maxlags == math.floor(4 * (72 / 100) ** (2 / 9))
    # the vectorised Newey-West standard error used by the bootstrap equals statsmodels'
    x = np.column_stack([np.ones(72), df["t"], df["post"], df["t_post"]])
    resid = df["y"].to_numpy() - x @ ref.params.to_numpy()
    se = tr._hac_se(np.linalg.pinv(x)[2], resid[:, None], 3)
    assert se[0] == pytest.approx(ref.bse["post"], rel=1e-10)


def test_its_sieve_bootstrap_is_seeded_and_keeps_the_hac_estimate():
    rng = np.random.default_rng(6)
    df = _its_frame(rng)
    a = tr.interrupted_time_series(df["t"], df["y"], 36, bootstrap=199, seed=5)
    b = tr.interrupted_time_series(df["t"], df["y"], 36, bootstrap=199, seed=5)
    plain = tr.interrupted_time_series(df["t"], df["y"], 36, bootstrap=0)
    assert a == b
    assert a.level_change.estimate == plain.level_change.estimate
    assert a.level_change.parameters["se"] == plain.level_change.parameters["se"]
    assert a.level_change.p_value == pytest.approx(1 / 200)  # planted level change 8
    assert a.level_change.parameters["critical_value"] > 1.5
    lo, hi = a.level_change.ci
    assert lo < 8.0 < hi
    with pytest.raises(InputError, match="seed"):  # never unseeded
        tr.interrupted_time_series(df["t"], df["y"], 36, bootstrap=199)
    with pytest.raises(InputError, match="seed"):
        tr.compare_samples(df["y"][:36], df["y"][36:], permutations=9, resamples=9)


def test_its_recovers_planted_level_change_with_dates():
    rng = np.random.default_rng(5)
    df = _its_frame(rng, n=96, t0=48, level=10.0, slope_change=0.0)
    dates = pd.date_range("2010-01-01", periods=96, freq="MS")
    res = tr.interrupted_time_series(dates, df["y"], dates[48], bootstrap=299, seed=1)
    assert res.level_change.ci[0] < 10.0 < res.level_change.ci[1]
    assert res.level_change.p_value == pytest.approx(1 / 300)  # the smallest possible
    assert res.slope_change.parameters["time_unit"] == "year"
    with pytest.raises(InputError):
        tr.interrupted_time_series(dates, df["y"], "2030-01-01")


def test_bootstrap_ci_equals_scipy_bootstrap_and_is_seeded():
    rng = np.random.default_rng(6)
    a = rng.exponential(10.0, 80)
    b = rng.exponential(14.0, 60)
    for method in ("bca", "percentile"):
        res = tr.compare_samples(a, b, statistic="median", permutations=499, resamples=1999, ci_method=method, seed=7)
        boot_rng = np.random.default_rng(7).spawn(2)[1]
        ref = stats.bootstrap(
            (a, b),
            lambda x, y, axis: np.median(x, axis=axis) - np.median(y, axis=axis),
            n_resamples=1999,
            method="BCa" if method == "bca" else "percentile",
            rng=boot_rng,
            vectorized=True,
        )
        assert res.difference.ci == pytest.approx(
            (ref.confidence_interval.low, ref.confidence_interval.high), rel=1e-12
        )
    again = tr.compare_samples(a, b, statistic="median", permutations=499, resamples=1999, seed=7)
    assert again == tr.compare_samples(a, b, statistic="median", permutations=499, resamples=1999, seed=7)


def test_permutation_p_matches_scipy_exact_permutation_test():
    a = np.array([3.1, 4.5, 2.2, 6.0, 5.5, 4.9, 7.2])
    b = np.array([1.0, 2.5, 3.3, 2.0, 4.1, 1.7])
    ref = stats.permutation_test(
        (a, b),
        lambda x, y, axis: np.mean(x, axis=axis) - np.mean(y, axis=axis),
        permutation_type="independent",
        n_resamples=np.inf,
        vectorized=True,
    )
    res = tr.compare_samples(a, b, statistic="mean", permutations=20000, resamples=999, seed=1)
    assert res.difference.p_value == pytest.approx(ref.pvalue, abs=0.004)
    assert res.difference.estimate == pytest.approx(a.mean() - b.mean())


def test_cliffs_delta_equals_mann_whitney():
    rng = np.random.default_rng(8)
    a = rng.integers(0, 10, 40).astype(float)  # ties
    b = rng.integers(2, 12, 35).astype(float)
    res = tr.compare_samples(a, b, statistic="median", permutations=99, resamples=499, seed=2)
    mw = stats.mannwhitneyu(a, b, method="asymptotic")
    assert res.effect_size.estimate == pytest.approx(2 * mw.statistic / (40 * 35) - 1)
    assert res.effect_size.p_value == pytest.approx(mw.pvalue)
    lo, hi = res.effect_size.ci
    assert -1 <= lo <= res.effect_size.estimate <= hi <= 1


def test_shares_risk_difference_and_ratio_equal_statsmodels():
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    rng = np.random.default_rng(9)
    a = (rng.uniform(size=300) < 0.30).astype(float)
    b = (rng.uniform(size=250) < 0.18).astype(float)
    res = tr.compare_samples(a, b, statistic="share", permutations=1999, resamples=1999, seed=3)
    assert res.difference.estimate == pytest.approx(a.mean() - b.mean())
    lo, hi = proportion.confint_proportions_2indep(a.sum(), 300, b.sum(), 250, compare="ratio", method="log")
    assert res.effect_size.estimate == pytest.approx(a.mean() / b.mean())
    assert res.effect_size.ci == pytest.approx((lo, hi), rel=1e-10)
    _, p = proportion.proportions_ztest([a.sum(), b.sum()], [300, 250])
    assert res.effect_size.p_value == pytest.approx(p, rel=1e-10)
    # planted difference 0.12: inside the CI, and significant
    assert res.difference.ci[0] < 0.12 < res.difference.ci[1]
    assert res.difference.p_value < 0.05
    with pytest.raises(InputError):
        tr.compare_samples(a + 0.5, b, statistic="share")


def test_planted_difference_in_medians_recovered():
    rng = np.random.default_rng(10)
    a = rng.normal(50.0, 10.0, 200)
    b = rng.normal(42.0, 10.0, 200)
    res = tr.compare_samples(a, b, permutations=999, resamples=999, seed=4)
    assert res.difference.ci[0] < 8.0 < res.difference.ci[1]
    assert res.difference.p_value == pytest.approx(1 / 1000)
    assert res.effect_size.estimate > 0.3


def test_inputs_not_modified_and_errors():
    a = np.array([1.0, 2.0, 3.0, 4.0])
    b = np.array([2.0, 3.0, 5.0])
    a0, b0 = a.copy(), b.copy()
    tr.compare_samples(a, b, permutations=9, resamples=9, ci_method="percentile", seed=0)
    assert (a == a0).all() and (b == b0).all()
    with pytest.raises(InputError):
        tr.mann_kendall([1.0, np.nan, 2.0, 3.0])
    with pytest.raises(InputError):
        tr.mann_kendall([1.0, 2.0, 3.0], autocorrelation="hamed_rao")
    with pytest.raises(InputError):
        tr.compare_samples(a, b, statistic="mode")


@pytest.mark.slow
def test_calibration_small():
    """A small version of benchmarks/calibrate_stats.py for Mann-Kendall (the HAC ITS test
    is oversized in short series; its numbers are in the calibration script's table)."""
    rng = np.random.default_rng(2024)
    runs = 400
    mk = sum(tr.mann_kendall(rng.normal(size=40)).p_value <= 0.05 for _ in range(runs))
    assert abs(mk / runs - 0.05) < 0.025
