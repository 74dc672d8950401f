"""Viewsheds and cumulative coverage: closed forms, a brute-force R3 reference, simulated worlds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS

from borderscape.geo.errors import InputError, RasterError
from borderscape.geo.raster import Raster
from borderscape.geo.synthetic import fractal_dem
from borderscape.geo.viewshed import (
    EARTH_RADIUS_M,
    active_at,
    coverage_count,
    coverage_epochs,
    curvature_drop,
    viewshed,
)

RES = 30.0


def plane(rows: int, cols: int, value: float = 100.0, res: float = RES) -> Raster:
    a = np.full((rows, cols), value, dtype=np.float32)
    return Raster(a, Affine(res, 0, 500_000.0, 0, -res, 3_600_000.0), CRS.from_epsg(32612), None)


def centre(r: Raster, row: int, col: int) -> tuple[float, float]:
    x, y = r.xy(row, col)
    return float(x), float(y)


def r3_reference(
    z: np.ndarray, orow: int, ocol: int, h_obs: float, h_tgt: float, res: float, drop_per_m2: float
) -> np.ndarray:
    """Brute-force R3 (Franklin & Ray 1994): every line of sight checked against the terrain
    interpolated linearly at each crossing of a row or column of cell centres."""
    rows, cols = z.shape
    zeye = z[orow, ocol] + h_obs
    out = np.zeros(z.shape, bool)
    for r in range(rows):
        for c in range(cols):
            dr, dc = r - orow, c - ocol
            if dr == 0 and dc == 0:
                out[r, c] = True
                continue
            dist = math.hypot(dr, dc) * res
            target = (z[r, c] + h_tgt - drop_per_m2 * dist**2 - zeye) / dist
            grads = []
            for major, minor, along_cols in ((dc, dr, True), (dr, dc, False)):
                if abs(major) < 2:
                    continue
                t = np.arange(1, abs(major)) / abs(major)
                m = t * minor
                lo = np.floor(m).astype(int)
                f = m - lo
                hi = np.where(f > 0, lo + 1, lo)
                k = np.sign(major) * np.arange(1, abs(major))
                if along_cols:
                    ze = z[orow + lo, ocol + k] * (1 - f) + z[orow + hi, ocol + k] * f
                else:
                    ze = z[orow + k, ocol + lo] * (1 - f) + z[orow + k, ocol + hi] * f
                d = t * dist
                grads.append((ze - drop_per_m2 * d**2 - zeye) / d)
            out[r, c] = all(target >= g.max() for g in grads)
    return out


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


# -- closed forms ----------------------------------------------------------------------------
def test_ridge_hides_what_lies_behind_it():
    # flat ground at 0, a wall of height H = 10 m across column 20, eye h = 30 m at column 0:
    # a ground target at distance D behind the wall is hidden while h (1 - a / D) < H,
    # i.e. up to D* = a h / (h - H) = 600 * 30 / 20 = 900 m (column 30).
    dem = plane(41, 80, value=0.0)
    a = dem.array.copy()
    a[:, 20] = 10.0
    dem = dem.with_array(a)
    x, y = centre(dem, 20, 0)
    v = viewshed(dem, x, y, observer_height=30.0, curvature=False).array[20]
    assert v[:20].all()  # in front of the wall and the wall itself (col 20 is the crest)
    assert v[20] == 1
    d_star = 600.0 * 30.0 / 20.0
    cols = np.arange(80)
    dist = cols * RES
    hidden = (cols > 20) & (dist < d_star - RES)
    seen = dist > d_star + RES
    assert (v[hidden] == 0).all()
    assert (v[seen] == 1).all()
    # and a wall taller than the eye hides everything behind it
    a[:, 20] = 40.0
    v = viewshed(dem.with_array(a), x, y, observer_height=30.0, curvature=False).array[20]
    assert (v[21:] == 0).all()


@pytest.mark.parametrize("h_obs,h_tgt,refraction", [(20.0, 2.0, 1 / 7), (50.0, 0.0, 0.0), (10.0, 5.0, 0.25)])
def test_curvature_hides_low_target_by_textbook_amount(h_obs, h_tgt, refraction):
    # On a sphere of effective radius R' = R / (1 - k) the line of sight from height h to
    # height t grazes the surface; the target is visible up to sqrt(2 R' h) + sqrt(2 R' t).
    r_eff = EARTH_RADIUS_M / (1 - refraction)
    horizon = math.sqrt(2 * r_eff * h_obs) + math.sqrt(2 * r_eff * h_tgt)
    ncols = int(horizon / RES * 1.3)
    dem = plane(3, ncols)
    x, y = centre(dem, 1, 0)
    v = viewshed(dem, x, y, observer_height=h_obs, target_height=h_tgt, refraction=refraction).array[1]
    dist = np.arange(ncols) * RES
    assert (v[dist < horizon - RES] == 1).all()
    assert (v[dist > horizon + RES] == 0).all()
    # without curvature the plane is visible to its end
    flat = viewshed(dem, x, y, observer_height=h_obs, target_height=h_tgt, curvature=False).array
    assert flat.all()


def test_curvature_drop_formula():
    assert curvature_drop(10_000.0, refraction=0.0) == pytest.approx(1e8 / (2 * 6_371_000.0))
    assert curvature_drop(10_000.0) == pytest.approx(1e8 / (2 * 6_371_000.0) * 6 / 7)


def test_max_distance_is_a_disc():
    dem = plane(101, 101)
    x, y = centre(dem, 50, 50)
    v = viewshed(dem, x, y, observer_height=2.0, max_distance=900.0, curvature=False).array
    rr, cc = np.mgrid[:101, :101]
    d = np.hypot(rr - 50, cc - 50) * RES
    np.testing.assert_array_equal(v == 1, d <= 900.0)


# -- against an independent brute-force R3 ----------------------------------------------------
@pytest.mark.parametrize("seed", [3, 11])
def test_matches_brute_force_r3_on_generated_terrain(seed):
    dem = fractal_dem((61, 61), relief=150, beta=4.5, rng=np.random.default_rng(seed))
    z = dem.array.astype(float)
    x, y = centre(dem, 30, 30)
    drop = (1 - 1 / 7) / (2 * EARTH_RADIUS_M)
    ours = viewshed(dem, x, y, observer_height=10.0, target_height=1.0).array == 1
    ref = r3_reference(z, 30, 30, 10.0, 1.0, RES, drop)
    assert 0.05 < ref.mean() < 0.95  # a non-trivial viewshed
    assert iou(ours, ref) >= 0.97
    assert (ours != ref).mean() < 0.02


def test_observer_near_edge_and_anisotropic_cells():
    rng = np.random.default_rng(5)
    dem = fractal_dem((40, 50), relief=100, beta=4.5, rng=rng)
    x, y = centre(dem, 0, 3)
    v = viewshed(dem, x, y, observer_height=5.0).array
    ref = r3_reference(dem.array.astype(float), 0, 3, 5.0, 0.0, RES, (1 - 1 / 7) / (2 * EARTH_RADIUS_M))
    assert (v == 1).sum() > 20
    assert (v.astype(bool) != ref).mean() < 0.03
    # rectangular cells: a plane is fully visible without curvature
    a = np.zeros((30, 40), np.float32)
    rect = Raster(a, Affine(30.0, 0, 0.0, 0, -90.0, 0.0), CRS.from_epsg(32612), None)
    v = viewshed(rect, 15.0, -45.0, observer_height=2.0, curvature=False).array
    assert v.all()
    long = Raster(a, Affine(10.0, 0, 0.0, 0, -90.0, 0.0), CRS.from_epsg(32612), None)
    with pytest.raises(RasterError, match="square"):
        viewshed(long, 15.0, -45.0)


def test_nodata_is_not_visible_and_does_not_block():
    dem = plane(21, 40, value=0.0)
    a = dem.array.copy()
    a[:, 10] = -9999.0  # a nodata column
    dem = Raster(a, dem.transform, dem.crs, -9999.0)
    x, y = centre(dem, 10, 0)
    v = viewshed(dem, x, y, observer_height=2.0, curvature=False).array
    assert (v[:, 10] == 0).all()
    assert v[:, 11:].all()


def test_input_not_modified_and_errors():
    dem = fractal_dem((30, 30), rng=np.random.default_rng(0))
    before = dem.array.copy()
    x, y = centre(dem, 15, 15)
    viewshed(dem, x, y, max_distance=300.0)
    np.testing.assert_array_equal(dem.array, before)
    with pytest.raises(InputError):
        viewshed(dem, x + 10_000.0, y)
    with pytest.raises(InputError):
        viewshed(dem, x, y, refraction=1.5)
    with pytest.raises(InputError):
        viewshed(dem, x, y, max_distance=-1.0)
    geo = Raster(dem.array, Affine(0.001, 0, -110, 0, -0.001, 32), CRS.from_epsg(4326), None)
    with pytest.raises(RasterError):
        viewshed(geo, -109.98, 31.98)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    row=st.integers(0, 39),
    col=st.integers(0, 39),
    h=st.floats(0.0, 50.0),
    t_lo=st.floats(0.0, 5.0),
    dt=st.floats(0.01, 20.0),
)
def test_a_taller_target_is_seen_wherever_a_shorter_one_is(seed, row, col, h, t_lo, dt):
    dem = fractal_dem((40, 40), relief=200, rng=np.random.default_rng(seed))
    x, y = centre(dem, row, col)
    low = viewshed(dem, x, y, observer_height=h, target_height=t_lo).array
    high = viewshed(dem, x, y, observer_height=h, target_height=t_lo + dt).array
    assert (high >= low).all()
    assert low[row, col] == 1


# -- cumulative coverage ---------------------------------------------------------------------
def test_coverage_is_the_sum_of_single_viewsheds():
    dem = fractal_dem((120, 120), relief=300, beta=4.0, rng=np.random.default_rng(2))
    rng = np.random.default_rng(9)
    rows = rng.integers(0, 120, 12)
    cols = rng.integers(0, 120, 12)
    x, y = dem.xy(rows, cols)
    heights = rng.uniform(5, 40, 12)
    ranges = rng.uniform(500, 2500, 12)
    count = coverage_count(dem, x, y, heights, ranges, target_height=1.5).array
    total = np.zeros(dem.shape, np.int64)
    for i in range(12):
        total += viewshed(dem, x[i], y[i], observer_height=heights[i], target_height=1.5, max_distance=ranges[i]).array
    np.testing.assert_array_equal(count, total)
    assert count.max() > 1
    # progress is reported in chunks up to the number of observers, with the same result
    calls = []
    again = coverage_count(
        dem, x, y, heights, ranges, target_height=1.5, progress=lambda done, n: calls.append((done, n))
    ).array
    np.testing.assert_array_equal(again, count)
    assert calls and calls[-1] == (12, 12) and all(n == 12 for _, n in calls)
    # threads asked for explicitly give the same counts
    threaded = coverage_count(dem, x, y, heights, ranges, target_height=1.5, parallel=True).array
    np.testing.assert_array_equal(threaded, count)


def test_coverage_on_flat_plane_counts_observers_in_range():
    # simulated world with a known answer: without curvature a plane is visible everywhere,
    # so a cell's count is the number of observers within their range of it.
    dem = plane(80, 90, value=0.0)
    rng = np.random.default_rng(1)
    rows = rng.integers(0, 80, 25)
    cols = rng.integers(0, 90, 25)
    x, y = dem.xy(rows, cols)
    ranges = rng.uniform(200, 1500, 25)
    count = coverage_count(dem, x, y, 10.0, ranges, curvature=False).array
    rr, cc = np.mgrid[:80, :90]
    expected = sum((np.hypot(rr - r, cc - c) * RES <= rg).astype(int) for r, c, rg in zip(rows, cols, ranges))
    np.testing.assert_array_equal(count, expected)


def test_coverage_counts_only_sensors_active_at_date():
    dem = plane(50, 50, value=0.0)
    x, y = dem.xy(np.array([10, 25, 40]), np.array([10, 25, 40]))
    af = np.array(["2010-01-01", "2016-01-01", "NaT"], dtype="datetime64[D]")
    at = np.array(["2015-01-01", "NaT", "2012-06-01"], dtype="datetime64[D]")
    kw = dict(curvature=False, active_from=af, active_to=at)
    in_2014 = coverage_count(dem, x, y, 10.0, 400.0, date="2014-03-01", **kw).array
    in_2020 = coverage_count(dem, x, y, 10.0, 400.0, date="2020-03-01", **kw).array
    only = [coverage_count(dem, x[i : i + 1], y[i : i + 1], 10.0, 400.0, curvature=False).array for i in range(3)]
    np.testing.assert_array_equal(in_2014, only[0])  # sensor 2 retired in 2012, sensor 1 not yet up
    np.testing.assert_array_equal(in_2020, only[1])
    # the end date is exclusive, the start inclusive
    at_start = coverage_count(dem, x, y, 10.0, 400.0, date="2016-01-01", **kw).array
    np.testing.assert_array_equal(at_start, only[1])
    with pytest.raises(InputError):
        coverage_count(dem, x, y, 10.0, 400.0, active_from=af)
    with pytest.raises(InputError):
        coverage_count(dem, x, y, 10.0, 400.0, date="2014-01-01")
    with pytest.raises(InputError):
        coverage_count(dem, x, y, 10.0, np.array([400.0, np.nan, 5.0]))


def test_observer_on_nodata_is_an_error():
    dem = plane(20, 20)
    a = dem.array.copy()
    a[5, 5] = -1.0
    b = a.copy()
    b[6, 6] = np.nan
    x, y = centre(dem, 5, 5)
    with pytest.raises(InputError, match="nodata"):
        viewshed(Raster(a, dem.transform, dem.crs, -1.0), x, y)
    x, y = centre(dem, 6, 6)
    with pytest.raises(InputError, match="nodata"):
        coverage_count(Raster(b, dem.transform, dem.crs, None), [x], [y], 10.0, 100.0)


def test_coverage_epochs_checks_the_activity_table():
    dem = fractal_dem((40, 40), relief=100, rng=np.random.default_rng(1))
    x, y = dem.xy(np.array([10, 20]), np.array([10, 30]))
    with pytest.raises(InputError, match="observers, epochs"):
        coverage_epochs(dem, x, y, 10.0, 300.0, np.ones(2, bool))
    none = coverage_epochs(dem, x, y, 10.0, 300.0, np.zeros((2, 3), bool))
    assert none.shape == (3, 40, 40) and not none.any()


def test_active_at_several_dates_is_each_date_in_turn():
    start = np.array(["2010-01-01", "2012-06-01", "NaT", "2015-01-01"], dtype="datetime64[D]")
    stop = np.array(["2013-01-01", "NaT", "2011-01-01", "2015-01-01"], dtype="datetime64[D]")
    dates = np.array(["2009-12-31", "2010-01-01", "2012-12-31", "2013-01-01", "2020-01-01"], dtype="datetime64[D]")
    table = active_at(4, start, stop, dates)
    assert table.shape == (4, 5)
    for k, d in enumerate(dates):
        np.testing.assert_array_equal(table[:, k], active_at(4, start, stop, d))
    np.testing.assert_array_equal(table[0], [False, True, True, True, False])  # [from, to]: to is the last day
    np.testing.assert_array_equal(table[2], [True, True, False, False, False])  # open start
    assert not table[3].any()  # empty interval
