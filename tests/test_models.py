"""Count models, residual Moran's I and case-control logistic regression."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from borderscape.analyses.stats import hotspots as hs
from borderscape.analyses.stats import models as md
from borderscape.geo.errors import InputError

esda = pytest.importorskip("esda")
libpysal = pytest.importorskip("libpysal")


@pytest.fixture(scope="module")
def cells():
    """A 30 x 30 grid of 1 km cells with covariates and planted count processes."""
    rng = np.random.default_rng(0)
    n = 900
    rows, cols = np.divmod(np.arange(n), 30)
    df = pd.DataFrame(
        {
            "row": rows,
            "col": cols,
            "coverage": rng.uniform(0, 1, n),  # share of the cell seen by towers
            "slope": rng.normal(0, 1, n),  # standardised terrain slope
            "area_km2": rng.uniform(0.5, 1.5, n),
        }
    )
    mu = df["area_km2"] * np.exp(-0.5 + 0.8 * df["coverage"] + 0.3 * df["slope"])
    df["poisson"] = rng.poisson(mu)
    alpha = 0.7
    df["negbin"] = rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu))
    return df


def test_poisson_equals_statsmodels_formula_glm(cells):
    res = md.count_regression(cells, "poisson", ["coverage", "slope"], exposure="area_km2")
    ref = smf.glm(
        "poisson ~ coverage + slope", cells, family=sm.families.Poisson(), offset=np.log(cells["area_km2"])
    ).fit()
    ci = ref.conf_int()
    for rec, name in zip(res.rate_ratios, ["coverage", "slope"]):
        assert rec.estimate == pytest.approx(np.exp(ref.params[name]), rel=1e-8)
        assert rec.ci == pytest.approx(tuple(np.exp(ci.loc[name])), rel=1e-8)
        assert rec.p_value == pytest.approx(ref.pvalues[name], rel=1e-6, abs=1e-300)
    assert res.baseline_rate.estimate == pytest.approx(np.exp(ref.params["Intercept"]), rel=1e-8)
    np.testing.assert_allclose(res.residuals.to_numpy(), ref.resid_pearson, rtol=1e-8)
    assert res.log_likelihood == pytest.approx(ref.llf)
    assert res.alpha is None and res.n == 900


def test_negbin_equals_statsmodels_formula(cells):
    res = md.count_regression(cells, "negbin", ["coverage", "slope"], exposure="area_km2", family="negbin")
    ref = smf.negativebinomial("negbin ~ coverage + slope", cells, exposure=cells["area_km2"]).fit(disp=0)
    for rec, name in zip(res.rate_ratios, ["coverage", "slope"]):
        assert rec.estimate == pytest.approx(np.exp(ref.params[name]), rel=1e-5)
        assert rec.parameters["se"] == pytest.approx(ref.bse[name], rel=1e-4)
    assert res.alpha.estimate == pytest.approx(ref.params["alpha"], rel=1e-4)
    mu = np.asarray(res.fitted)
    expected = (cells["negbin"] - mu) / np.sqrt(mu + res.alpha.estimate * mu**2)
    np.testing.assert_allclose(res.residuals, expected, rtol=1e-10)


def test_planted_rate_ratios_recovered(cells):
    pois = md.count_regression(cells, "poisson", ["coverage", "slope"], exposure="area_km2")
    nb = md.count_regression(cells, "negbin", ["coverage", "slope"], exposure="area_km2", family="negbin")
    for res in (pois, nb):
        lo, hi = res.rate_ratios[0].ci
        assert lo < np.exp(0.8) < hi
        lo, hi = res.rate_ratios[1].ci
        assert lo < np.exp(0.3) < hi
    assert nb.alpha.ci[0] < 0.7 < nb.alpha.ci[1]
    # the NB data are overdispersed for a Poisson model, the Poisson data are not
    assert md.count_regression(cells, "negbin", ["coverage", "slope"], exposure="area_km2").pearson_dispersion > 1.3
    assert 0.85 < pois.pearson_dispersion < 1.15


def _grid_gdf(df):
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["col"] * 1000.0, df["row"] * 1000.0), crs=32612)


def test_morans_i_equals_esda(cells):
    grid = _grid_gdf(cells)
    w = hs.contiguity_weights(grid, rule="queen")
    res = md.count_regression(cells, "poisson", ["coverage", "slope"], exposure="area_km2")
    ours = md.morans_i(res.residuals, w, permutations=999, seed=1)
    neighbours = {i: list(w.indices[w.indptr[i] : w.indptr[i + 1]]) for i in range(w.shape[0])}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.Moran(res.residuals.to_numpy(), libpysal.weights.W(neighbours), transformation="r", permutations=0)
    assert ours.estimate == pytest.approx(ref.I, rel=1e-10)
    assert ours.parameters["expected"] == pytest.approx(ref.EI)
    assert ours.parameters["variance_norm"] == pytest.approx(ref.VI_norm, rel=1e-10)
    assert ours.statistic == pytest.approx(ref.z_norm, rel=1e-10)
    assert ours.parameters["p_norm"] == pytest.approx(ref.p_norm, rel=1e-8)  # two-tailed
    # permutation p of a null residual field agrees with the normal p up to MC error
    assert abs(ours.p_value - ours.parameters["p_norm"]) < 0.06
    again = md.morans_i(res.residuals, w, permutations=999, seed=1)
    assert again == ours
    with pytest.raises(InputError, match="seed"):  # never unseeded
        md.morans_i(res.residuals, w, permutations=99)
    assert md.morans_i(res.residuals, w, permutations=0).p_value == ours.parameters["p_norm"]


def test_morans_i_flags_an_omitted_spatial_covariate():
    rng = np.random.default_rng(3)
    n_side = 25
    rows, cols = np.divmod(np.arange(n_side**2), n_side)
    # a smooth spatial field (e.g. distance to a corridor) that drives counts
    field = np.sin(cols / 4.0) + np.cos(rows / 5.0)
    df = pd.DataFrame({"row": rows, "col": cols, "field": field, "noise": rng.normal(size=n_side**2)})
    df["y"] = rng.poisson(np.exp(0.5 + 0.9 * field))
    w = hs.contiguity_weights(_grid_gdf(df), rule="rook")
    omitted = md.count_regression(df, "y", ["noise"])
    included = md.count_regression(df, "y", ["noise", "field"])
    bad = md.morans_i(omitted.residuals, w, permutations=499, seed=0)
    good = md.morans_i(included.residuals, w, permutations=499, seed=0)
    assert bad.estimate > 0.3 and bad.p_value == pytest.approx(1 / 500)
    assert abs(good.estimate) < 0.1 and good.p_value > 0.01


def test_logit_robust_equals_statsmodels_and_recovers_planted_odds_ratio():
    rng = np.random.default_rng(4)
    n = 1500
    df = pd.DataFrame({"dist_tower_km": rng.uniform(0, 20, n), "slope": rng.normal(0, 1, n)})
    eta = -1.0 + 0.08 * df["dist_tower_km"] - 0.4 * df["slope"]
    df["case"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(int)
    for cov in ("HC0", "HC1", "HC3"):
        res = md.case_control_logit(df, "case", ["dist_tower_km", "slope"], cov_type=cov)
        ref = smf.logit("case ~ dist_tower_km + slope", df).fit(disp=0, cov_type=cov)
        ci = ref.conf_int()
        for rec, name in zip(res.odds_ratios, ["dist_tower_km", "slope"]):
            assert rec.estimate == pytest.approx(np.exp(ref.params[name]), rel=1e-8)
            assert rec.parameters["se"] == pytest.approx(ref.bse[name], rel=1e-8)
            assert rec.ci == pytest.approx(tuple(np.exp(ci.loc[name])), rel=1e-8)
            assert rec.p_value == pytest.approx(ref.pvalues[name], rel=1e-8)
    assert res.n_cases + res.n_controls == n
    # planted log odds ratios within 3 standard errors (95% CI coverage: calibration script)
    for rec, truth in zip(res.odds_ratios, (0.08, -0.4)):
        assert abs(rec.parameters["coefficient"] - truth) < 3 * rec.parameters["se"]
    assert res.odds_ratios[0].ci[0] < np.exp(0.08) < res.odds_ratios[0].ci[1]


def test_input_errors_and_no_mutation(cells):
    before = cells.copy()
    md.count_regression(cells, "poisson", ["coverage"], exposure="area_km2")
    pd.testing.assert_frame_equal(cells, before)
    with pytest.raises(InputError):
        md.count_regression(cells.assign(poisson=-1), "poisson", ["coverage"])
    with pytest.raises(InputError):
        md.count_regression(cells.assign(area_km2=0.0), "poisson", ["coverage"], exposure="area_km2")
    with pytest.raises(InputError):
        md.count_regression(cells, "poisson", ["missing"])
    with pytest.raises(InputError):
        md.count_regression(cells, "poisson", ["coverage"], family="gamma")
    with pytest.raises(InputError):
        md.case_control_logit(cells, "poisson", ["coverage"])
    with pytest.raises(InputError):
        md.morans_i(np.ones(10), np.zeros((10, 10)))


def test_a_diverging_fit_gives_infinite_ratios_not_an_overflow():
    """A coefficient beyond exp's range (a count series with a month of zero exposure, found by the null-series
    calibration) makes an infinite ratio and bound, which results.json writes as null; it used to raise."""
    from borderscape.analyses.stats.models import _ratio_records

    (r,) = _ratio_records(
        ["t"], np.array([800.0]), np.array([5.0]), np.array([160.0]), np.array([0.0]), 0.95, 10, "m", "rate ratio", {}
    )
    assert r.estimate == np.inf and r.ci == (np.inf, np.inf)


# -- null_bootstrap_rate_ratio ------------------------------------------------------------------------


def _monthly(seed: int, months: int = 60, ratio_per_year: float = 1.0, k: float = 0.4) -> pd.DataFrame:
    """A monthly series like H4's: encounters rising with AR(1) noise, deaths at a seasonal rate per
    encounter times ``ratio_per_year`` ** years, each month's rate multiplied by Gamma(k, 1/k)."""
    rng = np.random.default_rng(seed)
    t = np.arange(months) / 12.0
    noise = np.zeros(months)
    for i in range(1, months):
        noise[i] = 0.85 * noise[i - 1] + rng.normal(0.0, 0.25)
    enc = np.round(np.exp(8.7 + 0.4 * t + noise)).astype(int)
    season = np.sin(2 * np.pi * np.arange(months) / 12.0)
    mu = 7e-4 * enc * np.exp(-0.4 * season) * ratio_per_year**t
    deaths = rng.poisson(mu * rng.gamma(k, 1.0 / k, months))
    return pd.DataFrame({"t": t, "season": season, "enc": enc, "deaths": deaths})


def test_batched_quasi_poisson_t_equals_statsmodels():
    d = _monthly(3)
    x = np.column_stack([np.ones(len(d)), d["season"], d["t"]])
    off = np.log(d["enc"].to_numpy(float))
    rng = np.random.default_rng(4)
    y = np.column_stack([d["deaths"].to_numpy(float)] + [rng.poisson(5.0, len(d)).astype(float) for _ in range(6)])
    ours = md._quasi_poisson_t(y, x, off, 2)
    ref = [sm.GLM(y[:, i], x, family=sm.families.Poisson(), offset=off).fit(scale="X2").tvalues[2] for i in range(7)]
    np.testing.assert_allclose(ours, ref, rtol=1e-7)
    # a replicate with no counts has no evidence; one whose coefficient runs off to infinity counts as extreme
    y2 = np.zeros((len(d), 2))
    y2[:30, 1] = 3.0  # no deaths after month 30: the trend diverges
    t2 = md._quasi_poisson_t(y2, x, off, 2)
    assert t2[0] == 0.0 and (np.isinf(t2[1]) or abs(t2[1]) > 5)


def test_null_bootstrap_estimate_is_the_quasi_poisson_one_and_seeded():
    d = _monthly(5)
    r = md.null_bootstrap_rate_ratio(d, "deaths", ["season"], "t", exposure="enc", seed=1, resamples=199)
    fit = smf.glm("deaths ~ season + t", d, family=sm.families.Poisson(), offset=np.log(d["enc"])).fit(scale="X2")
    assert r.estimate == pytest.approx(np.exp(fit.params["t"]), rel=1e-10)
    assert r.statistic == pytest.approx(fit.tvalues["t"], rel=1e-10)
    again = md.null_bootstrap_rate_ratio(d, "deaths", ["season"], "t", exposure="enc", seed=1, resamples=199)
    assert (again.p_value, again.ci) == (r.p_value, r.ci)
    # the interval excludes 1 exactly when p < 0.05 (the critical value is chosen for that)
    assert (r.ci[0] > 1 or r.ci[1] < 1) == (r.p_value < 0.05)


def test_null_bootstrap_holds_its_size_where_the_wald_test_does_not():
    """60 null series as overdispersed as H4's (Gamma k = 0.4, φ ≈ 12): the Wald t-test rejects too
    often; the null bootstrap at most about 5 % (a seeded check: 4 of 60 would be 6.7 %)."""
    boot = wald = 0
    for i in range(60):
        d = _monthly(100 + i)
        r = md.null_bootstrap_rate_ratio(d, "deaths", ["season"], "t", exposure="enc", seed=i, resamples=99)
        boot += r.p_value < 0.05
        fit = smf.glm("deaths ~ season + t", d, family=sm.families.Poisson(), offset=np.log(d["enc"])).fit(scale="X2")
        wald += fit.pvalues["t"] < 0.05
    assert boot <= 4
    assert wald > boot


def test_null_bootstrap_finds_a_planted_trend_and_reports_the_floor():
    found = 0
    for i in range(20):
        d = _monthly(300 + i, ratio_per_year=0.6)  # the rate falls 40 % a year
        r = md.null_bootstrap_rate_ratio(d, "deaths", ["season"], "t", exposure="enc", seed=i, resamples=99)
        found += r.p_value < 0.05 and r.ci[1] < 1
    assert found >= 12  # 14 of 20 measured (power about 70 % with B = 99), against about 5 % under the null
    strong = _monthly(7, ratio_per_year=0.2, k=50.0)
    r = md.null_bootstrap_rate_ratio(strong, "deaths", ["season"], "t", exposure="enc", seed=1, resamples=99)
    assert r.parameters["p_at_floor"] and r.parameters["resamples"] == 396
    assert r.p_value == pytest.approx(1 / 397)


def test_null_bootstrap_input_errors():
    d = _monthly(8)
    with pytest.raises(InputError, match="resamples"):
        md.null_bootstrap_rate_ratio(d, "deaths", ["season"], "t", exposure="enc", seed=1, resamples=5)
    with pytest.raises(InputError, match="also a nuisance"):
        md.null_bootstrap_rate_ratio(d, "deaths", ["season", "t"], "t", exposure="enc", seed=1)
    with pytest.raises(InputError, match="zero in every row"):
        md.null_bootstrap_rate_ratio(d.assign(deaths=0), "deaths", ["season"], "t", exposure="enc", seed=1)
    with pytest.raises(InputError, match="seed"):
        md.null_bootstrap_rate_ratio(d, "deaths", ["season"], "t", exposure="enc", seed=None)  # type: ignore[arg-type]
