"""H1 coverage displacement and H3 routes: skips, exact properties, references and simulated truth."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import stats

from borderscape.analyses.battery.common import pandolf_params
from borderscape.analyses.battery.h1_coverage import h1_coverage
from borderscape.analyses.battery.h3_routes import h3_routes
from borderscape.analyses.inputs import StudyInputs
from borderscape.analyses.routes import route_energy
from borderscape.analyses.sensors import deployment, epoch_coverage
from borderscape.analyses.stats.tests import poisson_binomial_p_value, poisson_binomial_pmf
from borderscape.analyses.worlds import World, inputs_from_world, simulate_world, world_study
from borderscape.geo.costdistance import accumulated_cost
from borderscape.geo.errors import StudyError

WORLD = dict(size=128, walkers=400)
# the speed of the suite: fewer permutations than a real study, still enough for p < 0.05
FAST = {"statistics": {"permutations": 199}, "displacement": {"bootstrap": 199}}
# simulate_world computes coverage with coverage_count's default refraction (1/7), while
# world_study states 0.13: the exact comparisons with the truth use the world's own value
WORLD_REFRACTION = {"viewshed": {"target_height_m": 1.7, "curvature": True, "refraction": 1.0 / 7.0}}


@pytest.fixture(scope="module")
def null_world() -> World:
    return simulate_world(seed=0, alpha=0.0, **WORLD)


@pytest.fixture(scope="module")
def planted_world() -> World:
    return simulate_world(seed=0, alpha=2.0, **WORLD)


def _run(func, world: World, seed: int = 1, **parameters):
    study = world_study(world, parameters={**FAST, **parameters})
    return func(study, inputs_from_world(world), np.random.default_rng(seed))


def _by_id(section) -> dict:
    return {o.id: o for o in section.outcomes}


# -- skipped, with the remedy -----------------------------------------------------------------
@pytest.mark.parametrize("func", [h1_coverage, h3_routes])
@pytest.mark.parametrize(
    "drop,flag,more",
    [("towers", "--towers FILE", "EFF"), ("dem", "--dem FILE", "borderscape fetch dem-copernicus --bbox")],
)
def test_skipped_with_the_remedy_when_towers_or_dem_are_missing(null_world, func, drop, flag, more):
    study = world_study(null_world)
    layers = {k: v for k, v in null_world.layers.items() if k != drop}
    section = func(study, StudyInputs(layers=layers), np.random.default_rng(0))
    (outcome,) = section.outcomes
    assert outcome.status == "skipped" and outcome.id == func.__name__[:2].upper()
    assert f"No {drop} layer" in outcome.reason and flag in outcome.reason and more in outcome.reason
    assert outcome.estimate is None and outcome.p_value is None


def test_the_study_reason_is_kept_and_not_repeated(null_world):
    study = world_study(null_world)
    layers = {k: v for k, v in null_world.layers.items() if k not in ("towers", "dem")}
    missing = {"towers": "none given; pass --towers FILE (EFF tower CSV)", "dem": "none given; pass --dem FILE"}
    (outcome,) = h1_coverage(study, StudyInputs(layers=layers, missing=missing), np.random.default_rng(0)).outcomes
    assert "none given; pass --towers FILE (EFF tower CSV)" in outcome.reason
    assert outcome.reason.count("--towers") == 1 and outcome.reason.count("--dem") == 1


# -- the Poisson-binomial null ----------------------------------------------------------------
@pytest.mark.parametrize("n,p", [(1, 0.3), (17, 0.2), (60, 0.05), (250, 0.4)])
def test_poisson_binomial_with_equal_probabilities_is_the_binomial_test(n, p):
    for k in sorted({0, 1, n // 4, n // 2, n}):
        for alternative in ("less", "greater", "two-sided"):
            ours = poisson_binomial_p_value(k, np.full(n, p), alternative=alternative)
            ref = stats.binomtest(k, n, p, alternative=alternative).pvalue
            assert ours == pytest.approx(ref, rel=1e-9, abs=1e-15), (k, alternative)


def test_poisson_binomial_pmf_against_enumeration():
    p = np.array([0.1, 0.5, 0.77, 0.02, 0.9, 0.33, 0.6])
    ref = np.zeros(p.size + 1)
    for outcome in itertools.product((0, 1), repeat=p.size):
        o = np.array(outcome)
        ref[o.sum()] += np.prod(np.where(o == 1, p, 1 - p))
    np.testing.assert_allclose(poisson_binomial_pmf(p), ref, rtol=1e-12, atol=1e-15)
    assert poisson_binomial_p_value(2, p) == pytest.approx(ref[:3].sum(), rel=1e-12)


# -- sensors, epochs and coverage against the world's own ----------------------------------
def test_coverage_per_epoch_equals_the_worlds_coverage(planted_world):
    study = world_study(planted_world)
    dep = deployment(study, planted_world.towers.frame, planted_world.dem)
    assert [str(d) for d in dep.changes] == [e.isoformat() for e in planted_world.truth.epochs]
    cov = epoch_coverage(dep, planted_world.dem, list(range(len(dep.changes))), target_height=1.7, refraction=1.0 / 7.0)
    for k, truth in enumerate(planted_world.truth.coverage):
        np.testing.assert_array_equal(cov[k].array, truth.array)


def test_missing_sensor_values_are_filled_from_the_kind_defaults(planted_world):
    study = world_study(planted_world)
    frame = planted_world.towers.frame.copy()
    frame.loc[0, "height_m"] = np.nan
    frame.loc[1, "range_m"] = np.nan
    frame.loc[2, "active_from"] = pd.NaT
    frame.loc[3, "kind"] = "unknown-kind"
    frame.loc[3, "height_m"] = np.nan
    dep = deployment(study, frame, planted_world.dem)
    assert dep.filled == {"height_m": 1, "range_m": 1, "active_from": 1}
    assert sum(dep.dropped.values()) == 1 and dep.x.size == len(frame) - 1
    defaults = study.sensors[frame.loc[0, "kind"]]
    assert dep.height[0] == defaults.height_m
    assert dep.range_[1] == study.sensors[frame.loc[1, "kind"]].range_m
    assert dep.active_from[2] == np.datetime64(study.sensors[frame.loc[2, "kind"]].active_from, "D")
    assert planted_world.towers.frame.loc[0, "height_m"] > 0  # the input is not modified


def test_h1_record_flags_match_the_truth(planted_world):
    section = _run(h1_coverage, planted_world, **WORLD_REFRACTION)
    table = section.tables["h1_records"]
    remains = planted_world.remains.frame.to_crs(planted_world.dem.crs)
    order = np.lexsort((remains.geometry.y, remains.geometry.x, remains["date"].to_numpy()))
    remains = remains.iloc[order]
    epochs = np.array(planted_world.truth.epochs, dtype="datetime64[D]")
    k = np.searchsorted(epochs, remains["date"].to_numpy(dtype="datetime64[D]"), side="right") - 1
    r, c = planted_world.dem.rowcol(remains.geometry.x.to_numpy(), remains.geometry.y.to_numpy())
    truth = np.array([kk >= 0 and planted_world.truth.coverage[kk].array[i, j] > 0 for kk, i, j in zip(k, r, c)])
    assert len(table) == len(remains)
    np.testing.assert_array_equal(table["covered"].to_numpy(), truth)
    np.testing.assert_array_equal(table["background"].to_numpy(), k < 0)
    assert not ({"name", "record_id"} & set(table.columns))
    h1 = _by_id(section)["H1"]
    assert h1.parameters["observed"] == truth[k >= 0].sum() and h1.n == int((k >= 0).sum())


# -- H1 on simulated worlds --------------------------------------------------------------------
def test_h1_finds_planted_displacement_and_not_an_absent_one(planted_world, null_world):
    planted = _by_id(_run(h1_coverage, planted_world))
    null = _by_id(_run(h1_coverage, null_world))
    assert planted["H1"].estimate < 0 and planted["H1"].p_value < 0.05
    assert planted["H1"].ci[0] <= planted["H1"].estimate <= planted["H1"].ci[1] < 0
    assert null["H1"].p_value > 0.05
    assert planted["H1"].estimate < null["H1"].estimate
    for outcome in (planted["H1.area"], planted["H1.cross_k"]):
        assert outcome.status == "ran" and outcome.n == planted["H1"].n
    assert planted["H1.area"].p_value < 0.05
    assert {"H1.before.2010-01-01", "H1.after.2010-01-01"} <= set(planted)


def test_h1_rejection_rates_over_ten_worlds():
    """Seeds 100…109, no selection: the planted effect is found in most, the null in few (about 8 s)."""
    hits = {0.0: 0, 1.5: 0}
    for alpha in hits:
        for seed in range(100, 110):
            out = _by_id(_run(h1_coverage, simulate_world(seed=seed, alpha=alpha, **WORLD)))
            hits[alpha] += out["H1"].p_value < 0.05
    assert hits[1.5] >= 8 and hits[0.0] <= 2


def test_same_seed_same_outcomes(planted_world):
    for func in (h1_coverage, h3_routes):
        a = [o.to_dict() for o in _run(func, planted_world, seed=5).outcomes]
        b = [o.to_dict() for o in _run(func, planted_world, seed=5).outcomes]
        assert a == b


# -- H3 ----------------------------------------------------------------------------------------
def test_h3_avoiding_never_costs_less_and_costs_more_here(planted_world):
    section = _run(h3_routes, planted_world)
    routes = section.tables["h3_routes"]
    assert routes.crs.to_epsg() == 4326 and set(routes.geom_type) == {"LineString"}
    free = routes[routes["kind"] == "unconstrained"].set_index("origin")["energy_kj"]
    for start, group in routes[routes["kind"] == "avoiding"].groupby("epoch_start"):
        extra = group.set_index("origin")["energy_kj"] - free
        assert (extra >= -1e-6 * free).all(), start  # exact: the unconstrained route is the least-energy one
    out = _by_id(section)
    assert out["H3"].status == "ran" and out["H3"].estimate > 0 and out["H3"].ci[0] > 0
    assert out["H3"].p_value < 0.05
    assert {"H3.slope", "H3.fit"} <= set(out)
    assert set(out) >= {f"H3.{e.isoformat()}" for e in planted_world.truth.epochs}


def test_h3_route_energy_equals_the_accumulated_cost(planted_world):
    study = world_study(planted_world)
    routes = _run(h3_routes, planted_world).tables["h3_routes"]
    free = routes[routes["kind"] == "unconstrained"].to_crs(planted_world.dem.crs)
    target = np.zeros(planted_world.dem.shape, dtype=bool)
    target[0] = True
    params = pandolf_params(study)
    assert params == {"W": 70.0, "L": 10.0, "V": 1.2, "eta": 1.5}  # the walkers' parameters, from [parameters.cost]
    surface = accumulated_cost(planted_world.dem, target, model="pandolf", params=params, travel="to_sources")
    start = shapely.get_coordinates(free.geometry.to_numpy())  # all vertices; pick each line's first
    firsts = np.array([shapely.get_coordinates(g)[0] for g in free.geometry])
    r, c = planted_world.dem.rowcol(firsts[:, 0], firsts[:, 1])
    np.testing.assert_allclose(free["energy_kj"].to_numpy(), surface.cost.array[r, c], rtol=1e-6)
    assert start.shape[0] > len(free)
    one = free.geometry.iloc[0]
    assert route_energy(planted_world.dem, one, params) == pytest.approx(free["energy_kj"].iloc[0])


def test_h3_impassable_avoidance_and_bad_parameters(planted_world):
    out = _by_id(_run(h3_routes, planted_world, routes={"avoidance": "impassable", "origins": 10}))
    assert out["H3"].status == "ran" and out["H3"].estimate > 0
    with pytest.raises(StudyError, match="avoidance"):  # refused when the study is made, before any work
        _run(h3_routes, planted_world, routes={"avoidance": 0.5})


def test_border_origins_are_evenly_spaced_on_a_line_or_an_area_outline(planted_world):
    from borderscape.analyses.routes import border_origins

    dem = planted_world.dem
    left, bottom, right, top = dem.bounds
    y = bottom + 1000.0
    line = gpd.GeoDataFrame(geometry=[shapely.LineString([(left - 500, y), (right + 500, y)])], crs=dem.crs)
    pts = border_origins(line.to_crs("EPSG:4326"), dem, 8)
    a, b = left + dem.res[0], right - dem.res[0]  # the line clipped one cell inside the DEM
    np.testing.assert_allclose(pts[:, 0], a + (np.arange(8) + 0.5) / 8 * (b - a), atol=1e-3)
    np.testing.assert_allclose(pts[:, 1], y, atol=1e-3)
    area = gpd.GeoDataFrame(geometry=[shapely.box(left - 500, bottom - 500, right + 500, y)], crs=dem.crs)
    outline = border_origins(area, dem, 8)  # the same points, walked the other way round
    np.testing.assert_allclose(outline[np.argsort(outline[:, 0])], pts, atol=1e-6)


def test_pandolf_parameters_from_the_shipped_study_names():
    from borderscape.analyses.study import load_study

    assert pandolf_params(load_study("arizona-sonora")) == {"W": 70.0, "L": 10.0, "V": 1.2, "eta": 1.5}


def test_distance_to_routes_equals_shapely_distance():
    from borderscape.analyses.routes import distance_to_lines

    rng = np.random.default_rng(0)
    lines = [shapely.LineString(np.cumsum(rng.normal(size=(200, 2)) * 90, axis=0)) for _ in range(10)] + [None]
    pts = shapely.points(rng.uniform(-2000, 2000, (500, 2)))
    ref = shapely.distance(pts, shapely.multilinestrings([g for g in lines if g is not None]))
    np.testing.assert_allclose(distance_to_lines(pts, lines), ref, rtol=0, atol=1e-9)
