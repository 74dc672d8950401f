"""Tiled processing of rasters larger than memory: every tiled result equals the whole-raster one."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
import rasterio
from affine import Affine
from peers import require_peer

from borderscape.geo import terrain, tiles
from borderscape.geo.costdistance import accumulated_cost
from borderscape.geo.errors import InputError
from borderscape.geo.raster import Raster
from borderscape.geo.synthetic import fractal_dem
from borderscape.geo.viewshed import coverage_count


@pytest.fixture(scope="module")
def dem() -> Raster:
    d = fractal_dem((150, 170), res=30, rng=np.random.default_rng(1))
    a = d.array.astype(np.float32)
    a[60:64, 100:103] = np.nan  # a hole: kernels next to it give NaN, paths go round it
    return d.with_array(a, nodata=np.nan)


@pytest.fixture(scope="module")
def dem_file(dem, tmp_path_factory):
    path = tmp_path_factory.mktemp("tiles") / "dem.tif"
    dem.write(path)
    return path


def test_tile_grid_covers_every_cell_once_with_cut_halos():
    grid = tiles.tile_grid((150, 170), 64, 3)
    seen = np.zeros((150, 170), int)
    for t in grid:
        seen[t.r0 : t.r1, t.c0 : t.c1] += 1
        assert t.hr0 == max(0, t.r0 - 3) and t.hc1 == min(170, t.c1 + 3)
    assert (seen == 1).all() and len(grid) == 3 * 3
    # tiles of at most 64 cells, as equal as the raster allows: 150 rows as 50 + 50 + 50,
    # 170 columns as 56 + 57 + 57 (not 64 + 64 + 22)
    assert sorted({t.r1 - t.r0 for t in grid}) == [50]
    assert sorted({t.c1 - t.c0 for t in grid}) == [56, 57]
    with pytest.raises(InputError):
        tiles.tile_grid((10, 10), 0, 1)


@pytest.mark.parametrize("measure", ["slope", "aspect", "ruggedness"])
def test_terrain_by_tiles_equals_whole_raster(dem, dem_file, tmp_path, measure):
    out = tiles.terrain_tiled(dem_file, tmp_path / f"{measure}.vrt", measure=measure, tile=64)
    whole = getattr(terrain, measure)(dem).array
    tiled = Raster.read(out)
    assert tiled.array.dtype == np.float32 and np.isfinite(whole).sum() > 0.9 * whole.size
    assert np.array_equal(tiled.array, whole, equal_nan=True)
    assert tiled.transform == dem.transform and tiled.crs == dem.crs
    # a mosaic of one compressed GeoTIFF per tile (3 × 3 tiles of 64 over 150 × 170 cells)
    parts = sorted((tmp_path / f"{measure}_tiles").glob("*.tif"))
    assert len(parts) == 9 and all(rasterio.open(p).compression.value == "DEFLATE" for p in parts)


@pytest.mark.conformance
def test_gdal_turns_the_mosaic_into_one_geotiff(dem, dem_file, tmp_path):
    gdal_translate = require_peer("gdal_translate")
    vrt = tiles.terrain_tiled(dem_file, tmp_path / "slope.vrt", tile=64)
    subprocess.run([gdal_translate, "-q", str(vrt), str(tmp_path / "one.tif")], check=True, cwd="/")
    one = Raster.read(tmp_path / "one.tif")
    assert np.array_equal(one.array, terrain.slope(dem).array, equal_nan=True) and one.transform == dem.transform


def test_tiled_output_is_a_vrt_replaced_whole(dem, dem_file, tmp_path):
    with pytest.raises(InputError, match="VRT"):
        tiles.terrain_tiled(dem_file, tmp_path / "slope.tif")
    tiles.terrain_tiled(dem_file, tmp_path / "s.vrt", tile=64)
    tiles.terrain_tiled(dem_file, tmp_path / "s.vrt", tile=100)  # again, with other tiles: no stale file stays
    assert len(list((tmp_path / "s_tiles").glob("*.tif"))) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.vrt", "s_tiles"]
    assert np.array_equal(Raster.read(tmp_path / "s.vrt").array, terrain.slope(dem).array, equal_nan=True)


def test_coverage_by_tiles_equals_whole_raster(dem, dem_file, tmp_path):
    rows = np.array([20, 100, 140, 75, 5, 130])
    cols = np.array([30, 160, 10, 85, 150, 90])
    x, y = dem.xy(rows, cols)
    ranges = np.array([900.0, 1500, 600, 2000, 1200, 700])
    heights = np.array([10.0, 15, 8, 20, 12, 30])
    out = tiles.coverage_tiled(dem_file, tmp_path / "cov.vrt", x, y, heights, ranges, target_height=1.7, tile=50)
    whole = coverage_count(dem, x, y, heights, ranges, target_height=1.7).array
    assert whole.max() >= 2 and (whole > 0).sum() > 1000  # overlapping viewsheds across tile edges
    assert np.array_equal(Raster.read(out).array, whole)


@pytest.fixture
def windows(monkeypatch) -> list:
    """The shapes of the windows tiles.read_window reads, in order."""
    shapes = []
    real = tiles.read_window

    def spy(path, tile, band=1):
        r = real(path, tile, band)
        shapes.append(r.shape)
        return r

    monkeypatch.setattr(tiles, "read_window", spy)
    return shapes


def test_tiles_are_read_by_windows_never_whole(dem, dem_file, tmp_path, windows):
    tiles.terrain_tiled(dem_file, tmp_path / "s.vrt", tile=40)
    assert len(windows) == 4 * 5
    assert max(h * w for h, w in windows) <= 42 * 42 < dem.array.size / 10


def _cost_case(dem):
    rng = np.random.default_rng(2)
    sources = np.zeros(dem.shape, bool)
    sources[75, 80] = sources[10, 5] = True
    mult = np.where(rng.random(dem.shape) < 0.05, np.nan, rng.uniform(1, 3, dem.shape))
    return sources, mult


@pytest.mark.parametrize("travel", ["from_sources", "to_sources"])
def test_tiled_accumulated_cost_equals_whole_raster_dijkstra(dem, travel):
    sources, mult = _cost_case(dem)
    whole = accumulated_cost(dem, sources, model="pandolf", multiplier=mult, travel=travel).cost.array
    tiled = tiles.accumulated_cost_tiled(dem, sources, model="pandolf", multiplier=mult, travel=travel, tile=40)
    assert tiled.rounds > 2  # paths cross tile borders: boundary values were exchanged
    assert np.array_equal(np.isnan(tiled.cost.array), np.isnan(whole))
    np.testing.assert_allclose(tiled.cost.array, whole, rtol=1e-12, equal_nan=True)


def test_tiled_accumulated_cost_with_constant_cost_and_one_tile(dem):
    sources = np.zeros(dem.shape, bool)
    sources[0, :] = True
    whole = accumulated_cost(dem, sources, model="tobler").cost.array
    one = tiles.accumulated_cost_tiled(dem, sources, model="tobler", tile=1000)
    assert one.rounds == 1 and one.solves == 1
    np.testing.assert_allclose(one.cost.array, whole, rtol=1e-12, equal_nan=True)
    many = tiles.accumulated_cost_tiled(dem, sources, model="tobler", tile=32)
    np.testing.assert_allclose(many.cost.array, whole, rtol=1e-12, equal_nan=True)


def test_only_tiles_whose_halo_fell_are_solved_again():
    grid = tiles.tile_grid((9, 9), 3, 1)  # 3 × 3 tiles; the middle one is 4
    edges = tiles._Edges(grid, 3, 3, (9, 9))
    side = np.full(3, 10.0)
    assert edges.merge([4], [(side, side, side, side)]) == {0, 1, 2, 3, 5, 6, 7, 8}  # from ∞: every cell fell
    lowered_corner = side.copy()
    lowered_corner[0] = 5.0  # only the top-left cell of the core fell (it is on the top row and the left column)
    assert edges.merge([4], [(lowered_corner, side, lowered_corner, side)]) == {0, 1, 3}  # up-left, up, left
    # the rings of the tiles around hold the new value where their halo meets that cell
    assert edges.ring(0)[-1] == 5.0  # bottom-right corner of tile 0's window
    ring1 = edges.ring(1)
    assert ring1[-5:].tolist() == [np.inf, 5.0, 10.0, 10.0, np.inf]  # tile 1's bottom halo row: cols 2..6
    # nothing on the sides fell (only, say, the inside): no neighbour is solved again
    assert edges.merge([4], [(lowered_corner, side, lowered_corner, side)]) == set()
    # the bottom row fell: the three tiles below
    assert edges.merge([4], [(lowered_corner, np.full(3, 1.0), lowered_corner, side)]) == {6, 7, 8}


@pytest.mark.parametrize("shape", [(1, 40), (40, 1), (2, 30), (23, 31)])
def test_tiled_cost_on_thin_rasters_equals_whole_raster(shape):
    dem = fractal_dem(shape, res=30, rng=np.random.default_rng(3)) if min(shape) > 2 else None
    if dem is None:
        z = np.random.default_rng(3).uniform(0, 50, shape).astype(np.float32)
        dem = Raster(z, Affine(30, 0, 0, 0, -30, 0), "EPSG:32612", None)
    sources = np.zeros(shape, bool)
    sources[0, 0] = True
    whole = accumulated_cost(dem, sources, model="tobler").cost.array
    tiled = tiles.accumulated_cost_tiled(dem, sources, model="tobler", tile=4)
    np.testing.assert_allclose(tiled.cost.array, whole, rtol=1e-12, equal_nan=True)


def test_tiled_cost_from_files_by_windows_equals_in_memory(dem, dem_file, tmp_path, windows):
    sources, mult = _cost_case(dem)
    mult_file = tmp_path / "mult.tif"
    dem.with_array(mult.astype(np.float32), nodata=np.nan).write(mult_file)
    kw = dict(model="pandolf", travel="to_sources", tile=40)
    memory = tiles.accumulated_cost_tiled(dem, sources, multiplier=mult.astype(np.float32), **kw)
    files = tiles.accumulated_cost_tiled(dem_file, sources, multiplier=mult_file, out=tmp_path / "cost.vrt", **kw)
    assert files.cost is None and files.path == tmp_path / "cost.vrt"
    assert (files.rounds, files.solves) == (memory.rounds, memory.solves)
    # each tile's DEM and multiplier windows read once, none whole
    assert len(windows) == 2 * 4 * 5 and max(h * w for h, w in windows) <= 42 * 42
    written = Raster.read(files.path)
    assert written.array.dtype == np.float64 and written.transform == dem.transform
    assert np.array_equal(written.array, memory.cost.array, equal_nan=True)
    assert len(list((tmp_path / "cost_tiles").glob("*.tif"))) == 4 * 5


def test_tiled_cost_from_files_rejects_bad_inputs(dem, dem_file, tmp_path):
    sources = np.zeros(dem.shape, bool)
    sources[5, 5] = True
    negative = tmp_path / "negative.tif"
    dem.with_array(np.full(dem.shape, -1.0, np.float32), nodata=np.nan).write(negative)
    with pytest.raises(InputError, match="≥ 0"):
        tiles.accumulated_cost_tiled(dem_file, sources, multiplier=negative, tile=64)
    other = tmp_path / "other.tif"
    fractal_dem((40, 40), res=30, rng=np.random.default_rng(0)).write(other)
    with pytest.raises(InputError, match="not on the grid"):
        tiles.accumulated_cost_tiled(dem_file, sources, multiplier=other, tile=64)
    with pytest.raises(InputError, match="raster file"):
        tiles.accumulated_cost_tiled(dem_file, sources, multiplier=np.ones(dem.shape), tile=64)
    with pytest.raises(InputError, match="VRT"):
        tiles.accumulated_cost_tiled(dem_file, sources, tile=64, out=tmp_path / "cost.tif")
    with pytest.raises(InputError, match="sources have shape"):
        tiles.accumulated_cost_tiled(dem_file, sources[:10], tile=64)
