"""The water-loss (sweat) cost model: published equations, closed forms, monotonicity, units, grids."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from pyproj import Transformer

from borderscape.geo.costdistance import accumulated_cost
from borderscape.geo.costmodels import MODELS, get_model
from borderscape.geo.errors import InputError
from borderscape.geo.raster import Raster
from borderscape.geo.water import (
    az_july_tmax,
    dubois_area,
    heat_balance,
    kelvin,
    litres_per_hour,
    litres_per_metre,
    move_litres,
    sweat_rate_ose,
    sweat_rate_osec,
    sweat_rate_pw,
    temperature_grid,
)

CRS = "EPSG:32612"
RES = 30.0


def grid(z: np.ndarray, res: float = RES) -> Raster:
    return Raster(np.asarray(z, dtype=np.float32), Affine(res, 0, 500_000.0, 0, -res, 3_600_000.0), CRS)


def point_at(r: Raster, row: int, col: int) -> gpd.GeoSeries:
    x, y = r.xy(row, col)
    return gpd.GeoSeries([shapely.Point(float(x), float(y))], crs=CRS)


def test_registered_beside_pandolf_with_units_and_references():
    m = MODELS["water"]
    assert m.units == "L" and m.cell_param == "tair_k"
    assert "Gonzalez" in m.reference and "379–388" in m.reference and "Pandolf" in m.reference
    assert m.param_names[:6] == MODELS["pandolf"].param_names  # the study's walker passes unchanged
    assert all(p.unit for p in m.params)


def test_published_sweat_equations_as_printed():
    # Gonzalez et al. (2009) abstract: PW ṁsw = 147 + 1.527·Ereq − 0.87·Emax; OSE (Shapiro et al. 1982)
    # ṁsw = 27.9·Ereq·Emax^−0.455; OSEC ṁsw = 147·exp(0.0012·OSE); all g·m⁻²·h⁻¹ with E in W/m².
    e_req, e_max = 300.0, 250.0
    assert sweat_rate_pw(e_req, e_max) == pytest.approx(147 + 1.527 * 300 - 0.87 * 250, abs=1e-9)  # 385.6
    ose = 27.9 * 300 * 250**-0.455
    assert sweat_rate_ose(e_req, e_max) == pytest.approx(ose, rel=1e-12)
    assert sweat_rate_osec(e_req, e_max) == pytest.approx(147 * np.exp(0.0012 * ose), rel=1e-12)
    # the paper's finding: OSE over-predicts against the corrected equations in its hot range
    assert sweat_rate_osec(e_req, e_max) < sweat_rate_ose(e_req, e_max)


def test_dubois_area():
    # DuBois & DuBois (1916): 0.007184·W^0.425·H^0.725; 70 kg, 170 cm → 1.81 m² (the registered default)
    assert dubois_area(70.0, 1.70) == pytest.approx(1.8097, abs=1e-4)
    assert get_model("water").params[-1].default == pytest.approx(round(dubois_area(70.0, 1.70), 2))


def test_metabolic_rate_is_the_pandolf_model():
    pandolf = get_model("pandolf")
    slopes = np.array([-0.3, -0.1, -0.02, 0.0, 0.05, 0.2])
    for extra in ({}, {"continuous": 1.0}, {"santee": 0.0}):
        params = {"W": 80.0, "L": 20.0, "V": 1.1, "eta": 1.5, **extra}
        m = heat_balance(slopes, 35.0, params)["M"]
        kj = pandolf.cost(slopes * 100.0, 100.0, **params)  # energy of 100 m
        np.testing.assert_allclose(m * (100.0 / 1.1) / 1000.0, kj, rtol=1e-12)


def test_heat_balance_closed_form_by_hand():
    # one condition worked through step by step, independently of the module's code
    p = {"W": 70.0, "L": 10.0, "V": 1.25, "eta": 1.0, "rh": 0.2, "tsk": 36.0, "clo": 0.6, "im": 0.38, "area": 1.8}
    ta = 42.0
    m = 1.5 * 70 + 2.0 * 80 * (10 / 70) ** 2 + 1.0 * 80 * 1.5 * 1.25**2  # level walking, W
    hc = 12.1 * np.sqrt(1.25)
    i_t = 0.6 + (1 / (0.155 * (hc + 4.7))) / (1 + 0.31 * 0.6)
    r_t = 0.155 * i_t
    psat = lambda t: 0.61078 * np.exp(17.27 * t / (t + 237.3))  # noqa: E731
    e_max = 16.5 * 0.38 * (psat(36.0) - 0.2 * psat(42.0)) / r_t
    e_req = m / 1.8 + (42.0 - 36.0) / r_t
    lph = (147 + 1.527 * e_req - 0.87 * e_max) * 1.8 / 1000
    hb = heat_balance(0.0, ta, p)
    assert hb["E_max"] == pytest.approx(e_max, rel=1e-12)
    assert hb["E_req"] == pytest.approx(e_req, rel=1e-12)
    assert hb["litres_per_hour"] == pytest.approx(lph, rel=1e-12)
    assert 0.3 < lph < 1.5  # hand check of scale: litres per hour, not millilitres or kilograms per minute


def test_numba_kernel_matches_numpy_reference():
    rng = np.random.default_rng(7)
    n = 500
    d = rng.choice([30.0, 42.43, 67.08], n)
    dz = rng.uniform(-0.4, 0.4, n) * d
    t = rng.uniform(-5.0, 48.0, n)
    for params in ({}, {"W": 60.0, "L": 15.0, "V": 1.0, "eta": 1.5, "rh": 0.5, "wind": 2.0, "solar": 120.0}):
        got = move_litres(dz, d, t, params)
        want = litres_per_metre(dz / d, t, params) * d
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-15)
        assert np.all(got >= 0)


@pytest.mark.parametrize("neighbours", [8, 16])
def test_flat_ground_constant_temperature_litres_equal_rate_times_time(neighbours):
    n = 61
    dem = grid(np.full((n, n), 700.0))
    params = {"W": 75.0, "L": 12.0, "V": 1.2, "eta": 1.2, "solar": 80.0}
    t_c = 41.0
    surf = accumulated_cost(
        dem,
        point_at(dem, 30, 30),
        model="water",
        params=params,
        cell_values=np.full(dem.shape, kelvin(t_c)),
        neighbours=neighbours,
    )
    assert surf.units == "L"
    rate = float(litres_per_hour(0.0, t_c, params))  # L/h on the flat
    rr, cc = np.mgrid[0:n, 0:n]
    dist = np.hypot(rr - 30, cc - 30) * RES
    axes = (rr == 30) | (cc == 30) | (np.abs(rr - 30) == np.abs(cc - 30))
    # litres = sweat rate × time = rate × distance / speed, exactly along straight grid lines
    np.testing.assert_allclose(surf.cost.array[axes], rate * dist[axes] / 1.2 / 3600.0, rtol=1e-6)
    assert surf.cost.array[30, 0] == pytest.approx(rate * 30 * RES / 1.2 / 3600.0, rel=1e-6)


def test_per_cell_temperature_is_used_cell_by_cell():
    n = 41
    dem = grid(np.full((n, n), 300.0))
    temp = np.where(np.arange(n)[:, None] < 20, 30.0, 45.0) * np.ones((1, n))
    surf = accumulated_cost(dem, point_at(dem, 10, 0), model="water", cell_values=kelvin(temp))
    cool = float(litres_per_hour(0.0, 30.0)) / (1.25 * 3600)  # L/m
    hot_surf = accumulated_cost(dem, point_at(dem, 30, 0), model="water", cell_values=kelvin(temp))
    hot = float(litres_per_hour(0.0, 45.0)) / (1.25 * 3600)
    assert surf.cost.array[10, 40] == pytest.approx(cool * 40 * RES, rel=1e-6)
    # from the hot band the cheapest route detours through the cool band: fewer litres than straight
    assert hot > cool
    assert cool * 40 * RES < hot_surf.cost.array[30, 40] < hot * 40 * RES
    walled = accumulated_cost(dem, point_at(dem, 30, 0), model="water", cell_values=kelvin(temp), barriers=temp < 40.0)
    assert walled.cost.array[30, 40] == pytest.approx(hot * 40 * RES, rel=1e-6)


def test_monotone_in_heat_slope_load_humidity_and_sun():
    temps = np.arange(25.0, 48.0, 1.0)
    assert np.all(np.diff(litres_per_hour(0.0, temps)) > 0)  # hotter → more
    slopes = np.arange(0.0, 0.41, 0.02)
    assert np.all(np.diff(litres_per_hour(slopes, 40.0)) > 0)  # steeper uphill → more
    loads = [0.0, 10.0, 20.0, 30.0]
    rates = [float(litres_per_hour(0.05, 40.0, {"L": x})) for x in loads]
    assert np.all(np.diff(rates) > 0)  # heavier load → more
    assert litres_per_hour(0.0, 40.0, {"rh": 0.5}) > litres_per_hour(0.0, 40.0, {"rh": 0.1})
    assert litres_per_hour(0.0, 40.0, {"solar": 150.0}) > litres_per_hour(0.0, 40.0)
    # per metre: a slower walk in the same heat takes longer, but less work per second
    assert litres_per_metre(0.0, 40.0, {"V": 0.8}) > 0


def test_units_and_conversions():
    hb = heat_balance(0.1, 40.0)
    assert hb["litres_per_hour"] == pytest.approx(hb["sweat"] * 1.81 / 1000.0)  # g·m⁻²·h⁻¹ × m² → L/h
    one = float(move_litres(0.0, 1000.0, 40.0))
    assert one == pytest.approx(float(litres_per_hour(0.0, 40.0)) * 1000.0 / 1.25 / 3600.0, rel=1e-12)
    assert kelvin(-10.0) == pytest.approx(263.15)
    assert float(move_litres(0.0, 30.0, -10.0)) >= 0.0  # sub-zero air is a valid (kelvin) cell value


@pytest.mark.parametrize(
    "params,word", [({"rh": 1.5}, "rh"), ({"tsk": 50.0}, "tsk"), ({"area": 0.0}, "area"), ({"clo": -1}, "clo")]
)
def test_bad_parameters_are_typed_errors(params, word):
    with pytest.raises(InputError, match=word):
        get_model("water").pack(params)


def test_temperature_grid_linear_field_and_nearest():
    dem = grid(np.zeros((40, 50)), res=500.0)
    to_ll = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    left, bottom, right, top = dem.bounds
    lon0, lat0 = to_ll.transform(left, bottom)
    lon1, lat1 = to_ll.transform(right, top)
    lon, lat = np.meshgrid(np.arange(lon0 - 0.05, lon1 + 0.05, 0.044), np.arange(lat0 - 0.05, lat1 + 0.05, 0.044))
    field = lambda x, y: 20.0 + 3.0 * (x - lon0) + 50.0 * (y - lat0)  # noqa: E731  a linear field, °C
    t = field(lon, lat)
    rows, cols = np.indices(dem.shape)
    cx, cy = dem.xy(rows, cols)
    clon, clat = to_ll.transform(cx, cy)
    lin = temperature_grid(dem, lon, lat, t, method="linear", max_distance=1e9)
    np.testing.assert_allclose(lin, field(clon, clat), atol=1e-9)  # linear interpolation is exact for a plane
    near = temperature_grid(dem, lon, lat, t, method="nearest")
    # brute force: the nearest point in the DEM's metres
    px, py = Transformer.from_crs("EPSG:4326", CRS, always_xy=True).transform(lon.ravel(), lat.ravel())
    i = np.argmin((cx.ravel()[:, None] - px) ** 2 + (cy.ravel()[:, None] - py) ** 2, axis=1)
    np.testing.assert_allclose(near.ravel(), t.ravel()[i])
    with pytest.raises(InputError):
        temperature_grid(dem, lon, lat[:1], t)
    far = temperature_grid(dem, np.array([-111.0, -110.956]), np.array([0.0, 0.0]), np.array([30.0, 31.0]))
    assert np.isnan(far).all()  # cells far from every point are not given a temperature


DATA = Path(os.environ.get("BORDERSCAPE_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


@pytest.mark.skipif(not (DATA / "az-environmental-grid-0044deg").exists(), reason="shared data not present")
def test_shipped_july_tmax_grid_drives_the_model():
    lon, lat, tmax = az_july_tmax(DATA)
    assert lon.size == 11_280 and np.isfinite(tmax).all()
    assert 25.0 < np.median(tmax) < 45.0  # PRISM July maximum, °C
    # a 9 km × 9 km DEM near Ajo (UTM 12N), temperatures from the grid
    dem = Raster(np.full((30, 30), 500.0, dtype=np.float32), Affine(300.0, 0, 300_000.0, 0, -300.0, 3_600_000.0), CRS)
    t = temperature_grid(dem, lon, lat, tmax, method="linear")
    assert np.isfinite(t).all()
    surf = accumulated_cost(dem, point_at(dem, 29, 15), model="water", cell_values=kelvin(t))
    assert np.nanmax(surf.cost.array) > 0
