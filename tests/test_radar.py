"""Radar horizon, coastal coverage masked by land, and aerial swaths: closed forms."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from pyproj import CRS
from shapely.geometry import LineString, Point, box

from borderscape.geo.errors import CRSError, InputError
from borderscape.geo.radar import coastal_coverage, radar_horizon, swath_count, swath_polygons
from borderscape.geo.raster import Raster

RES = 100.0


def sea_grid(rows: int, cols: int) -> Raster:
    return Raster(
        np.zeros((rows, cols), np.float32), Affine(RES, 0, 0.0, 0, -RES, rows * RES), CRS.from_epsg(32633), None
    )


def test_radar_horizon_matches_textbook():
    # Skolnik: d_km = 4.12 (sqrt(h_a) + sqrt(h_t)) with the 4/3 earth, heights in metres
    for ha, ht in [(10.0, 0.0), (50.0, 3.0), (300.0, 10.0)]:
        assert radar_horizon(ha, ht) / 1000 == pytest.approx(4.12 * (math.sqrt(ha) + math.sqrt(ht)), rel=2e-3)
    assert radar_horizon(100.0) == pytest.approx(math.sqrt(2 * 4 / 3 * 6_371_000 * 100.0))
    # the geometric horizon (k = 1) is shorter by sqrt(4/3)
    assert radar_horizon(100.0, k=1.0) == pytest.approx(radar_horizon(100.0) / math.sqrt(4 / 3))
    np.testing.assert_allclose(radar_horizon(np.array([0.0, 4.0])), [0.0, 2 * 4121.8], rtol=1e-4)
    with pytest.raises(InputError):
        radar_horizon(-1.0)


@pytest.mark.parametrize("h,t", [(25.0, 0.0), (60.0, 2.0)])
def test_coverage_over_open_sea_ends_at_the_radar_horizon(h, t):
    d_h = radar_horizon(h, t)
    cols = int(d_h / RES * 1.25)
    sea = sea_grid(3, cols)
    x, y = sea.xy(1, 0)
    cov = coastal_coverage(sea, x, y, h, target_height=t, max_range=cols * RES).array[1]
    dist = np.arange(cols) * RES
    assert (cov[dist < d_h - RES] == 1).all()
    assert (cov[dist > d_h + RES] == 0).all()
    # with the default range (the radar horizon) the same cells are seen
    default = coastal_coverage(sea, x, y, h, target_height=t).array[1]
    np.testing.assert_array_equal(default, cov)


def test_station_behind_headland_does_not_see_the_sea_it_hides():
    # sea at 0 m (bathymetry below 0 and nodata count as sea); a 60 m headland in the
    # north-east hides the sea behind it from a 15 m mast on a 5 m shore.
    rows, cols = 120, 120
    z = np.full((rows, cols), -20.0, np.float32)
    z[100:, :] = 5.0  # the shore along the south edge
    z[0:5, 0:5] = -9999.0  # a nodata patch far out at sea
    dem0 = sea_grid(rows, cols)
    headland = box(6000.0, 5000.0, 7000.0, 9000.0)  # x 6–7 km, y 5–9 km above the south edge
    X, Y = dem0.xy(*np.mgrid[:rows, :cols])
    in_headland = (X > 6000) & (X < 7000) & (Y > 5000) & (Y < 9000)
    z[in_headland] = 60.0
    dem = Raster(z, dem0.transform, dem0.crs, -9999.0)
    sx, sy = dem.xy(105, 40)  # on the shore
    cov = coastal_coverage(dem, sx, sy, 15.0, target_height=2.0).array
    assert (cov[z == 5.0] == 0).all() and (cov[in_headland] == 0).all()  # land is not counted
    d_h = radar_horizon(20.0, 2.0)
    grown = headland.buffer(1.5 * RES)
    core = headland.buffer(-1.5 * RES)
    sea = (z <= 0) | (z == -9999.0)
    coords = np.stack(
        [np.broadcast_to([float(sx), float(sy)], X.shape + (2,)), np.stack([X, Y], axis=-1)], axis=-2
    )  # (rows, cols, 2 points, xy)
    seg = shapely.linestrings(coords.reshape(-1, 2, 2)).reshape(X.shape)
    near = np.hypot(X - float(sx), Y - float(sy)) < d_h - RES
    crosses = shapely.intersects(seg, core) & ~shapely.contains_xy(core, X, Y)
    shadow = sea & near & crosses  # the line of sight crosses the headland
    rr = np.arange(rows)[:, None]
    clear = sea & near & ~shapely.intersects(seg, grown) & (rr < 95)  # and does not graze the shore
    assert shadow.sum() > 100 and clear.sum() > 1000
    assert (cov[shadow] == 0).all()
    assert (cov[clear] == 1).all()
    # without the headland the shadowed sea is seen
    flat = z.copy()
    flat[in_headland] = -20.0
    cov_flat = coastal_coverage(Raster(flat, dem.transform, dem.crs, -9999.0), sx, sy, 15.0, target_height=2.0).array
    assert (cov_flat[shadow] == 1).all()


def test_coastal_coverage_counts_stations_and_dates():
    sea = sea_grid(60, 60)
    x, y = sea.xy(np.array([10, 50]), np.array([10, 50]))
    both = coastal_coverage(sea, x, y, 30.0, max_range=3000.0).array
    one = coastal_coverage(sea, x[:1], y[:1], 30.0, max_range=3000.0).array
    two = coastal_coverage(sea, x[1:], y[1:], 30.0, max_range=3000.0).array
    np.testing.assert_array_equal(both, one + two)
    dated = coastal_coverage(
        sea,
        x,
        y,
        30.0,
        max_range=3000.0,
        date="2019-01-01",
        active_from=np.array(["2018-01-01", "2020-01-01"], dtype="datetime64[D]"),
    )
    np.testing.assert_array_equal(dated.array, one)


def test_swath_polygons_area_and_raster():
    track = LineString([(1000.0, 5000.0), (9000.0, 5000.0)])
    tracks = gpd.GeoDataFrame({"w": [2000.0, 1000.0]}, geometry=[track, track], crs=32633, index=["a", "b"])
    polys = swath_polygons(tracks, tracks["w"].to_numpy())
    assert list(polys.index) == ["a", "b"]
    assert polys.iloc[0].area == pytest.approx(8000 * 2000 + math.pi * 1000**2, rel=1e-3)
    grid = sea_grid(100, 100)
    cnt = swath_count(tracks, tracks["w"].to_numpy(), grid).array
    X, Y = grid.xy(*np.mgrid[:100, :100])
    d = np.array([track.distance(Point(a, b)) for a, b in zip(X.ravel(), Y.ravel())]).reshape(X.shape)
    assert (cnt[d < 500 - RES] == 2).all()
    assert (cnt[(d > 500 + RES) & (d < 1000 - RES)] == 1).all()
    assert (cnt[d > 1000 + RES] == 0).all()
    # the same tracks in lon/lat are refused: swaths are in metres
    with pytest.raises(CRSError):
        swath_polygons(tracks.to_crs(4326), 1000.0)
    with pytest.raises(InputError):
        swath_polygons(tracks, -5.0)
