"""Rasters (windows, reprojection, clipping, mosaics), CRS helpers and terrain derivatives."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from pyproj import CRS, Transformer
from rasterio.warp import transform_bounds

from borderscape.geo.crs import local_crs, require_crs, to_crs, utm_crs
from borderscape.geo.errors import CRSError, InputError, RasterError
from borderscape.geo.raster import Raster, mosaic
from borderscape.geo.synthetic import fractal_dem
from borderscape.geo.terrain import aspect, focal_mean, ruggedness, slope

UTM12 = "EPSG:32612"


def plane(a: float, b: float, shape=(20, 30), res=(30.0, 30.0)) -> Raster:
    """z = a·x + b·y (x east, y north, metres)."""
    t = Affine(res[0], 0, 500_000.0, 0, -res[1], 3_600_000.0)
    r = Raster(np.zeros(shape, np.float32), t, UTM12)
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    x, y = r.xy(rows, cols)
    return r.with_array((a * (x - 500_000.0) + b * (y - 3_599_000.0)).astype(np.float64))


# -- CRS ---------------------------------------------------------------------------------------
def test_utm_zone_for_places():
    assert utm_crs(-111.0, 31.9) == CRS.from_epsg(32612)  # Arizona–Sonora
    assert utm_crs(12.6, 35.5) == CRS.from_epsg(32633)  # Lampedusa
    assert utm_crs(-15.4, 28.1) == CRS.from_epsg(32628)  # Gran Canaria
    assert utm_crs(-70.0, -33.0) == CRS.from_epsg(32719)
    assert local_crs((-112.0, 31.3, -110.5, 32.5)) == CRS.from_epsg(32612)
    gdf = gpd.GeoDataFrame(geometry=[shapely.Point(26.5, 39.1)], crs="EPSG:4326").to_crs(3857)
    assert local_crs(gdf) == CRS.from_epsg(32635)  # Lesbos, from a layer in Web Mercator


def test_a_layer_without_crs_is_an_error_never_a_guess():
    bare = gpd.GeoDataFrame(geometry=[shapely.Point(-111.0, 31.9)])
    with pytest.raises(CRSError, match="no CRS"):
        require_crs(bare)
    with pytest.raises(CRSError):
        local_crs(bare)
    with pytest.raises(CRSError):
        to_crs(bare, UTM12)
    with pytest.raises(CRSError):
        Raster(np.zeros((2, 2)), Affine.identity(), None)


# -- rasters ------------------------------------------------------------------------------------
def test_windowed_read_returns_exactly_the_cells_of_the_bounds(tmp_path):
    dem = fractal_dem((100, 120), rng=np.random.default_rng(1))
    path = dem.write(tmp_path / "dem.tif")
    x0, y0 = dem.xy(10, 20)  # centre of cell (10, 20)
    x1, y1 = dem.xy(39, 59)
    win = Raster.read(path, bounds=(x0 - 10, y1 - 10, x1 + 10, y0 + 10))
    np.testing.assert_array_equal(win.array, dem.array[10:40, 20:60])
    assert win.xy(0, 0) == dem.xy(10, 20)
    # bounds in lon/lat are transformed first
    box = transform_bounds(UTM12, "EPSG:4326", x0 - 10, y1 - 10, x1 + 10, y0 + 10)
    ll = Raster.read(path, bounds=box, bounds_crs="EPSG:4326")
    r0, c0 = dem.rowcol(*ll.xy(0, 0))
    assert r0 <= 10 and c0 <= 20 and r0 + ll.shape[0] >= 40 and c0 + ll.shape[1] >= 60
    np.testing.assert_array_equal(ll.array, dem.array[r0 : r0 + ll.shape[0], c0 : c0 + ll.shape[1]])
    with pytest.raises(RasterError, match="do not overlap"):
        Raster.read(path, bounds=(0, 0, 10, 10))


def test_reproject_to_local_utm_keeps_values(tmp_path):
    # a lon/lat grid whose value is its latitude; after reprojection each cell holds its own latitude
    t = Affine(0.001, 0, -111.2, 0, -0.001, 31.9)
    rows, cols = np.mgrid[0:200, 0:200]
    lat = 31.9 - (rows + 0.5) * 0.001
    r = Raster(lat.astype(np.float64), t, "EPSG:4326")
    utm = r.reproject(res=50.0)
    assert utm.crs == CRS.from_epsg(32612) and utm.res == (50.0, 50.0)
    rr, cc = np.mgrid[5 : utm.shape[0] - 5 : 7, 5 : utm.shape[1] - 5 : 7]
    x, y = utm.xy(rr, cc)
    _, want = Transformer.from_crs(utm.crs, "EPSG:4326", always_xy=True).transform(x, y)
    got = utm.array[rr, cc]
    ok = np.isfinite(got)
    assert ok.mean() > 0.8
    np.testing.assert_allclose(got[ok], want[ok], atol=1e-4)  # within 0.1 source cell (GDAL's warper)


def test_clip_to_study_area_polygon():
    dem = fractal_dem((50, 50), rng=np.random.default_rng(2))
    cx, cy = dem.xy(25, 25)
    area = gpd.GeoDataFrame(geometry=[shapely.Point(cx, cy).buffer(300.0)], crs=UTM12).to_crs("EPSG:4326")
    out = dem.clip(area)
    assert out.shape in ((20, 20), (21, 21), (22, 22))  # cropped to the circle's bounding box
    rows, cols = np.mgrid[0 : out.shape[0], 0 : out.shape[1]]
    x, y = out.xy(rows, cols)
    inside = np.hypot(x - cx, y - cy) < 299.0
    outside = np.hypot(x - cx, y - cy) > 301.0
    assert np.all(np.isfinite(out.array[inside])) and np.all(np.isnan(out.array[outside]))
    r0, c0 = dem.rowcol(*out.xy(0, 0))
    np.testing.assert_array_equal(out.array[inside], dem.array[r0 : r0 + out.shape[0], c0 : c0 + out.shape[1]][inside])
    with pytest.raises(CRSError):
        dem.clip(shapely.Point(cx, cy).buffer(100))


def test_mosaic_of_lonlat_tiles(tmp_path):
    """Two 0.1° tiles of z = 1000·lon + 2000·lat, mosaicked into UTM, give the plane back."""
    paths = []
    for i, west in enumerate((-111.2, -111.1)):
        t = Affine(0.001, 0, west, 0, -0.001, 31.8)
        rows, cols = np.mgrid[0:100, 0:100]
        lon, lat = west + (cols + 0.5) * 0.001, 31.8 - (rows + 0.5) * 0.001
        z = (1000 * (lon + 111) + 2000 * (lat - 31)).astype(np.float32)
        path = tmp_path / f"tile{i}.tif"
        with rasterio.open(
            path,
            "w",
            driver="GTiff",
            width=100,
            height=100,
            count=1,
            dtype="float32",
            crs="EPSG:4326",
            transform=t,
            nodata=-9999,
        ) as dst:
            dst.write(z, 1)
        paths.append(path)
    dem = mosaic(paths + [tmp_path / "tile0.tif"], bounds=(-111.15, 31.72, -111.05, 31.78), res=30.0)
    assert dem.crs == CRS.from_epsg(32612) and dem.res == (30.0, 30.0)
    rows, cols = np.mgrid[2 : dem.shape[0] - 2, 2 : dem.shape[1] - 2]
    x, y = dem.xy(rows, cols)
    lon, lat = Transformer.from_crs(dem.crs, "EPSG:4326", always_xy=True).transform(x, y)
    want = 1000 * (lon + 111) + 2000 * (lat - 31)
    got = dem.array[rows, cols]
    assert np.isfinite(got).all()  # the seam at −111.1° is filled
    np.testing.assert_allclose(got, want, atol=0.03)  # no step at the seam
    with pytest.raises(RasterError, match="none of"):
        mosaic(paths, bounds=(10.0, 10.0, 10.1, 10.1))


# -- terrain ------------------------------------------------------------------------------------
@pytest.mark.parametrize("a,b", [(0.1, 0.0), (0.0, -0.3), (0.2, 0.2), (-0.5, 0.1)])
def test_slope_and_aspect_of_a_plane(a, b):
    dem = plane(a, b)
    s = slope(dem).array[1:-1, 1:-1]
    np.testing.assert_allclose(s, np.degrees(np.arctan(np.hypot(a, b))), atol=1e-4)
    # downhill direction (−a, −b) as a compass bearing
    want = np.degrees(np.arctan2(-a, -b)) % 360.0
    np.testing.assert_allclose(aspect(dem).array[1:-1, 1:-1], want, atol=1e-3)
    assert np.all(np.isnan(slope(dem).array[0])) and np.all(np.isnan(slope(dem).array[:, -1]))


def test_slope_uses_cell_sizes_and_flat_aspect_is_missing():
    dem = plane(0.1, 0.05, res=(10.0, 40.0))
    np.testing.assert_allclose(slope(dem).array[1:-1, 1:-1], np.degrees(np.arctan(np.hypot(0.1, 0.05))), atol=1e-4)
    flat = plane(0.0, 0.0)
    assert np.all(np.isnan(aspect(flat).array)) and np.all(slope(flat).array[1:-1, 1:-1] == 0)


def test_ruggedness_riley():
    z = np.zeros((5, 5))
    z[2, 2] = 10.0
    dem = Raster(z, Affine(30, 0, 500_000, 0, -30, 3_600_000), UTM12)
    tri = ruggedness(dem).array
    assert tri[2, 2] == pytest.approx(np.sqrt(8 * 100.0))  # √Σ(zᵢ − z₀)²
    assert tri[1, 1] == pytest.approx(10.0)
    assert tri[1, 2] == pytest.approx(10.0)
    # missing cells spread to their windows
    z[0, 0] = np.nan
    assert np.isnan(ruggedness(dem.with_array(z)).array[1, 1])
    assert np.isfinite(ruggedness(dem.with_array(z)).array[2, 2])


def test_focal_mean_window_in_metres_and_missing_cells():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(9, 12))
    dem = Raster(z, Affine(90, 0, 500_000, 0, -90, 3_600_000), UTM12)
    # 270 m at 90 m is the 3×3 window; a brute-force mean over the cells inside the grid
    got = focal_mean(dem, 270.0).array
    for r in range(9):
        for c in range(12):
            assert got[r, c] == pytest.approx(z[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2].mean(), abs=1e-12)
    # a window smaller than two cells is the cell itself; 450 m at 90 m is 5 × 5
    np.testing.assert_allclose(focal_mean(dem, 150.0).array, z, atol=1e-12)
    assert focal_mean(dem, 450.0).array[4, 5] == pytest.approx(z[2:7, 3:8].mean(), abs=1e-12)
    # cells of different width and height: 270 m is 1 row of 300 m cells and 9 columns of 30 m cells
    wide = Raster(z, Affine(30, 0, 500_000, 0, -300, 3_600_000), UTM12)
    assert focal_mean(wide, 270.0).array[4, 5] == pytest.approx(z[4, 1:10].mean(), abs=1e-12)
    # missing cells are left out of the mean; a window of missing cells only is missing
    holes = z.copy()
    holes[0:3, 0:3] = np.nan
    holes[4, 5] = np.nan
    got = focal_mean(dem.with_array(holes, nodata=np.nan), 270.0).array
    assert np.isnan(got[1, 1]) and np.isfinite(got[0, 3])
    window = holes[3:6, 4:7]
    assert got[4, 5] == pytest.approx(np.nanmean(window), abs=1e-12)
    with pytest.raises(InputError, match="positive number of metres"):
        focal_mean(dem, 0.0)


def test_focal_mean_of_a_plane_slope_is_the_slope():
    dem = plane(0.2, -0.1)
    s = slope(dem)
    got = focal_mean(s, 3 * dem.res[0]).array[1:-1, 1:-1]
    np.testing.assert_allclose(got, np.degrees(np.arctan(np.hypot(0.2, 0.1))), atol=1e-4)
