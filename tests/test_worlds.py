"""Simulated worlds: seeded, shaped like ingested layers, and with the planted mechanism."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from borderscape.analyses.worlds import NOTE, SIMULATED, World, simulate_world
from borderscape.geo.errors import InputError
from borderscape.geo.viewshed import coverage_count
from borderscape.layers.schemas import SCHEMAS, Layer, conform

SMALL = dict(size=64, walkers=60, towers=6, batches=3)
MEDIUM = dict(size=96, walkers=300)


@pytest.fixture(scope="module")
def null_world() -> World:
    return simulate_world(seed=11, alpha=0.0, **MEDIUM)


@pytest.fixture(scope="module")
def planted_world() -> World:
    return simulate_world(seed=11, alpha=2.0, **MEDIUM)


@pytest.fixture(scope="module")
def big_world() -> World:
    """Many walkers, for the probabilities of death and discovery."""
    return simulate_world(seed=5, alpha=1.0, size=96, walkers=1500)


def _layers(world: World) -> dict[str, Layer]:
    return {k: v for k, v in world.layers.items() if k != "dem"}


def _assert_same(a: World, b: World) -> None:
    np.testing.assert_array_equal(a.dem.array, b.dem.array)
    assert a.dem.transform == b.dem.transform and a.dem.crs == b.dem.crs
    for name, layer in _layers(a).items():
        pd.testing.assert_frame_equal(layer.frame, _layers(b)[name].frame, check_exact=True)
        assert layer.report == _layers(b)[name].report
    pd.testing.assert_frame_equal(a.truth.walkers, b.truth.walkers, check_exact=True)
    for ca, cb in zip(a.truth.coverage, b.truth.coverage):
        np.testing.assert_array_equal(ca.array, cb.array)
    assert a.truth.params == b.truth.params and a.truth.epochs == b.truth.epochs


# -- seeding --------------------------------------------------------------------------------------
def test_same_seed_same_world_and_a_generator_equals_its_seed():
    a = simulate_world(seed=3, **SMALL)
    _assert_same(a, simulate_world(seed=3, **SMALL))
    from_generator = simulate_world(seed=np.random.default_rng(3), **SMALL)
    _assert_same(a, from_generator)
    assert a.truth.seed == 3 and from_generator.truth.seed is None


def test_different_seeds_differ():
    a = simulate_world(seed=3, **SMALL)
    b = simulate_world(seed=4, **SMALL)
    assert not np.array_equal(a.dem.array, b.dem.array)
    assert not a.towers.frame.geometry.geom_equals(b.towers.frame.geometry).all()
    assert not np.array_equal(a.truth.walkers["origin_x"], b.truth.walkers["origin_x"])


def test_a_seed_is_required():
    with pytest.raises(InputError, match="needs a seed"):
        simulate_world(**SMALL)
    with pytest.raises(InputError, match="integer or a numpy.random.Generator"):
        simulate_world(seed="1", **SMALL)
    with pytest.raises(TypeError):
        simulate_world(rng=np.random.default_rng(1), **SMALL)  # one way to seed: seed=


@pytest.mark.parametrize(
    "bad",
    [
        dict(alpha=-1.0),
        dict(intervention="1990-01-01"),
        dict(model="naismith"),
        dict(batches=0),
        dict(start="not a date"),
    ],
)
def test_bad_parameters_are_typed_errors(bad):
    with pytest.raises(InputError):
        simulate_world(seed=1, **{**SMALL, **bad})


# -- shape of the layers --------------------------------------------------------------------------
def test_layers_are_shaped_like_ingested_layers(null_world):
    w = null_world
    assert w.simulated is True
    assert w.dem.crs.is_projected and w.dem.crs.axis_info[0].unit_name == "metre"
    kinds = {
        "deaths": "deaths",
        "towers": "sensors",
        "border": "context",
        "roads": "context",
        "water_stations": "context",
        "encounters": "table",
    }
    for name, layer in _layers(w).items():
        assert isinstance(layer, Layer) and layer.kind == kinds[name]
        r = layer.report
        assert r.kept + r.repaired + r.quarantined == r.rows_read == len(layer.frame) > 0
        assert NOTE in r.notes and layer.source == SIMULATED
        assert (layer.frame["source_id"] == SIMULATED).all()
        assert list(layer.frame["row"]) == list(range(len(layer.frame)))
        assert (layer.frame["status"] == "kept").all()
        if layer.kind in SCHEMAS:
            schema_cols = list(SCHEMAS[layer.kind])
            pd.testing.assert_frame_equal(layer.frame[schema_cols], conform(layer.frame, layer.kind)[schema_cols])
        if layer.kind != "table":
            assert isinstance(layer.frame, gpd.GeoDataFrame) and layer.frame.crs.to_epsg() == 4326
            inside = layer.frame.to_crs(w.dem.crs).geometry.within(shapely.box(*w.dem.bounds))
            assert inside.all(), name
    types = {
        name: set(_layers(w)[name].frame.geom_type)
        for name in ("border", "roads", "water_stations", "towers", "deaths")
    }
    assert types == {
        "border": {"LineString"},
        "roads": {"LineString"},
        "water_stations": {"Point"},
        "towers": {"Point"},
        "deaths": {"Point"},
    }


def test_remains_and_encounters_cover_the_period(null_world):
    w = null_world
    start, end = pd.Timestamp(w.truth.params["start"]), pd.Timestamp(w.truth.params["end"])
    remains = w.remains.frame
    assert remains["date"].between(start, end).all() and remains["date"].is_monotonic_increasing
    assert (remains["dead"] == 1).all() and remains["geometry"].notna().all()
    months = w.encounters.frame["month"]
    assert months.iloc[0] == start and months.is_monotonic_increasing
    assert len(months) == (end.year - start.year) * 12 + end.month - start.month + 1
    assert (months.dt.day == 1).all() and str(w.encounters.frame["encounters"].dtype) == "Int64"


def test_encounters_follow_the_seasonal_intensity(big_world):
    enc = big_world.encounters.frame
    p = big_world.truth.params
    expected_total = p["encounters_per_walker"] * p["walkers"]
    total = int(enc["encounters"].sum())
    assert abs(total - expected_total) < 5 * np.sqrt(expected_total)  # a sum of Poisson counts
    by_month = enc.groupby(enc["month"].dt.month)["encounters"].mean()
    assert by_month[3] > 1.4 * by_month[9]  # λ ∝ 1 + 0.3 cos(2π(m − 3)/12): ratio 1.3/0.7


def test_towers_deploy_from_the_intervention_and_grow(null_world):
    w = null_world
    t = w.towers.frame
    assert (t["active_from"] >= pd.Timestamp(w.truth.intervention)).all()
    assert t["active_from"].min() == pd.Timestamp(w.truth.intervention)
    assert t["active_to"].isna().all() and t[["height_m", "range_m"]].gt(0).all().all()
    assert t["kind"].isin(["RVSS", "IFT", "AST"]).all()
    counts = [int((t["active_from"] <= pd.Timestamp(e)).sum()) for e in w.truth.epochs]
    assert counts == sorted(counts) and counts[-1] == len(t) and len(set(counts)) == len(counts)
    before = coverage_count(
        w.dem,
        *_xy(t, w),
        t["height_m"].to_numpy(),
        t["range_m"].to_numpy(),
        active_from=t["active_from"].to_numpy(),
        active_to=t["active_to"].to_numpy(),
        date=np.datetime64(w.truth.intervention) - np.timedelta64(1, "D"),
    )
    assert before.array.sum() == 0


# -- the mechanism --------------------------------------------------------------------------------
def _xy(frame: gpd.GeoDataFrame, world: World) -> tuple[np.ndarray, np.ndarray]:
    g = frame.to_crs(world.dem.crs).geometry
    return g.x.to_numpy(), g.y.to_numpy()


def _share_of_remains_in_active_coverage(world: World) -> tuple[float, int]:
    """Share of post-intervention remains inside the coverage of towers active on their date,
    from the layers alone (as the battery sees them)."""
    t = world.towers.frame
    tx, ty = _xy(t, world)
    remains = world.remains.frame[world.remains.frame["date"] >= pd.Timestamp(world.truth.intervention)]
    rx, ry = _xy(remains, world)
    rows, cols = world.dem.rowcol(rx, ry)
    inside = np.zeros(len(remains), dtype=bool)
    for date in remains["date"].unique():
        cov = coverage_count(
            world.dem,
            tx,
            ty,
            t["height_m"].to_numpy(),
            t["range_m"].to_numpy(),
            target_height=1.7,
            active_from=t["active_from"].to_numpy(),
            active_to=t["active_to"].to_numpy(),
            date=np.datetime64(date),
        )
        on = (remains["date"] == date).to_numpy()
        inside[on] = cov.array[rows[on], cols[on]] > 0
    return float(inside.mean()), len(remains)


def test_avoidance_lowers_the_share_of_remains_and_routes_in_coverage(null_world, planted_world):
    share0, n0 = _share_of_remains_in_active_coverage(null_world)
    share1, n1 = _share_of_remains_in_active_coverage(planted_world)
    assert n0 >= 20 and n1 >= 20
    assert share0 > 0.25 and share1 < share0 / 2
    route_share = []
    for w in (null_world, planted_world):
        post = w.truth.walkers[w.truth.walkers["epoch"] >= 0]
        route_share.append(post["covered_m"].sum() / post["length_m"].sum())
    assert route_share[0] > 0.25 and route_share[1] < route_share[0] / 3


def test_same_seed_different_alpha_shares_everything_but_routes(null_world, planted_world):
    a, b = null_world, planted_world
    np.testing.assert_array_equal(a.dem.array, b.dem.array)
    pd.testing.assert_frame_equal(a.towers.frame, b.towers.frame)
    pre_a = a.truth.walkers[a.truth.walkers["epoch"] < 0].drop(columns="geometry")
    pre_b = b.truth.walkers[b.truth.walkers["epoch"] < 0].drop(columns="geometry")
    pd.testing.assert_frame_equal(pre_a, pre_b)  # before the towers, α changes nothing
    assert a.truth.params["e_ref_kj"] == b.truth.params["e_ref_kj"]


def test_null_routes_are_least_energy_routes(null_world):
    wk = null_world.truth.walkers
    # with α = 0 the path's energy, summed move by move here, equals Dijkstra's accumulated cost
    np.testing.assert_allclose(wk["energy_kj"], wk["route_cost"], rtol=1e-9)
    np.testing.assert_allclose(wk["energy_kj"], wk["least_energy_kj"], rtol=1e-9)
    assert (wk["cost_units"] == "kJ").all()


def test_avoidance_raises_exertion_after_the_intervention(planted_world):
    wk = planted_world.truth.walkers
    pre, post = wk[wk["epoch"] < 0], wk[wk["epoch"] >= 0]
    assert post["energy_kj"].mean() > 1.1 * pre["energy_kj"].mean()
    extra = post["energy_kj"] - post["least_energy_kj"]
    assert (extra >= -1e-6 * post["energy_kj"]).all() and extra.mean() > 0
    np.testing.assert_allclose(pre["energy_kj"], pre["least_energy_kj"], rtol=1e-9)


def test_routes_run_from_the_border_to_the_highway(null_world):
    w = null_world
    border = w.border.frame.to_crs(w.dem.crs).geometry.iloc[0]
    highway = w.roads.frame.to_crs(w.dem.crs).geometry.iloc[0]
    cell = w.dem.res[0]
    for line in w.truth.walkers.geometry:
        first, last = shapely.Point(line.coords[0]), shapely.Point(line.coords[-1])
        assert first.distance(border) < cell and last.distance(highway) < cell


def test_deaths_follow_the_exertion_hazard(big_world):
    wk = big_world.truth.walkers
    p = big_world.truth.params
    lam = p["death_c"] * np.expm1(p["death_gamma"] * wk["energy_kj"] / p["e_ref_kj"])
    prob = 1.0 - np.exp(-lam)
    expected, sd = prob.sum(), np.sqrt((prob * (1 - prob)).sum())
    assert abs(wk["died"].sum() - expected) < 4 * sd
    dead = wk[wk["died"]]
    assert (dead["death_energy_kj"] < dead["energy_kj"]).all()
    points = shapely.points(dead["death_x"], dead["death_y"])
    assert (shapely.distance(points, dead.geometry.values) < 1e-6).all()  # on the route


def test_remains_are_found_less_far_from_roads(big_world):
    wk = big_world.truth.walkers
    p = big_world.truth.params
    dead = wk[wk["died"]]
    assert len(dead) > 200
    prob = p["find_p_max"] * np.exp(-dead["road_distance_m"] / p["find_scale_m"])
    far = (dead["road_distance_m"] > dead["road_distance_m"].median()).to_numpy()
    for half in (far, ~far):  # p_find = p_max·exp(−r / r_scale) in each half
        expected, sd = prob[half].sum(), np.sqrt((prob[half] * (1 - prob[half])).sum())
        assert abs(dead["found"][half].sum() - expected) < 4 * sd
    assert dead["found"][far].mean() < dead["found"][~far].mean()
    found = dead[dead["found"]]
    assert found["road_distance_m"].mean() < dead["road_distance_m"].mean()
    # the layer holds exactly the found deaths reported within the period
    assert len(big_world.remains.frame) == int(wk["reported"].sum())
    assert (wk["reported"] <= wk["found"]).all() and (wk["found"] <= wk["died"]).all()


def test_tobler_route_choice():
    w = simulate_world(seed=11, alpha=1.0, model="tobler", **SMALL)
    assert (w.truth.walkers["cost_units"] == "s").all()
    assert (w.truth.walkers["energy_kj"] > 0).all() and w.truth.params["model"] == "tobler"


def test_towers_written_to_a_file_ingest_back_with_the_real_reader(tmp_path):
    from borderscape.layers.readers_us import read_towers

    towers = simulate_world(seed=2, **SMALL).towers.frame
    cols = ["kind", "height_m", "range_m", "active_from", "active_to"]
    out = towers[cols[:-1] + ["geometry"]].assign(active_from=towers["active_from"].dt.strftime("%Y-%m-%d"))
    out.to_file(tmp_path / "towers.geojson")
    layer = read_towers(tmp_path / "towers.geojson")
    assert layer.report.kept == len(towers) and layer.kind == "sensors"
    pd.testing.assert_frame_equal(layer.frame[cols], towers[cols])
    assert layer.frame.geometry.geom_equals_exact(towers.geometry, tolerance=1e-9).all()


def test_lead_in_walkers_are_reported_in_the_period_and_nothing_outside_it():
    # slow discoveries (mean 200 days), so that many people who crossed in the lead-in are found in the period
    world = simulate_world(seed=5, alpha=1.0, size=64, walkers=2000, find_delay_days=200.0)
    wk, start = world.truth.walkers, pd.Timestamp(world.truth.params["start"])
    end = pd.Timestamp(world.truth.params["end"])
    before = wk["date"] < start
    # the lead-in (365 days) crosses at the period's pace: ~2000 / 20 walkers
    assert 70 <= before.sum() <= 130 and (wk.loc[before, "epoch"] == -1).all()
    assert wk.loc[before, "reported"].sum() >= 3  # remains of the lead-in reported in the period
    assert wk.loc[wk["reported"], "report_date"].between(start, end).all()
    remains = world.remains.frame
    assert pd.to_datetime(remains["date"]).between(start, end).all() and len(remains) == wk["reported"].sum()
    none = simulate_world(seed=5, alpha=1.0, size=64, walkers=200, lead_in_days=0).truth.walkers
    assert (none["date"] >= start).all() and len(none) == 200
    with pytest.raises(InputError, match="lead_in_days"):
        simulate_world(seed=5, size=64, walkers=10, lead_in_days=-1)
