"""Sampling rasters at points and zonal statistics, against rasterio, scipy and numpy."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from affine import Affine
from pyproj import CRS
from scipy.interpolate import RegularGridInterpolator
from shapely.geometry import Point, box

from borderscape.geo.errors import CRSError, InputError
from borderscape.geo.raster import Raster
from borderscape.geo.sample import sample, sample_points, zonal_stats
from borderscape.geo.synthetic import fractal_dem


@pytest.fixture
def dem() -> Raster:
    r = fractal_dem((50, 70), rng=np.random.default_rng(4))
    a = r.array.copy()
    a[10:13, 20:24] = -9999.0
    return Raster(a, r.transform, r.crs, -9999.0)


def random_points(r: Raster, n: int, rng: np.random.Generator, margin: float = 0.0):
    left, bottom, right, top = r.bounds
    return (rng.uniform(left - margin, right + margin, n), rng.uniform(bottom - margin, top + margin, n))


def test_nearest_matches_rasterio_sample(dem, tmp_path):
    path = dem.write(tmp_path / "dem.tif")
    rng = np.random.default_rng(0)
    x, y = random_points(dem, 400, rng)
    ours = sample(dem, x, y)
    with rasterio.open(path) as src:
        ref = np.array([np.ma.filled(v.astype(float), np.nan)[0] for v in src.sample(zip(x, y), masked=True)])
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    np.testing.assert_allclose(ours[~np.isnan(ours)], ref[~np.isnan(ref)])
    assert np.isnan(ours).any()  # some points fell on the nodata block


def test_outside_and_nan_points_are_nan_and_order_is_kept(dem):
    left, bottom, right, top = dem.bounds
    x = np.array([left - 1.0, left + 1.0, np.nan, right + 5.0, left + 1.0])
    y = np.array([top - 1.0, top - 1.0, top - 1.0, top - 1.0, bottom + 1.0])
    v = sample(dem, x, y)
    assert v.shape == (5,)
    assert np.isnan(v[[0, 2, 3]]).all()
    assert v[1] == pytest.approx(float(dem.array[0, 0]))
    assert v[4] == pytest.approx(float(dem.array[-1, 0]))


def test_bilinear_matches_scipy_inside_centre_hull(dem):
    rng = np.random.default_rng(1)
    valid_dem = fractal_dem((50, 70), rng=np.random.default_rng(4))
    xs, _ = valid_dem.xy(np.zeros(70), np.arange(70))
    _, ys = valid_dem.xy(np.arange(50), np.zeros(50))
    interp = RegularGridInterpolator((ys[::-1], xs), valid_dem.array[::-1].astype(float))
    x = rng.uniform(xs[0], xs[-1], 300)
    y = rng.uniform(ys[-1], ys[0], 300)
    np.testing.assert_allclose(sample(valid_dem, x, y, method="bilinear"), interp(np.c_[y, x]), rtol=1e-10)
    # a plane a + b x + c y is reproduced exactly between centres
    X, Y = valid_dem.xy(*np.mgrid[:50, :70])
    plane = valid_dem.with_array(3.0 + 0.01 * (X - 500_000) - 0.02 * (Y - 3_600_000))
    cx, cy = x[:5], y[:5]
    np.testing.assert_allclose(
        sample(plane, cx, cy, method="bilinear"), 3.0 + 0.01 * (cx - 500_000) - 0.02 * (cy - 3_600_000), rtol=1e-9
    )
    # within half a cell of the edge, the edge centres are used along that axis
    ex, ey = valid_dem.xy(np.array([7.0]), np.array([0.0]))
    assert sample(valid_dem, ex - 10.0, ey, method="bilinear")[0] == pytest.approx(float(valid_dem.array[7, 0]))


def test_bilinear_near_nodata_is_nan(dem):
    x, y = dem.xy(np.array([11.0, 11.0, 30.0]), np.array([21.5, 19.0, 40.0]))
    v = sample(dem, x + 5.0, y, method="bilinear")
    assert np.isnan(v[0])
    assert np.isfinite(v[2])
    with pytest.raises(InputError):
        sample(dem, x, y, method="cubic")


def test_sample_points_aligns_to_index_and_reprojects(dem):
    rng = np.random.default_rng(3)
    x, y = random_points(dem, 20, rng, margin=200.0)
    geoms = [Point(a, b) for a, b in zip(x, y)]
    geoms[4] = None
    gdf = gpd.GeoDataFrame({"k": range(20)}, geometry=geoms, crs=dem.crs, index=np.arange(100, 120)[::-1])
    s = sample_points(dem, gdf)
    assert list(s.index) == list(gdf.index)
    assert np.isnan(s.iloc[4])
    expected = sample(dem, x, y)
    np.testing.assert_array_equal(np.isnan(s.drop(s.index[4]).values), np.isnan(np.delete(expected, 4)))
    # the same points in lon/lat give the same values
    s_ll = sample_points(dem, gdf.to_crs(4326))
    np.testing.assert_allclose(s_ll.values, s.values, equal_nan=True)
    with pytest.raises(CRSError):
        sample_points(dem, gpd.GeoSeries([Point(0, 0)]))
    with pytest.raises(InputError):
        sample_points(dem, gpd.GeoSeries([box(0, 0, 1, 1)], crs=dem.crs))


def test_zonal_stats_against_numpy(dem):
    t = dem.transform
    # a grid-aligned rectangle over rows 5..19, cols 15..29 (contains the nodata block)
    rect = box(t.c + 15 * 30, t.f - 20 * 30, t.c + 30 * 30, t.f - 5 * 30)
    # a circle: cells whose centres lie within 300 m of a point
    cx, cy = t.c + 50.2 * 30, t.f - 30.7 * 30
    circle = Point(cx, cy).buffer(300.0, quad_segs=256)
    outside = box(0, 0, 10, 10)
    gdf = gpd.GeoDataFrame(geometry=[rect, circle, outside], crs=dem.crs, index=["r", "c", "o"])
    z = zonal_stats(dem, gdf)
    assert list(z.index) == ["r", "c", "o"]
    a = dem.array.astype(float)
    a[a == -9999.0] = np.nan
    block = a[5:20, 15:30]
    v = block[~np.isnan(block)]
    assert z.loc["r", "count"] == v.size == 15 * 15 - 12
    np.testing.assert_allclose(
        z.loc["r", ["sum", "mean", "min", "max", "std"]].astype(float),
        [v.sum(), v.mean(), v.min(), v.max(), v.std()],
        rtol=1e-10,
    )
    X, Y = dem.xy(*np.mgrid[:50, :70])
    inside = (X - cx) ** 2 + (Y - cy) ** 2 < 300.0**2
    w = a[inside]
    w = w[~np.isnan(w)]
    assert z.loc["c", "count"] == w.size
    np.testing.assert_allclose(
        z.loc["c", ["sum", "mean", "std"]].astype(float), [w.sum(), w.mean(), w.std()], rtol=1e-10
    )
    assert z.loc["o", "count"] == 0 and np.isnan(z.loc["o", "mean"])
    # all_touched takes in at least as many cells
    assert zonal_stats(dem, gdf, all_touched=True).loc["c", "count"] > z.loc["c", "count"]


def test_zonal_stats_constant_raster_closed_form():
    a = np.full((20, 20), 7.0)
    r = Raster(a, Affine(10.0, 0, 0, 0, -10.0, 200.0), CRS.from_epsg(32633), None)
    z = zonal_stats(r, gpd.GeoSeries([box(0, 0, 100, 100), box(50, 50, 150, 150)], crs=32633))
    np.testing.assert_array_equal(z["count"], [100, 100])
    np.testing.assert_allclose(z["sum"], [700.0, 700.0])
    np.testing.assert_allclose(z["std"], [0.0, 0.0])
