"""Hardship in litres, wired in: H2 litres at remains, H3 extra litres of avoiding coverage, the study keys,
the run's air temperature (a climate raster, a simulated world's field, the Arizona environment grid),
closed forms on flat ground, the demo and an Arizona run with a generated DEM.

The published worked values of Gonzalez et al. (2009) were not available (only the abstract's equations,
checked in tests/test_water_loss.py), so nothing here claims to reproduce the paper's tables.
"""

from __future__ import annotations

import dataclasses
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from pyproj import Transformer

import borderscape.analyses.battery.h2_hardship as h2mod
from borderscape.analyses import params as P
from borderscape.analyses.battery.h2_hardship import h2_hardship, run_temperature, water_walker
from borderscape.analyses.battery.h3_routes import h3_routes
from borderscape.analyses.inputs import StudyInputs, assemble_inputs
from borderscape.analyses.study import load_study
from borderscape.analyses.worlds import air_temperature, simulate_world, world_study
from borderscape.geo.costdistance import accumulated_cost, least_cost_paths
from borderscape.geo.errors import InputError, StudyError
from borderscape.geo.raster import Raster
from borderscape.geo.synthetic import fractal_dem
from borderscape.geo.water import kelvin, read_temperature, route_litres, temperature_on_grid

ETHICS = "never a map of where people are or will be"
QUICK = {"statistics": {"permutations": 49}, "displacement": {"bootstrap": 49}, "routes": {"sensitivity": False}}


def _by_id(section) -> dict:
    return {o.id: o for o in section.outcomes}


def _psat(t: float) -> float:
    return 0.61078 * math.exp(17.27 * t / (t + 237.3))


def _flat_rates(t_c: float, w: float, load: float, v: float, eta: float) -> tuple[float, float]:
    """By hand from the documented equations (geo/water.py), level ground: (litres per hour, metabolic W)."""
    area = 0.007184 * w**0.425 * 170.0**0.725  # DuBois & DuBois, 1.70 m
    m = 1.5 * w + 2.0 * (w + load) * (load / w) ** 2 + eta * (w + load) * 1.5 * v * v  # Pandolf, G = 0
    h_c = 12.1 * math.sqrt(v)  # still air: the air speed is the walking speed
    i_t = 0.6 + 1.0 / (0.155 * (h_c + 4.7)) / (1.0 + 0.31 * 0.6)  # clo
    r_t = 0.155 * i_t
    e_max = 16.5 * 0.38 * (_psat(36.0) - 0.2 * _psat(t_c)) / r_t
    e_req = m / area + (t_c - 36.0) / r_t  # W_ext = 0 on the flat, no sun
    sweat = 147.0 + 1.527 * e_req - 0.87 * e_max  # Gonzalez et al. (2009) PW, g·m⁻²·h⁻¹
    return sweat * area / 1000.0, m


@pytest.fixture(scope="module")
def world():
    return simulate_world(seed=7, alpha=2.0, size=64, walkers=600)


@pytest.fixture(scope="module")
def study(world):
    return world_study(world, seed=7, parameters=QUICK)


# -- the study keys ---------------------------------------------------------------------------------


def test_water_keys_are_declared_with_units_ranges_and_the_models_defaults():
    from borderscape.geo.costmodels import get_model

    defaults = {p.name: p.default for p in get_model("water").params}
    for key, model_key, unit in (
        ("relative_humidity", "rh", "fraction"),
        ("clothing_clo", "clo", "clo"),
        ("wind_m_s", "wind", "m/s"),
        ("solar_w_m2", "solar", "W/m²"),
    ):
        spec = P.spec("cost", key)
        assert spec.metadata["unit"] == unit and spec.metadata["doc"]
        assert spec.default == defaults[model_key]  # one default, the model's
        assert spec.metadata["ge"] == 0 and spec.metadata["le"] is not None
    assert P.spec("cost", "temperature_month").metadata["le"] == 12
    assert "temperature" in P.ROLES["funnel"]
    study = load_study("arizona-sonora")
    with pytest.raises(StudyError, match="relative_humidity"):
        study.with_(parameters={"cost": {"relative_humidity": 20}})  # a percentage, not a fraction
    with pytest.raises(StudyError, match="temperature_month"):
        study.with_(parameters={"cost": {"temperature_month": 13}})
    p = water_walker(study.with_(parameters={"cost": {"relative_humidity": 0.35, "solar_w_m2": 120, "wind_m_s": 2}}))
    assert (p["rh"], p["solar"], p["wind"], p["W"], p["L"]) == (0.35, 120.0, 2.0, 70.0, 10.0)


# -- the run's temperature -------------------------------------------------------------------------


def test_world_temperature_field_lapse_rate_range_and_no_other_draw_shifted(world, monkeypatch):
    t = world.temperature.array.astype(np.float64)
    z = world.dem.array.astype(np.float64)
    assert world.temperature.transform == world.dem.transform and world.temperature.crs == world.dem.crs
    assert np.nanmax(t) == pytest.approx(42.0, abs=1e-4) and 30.0 < np.nanmin(t) < 42.0
    # regress T on elevation and northing: the planted lapse rate comes back (the noise is smooth, σ 0.5 K)
    north = 1.0 - np.arange(t.shape[0])[:, None] / (t.shape[0] - 1) * np.ones_like(t)
    design = np.column_stack([np.ones(t.size), z.ravel() / 1000.0, north.ravel()])
    coef = np.linalg.lstsq(design, t.ravel(), rcond=None)[0]
    assert coef[1] == pytest.approx(-6.5, abs=0.6)
    again = simulate_world(seed=7, alpha=2.0, size=64, walkers=600)
    np.testing.assert_array_equal(again.temperature.array, world.temperature.array)
    # the field is drawn from a spawned child: without it, the world and the generator's next draw are the same
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    a = simulate_world(seed=g1, size=48, walkers=60)
    monkeypatch.setattr("borderscape.analyses.worlds.air_temperature", lambda dem, gen, **_: None)
    b = simulate_world(seed=g2, size=48, walkers=60)
    assert b.temperature is None and a.temperature is not None
    assert g1.random() == g2.random()
    assert a.remains.frame.equals(b.remains.frame)
    with pytest.raises(InputError, match="lapse"):
        simulate_world(seed=1, size=48, walkers=10, lapse_rate_k_per_km=-1.0)
    flat = air_temperature(world.dem.with_array(np.full(world.dem.shape, 900.0, np.float32)), np.random.default_rng(0))
    assert np.nanmax(flat.array) == pytest.approx(42.0, abs=1e-4)


def test_temperature_raster_read_month_band_and_units(tmp_path):
    path = tmp_path / "tmax_monthly.tif"
    transform = Affine(0.05, 0, -112.0, 0, -0.05, 32.0)
    months = np.stack([np.full((20, 20), 10.0 + m, np.float32) for m in range(12)])  # band m+1 = 10 + m °C
    with rasterio.open(
        path, "w", driver="GTiff", height=20, width=20, count=12, dtype="float32", crs="EPSG:4326", transform=transform
    ) as dst:
        dst.write(months)
    assert np.all(read_temperature(path, month=8).array == 17.0)  # August is band 8
    with pytest.raises(InputError, match="12 bands"):
        read_temperature(path)
    with pytest.raises(InputError, match="1-12"):
        read_temperature(path, month=0)
    kelvin_file = tmp_path / "kelvin.tif"
    with rasterio.open(
        kelvin_file, "w", driver="GTiff", height=5, width=5, count=1, dtype="float32", crs="EPSG:4326",
        transform=transform,
    ) as dst:  # fmt: skip
        dst.write(np.full((1, 5, 5), 313.15, np.float32))
    with pytest.raises(InputError, match="kelvin"):
        read_temperature(kelvin_file)
    # a study names it under [layers] temperature: read once, credited with its sha256, month from the study
    study = load_study("arizona-sonora").with_(
        layers={"temperature": str(path)}, parameters={"cost": {"temperature_month": 7}}
    )
    assembled = assemble_inputs(study)
    raster = assembled.inputs.get("temperature")
    assert isinstance(raster, Raster) and np.nanmax(raster.array) == 16.0
    (record,) = [r for r in assembled.records if r.role == "temperature"]
    assert len(record.files[0]["sha256"]) == 64 and "temperature" in record.reader


def test_temperature_on_grid_copies_the_same_grid_and_is_exact_for_a_plane():
    dem = fractal_dem((60, 80), res=100.0, rng=np.random.default_rng(2))
    same = dem.with_array(np.arange(dem.array.size, dtype=np.float32).reshape(dem.shape), nodata=np.nan)
    np.testing.assert_array_equal(temperature_on_grid(dem, same), same.array)
    # a coarse raster (500 m) of a plane in the same CRS: bilinear resampling is exact inside it
    left, _, _, top = dem.bounds
    coarse_t = Affine(500.0, 0, left - 1000.0, 0, -500.0, top + 1000.0)
    rows, cols = np.indices((20, 24))
    cx, cy = coarse_t * (cols + 0.5, rows + 0.5)
    plane = lambda x, y: 30.0 + 1e-4 * (x - left) - 2e-4 * (y - top)  # noqa: E731
    coarse = Raster(plane(cx, cy).astype(np.float64), coarse_t, dem.crs, np.nan)
    got = temperature_on_grid(dem, coarse)
    fx, fy = dem.xy(*np.indices(dem.shape))
    np.testing.assert_allclose(got, plane(fx, fy), atol=1e-6)


@pytest.mark.parametrize("neighbours", [8, 16])
def test_route_litres_equals_the_accumulated_cost_of_a_least_litre_route(neighbours):
    dem = fractal_dem((50, 50), res=90.0, relief=400.0, rng=np.random.default_rng(4))
    temp = 36.0 + 6.0 * np.random.default_rng(5).random(dem.shape)  # °C, rough on purpose
    params = {"W": 75.0, "L": 12.0, "V": 1.1, "eta": 1.2, "rh": 0.3, "solar": 60.0}
    x, y = dem.xy(2, 3)
    source = gpd.GeoSeries([shapely.Point(float(x), float(y))], crs=dem.crs)
    surf = accumulated_cost(dem, source, model="water", params=params, cell_values=kelvin(temp), neighbours=neighbours)
    tx, ty = dem.xy(np.array([47, 30, 45]), np.array([46, 44, 5]))
    paths = least_cost_paths(surf, gpd.GeoSeries(gpd.points_from_xy(tx, ty), crs=dem.crs))
    for line, cost in zip(paths.geometry, paths["cost"]):
        assert route_litres(dem, line, temp, params) == pytest.approx(cost, rel=1e-6)
    hole = temp.copy()
    hole[25, :] = np.nan
    assert math.isnan(route_litres(dem, paths.geometry.iloc[0], hole, params))  # no silent zero litres


# -- H2 and H3 in litres ----------------------------------------------------------------------------


def _lonlat_raster(dem: Raster, field, res_deg: float = 0.004) -> Raster:
    """A temperature raster in degrees (another CRS and cell size than the DEM) covering it."""
    to_ll = Transformer.from_crs(dem.crs, "EPSG:4326", always_xy=True)
    left, bottom, right, top = dem.bounds
    lon, lat = to_ll.transform([left, right, left, right], [bottom, bottom, top, top])
    west, north = min(lon) - 0.02, max(lat) + 0.02
    cols = int((max(lon) + 0.02 - west) / res_deg) + 1
    rows = int((north - (min(lat) - 0.02)) / res_deg) + 1
    t = Affine(res_deg, 0, west, 0, -res_deg, north)
    r, c = np.indices((rows, cols))
    clon, clat = t * (c + 0.5, r + 0.5)
    return Raster(field(clon, clat).astype(np.float64), t, "EPSG:4326", np.nan)


def test_h2_litres_at_remains_and_h3_extra_litres_from_a_user_temperature_raster(world, study, tmp_path):
    left, bottom, right, top = world.dem.bounds
    lon0, lat0 = Transformer.from_crs(world.dem.crs, "EPSG:4326", always_xy=True).transform(
        (left + right) / 2, (bottom + top) / 2
    )
    field = lambda lon, lat: 39.0 - 30.0 * (lat - lat0) + 20.0 * (lon - lon0)  # noqa: E731  °C, a plane over the world
    raster = _lonlat_raster(world.dem, field)
    path = raster.write(tmp_path / "tmax.tif")
    raster = read_temperature(path)
    layers = {**world.layers, "temperature": raster}
    inputs = StudyInputs(layers=layers, missing={})
    out = _by_id(h2_hardship(study, inputs, np.random.default_rng(1)))
    water = out["H2.water_loss"]
    assert water.status == "ran" and water.role == "descriptive" and water.parameters["unit"] == "L"
    at = water.parameters["litres_at_remains"]
    assert 0.1 < at["median_before"] < 20 and 0.1 < at["median_after"] < 20  # litres, not mL or kg
    assert water.ci[0] <= water.estimate <= water.ci[1] and "Gonzalez" in water.method
    assert "temperature layer" in water.parameters["temperature_source"]
    assert any(ETHICS in c for c in water.caveats) and any("not the day each person walked" in c for c in water.caveats)
    assert {v.name for v in water.sensitivity} >= {"weather: relative humidity 40 % (monsoon)"}
    assert out["H2.energy"].role == "secondary"  # energy is untouched beside it
    # hotter everywhere → more litres at every record (a real property of the model, not of the wiring)
    hot = StudyInputs(layers={**layers, "temperature": raster.with_array(raster.array + 4.0)}, missing={})
    records = h2_hardship(study, inputs, np.random.default_rng(1)).tables["h2_records"]
    hotter = h2_hardship(study, hot, np.random.default_rng(1)).tables["h2_records"]
    ok = records["water_loss"].notna()
    assert ok.sum() > 20 and (hotter["water_loss"][ok] > records["water_loss"][ok]).all()
    np.testing.assert_allclose(hotter["energy"], records["energy"])  # energy knows nothing of heat

    section = h3_routes(study, inputs, np.random.default_rng(2))
    h3 = _by_id(section)
    lw = h3["H3.water_loss"]
    assert lw.status == "ran" and lw.role == "descriptive" and lw.parameters["units"] == "L"
    assert lw.ci[0] <= lw.estimate <= lw.ci[1] and 0 < lw.p_value <= 1 and lw.n >= 3
    assert lw.parameters["mean_extra_kj"] == pytest.approx(h3["H3"].estimate)
    assert h3["H3"].parameters["mean_extra_litres"] == pytest.approx(lw.estimate)
    assert any(ETHICS in c for c in lw.caveats)
    table = section.tables["h3_routes"]
    assert np.isfinite(table["litres"]).sum() >= 6
    # the estimate is the mean extra litres of the routes of the latest epoch, from the routes table
    latest = table[table["epoch_start"] == lw.parameters["epoch_start"]].set_index("origin")["litres"]
    free = table[table["kind"] == "unconstrained"].set_index("origin")["litres"]
    both = latest.notna() & free.notna()
    assert (latest[both] - free[both]).mean() == pytest.approx(lw.estimate)


def test_flat_ground_uniform_heat_litres_are_rate_times_time_by_hand(world, study):
    """Flat DEM, 40 °C everywhere, a straight border along a row: litres at a record k rows north of it are
    (sweat rate by hand) × k·res / V; H3's extra litres are its extra kJ × litres per kJ of level walking."""
    dem = world.dem.with_array(np.full(world.dem.shape, 700.0, np.float32))
    res = dem.res[0]
    temperature = dem.with_array(np.full(dem.shape, 40.0, np.float32), nodata=np.nan)
    to_ll = Transformer.from_crs(dem.crs, "EPSG:4326", always_xy=True)
    border_row = dem.shape[0] - 4
    (x0, x1), (yb, _) = dem.xy(np.array([border_row, border_row]), np.array([0, dem.shape[1] - 1]))
    border_ll = shapely.LineString(np.column_stack(to_ll.transform([x0, x1], [yb, yb])))
    border = dataclasses.replace(world.border, frame=world.border.frame.set_geometry([border_ll], crs="EPSG:4326"))
    deaths = world.remains.frame
    rng = np.random.default_rng(3)
    k = rng.integers(3, border_row - 3, len(deaths))
    cols = rng.integers(2, dem.shape[1] - 2, len(deaths))
    px, py = dem.xy(border_row - k, cols)
    deaths = deaths.set_geometry(gpd.points_from_xy(*to_ll.transform(px, py)), crs="EPSG:4326")
    layers = {
        **world.layers,
        "dem": dem,
        "border": border,
        "deaths": dataclasses.replace(world.remains, frame=deaths),
        "temperature": temperature,
    }
    inputs = StudyInputs(layers=layers, missing={})
    section = h2_hardship(study, inputs, np.random.default_rng(1))
    records = section.tables["h2_records"]
    lph, m_w = _flat_rates(40.0, 70.0, 10.0, 1.2, 1.5)  # the walker of the simulated study
    per_metre = lph / (1.2 * 3600.0)  # litres per metre = litres per hour × hours per metre (1 / V)
    got = records["water_loss"].to_numpy()
    assert len(got) == len(deaths)
    np.testing.assert_allclose(got, per_metre * k * res, rtol=1e-5)  # one record each, in the layer's order
    water = _by_id(section)["H2.water_loss"]
    assert water.parameters["litres_at_remains"]["median_before"] > 0

    h3 = _by_id(h3_routes(study, inputs, np.random.default_rng(2)))
    assert h3["H3"].status == "ran", h3["H3"].reason
    litres_per_kj = lph / (3.6 * m_w)  # L/h over kJ/h of level walking: both ∝ time on flat ground
    assert h3["H3.water_loss"].estimate == pytest.approx(h3["H3"].estimate * litres_per_kj, rel=1e-5)


def test_environment_grid_fallback_no_temperature_and_a_month_the_grid_lacks(world, study):
    from borderscape.analyses.worlds import _layer

    layers = dict(world.layers)  # no temperature layer
    out = _by_id(h2_hardship(study, StudyInputs(layers=layers, missing={}), np.random.default_rng(1)))
    skipped = out["H2.water_loss"]
    assert skipped.status == "skipped" and "[layers] temperature" in skipped.reason
    assert out["H2.energy"].status == "ran"
    # an environment grid of July maxima at every 4th cell centre of the world's field (the Arizona fallback)
    rows, cols = np.meshgrid(np.arange(1, 64, 4), np.arange(1, 64, 4), indexing="ij")
    x, y = world.dem.xy(rows.ravel(), cols.ravel())
    tmax = world.temperature.array[rows.ravel(), cols.ravel()].astype(np.float64)
    env = _layer("context", pd.DataFrame({"july_tmax_c": tmax}), shapely.points(x, y), world.dem.crs)
    inputs = StudyInputs(layers={**layers, "environment": env}, missing={})
    got = run_temperature(study, inputs, world.dem)
    assert got.month == 7 and "July" in got.caveat and ETHICS in got.caveat
    np.testing.assert_allclose(got.grid[rows, cols], tmax.reshape(rows.shape), atol=1e-6)  # exact at the centres
    assert np.isfinite(got.grid).all()  # edges beyond the centres: the nearest within 1.5 cells
    august = world_study(world, seed=7, parameters={**QUICK, "cost": {"temperature_month": 8}})
    why = run_temperature(august, inputs, world.dem)
    assert isinstance(why, str) and "July maxima only" in why
    out = _by_id(h2_hardship(august, inputs, np.random.default_rng(1)))
    assert out["H2.water_loss"].status == "skipped" and "temperature_month = 8" in out["H2.water_loss"].reason


# -- the demo and an Arizona run -------------------------------------------------------------------


def test_the_demo_reports_litres():
    from borderscape.pipeline import demo

    result = demo(seed=0)
    tests = {t["id"]: t for t in result.results["tests"]}
    for key, unit in (("H2.water_loss", "unit"), ("H3.water_loss", "units")):
        t = tests[key]
        assert t["status"] == "ran" and t["parameters"][unit] == "L" and t["role"] == "descriptive", key
        assert math.isfinite(t["estimate"]) and t["parameters"]["temperature_month"] == 7
    assert "temperature" in {r.role for r in result.assembled.records}


def test_arizona_run_with_a_generated_dem_reports_litres_from_the_env_grid(data_dir, tmp_path, monkeypatch):
    from borderscape.pipeline import run

    # a generated DEM over part of the study area near Sasabe (UTM 12N), 36 × 30 km of 180 m cells
    dem = fractal_dem(
        (165, 200), res=180.0, relief=800.0, rng=np.random.default_rng(3), origin=(470_000.0, 3_490_000.0)
    )
    path = dem.write(tmp_path / "dem.tif")
    study = load_study("arizona-sonora").with_(
        parameters={"statistics": {"permutations": 19}, "displacement": {"bootstrap": 19}}
    )
    result = run(study, dem=path, data_dir=data_dir)
    tests = {o.id: o for o in result.battery.outcomes}
    water = tests["H2.water_loss"]
    assert water.status == "ran", water.reason
    assert water.parameters["temperature_month"] == 7 and "az-env-grid" in water.parameters["temperature_source"]
    lo, hi = water.parameters["temperature_c_range"]
    assert 20.0 < lo <= hi < 46.0  # PRISM July maxima of southern Arizona
    assert water.parameters["litres_at_remains"]["median_after"] > 0
    assert any("July" in c and ETHICS in c for c in water.caveats)
    assert tests["H2.road_distance"].role == "primary"
    # the environment grid's temperatures on a large DEM: every k-th cell, then bilinear, agree with direct
    prepared = result.assembled.inputs.dem()
    direct = run_temperature(study, result.assembled.inputs, prepared)
    monkeypatch.setattr(h2mod, "_TEMPERATURE_CELLS", prepared.array.size // 16)
    coarse = run_temperature(study, result.assembled.inputs, prepared)
    valid = prepared.valid_mask()  # the generated DEM reaches south of the study box: those cells are clipped
    both = np.isfinite(direct.grid) & np.isfinite(coarse.grid)
    assert not both[~valid].any() and "every 4th cell" in coarse.source
    assert both[valid].mean() > 0.97
    assert np.abs(direct.grid[both] - coarse.grid[both]).max() < 0.5
