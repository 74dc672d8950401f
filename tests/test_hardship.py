"""H2 hardship, H4 mortality rate, H5 hot spots (analyses/battery/h2_hardship.py, h4_rate.py, h5_hotspots.py)
and the az-env-grid reader.  H4's models are checked against statsmodels in tests/test_h4.py."""

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

from borderscape.analyses.battery.h2_hardship import h2_hardship
from borderscape.analyses.battery.h4_rate import h4_mortality_rate
from borderscape.analyses.battery.h5_hotspots import h5_hotspots
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.stats.tests import stratified_rank_test
from borderscape.analyses.study import load_study
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
        "H4.trend",
        "H5",
    ):
        o = outcomes[key]
        assert o.status == "ran", (key, o.reason)
        assert np.isfinite(o.estimate) and o.ci[0] <= o.estimate <= o.ci[1] and 0 < o.p_value <= 1 and o.n > 0
        assert o.method
    energy = outcomes["H2.energy"]
    assert energy.status == "skipped" and "--dem" in energy.reason
    # the pooled rate and the Title 42 comparisons (5 and 17 months on a side) are descriptive: no p-value
    for key in ("H4", "H4.rate_ratio", "H4.its.2020-03-21", "H4.its.2023-05-11"):
        o = outcomes[key]
        assert o.status == "ran" and o.role == "descriptive" and o.p_value is None, key
        assert np.isfinite(o.estimate) and o.ci[0] <= o.estimate <= o.ci[1] and o.n > 0
    # tower-era interventions lie before the CBP sector series: one skipped outcome with the reason
    its = outcomes["H4.its"]
    assert its.status == "skipped" and "2006-09-21" in its.reason and "0 months before" in its.reason
    assert not [k for k in outcomes if k.startswith("H4.its.20") and k < "H4.its.2019"]


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
    quarantined = int((inputs.get("deaths").frame["status"] == "quarantined").sum())
    assert excluded["quarantined"] == quarantined
    assert sum(excluded.values()) - quarantined == located - len(deaths)
    assert excluded["before the study period"] + excluded["after the study period"] > 0
    roads = usable(inputs.get("roads").frame).to_crs(study.crs).geometry.union_all()
    pick = np.random.default_rng(0).choice(len(deaths), 50, replace=False)
    expected = deaths.geometry.iloc[pick].distance(roads).to_numpy()
    np.testing.assert_allclose(records["road_distance"].to_numpy()[pick], expected, rtol=1e-9, atol=1e-6)
    # the headline is the difference of the medians of the records after and before the split
    o = _by_id(sections["h2_hardship"])["H2.road_distance"]
    after = records.loc[records["period"] == "after", "road_distance"]
    before = records.loc[records["period"] == "before", "road_distance"]
    assert o.estimate == pytest.approx(after.median() - before.median())
    # its p-value compares years, not records: Welch's t-test of the yearly mean percentile ranks (each side's
    # part of the split year is its own cluster), recomputed here with pandas and scipy
    ranks = stats.rankdata(records["road_distance"]) / (len(records) + 1)
    means = pd.DataFrame({"period": records["period"], "year": records["year"], "r": ranks})
    means = means.groupby(["period", "year"])["r"].mean()
    welch = stats.ttest_ind(means["after"], means["before"], equal_var=False)
    assert o.p_value == pytest.approx(welch.pvalue, rel=1e-9)
    assert o.parameters["clusters_before"] == 7 and o.parameters["clusters_after"] == 19
    # the record-level Mann-Whitney test is kept as a sensitivity variant, for comparison (scipy as the reference)
    ref = stats.mannwhitneyu(after.dropna(), before.dropna(), method="asymptotic", use_continuity=False)
    naive = {v.name: v for v in o.sensitivity}["records treated as independent"]
    assert naive.p_value == pytest.approx(ref.pvalue, rel=1e-6) and naive.estimate == o.estimate
    # the year-cluster interval is wider than the record-level one (the referee's 5.0-8.3 km against 5.9-7.5 km)
    assert o.ci[1] - o.ci[0] > 1.5 * (naive.ci[1] - naive.ci[0])
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
        "heat",
        "aridity",
        "period",
    }


def test_real_h2_trend_and_case_control_against_references(real):
    study, inputs, sections = real
    out = _by_id(sections["h2_hardship"])
    yearly = sections["h2_hardship"].tables["h2_yearly"]
    counts = sections["h2_hardship"].tables["h2_records"].groupby("year")["road_distance"].size()
    least = study.params.hardship.min_per_year
    assert least == 20
    keep = yearly.set_index("year").loc[counts[counts >= least].index, "road_distance"]
    trend = out["H2.road_distance.trend"]
    assert trend.n == len(keep) and trend.parameters["min_per_year"] == least
    ts = stats.theilslopes(keep.to_numpy(), keep.index.to_numpy(dtype=float))
    assert trend.estimate == pytest.approx(ts.slope)
    # the Mann-Kendall test with the study's autocorrelation correction (Yue-Wang by default): its uncorrected
    # statistic is Kendall's tau's normal approximation; the correction only widens the variance
    assert trend.parameters["autocorrelation"] == study.params.statistics.trend_autocorrelation == "yue-wang"
    tau = stats.kendalltau(keep.index.to_numpy(), keep.to_numpy(), method="asymptotic")
    factor = trend.parameters["correction_factor"]
    assert factor >= 1 and trend.p_value >= tau.pvalue * 0.85
    z_plain = stats.norm.isf(tau.pvalue / 2)
    assert stats.norm.isf(trend.p_value / 2) == pytest.approx(z_plain / math.sqrt(factor), rel=0.02)
    assert trend.role == "secondary"
    # the case-control odds ratio of slope, adjusted for July Tmax (the environment grid's nearest cell)
    t = usable(inputs.get("terrain_covariates").frame)
    env = usable(inputs.get("environment").frame).to_crs(study.crs)
    pts = t.to_crs(study.crs)
    joined = gpd.sjoin_nearest(
        gpd.GeoDataFrame(geometry=pts.geometry.values, crs=pts.crs),
        env[["july_tmax_c", "geometry"]],
        max_distance=study.params.hardship.environment_join_m,
        how="left",
    )
    tmax = joined.groupby(level=0)["july_tmax_c"].first().to_numpy()
    z = np.column_stack(
        [(t["slope"] - t["slope"].mean()) / t["slope"].std(ddof=1), (tmax - tmax.mean()) / tmax.std(ddof=1)]
    )
    y = (t["point_type"] == "BodyLocation").astype(float)
    fit = sm.GLM(y.to_numpy(), sm.add_constant(z), family=sm.families.Binomial()).fit(cov_type="HC1")
    o = out["H2.case_control"]
    assert o.role == "descriptive" and o.null_value == 1.0 and o.parameters["adjusted_for"] == ["tmax"]
    assert o.estimate == pytest.approx(math.exp(fit.params[1]), rel=1e-6)
    assert o.ci[0] == pytest.approx(math.exp(fit.conf_int()[1, 0]), rel=1e-4)
    # the univariable odds ratio (the number before heat was added) is a sensitivity variant
    z1 = (t["slope"] - t["slope"].mean()) / t["slope"].std(ddof=1)
    uni = sm.GLM(y.to_numpy(), sm.add_constant(z1.to_numpy()), family=sm.families.Binomial()).fit(cov_type="HC1")
    assert o.sensitivity[0].estimate == pytest.approx(math.exp(uni.params[1]), rel=1e-6)
    heat = out["H2.case_control.heat"]
    assert heat.estimate == pytest.approx(math.exp(fit.params[2]), rel=1e-6)
    assert any("White et al. (2025)" in c for c in heat.caveats)


def test_real_h5_periods_and_table(real):
    study, inputs, sections = real
    sec = sections["h5_hotspots"]
    cells = sec.tables["h5_cells"]
    assert isinstance(cells, gpd.GeoDataFrame) and cells.crs.to_epsg() == 4326
    for o in sec.outcomes:
        if o.id.startswith("H5.") and o.status == "ran":
            period = cells[cells["period"] == o.id[3:]]
            assert o.estimate == pytest.approx((period["hot"] == 1).mean())
            assert o.p_value is None and o.role == "descriptive"  # one period's hot spots test nothing
            assert o.ci[0] <= o.estimate <= o.ci[1]
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
    # spread over ten years on each side: H5 permutes whole calendar years (records of a year are not independent)
    dates = pd.to_datetime(
        [f"{2000 + i % 10}-06-01" for i in range(len(before))] + [f"{2011 + i % 10}-06-01" for i in range(len(after))]
    )
    points = gpd.GeoDataFrame({"date": dates}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32612")
    grid = square_grid(points, 1000.0, bounds=(0, 0, 10000, 10000))
    slopes = pd.Series(np.floor(grid.geometry.centroid.x.to_numpy() / 1000.0), index=grid.index)
    study = load_study("arizona-sonora")
    study = dataclasses.replace(study, parameters={**study.parameters, "hardship": {"split": "2010-01-01"}})
    from borderscape.analyses.inputs import StudyInputs

    # no DEM and no environment grid: the sensitivity variants on other grids report no slope
    study = study.with_(parameters={"statistics": {"permutations": 499}})
    return _h5_headline(
        study,
        StudyInputs(layers={}),
        points,
        points,
        grid,
        slopes,
        "column number",
        1000.0,
        1500.0,
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
        "H4.trend",
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
    """H2.energy compares records within border segments (the estimate is the weighted mean of the
    within-segment differences of medians, recomputed here with pandas); its record-level variant is the van
    Elteren test; its sensitivity holds the energy under each walker of routes.energy_variants, each
    recomputed here from its own cost surface."""
    from borderscape.analyses.battery.common import records
    from borderscape.analyses.battery.h2_hardship import _border_segments
    from borderscape.analyses.routes import energy_variants
    from borderscape.analyses.study import working_crs
    from borderscape.geo.costdistance import accumulated_cost
    from borderscape.geo.sample import sample_points

    world = worlds[(1, 3.0)]
    study, inputs = world_study(world), inputs_from_world(world)
    sec = h2_hardship(study, inputs, np.random.default_rng(0))
    out = _by_id(sec)
    energy, slope = out["H2.energy"], out["H2.slope"]
    assert energy.parameters["strata"] == 4 and "within strata" in energy.method
    assert slope.parameters["strata"] == 1 and "within strata" not in slope.method
    table = sec.tables["h2_records"]
    located, _ = records(study, inputs.get("deaths"))
    points = located.to_crs(working_crs(study))
    segment = _border_segments(points, inputs.get("border"), study.params.hardship.energy_segments)

    def within(values):
        frame = pd.DataFrame({"v": values, "after": table["period"].to_numpy() == "after", "s": segment})
        med = frame.groupby(["s", "after"])["v"].median().unstack()
        n = frame.groupby(["s", "after"])["v"].size().unstack()
        w = n[True] * n[False] / (n[True] + n[False])
        return float((w * (med[True] - med[False])).sum() / w.sum())

    assert energy.estimate == pytest.approx(within(table["energy"].to_numpy()), rel=1e-9)
    naive = {v.name: v for v in energy.sensitivity}["records treated as independent"]
    after = table["period"].to_numpy() == "after"
    assert naive.p_value == pytest.approx(stratified_rank_test(table["energy"].to_numpy(), after, segment)[1])
    variants = {v.name: v for v in energy.sensitivity if v.name.startswith("walker: ")}
    assert list(variants) == [f"walker: {name}" for name, _ in energy_variants(study)]
    name, params = energy_variants(study)[3]  # load 0 kg
    surface = accumulated_cost(
        world.dem, world.border.frame.to_crs(world.dem.crs).geometry, model="pandolf", params=params
    )
    alt = sample_points(surface.cost, world.remains.frame.to_crs(world.dem.crs)).to_numpy()
    assert variants[f"walker: {name}"].estimate == pytest.approx(within(alt), rel=1e-9)
    assert variants[f"walker: {name}"].estimate != energy.estimate
