"""H2 hardship, H4 mortality rate, H5 hot spots (analyses/battery/h2_hardship.py, h4_rate.py, h5_hotspots.py)
and the az-env-grid reader."""

from __future__ import annotations

import dataclasses
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats import rates

from borderscape.analyses.battery.h2_hardship import h2_hardship
from borderscape.analyses.battery.h4_rate import h4_mortality_rate
from borderscape.analyses.battery.h5_hotspots import h5_hotspots
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.stats.tests import stratified_rank_test
from borderscape.analyses.study import Intervention, load_study
from borderscape.analyses.worlds import inputs_from_world, simulate_world, world_study
from borderscape.layers.ingest import ingest
from borderscape.layers.quality import usable
from borderscape.layers.readers_us import read_env_grid

FUNCS = (h2_hardship, h4_mortality_rate, h5_hotspots)


def _conserved(layer) -> None:
    r = layer.report
    assert r.kept + r.repaired + r.quarantined == r.rows_read == len(layer.frame)


def _by_id(section) -> dict:
    return {o.id: o for o in section.outcomes}


# --------------------------------------------------------------------------- az-env-grid reader


def test_env_grid_real_file(data_dir):
    layer = ingest("az-env-grid", data_dir=data_dir)
    raw = pd.read_csv(next((data_dir / "az-environmental-grid-0044deg").glob("*.csv")))
    assert layer.report.rows_read == 11280 == len(raw)
    _conserved(layer)
    f = layer.frame
    assert f.crs.to_epsg() == 4326 and (f.geometry.geom_type == "Point").all()
    # missing values are normal, not quarantine reasons
    assert layer.report.quarantined == 0
    assert int(f["slope_deg"].notna().sum()) == int(raw["slope_deg"].notna().sum()) == 11028
    assert int(f["ndvi"].isna().sum()) == int(raw["ndvi"].isna().sum())
    np.testing.assert_allclose(f.geometry.x.to_numpy(), raw["longitude"].to_numpy())
    np.testing.assert_allclose(f.geometry.y.to_numpy(), raw["latitude"].to_numpy())
    np.testing.assert_allclose(f["july_tmax_c"].to_numpy(), raw["july_tmax_c"].to_numpy())
    assert f["grid_row"].max() == 79 and f["grid_col"].max() == 140
    assert np.allclose(np.unique(np.round(np.diff(np.sort(raw["longitude"].unique())), 6)), f["cell_deg"].iloc[0])


def test_env_grid_hostile_rows(tmp_path):
    p = tmp_path / "danger_index_environmental_layers_test.csv"
    p.write_text(
        "row,col,longitude,latitude,slope_deg,july_tmax_c,ndvi\n"
        "0,0,-111.0,32.0,1.5,40.1,0.05\n"  # kept
        "0,1,-110.956,32.0,,40.2,\n"  # missing values: kept
        "0,2,-110.912,32.0,steep,40.3,0.1\n"  # text: quarantined
        "0,3,-60.0,32.0,2.0,40.0,0.1\n"  # outside the region: quarantined
        "0,4,32.0,-110.868,2.0,40.0,0.1\n"
    )  # swapped: repaired
    layer = read_env_grid(p)
    _conserved(layer)
    assert layer.frame["status"].tolist() == ["kept", "kept", "quarantined", "quarantined", "repaired"]
    assert math.isnan(layer.frame.loc[1, "slope_deg"]) and layer.frame.loc[1, "reason"] == ""
    assert "slope_deg is not a number" in layer.report.reasons
    assert layer.frame.geometry.iloc[4].equals(shapely.Point(-110.868, 32.0))


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def real(data_dir):
    study = load_study("arizona-sonora")
    layers = {
        role: ingest(sid, data_dir=data_dir) for role, sid in study.layers.items() if role not in ("towers", "dem")
    }
    inputs = StudyInputs(layers=layers, missing={"towers": "supply --towers FILE", "dem": "supply --dem FILE"})
    sections = {f.__name__: f(study, inputs, np.random.default_rng(7)) for f in FUNCS}
    return study, inputs, sections


def test_real_data_runs_h2_h4_h5(real):
    study, inputs, sections = real
    outcomes = {o.id: o for s in sections.values() for o in s.outcomes}
    for key in (
        "H2.road_distance",
        "H2.water_distance",
        "H2.slope",
        "H2.ruggedness",
        "H2.road_distance.trend",
        "H2.case_control",
        "H4",
        "H4.rate_ratio",
        "H4.its.2020-03-21",
        "H5",
    ):
        o = outcomes[key]
        assert o.status == "ran", (key, o.reason)
        assert np.isfinite(o.estimate) and o.ci[0] <= o.estimate <= o.ci[1] and 0 < o.p_value <= 1 and o.n > 0
        assert o.method
    energy = outcomes["H2.energy"]
    assert energy.status == "skipped" and "--dem" in energy.reason
    # tower-era interventions lie before the CBP sector series: skipped with the reason
    its = outcomes["H4.its.2006-09-21"]
    assert its.status == "skipped" and "months of the series" in its.reason


def test_real_h2_road_distance_against_geopandas(real):
    study, inputs, sections = real
    records = sections["h2_hardship"].tables["h2_records"]
    deaths = usable(inputs.get("deaths").frame)
    deaths = deaths[~deaths.geometry.is_empty & deaths.geometry.notna()]
    # the records of the study period inside the study's box, selected independently with pandas
    located = len(deaths)
    dates = pd.to_datetime(deaths["date"])
    west, south, east, north = study.bbox
    x, y = deaths.geometry.x, deaths.geometry.y
    keep = (
        (dates >= pd.Timestamp(study.start))
        & (dates <= pd.Timestamp(study.end))
        & (x >= west)
        & (x <= east)
        & (y >= south)
        & (y <= north)
    )
    deaths = deaths[keep.to_numpy()].to_crs(study.crs)
    assert len(records) == len(deaths) < located
    excluded = _by_id(sections["h2_hardship"])["H2.road_distance"].parameters["excluded_records"]
    assert sum(excluded.values()) == located - len(deaths) and excluded["outside the study period"] > 0
    roads = usable(inputs.get("roads").frame).to_crs(study.crs).geometry.union_all()
    pick = np.random.default_rng(0).choice(len(deaths), 50, replace=False)
    expected = deaths.geometry.iloc[pick].distance(roads).to_numpy()
    np.testing.assert_allclose(records["road_distance"].to_numpy()[pick], expected, rtol=1e-9, atol=1e-6)
    # the headline is the difference of the medians of the records after and before the split
    o = _by_id(sections["h2_hardship"])["H2.road_distance"]
    after = records.loc[records["period"] == "after", "road_distance"]
    before = records.loc[records["period"] == "before", "road_distance"]
    assert o.estimate == pytest.approx(after.median() - before.median())
    # its p-value is the two-sided Mann-Whitney test of the same records (scipy as the reference)
    ref = stats.mannwhitneyu(after.dropna(), before.dropna(), method="asymptotic", use_continuity=False)
    assert o.p_value == pytest.approx(ref.pvalue, rel=1e-6)
    assert o.parameters["split"] == "2006-09-21"
    # no personal data in the tables
    assert set(records.columns) <= {
        "date",
        "year",
        "road_distance",
        "water_distance",
        "slope",
        "ruggedness",
        "energy",
        "period",
    }


def test_real_h2_trend_and_case_control_against_references(real):
    study, inputs, sections = real
    out = _by_id(sections["h2_hardship"])
    yearly = sections["h2_hardship"].tables["h2_yearly"]
    counts = sections["h2_hardship"].tables["h2_records"].groupby("year")["road_distance"].size()
    keep = yearly.set_index("year").loc[counts[counts >= 3].index, "road_distance"]
    ts = stats.theilslopes(keep.to_numpy(), keep.index.to_numpy(dtype=float))
    assert out["H2.road_distance.trend"].estimate == pytest.approx(ts.slope)
    # the Mann-Kendall test is the normal approximation (with continuity correction) of Kendall's tau
    tau = stats.kendalltau(keep.index.to_numpy(), keep.to_numpy(), method="asymptotic")
    assert out["H2.road_distance.trend"].p_value == pytest.approx(tau.pvalue, rel=0.15)
    t = usable(inputs.get("terrain_covariates").frame)
    z = (t["slope"] - t["slope"].mean()) / t["slope"].std(ddof=1)
    y = (t["point_type"] == "BodyLocation").astype(float)
    fit = sm.GLM(y.to_numpy(), sm.add_constant(z.to_numpy()), family=sm.families.Binomial()).fit(cov_type="HC1")
    o = out["H2.case_control"]
    assert o.estimate == pytest.approx(math.exp(fit.params[1]), rel=1e-6)
    assert o.ci[0] == pytest.approx(math.exp(fit.conf_int()[1, 0]), rel=1e-4)


def test_real_h4_against_independent_counts(real, data_dir):
    study, inputs, sections = real
    enc = inputs.get("encounters").frame
    enc = enc[enc["area_of_responsibility"] == "Tucson Sector"]
    monthly_enc = enc.groupby(enc["month"].dt.to_period("M"))["encounters"].sum()
    deaths = inputs.get("deaths").frame
    monthly_d = deaths.groupby(deaths["date"].dt.to_period("M")).size()  # every dated row, quarantined too
    months = monthly_enc.index[
        (monthly_enc.index >= monthly_d.index.min()) & (monthly_enc.index <= monthly_d.index.max())
    ]
    d = int(monthly_d.reindex(months, fill_value=0).sum())
    e = float(monthly_enc.loc[months].sum())
    out = _by_id(sections["h4_mortality_rate"])
    h4 = out["H4"]
    assert h4.n == d and h4.estimate == pytest.approx(d / e * 1e5)
    lo, hi = rates.confint_poisson(d, e / 1e5, method="exact-c")
    assert h4.ci == pytest.approx((lo, hi))
    table = sections["h4_mortality_rate"].tables["h4_monthly"]
    assert table["deaths"].sum() == d and len(table) == len(months)
    # rate after / before Title 42: a quasi-Poisson GLM fitted directly with statsmodels
    rr = out["H4.rate_ratio"]
    months_ = table["month"]
    post = (months_ >= pd.Timestamp("2020-03-01")).astype(float).to_numpy()
    x = sm.add_constant(
        np.column_stack([post, np.sin(2 * np.pi * months_.dt.month / 12), np.cos(2 * np.pi * months_.dt.month / 12)])
    )
    fit = sm.GLM(
        table["deaths"].to_numpy(),
        x,
        family=sm.families.Poisson(),
        offset=np.log(table["encounters"].to_numpy(dtype=float)),
    ).fit(scale="X2")
    assert fit.scale > 1  # real months are overdispersed
    assert rr.estimate == pytest.approx(math.exp(fit.params[1]), rel=1e-6)
    assert rr.ci == pytest.approx(tuple(np.exp(fit.conf_int()[1])), rel=1e-4)
    assert rr.p_value == pytest.approx(fit.pvalues[1], rel=1e-3) and h4.p_value == rr.p_value


def test_real_h5_periods_and_table(real):
    study, inputs, sections = real
    sec = sections["h5_hotspots"]
    cells = sec.tables["h5_cells"]
    assert isinstance(cells, gpd.GeoDataFrame) and cells.crs.to_epsg() == 4326
    for o in sec.outcomes:
        if o.id.startswith("H5.") and o.status == "ran":
            period = cells[cells["period"] == o.id[3:]]
            assert o.estimate == pytest.approx((period["hot"] == 1).mean())
            assert o.p_value == pytest.approx(period["gi_q"].min())
    h5 = _by_id(sec)["H5"]
    assert h5.status == "ran", h5.reason
    assert h5.parameters["split"] == "2006-09-21"
    assert h5.n == h5.parameters["records_before"] + h5.parameters["records_after"]
    assert h5.ci[0] <= h5.estimate <= h5.ci[1] and 0 < h5.p_value <= 1


def test_gi_star_z_is_esda_column_by_column():
    from esda.getisord import G_Local
    from libpysal.weights import WSP

    from borderscape.analyses.stats.hotspots import distance_band_weights, gi_star_z, square_grid

    rng = np.random.default_rng(4)
    pts = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(rng.uniform(0, 9000, 300), rng.uniform(0, 9000, 300)), crs="EPSG:32612"
    )
    grid = square_grid(pts, 1000.0)
    weights = distance_band_weights(grid, 1500.0)
    counts = rng.poisson(3.0, size=(len(grid), 4)).astype(float)
    z = gi_star_z(counts, weights)
    w = WSP(weights.tocsr()).to_W(silence_warnings=True)
    for k in range(counts.shape[1]):
        ref = G_Local(counts[:, k], w, transform="B", star=True, permutations=0)
        np.testing.assert_allclose(z[:, k], ref.Zs, rtol=1e-9, atol=1e-12)
    assert np.all(gi_star_z(np.ones((len(grid), 1)), weights) == 0)  # no variation: no hot spot


def _h5_case(shift: bool, seed: int):
    """Remains on a 10 x 10 grid of 1 km cells whose slope is the column number (degrees): before the
    split a cluster in column 2; after it, in column 8 (``shift``) or again in column 2."""
    from borderscape.analyses.battery.h5_hotspots import _h5_headline
    from borderscape.analyses.stats.hotspots import square_grid

    rng = np.random.default_rng(seed)

    def cloud(col, n):
        return np.c_[rng.normal(col * 1000 + 500, 150, n), rng.normal(5500, 150, n)]

    before = np.r_[cloud(2, 60), rng.uniform(0, 10000, (40, 2))]
    after = np.r_[cloud(8 if shift else 2, 60), rng.uniform(0, 10000, (40, 2))]
    xy = np.clip(np.r_[before, after], 1, 9999)
    dates = pd.to_datetime(["2005-06-01"] * len(before) + ["2015-06-01"] * len(after))
    points = gpd.GeoDataFrame({"date": dates}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32612")
    grid = square_grid(points, 1000.0, bounds=(0, 0, 10000, 10000))
    slopes = pd.Series(np.floor(grid.geometry.centroid.x.to_numpy() / 1000.0), index=grid.index)
    study = load_study("arizona-sonora")
    study = dataclasses.replace(study, parameters={**study.parameters, "hardship": {"split": "2010-01-01"}})
    settings = {"confidence": 0.95, "permutations": 499, "fdr_alpha": 0.05}
    return _h5_headline(
        study,
        points,
        grid,
        slopes,
        "column number",
        dates.min(),
        dates.max(),
        1000.0,
        1500.0,
        settings,
        np.random.default_rng(seed + 1),
        np.random.default_rng(seed + 2),
        "H5",
    )


def test_h5_headline_finds_a_moved_hot_spot_and_not_a_fixed_one():
    moved = _h5_case(True, 0)
    assert moved.status == "ran" and moved.p_value <= 0.01
    # hot-spot intensity sits around column 2 before and column 8 after: about 6 degrees steeper
    assert 4.5 < moved.estimate < 6.5 and moved.ci[0] < moved.estimate < moved.ci[1]
    fixed = [_h5_case(False, seed) for seed in range(10)]
    assert all(abs(o.estimate) < 1.0 for o in fixed)
    assert sum(o.p_value <= 0.05 for o in fixed) <= 2


def test_real_terrain_fallback_to_environment_grid(real):
    study, inputs, _ = real
    layers = {k: v for k, v in inputs.layers.items() if k != "terrain_covariates"}
    out = _by_id(h2_hardship(study, StudyInputs(layers=layers), np.random.default_rng(1)))
    assert out["H2.slope"].status == "ran" and "environment-grid" in out["H2.slope"].parameters["source"]
    assert out["H2.ruggedness"].status == "skipped" and "--dem" in out["H2.ruggedness"].reason
    assert out["H2.case_control"].status == "skipped" and "terrain_covariates" in out["H2.case_control"].reason


# --------------------------------------------------------------------------- simulated worlds

WORLD = dict(size=128, walkers=3000)


@pytest.fixture(scope="module")
def worlds():
    return {
        (seed, alpha): simulate_world(seed=seed, alpha=alpha, **WORLD) for seed in (1, 2, 3) for alpha in (0.0, 3.0)
    }


def _run(world, seed=0):
    study = world_study(world, seed=seed)
    inputs = inputs_from_world(world)
    return {
        o.id: o for f, rng in zip(FUNCS, np.random.default_rng(seed).spawn(3)) for o in f(study, inputs, rng).outcomes
    }


def test_world_runs_every_test_with_a_dem(worlds):
    out = _run(worlds[(1, 3.0)])
    for key in (
        "H2.road_distance",
        "H2.water_distance",
        "H2.slope",
        "H2.ruggedness",
        "H2.energy",
        "H2.energy.trend",
        "H4",
        "H4.rate_ratio",
        "H4.its.2010-01-01",
    ):
        assert out[key].status == "ran", (key, out[key].reason)
    # no background table in a world: skipped with the reason
    assert out["H2.case_control"].status == "skipped"


def test_world_energy_against_accumulated_cost(worlds):
    from borderscape.analyses.worlds import WALKER
    from borderscape.geo.costdistance import accumulated_cost
    from borderscape.geo.sample import sample_points

    world = worlds[(2, 0.0)]
    study = world_study(world)
    sec = h2_hardship(study, inputs_from_world(world), np.random.default_rng(0))
    surface = accumulated_cost(
        world.dem, world.border.frame.to_crs(world.dem.crs).geometry, model="pandolf", params=WALKER
    )
    expected = sample_points(surface.cost, world.remains.frame.to_crs(world.dem.crs))
    np.testing.assert_allclose(sec.tables["h2_records"]["energy"].to_numpy(), expected.to_numpy())


def test_world_planted_effect_found_and_null_not(worlds):
    """Worlds with the same seed share everything but α.  The planted funnel raises deaths per encounter
    after the intervention and moves where remains lie relative to roads (the direction depends on the
    world's terrain, so the test is two-sided); the null worlds show neither.  Rates over hundreds of
    worlds: benchmarks/calibrate_funnel_hardship.py."""
    planted, null = [_run(worlds[(s, 3.0)]) for s in (1, 2, 3)], [_run(worlds[(s, 0.0)]) for s in (1, 2, 3)]
    assert all(o["H4.rate_ratio"].p_value < 0.05 and o["H4.rate_ratio"].estimate > 1 for o in planted)
    assert all(o["H4.rate_ratio"].p_value > 0.05 for o in null)
    assert sum(o["H2.road_distance"].p_value < 0.05 for o in planted) >= 2
    # a null world rejects in 5 % of tests (here at most once in 6); each planted world shows stronger
    # evidence than its null twin
    assert sum(o[k].p_value < 0.05 for o in null for k in ("H2.road_distance", "H2.energy")) <= 1
    for p, n in zip(planted, null):
        assert min(p["H2.road_distance"].p_value, p["H2.energy"].p_value) < min(
            n["H2.road_distance"].p_value, n["H2.energy"].p_value
        )
    # the difference is an after-minus-before contrast: in the null world it is small next to the planted one
    assert (
        sum(abs(p["H2.road_distance"].estimate) > abs(n["H2.road_distance"].estimate) for p, n in zip(planted, null))
        >= 2
    )


def test_same_inputs_and_seed_give_identical_outcomes(worlds):
    world = worlds[(1, 3.0)]
    a, b = _run(world, seed=5), _run(world, seed=5)
    assert [o.to_dict() for o in a.values()] == [o.to_dict() for o in b.values()]
    c = _run(world, seed=6)
    assert a["H2.road_distance"].ci != c["H2.road_distance"].ci  # the seed drives the resampling


def test_missing_layers_are_skipped_with_remedy(worlds):
    world = worlds[(1, 0.0)]
    study = world_study(world)
    layers = {k: v for k, v in world.layers.items() if k not in ("roads", "dem", "encounters")}
    inputs = StudyInputs(layers=layers, missing={"roads": "name one under [layers] roads"})
    out = {o.id: o for f in FUNCS for o in f(study, inputs, np.random.default_rng(0)).outcomes}
    assert out["H2.road_distance"].status == "skipped" and "[layers] roads" in out["H2.road_distance"].reason
    assert out["H2.energy"].status == "skipped" and "--dem" in out["H2.energy"].reason
    assert out["H2.slope"].status == "skipped" and "--dem" in out["H2.slope"].reason
    assert out["H4"].status == "skipped" and "encounters" in out["H4"].reason
    assert out["H2.water_distance"].status == "ran"
    assert out["H5"].status == "skipped" and "--dem" in out["H5"].reason
    none = {o.id: o for f in FUNCS for o in f(study, StudyInputs(layers={}), np.random.default_rng(0)).outcomes}
    assert all(o.status == "skipped" and o.reason for o in none.values())


def test_h4_its_against_statsmodels_quasi_poisson():
    """The level change equals a quasi-Poisson GLM fitted directly with statsmodels (overdispersed series)."""
    rng = np.random.default_rng(3)
    months = pd.date_range("2015-01-01", periods=72, freq="MS")
    enc = rng.integers(5000, 20000, len(months)).astype(float)
    mu = enc * 2e-3 * np.exp(0.4 * (months >= "2018-06-01")) * rng.gamma(4.0, 0.25, len(months))
    deaths = rng.poisson(mu)
    frame = pd.DataFrame({"date": np.repeat(months, deaths) + pd.Timedelta(days=3), "dead": 1})
    frame["row"], frame["status"], frame["reason"] = np.arange(len(frame)), "kept", ""
    table = pd.DataFrame({"month": months, "encounters": enc.astype(int), "row": 0, "status": "kept", "reason": ""})
    study = dataclasses.replace(
        load_study("arizona-sonora"), interventions=(Intervention("test", pd.Timestamp("2018-06-15").date()),)
    )
    inputs = StudyInputs(layers={"deaths": frame, "encounters": table})
    out = _by_id(h4_mortality_rate(study, inputs, np.random.default_rng(0)))
    o = out["H4.its.2018-06-15"]
    t = (months - months[0]).days.to_numpy() / 365.25
    t0 = (pd.Timestamp("2018-06-01") - months[0]).days / 365.25
    post = (months >= "2018-06-01").astype(float)
    x = sm.add_constant(
        np.column_stack(
            [t, post, (t - t0) * post, np.sin(2 * np.pi * months.month / 12), np.cos(2 * np.pi * months.month / 12)]
        )
    )
    fit = sm.GLM(deaths, x, family=sm.families.Poisson(), offset=np.log(enc)).fit(scale="X2")
    assert fit.scale > 1
    assert o.estimate == pytest.approx(math.exp(fit.params[2]), rel=1e-6)
    assert o.ci == pytest.approx(tuple(np.exp(fit.conf_int()[2])), rel=1e-4)
    assert o.p_value == pytest.approx(fit.pvalues[2], rel=1e-3)
    assert out["H4"].n == deaths.sum()


def test_unprojected_dem_is_skipped_not_raised(worlds):
    """A DEM in degrees cannot give slopes or energy in metres: the tests say so instead of crashing."""
    from affine import Affine
    from pyproj import CRS

    from borderscape.geo.raster import Raster

    world = worlds[(1, 0.0)]
    wrong = Raster(world.dem.array, Affine(0.001, 0, -111.5, 0, -0.001, 32.0), CRS.from_epsg(4326), world.dem.nodata)
    layers = {**world.layers, "dem": wrong}
    out = {
        o.id: o
        for f in FUNCS
        for o in f(world_study(world), StudyInputs(layers=layers), np.random.default_rng(0)).outcomes
    }
    for key in ("H2.slope", "H2.energy", "H5"):
        assert out[key].status == "skipped" and "DEM" in out[key].reason, key
    assert out["H2.road_distance"].status == "ran" and out["H4"].status == "ran"


# --------------------------------------------------------------------------- the H2 rank test


def test_rank_test_with_one_stratum_is_scipy_mann_whitney():
    rng = np.random.default_rng(11)
    values = np.round(rng.normal(size=300), 1)  # many ties
    after = rng.random(300) < 0.4
    values[after] += 0.3
    z, p = stratified_rank_test(values, after)
    ref = stats.mannwhitneyu(values[after], values[~after], method="asymptotic", use_continuity=False)
    assert p == pytest.approx(ref.pvalue, rel=1e-9) and z > 0
    z2, p2 = stratified_rank_test(-values, after)
    assert z2 == pytest.approx(-z) and p2 == pytest.approx(p)


def test_stratified_rank_test_against_a_stratified_permutation_test():
    """Reference: permute the after/before labels within strata and recompute van Elteren's
    weighted sum of rank-sum deviations; the two-sided permutation p-value matches the normal one."""
    rng = np.random.default_rng(12)
    strata = rng.integers(0, 4, 240)
    values = 10.0 * strata + rng.normal(size=240)
    after = rng.random(240) < np.array([0.2, 0.4, 0.6, 0.8])[strata]
    values[after] += 0.35
    z, p = stratified_rank_test(values, after, strata)

    def weighted_sum(labels):
        total = 0.0
        for s in range(4):
            m = strata == s
            n, k = m.sum(), labels[m].sum()
            total += (stats.rankdata(values[m])[labels[m]].sum() - k * (n + 1) / 2) / (n + 1)
        return total

    observed = weighted_sum(after)
    draws = 4000
    perm = rng.spawn(1)[0]
    null = np.empty(draws)
    for i in range(draws):
        labels = after.copy()
        for s in range(4):
            idx = np.flatnonzero(strata == s)
            labels[idx] = perm.permutation(after[idx])
        null[i] = weighted_sum(labels)
    p_perm = (1 + np.sum(np.abs(null) >= abs(observed))) / (draws + 1)
    assert p == pytest.approx(p_perm, abs=0.015)
    assert observed / null.std() == pytest.approx(z, rel=0.05)


def test_stratified_rank_test_on_simulated_confounded_strata():
    """Known answer: the strata differ in level and in their share of after-records, so pooling confounds.
    Without a shift the stratified test rejects at about its level while the pooled one almost always
    rejects; with a shift of 0.5 SD within every stratum the stratified test finds it."""
    rng = np.random.default_rng(13)
    reject = {"null": 0, "pooled": 0, "shift": 0}
    worlds = 300
    for _ in range(worlds):
        strata = rng.integers(0, 4, 200)
        after = rng.random(200) < np.array([0.2, 0.4, 0.6, 0.8])[strata]
        values = 3.0 * strata + rng.normal(size=200)
        reject["null"] += stratified_rank_test(values, after, strata)[1] <= 0.05
        reject["pooled"] += stratified_rank_test(values, after)[1] <= 0.05
        reject["shift"] += stratified_rank_test(values + 0.5 * after, after, strata)[1] <= 0.05
    assert 0.02 <= reject["null"] / worlds <= 0.09
    assert reject["pooled"] / worlds > 0.9
    assert reject["shift"] / worlds > 0.8
    assert math.isnan(stratified_rank_test(np.ones(10), np.arange(10) < 5)[1])


def test_world_h2_energy_headline_is_stratified_by_border_segment(worlds):
    out = _run(worlds[(1, 3.0)])
    energy, slope = out["H2.energy"], out["H2.slope"]
    assert energy.parameters["strata"] == 4 and "van Elteren" in energy.method
    assert slope.parameters["strata"] == 1 and "Mann-Whitney" in slope.method
    assert energy.p_value == pytest.approx(2 * stats.norm.sf(abs(energy.parameters["rank_z"])))
