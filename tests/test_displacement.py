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
# the speed of the suite: fewer permutations than a real study, still enough for p < 0.05; H3's
# sensitivity variants (8–9 times the routing) only in the tests about them
FAST = {"statistics": {"permutations": 199}, "displacement": {"bootstrap": 199}, "routes": {"sensitivity": False}}
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


# -- the cost model's sensitivity: energy_variants --------------------------------------------
def test_energy_variants_change_one_thing_of_the_study_walker():
    from borderscape.analyses.routes import energy_variants, walker
    from borderscape.analyses.study import load_study
    from borderscape.geo.costmodels import get_model

    study = load_study("arizona-sonora")
    base = walker(study)
    assert base == {**pandolf_params(study), "continuous": 0.0}  # built on pandolf_params, Santee as published
    variants = dict(energy_variants(study))
    assert list(variants) == [
        "eta 1.2 (light brush)",
        "eta 1.8 (swampy bog)",
        "eta 2.1 (loose sand)",
        "load 0 kg",
        "load 20 kg",
        "downhill continuous",
    ]
    changed = {name: {k: v for k, v in p.items() if base[k] != v} for name, p in variants.items()}
    assert changed == {
        "eta 1.2 (light brush)": {"eta": 1.2},
        "eta 1.8 (swampy bog)": {"eta": 1.8},
        "eta 2.1 (loose sand)": {"eta": 2.1},
        "load 0 kg": {"L": 0.0},
        "load 20 kg": {"L": 20.0},
        "downhill continuous": {"continuous": 1.0},
    }
    for p in variants.values():
        get_model("pandolf").pack(p)  # every set is a valid parameter set of the kernel
    # a variant equal to the study's walker is left out; a continuous study gets Santee's form back
    other = study.with_(parameters={"cost": {"terrain_factor": 1.2, "downhill": "continuous"}})
    names = [n for n, _ in energy_variants(other)]
    assert "eta 1.2 (light brush)" not in names and names[-1] == "downhill santee"
    assert walker(other)["continuous"] == 1.0 and dict(energy_variants(other))["downhill santee"]["continuous"] == 0.0


def test_h3_sensitivity_variants_are_the_runs_they_stand_for(planted_world):
    """Each variant of H3 and H3.fit equals a full run with that one parameter changed (5–15 s)."""
    routes = {"origins": 6}
    out = _by_id(_run(h3_routes, planted_world, routes={**routes, "sensitivity": True}))
    for oid in ("H3", "H3.fit"):
        names = [v.name for v in out[oid].sensitivity]
        assert {"eta 1.8 (swampy bog)", "load 20 kg", "downhill continuous", "avoidance 4"} <= set(names), oid
        assert "avoidance 2" not in names  # the study's own strength is not a variant
    assert out["H3"].role == "descriptive" and out["H3.fit"].role == "secondary"
    for name, change in (
        ("eta 1.8 (swampy bog)", {"cost": {"eta": 1.8}}),
        ("downhill continuous", {"cost": {"downhill": "continuous"}}),
        ("avoidance 4", {"routes": {**routes, "avoidance": 4.0}}),
    ):
        alone = _by_id(_run(h3_routes, planted_world, **{"routes": routes, **change}))
        for oid in ("H3", "H3.fit"):
            variant = {v.name: v for v in out[oid].sensitivity}[name]
            assert variant.estimate == pytest.approx(alone[oid].estimate, rel=1e-9), (name, oid)
            assert variant.n == alone[oid].n
    # the variants move the estimate the way the model says: more energy on harder terrain
    h3 = {v.name: v.estimate for v in out["H3"].sensitivity}
    assert h3["eta 1.2 (light brush)"] < out["H3"].estimate < h3["eta 1.8 (swampy bog)"] < h3["eta 2.1 (loose sand)"]
    assert h3["avoidance 1.5"] < out["H3"].estimate < h3["avoidance 4"]


# -- roles, composition, clustered intervals --------------------------------------------------
def test_h1_roles_composition_and_year_block_interval(planted_world):
    section = _run(h1_coverage, planted_world)
    out = _by_id(section)
    roles = {oid: o.role for oid, o in out.items()}
    assert roles == {
        "H1": "secondary",  # run_battery makes the declared endpoint primary
        "H1.area": "descriptive",
        "H1.before.2010-01-01": "descriptive",
        "H1.after.2010-01-01": "descriptive",
        "H1.cross_k": "secondary",
    }
    # composition of location precision, from the world's remains directly
    remains = planted_world.remains.frame
    first = min(planted_world.truth.epochs)
    dates = pd.to_datetime(remains["date"])
    used = section.tables["h1_records"]
    assert len(used) == len(remains)  # every record lies on the DEM in this world
    rows = {(r.variable, r.level): r for r in out["H1"].composition}
    for level in remains["location_precision"].unique():
        r = rows[("location precision", level)]
        before = (remains["location_precision"][dates < pd.Timestamp(first)] == level).mean()
        after = (remains["location_precision"][dates >= pd.Timestamp(first)] == level).mean()
        assert (r.before, r.after) == (pytest.approx(before), pytest.approx(after))
        assert (r.n_before, r.n_after) == ((dates < pd.Timestamp(first)).sum(), (dates >= pd.Timestamp(first)).sum())
    assert out["H1.before.2010-01-01"].composition == out["H1.after.2010-01-01"].composition != ()
    # the interval resamples whole years, within the background and the later records
    h1 = out["H1"]
    years = {(bool(b), d.year) for b, d in zip(used["background"], pd.to_datetime(used["date"]))}
    assert h1.parameters["year_clusters"] == len(years)
    assert h1.ci[0] <= h1.estimate <= h1.ci[1]
    assert any("single records" in c for c in h1.caveats)
    record_level = h1.sensitivity[0]
    assert record_level.estimate == h1.estimate and tuple(record_level.ci) == tuple(h1.parameters["ci_records"])


def test_h1_gps_variant_is_h1_on_the_gps_located_records(planted_world):
    import dataclasses

    out = _by_id(_run(h1_coverage, planted_world))
    variant = {v.name: v for v in out["H1"].sensitivity}["GPS-located records only"]
    layer = planted_world.remains
    gps = layer.frame["location_precision"].str.contains("GPS")
    assert 0 < gps.sum() < len(gps)
    frame = layer.frame.copy()
    frame.loc[~gps, "status"] = "quarantined"  # left out of every location analysis
    layers = {**planted_world.layers, "deaths": dataclasses.replace(layer, frame=frame)}
    study = world_study(planted_world, parameters=FAST)
    alone = _by_id(h1_coverage(study, StudyInputs(layers=layers, simulated=True), np.random.default_rng(1)))["H1"]
    assert variant.estimate == pytest.approx(alone.estimate, rel=1e-12) and variant.n == alone.n


def test_record_variants_read_pcome_precision_and_post_mortem_classes():
    from borderscape.analyses.battery.h1_coverage import record_variants

    # the wording of the PCOME export's classes (no personal data)
    attributes = pd.DataFrame(
        {
            "location_precision": [
                "GPS Coordinate (precise to within ca. 300ft./100m)",
                "vague physical description (precise to within 10mi/15km)",
                "GPS Coordinate (precise to within ca. 300ft./100m)",
                None,
                "Street Address (precise to within ca. 1000ft/300m)",
                "GPS Coordinate (precise to within ca. 300ft./100m)",
            ],
            "post_mortem_interval": ["< 1 day", "< 5 weeks", "< 3 months", "> 6-8 months", None, "< 3 weeks"],
        }
    )
    masks = {name: mask for name, mask, _ in record_variants(attributes, short_days=35.0)}
    np.testing.assert_array_equal(masks["GPS-located records only"], [True, False, True, False, False, True])
    np.testing.assert_array_equal(
        masks["short post-mortem interval only (≤ 35 days)"], [True, True, False, False, False, True]
    )
    # a subset that is the whole set (or empty) is no variant
    assert record_variants(attributes.iloc[[0, 2]][["location_precision"]], short_days=35.0) == []
