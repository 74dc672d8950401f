"""Rasters larger than memory: tiles with overlaps (halos), read and written by windows.

A raster is cut into rectangular tiles (:func:`tile_grid`).  A kernel that looks ``h`` cells
around a cell gets each tile with a halo of ``h`` cells on every side (cut at the raster's
edges), computes, and keeps the tile's core; the core results are then those of the whole
raster, bit for bit.  Tiles are read with rasterio windows (:func:`read_window`) and processed
as tasks of an executor (:mod:`borderscape.geo.parallel`); each task writes its core as its own
deflate-compressed GeoTIFF in the folder ``<name>_tiles`` beside the output, and the output is a
GDAL VRT mosaic of them (``<name>.vrt``; rasterio and every GDAL tool read it as one raster;
``gdal_translate name.vrt name.tif`` makes one file).  So neither the input nor the output is
ever whole in memory, no raster data travel back to this process, and compression, the
costliest part of writing, is shared by the workers (written into one GeoTIFF by one process,
it took as long as the slope kernel and bounded the speed-up).
The input should be a tiled GeoTIFF (a COG, or ``gdal_translate -co TILED=YES``): in a striped
file every window decompresses whole rows of the raster.  The workers open the files
themselves: on a remote cluster (``--scheduler``) the paths must be readable there (a shared
file system, or a GDAL URL such as ``/vsis3/…``).

* slope, aspect, ruggedness (:func:`terrain_tiled`): 3 × 3 kernels, halo 1;
* coverage (:func:`coverage_tiled`): the viewshed of an observer of range ``R`` is computed
  in its own window of ``ceil(R / res)`` cells around it, and the rays of the sweep depend on
  that window; an observer matters for a tile when its window meets the tile's core, so the
  halo is twice the largest window radius (the observer may lie one radius outside the core,
  and its window reaches one radius further);
* accumulated cost (:func:`accumulated_cost_tiled`): Dijkstra has no bounded halo — a least-cost
  path may wander through any tile.  Strategy: tiles with iterative boundary exchange, a
  Bellman–Ford over tiles.  Every round, each tile whose halo changed solves a Dijkstra over
  its core plus a 1-cell halo.  The first time, it is seeded with the sources it holds (cost 0)
  and the current costs of its halo.  Later, it starts from its own previous costs, lowered
  on the ring to the new halo costs, and is seeded from the ring only: the inside is already
  the fixpoint of the old ring, so only improvements that enter through the ring can change
  it, and the solve visits just the cells they lower (later rounds cost a fraction of the
  first).  Every value is the cost of a real path, so values only decrease; rounds stop when
  no tile's halo changed, and every tile is then the fixpoint of its halo: the whole-raster
  Dijkstra result (up to the rounding of equal-cost paths taken in another order, ~1e-15
  relative).

  What lives where: the elevations, mask and multiplier of each tile (with its halo) are
  placed on a worker once — sent from here for an in-memory DEM
  (:meth:`~borderscape.geo.parallel.Executor.put`), read there by windows for a DEM file —
  and each tile's costs stay on the worker that solved it
  (:meth:`~borderscape.geo.parallel.Executor.keep`), so the workers together hold 13 to 17
  bytes per cell.  Each round only edges travel: the halo ring to a tile, the four sides of its
  core back (all that its neighbours' halos hold of it).  This process keeps only those sides,
  as whole raster rows and columns (the first and last of each row and column of tiles).  A
  neighbour is solved again only when a cell of its halo fell (the one above when the top row
  fell, the one up-left when the top-left corner fell).  All of a round's edges are in before
  any is merged, so the rounds do not depend on the executor.  At the end the cores come back
  once, or, with an output VRT, each worker writes its tiles' costs and no process ever holds
  the whole grid.  The number of rounds grows with how many times the least-cost paths cross
  tile boundaries in opposite directions; on terrain with a smooth cost field it is the number
  of tiles from the sources to the far edge plus one or two.
"""

from __future__ import annotations

import heapq
import math
import os
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numba
import numpy as np
import rasterio
import rasterio.windows
from affine import Affine

from borderscape.geo import terrain
from borderscape.geo.costkernel import DC, DR, as_tuple, move_cost, padded
from borderscape.geo.costmodels import get_model
from borderscape.geo.errors import InputError, RasterError
from borderscape.geo.files import atomic_path
from borderscape.geo.parallel import Executor, resolve
from borderscape.geo.raster import Raster
from borderscape.geo.viewshed import EARTH_RADIUS_M, REFRACTION_DEFAULT, coverage_count


@dataclass(frozen=True)
class Tile:
    """A tile's core rows ``r0:r1`` and columns ``c0:c1``, and the window read with its halo
    (``hr0:hr1``, ``hc0:hc1``, cut at the raster's edges)."""

    r0: int
    r1: int
    c0: int
    c1: int
    hr0: int
    hr1: int
    hc0: int
    hc1: int

    @property
    def core(self) -> tuple[slice, slice]:
        """The core inside the halo window."""
        return slice(self.r0 - self.hr0, self.r1 - self.hr0), slice(self.c0 - self.hc0, self.c1 - self.hc0)

    @property
    def window(self) -> rasterio.windows.Window:
        """The halo window as a rasterio window."""
        return rasterio.windows.Window(self.hc0, self.hr0, self.hc1 - self.hc0, self.hr1 - self.hr0)


def tile_grid(shape: tuple[int, int], tile: int, halo: int) -> list[Tile]:
    """Tiles of at most ``tile`` × ``tile`` cells covering a raster of ``shape``, row by row,
    with halos of ``halo`` cells cut at its edges.

    Each axis is cut into ``ceil(n / tile)`` parts whose sizes differ by at most one cell, so
    that the tiles, and the tasks that process them, are about equal (1,112 rows in tiles of
    1,024 are two rows of tiles of 556, not 1,024 and 88).
    """
    if tile < 1 or halo < 0:
        raise InputError(f"tile size {tile} must be ≥ 1 and halo {halo} ≥ 0")
    rows, cols = shape
    row_bounds = _even_cuts(rows, tile)
    col_bounds = _even_cuts(cols, tile)
    out = []
    for r0, r1 in zip(row_bounds, row_bounds[1:]):
        for c0, c1 in zip(col_bounds, col_bounds[1:]):
            out.append(
                Tile(r0, r1, c0, c1, max(0, r0 - halo), min(rows, r1 + halo), max(0, c0 - halo), min(cols, c1 + halo))
            )
    return out


def _even_cuts(n: int, most: int) -> list[int]:
    """Bounds cutting ``n`` cells into ``ceil(n / most)`` runs whose lengths differ by at most one."""
    k = max(1, math.ceil(n / most))
    return [i * n // k for i in range(k + 1)]


def read_window(path: str | Path, tile: Tile, band: int = 1) -> Raster:
    """The halo window of ``tile`` from a raster file (only that window is read)."""
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise RasterError(f"{path} has no CRS", remedy="assign one with gdal_edit.py -a_srs EPSG:XXXX")
            array = src.read(band, window=tile.window)
            return Raster(array, src.window_transform(tile.window), src.crs, src.nodata)
    except rasterio.errors.RasterioIOError as exc:
        raise RasterError(f"cannot read {path}: {exc}", remedy="check that the file is a GeoTIFF") from exc


def _profile(path: str | Path) -> tuple[tuple[int, int], dict[str, Any]]:
    with rasterio.open(path) as src:
        return (src.height, src.width), _tile_profile(src.crs, src.transform)


def _tile_profile(crs: Any, transform: Affine) -> dict[str, Any]:
    return dict(
        driver="GTiff",
        count=1,
        crs=crs,
        transform=transform,
        tiled=True,
        blockxsize=256,
        blockysize=256,
        compress="deflate",
    )


def _tile_name(t: Tile) -> str:
    return f"r{t.r0:07d}_c{t.c0:07d}.tif"


def _write_tile(t: Tile, core: np.ndarray, folder: str, profile: Mapping[str, Any]) -> str:
    """Write one tile's core (compressed) as its own GeoTIFF in ``folder``."""
    transform = profile["transform"] @ Affine.translation(t.c0, t.r0)
    with rasterio.open(
        Path(folder) / _tile_name(t),
        "w",
        **{**profile, "transform": transform},
        width=core.shape[1],
        height=core.shape[0],
    ) as dst:
        dst.write(core.astype(profile["dtype"], copy=False), 1)
    return _tile_name(t)


def _write_task(
    t: Tile, *, task: Callable[..., np.ndarray], folder: str, profile: Mapping[str, Any], **shared: Any
) -> str:
    """Compute one tile's core and write it."""
    return _write_tile(t, task(t, **shared), folder, profile)


def _vrt(shape: tuple[int, int], profile: Mapping[str, Any], grid: list[Tile], folder: str) -> str:
    """A GDAL VRT mosaic of the tile files (paths relative to the VRT)."""
    dtype = {"float32": "Float32", "float64": "Float64", "int32": "Int32"}[profile["dtype"]]
    root = ET.Element("VRTDataset", rasterXSize=str(shape[1]), rasterYSize=str(shape[0]))
    ET.SubElement(root, "SRS", dataAxisToSRSAxisMapping="1,2").text = profile["crs"].to_wkt()
    ET.SubElement(root, "GeoTransform").text = ", ".join(repr(float(v)) for v in profile["transform"].to_gdal())
    band = ET.SubElement(root, "VRTRasterBand", dataType=dtype, band="1")
    if profile.get("nodata") is not None:
        ET.SubElement(band, "NoDataValue").text = "nan" if math.isnan(profile["nodata"]) else repr(profile["nodata"])
    for t in grid:
        w, h = str(t.c1 - t.c0), str(t.r1 - t.r0)
        source = ET.SubElement(band, "SimpleSource")
        ET.SubElement(source, "SourceFilename", relativeToVRT="1").text = f"{folder}/{_tile_name(t)}"
        ET.SubElement(source, "SourceBand").text = "1"
        ET.SubElement(
            source, "SourceProperties", RasterXSize=w, RasterYSize=h, DataType=dtype, BlockXSize="256", BlockYSize="256"
        )
        ET.SubElement(source, "SrcRect", xOff="0", yOff="0", xSize=w, ySize=h)
        ET.SubElement(source, "DstRect", xOff=str(t.c0), yOff=str(t.r0), xSize=w, ySize=h)
    return ET.tostring(root, encoding="unicode")


def _vrt_path(out: str | Path) -> Path:
    out = Path(out)
    if out.suffix.lower() != ".vrt":
        raise InputError(
            f"the output of a tiled raster is a GDAL VRT mosaic, not {out.name}",
            remedy=f"name it {out.stem}.vrt (gdal_translate turns it into one GeoTIFF if needed)",
        )
    return out


def _mosaic(
    out: Path, shape: tuple[int, int], profile: Mapping[str, Any], grid: list[Tile], write: Callable[[str], Any]
) -> Path:
    """``write(folder)`` writes the tile GeoTIFFs into a new folder; it becomes ``<out stem>_tiles``
    beside ``out`` (filled under a temporary name and swapped in whole), and ``out`` the VRT
    mosaic of them (written atomically)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = out.parent / f"{out.stem}_tiles"
    work = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.stem}_tiles."))
    try:
        write(str(work))
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(work, folder)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    with atomic_path(out) as tmp:
        tmp.write_text(_vrt(shape, profile, grid, folder.name), encoding="utf-8")
    return out


def _tiled(
    path: str | Path,
    out: str | Path,
    halo: int,
    tile: int,
    dtype: str,
    nodata: Any,
    task: Callable[..., np.ndarray],
    executor: Executor | None,
    **shared: Any,
) -> Path:
    """Run ``task(tile, path=..., **shared) -> core array`` over the tiles; each task writes its
    core as a GeoTIFF, and ``out`` becomes the VRT mosaic of them (:func:`_mosaic`)."""
    out = _vrt_path(out)
    shape, profile = _profile(path)
    profile.update(dtype=dtype, nodata=nodata)
    ex = resolve(executor)
    grid = tile_grid(shape, tile, halo)
    return _mosaic(
        out,
        shape,
        profile,
        grid,
        lambda folder: ex.map(_write_task, grid, task=task, folder=folder, profile=profile, path=str(path), **shared),
    )


def _terrain_task(t: Tile, *, path: str, measure: str) -> np.ndarray:
    return getattr(terrain, measure)(read_window(path, t)).array[t.core]


def terrain_tiled(
    path: str | Path, out: str | Path, *, measure: str = "slope", tile: int = 1024, executor: Executor | None = None
) -> Path:
    """Slope, aspect or ruggedness of a DEM file, by tiles with a 1-cell halo.

    Equal, cell for cell, to :func:`borderscape.geo.terrain.slope` (``aspect``,
    ``ruggedness``) on the whole DEM (same 3 × 3 kernels and formulas; see there).

    Parameters
    ----------
    path
        DEM GeoTIFF (metres, projected CRS).
    out
        Output VRT (``….vrt``; float32, NaN nodata) over the tile GeoTIFFs of ``<stem>_tiles/``.
    measure
        ``"slope"`` (degrees), ``"aspect"`` (degrees) or ``"ruggedness"`` (TRI, metres).
    tile
        Tile side, cells.
    executor
        Runs the tiles (:mod:`borderscape.geo.parallel`); default the run's, else serial.

    Returns
    -------
    Path
        ``out``.
    """
    if measure not in ("slope", "aspect", "ruggedness"):
        raise InputError(f"unknown terrain measure {measure!r}", remedy='use "slope", "aspect" or "ruggedness"')
    return _tiled(path, out, 1, tile, "float32", float("nan"), _terrain_task, executor, measure=measure)


def _coverage_task(
    t: Tile,
    *,
    path: str,
    x: np.ndarray,
    y: np.ndarray,
    height: np.ndarray,
    range_: np.ndarray,
    options: Mapping[str, Any],
) -> np.ndarray:
    dem = read_window(path, t)
    left, bottom, right, top = dem.bounds
    resx, resy = dem.res
    # observers whose range window meets the tile's core
    core_l, core_r = left + (t.c0 - t.hc0) * resx, left + (t.c1 - t.hc0) * resx
    core_t, core_b = top - (t.r0 - t.hr0) * resy, top - (t.r1 - t.hr0) * resy
    wx = np.ceil(range_ / resx) * resx + resx
    wy = np.ceil(range_ / resy) * resy + resy
    near = (x + wx > core_l) & (x - wx < core_r) & (y + wy > core_b) & (y - wy < core_t)
    near &= (x >= left) & (x < right) & (y > bottom) & (y <= top)
    count = coverage_count(dem, x[near], y[near], height[near], range_[near], **options)
    return count.array[t.core]


def coverage_tiled(
    path: str | Path,
    out: str | Path,
    x: np.ndarray,
    y: np.ndarray,
    height: np.ndarray | float,
    range_: np.ndarray | float,
    *,
    target_height: float = 0.0,
    curvature: bool = True,
    refraction: float = REFRACTION_DEFAULT,
    earth_radius: float = EARTH_RADIUS_M,
    tile: int = 1024,
    executor: Executor | None = None,
) -> Path:
    """Coverage count (:func:`borderscape.geo.viewshed.coverage_count`) of a DEM file, by tiles.

    Each tile is read with a halo of ``2 · ceil(max range / cell size) + 1`` cells and gets the
    observers whose range windows meet its core; each observer's viewshed is then computed in
    the window it has on the whole DEM, so the counts equal the whole-raster ones.

    Parameters
    ----------
    path
        DEM GeoTIFF (metres, projected CRS).
    out
        Output VRT (``….vrt``; int32) over the tile GeoTIFFs of ``<stem>_tiles/``.
    x, y, height, range_, target_height, curvature, refraction, earth_radius
        As in :func:`borderscape.geo.viewshed.coverage_count` (metres).
    tile
        Tile side, cells.
    executor
        Runs the tiles; default the run's, else serial.

    Returns
    -------
    Path
        ``out``.
    """
    x = np.atleast_1d(np.asarray(x, dtype=float))
    y = np.atleast_1d(np.asarray(y, dtype=float))
    if x.size != y.size:
        raise InputError(f"x has {x.size} values but y has {y.size}")
    height = np.broadcast_to(np.asarray(height, dtype=float), x.shape).copy()
    range_ = np.broadcast_to(np.asarray(range_, dtype=float), x.shape).copy()
    with rasterio.open(path) as src:
        res = min(abs(src.transform.a), abs(src.transform.e))
    halo = 2 * int(math.ceil(float(range_.max(initial=0.0)) / res)) + 1
    options = dict(target_height=target_height, curvature=curvature, refraction=refraction, earth_radius=earth_radius)
    return _tiled(
        path,
        out,
        halo,
        tile,
        "int32",
        None,
        _coverage_task,
        executor,
        x=x,
        y=y,
        height=height,
        range_=range_,
        options=options,
    )


# -- accumulated cost by tiles --------------------------------------------------------------


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _seeded_dijkstra(z, blocked, mult, const_mult, acc, xres, yres, model_id, p, cv, reverse, ring_only):
    """Dijkstra over a window from every cell with a finite cost in ``acc`` (updated in place),
    or, with ``ring_only``, from those of the window's outer ring: when the inside already holds
    the costs of a previous solve, only what comes in through the halo can lower them, so only
    the cells that improve are visited.

    8 neighbours; the cost of a move is ``move_cost(model, p, dz, d, cell) × mean multiplier of
    its two cells``, computed as in :func:`borderscape.geo.costkernel.accumulate`.
    """
    pt = as_tuple(p)
    rows, cols = z.shape
    dist = np.empty(8)
    for k in range(8):
        dist[k] = np.sqrt((DC[k] * xres) ** 2 + (DR[k] * yres) ** 2)
    heap = [(0.0, 0)]
    heap.pop()
    for r in range(rows):
        for c in range(cols):
            ring = r == 0 or r == rows - 1 or c == 0 or c == cols - 1
            if acc[r, c] < np.inf and not blocked[r, c] and (ring or not ring_only):
                heap.append((acc[r, c], r * cols + c))
    heapq.heapify(heap)
    done = np.zeros((rows, cols), dtype=np.bool_)
    while len(heap) > 0:
        key, idx = heapq.heappop(heap)
        r = idx // cols
        c = idx - r * cols
        if done[r, c] or key > acc[r, c]:
            continue
        done[r, c] = True
        z0 = np.float64(z[r, c])
        for k in range(8):
            rr = r + DR[k]
            cc = c + DC[k]
            if rr < 0 or rr >= rows or cc < 0 or cc >= cols or blocked[rr, cc] or done[rr, cc]:
                continue
            if acc[rr, cc] <= key:
                continue
            mv = mult[0, 0] if const_mult else mult[r, c] / 2.0 + mult[rr, cc] / 2.0
            dz = np.float64(z[rr, cc]) - z0
            if reverse:
                dz = -dz
            new = key + move_cost(model_id, pt, dz, dist[k], cv) * mv
            if new < acc[rr, cc]:
                acc[rr, cc] = new
                heapq.heappush(heap, (new, rr * cols + cc))


def _ring(shape: tuple[int, int]) -> np.ndarray:
    """Flat indices of the outer ring of cells of a window (its halo, or its edge where the
    raster ends)."""
    edge = np.ones(shape, dtype=bool)
    edge[1:-1, 1:-1] = False
    return np.flatnonzero(edge)


def _cost_solve(
    item: tuple, *, xres: float, yres: float, model_id: int, p: np.ndarray, cv: float, reverse: bool
) -> np.ndarray:
    """One tile solve; returns the tile's new costs over its window (kept on the worker).

    A first solve (no state yet) starts from the sources it holds (0) and the costs of its
    halo ring, and searches from all of them.  A solve again starts from its own previous
    costs with the ring lowered to the new halo costs, and searches from the ring only: the
    inside is already the fixpoint of the old ring, so only improvements coming in through
    the ring can change it."""
    t, (z, blocked, mult, sources), state, ring = item
    if state is None:
        acc = np.full(z.shape, np.inf)
        acc.flat[sources] = 0.0
    else:
        acc = state.copy()  # the handle's data stays as it was
    edge = _ring(z.shape)
    acc.flat[edge] = np.minimum(acc.flat[edge], ring)
    _seeded_dijkstra(
        z, blocked, mult, mult.shape == (1, 1), acc, xres, yres, model_id, p, cv, reverse, state is not None
    )
    return acc


def _static(z: np.ndarray, valid: np.ndarray, mult: np.ndarray | None, sources: np.ndarray) -> tuple:
    """What a tile solve needs and never changes: elevations (float32, 0 where missing), the mask
    of impassable cells, the multiplier (or a constant 1) and the flat indices of the passable
    sources (``sources``: flat indices of all of them), all on the tile's window."""
    blocked = ~valid
    if mult is None:
        mult = np.ones((1, 1), dtype=np.float32)
    else:
        mult = np.ascontiguousarray(mult, dtype=np.float32)
        if np.nanmin(mult, initial=np.inf) < 0:
            raise InputError("cost multipliers must be ≥ 0")
        blocked |= ~np.isfinite(mult)
    z = np.where(blocked, 0.0, z).astype(np.float32)
    return z, blocked, mult, sources[~blocked.flat[sources]]


def _read_static(item: tuple, *, path: str, multiplier: str | None) -> tuple:
    """:func:`_static` of a tile read from the files by windows (on the worker that keeps it)."""
    t, sources = item
    dem = read_window(path, t)
    mult = None
    if multiplier is not None:
        m = read_window(multiplier, t)
        mult = np.where(m.valid_mask(), m.array, np.nan)  # its nodata cells are impassable
    return _static(dem.array, dem.valid_mask(), mult, sources)


def _core_edges(item: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The costs of a solved tile's core along its four sides (top and bottom rows, left and right
    columns): all that its neighbours' halos hold of it."""
    t, acc = item
    core = acc[t.core]
    return core[0].copy(), core[-1].copy(), core[:, 0].copy(), core[:, -1].copy()


def _core_of(item: tuple) -> np.ndarray:
    t, acc = item
    return (
        np.full((t.r1 - t.r0, t.c1 - t.c0), np.nan)
        if acc is None
        else np.where(np.isinf(acc[t.core]), np.nan, acc[t.core])
    )


def _write_core(item: tuple, *, folder: str, profile: Mapping[str, Any]) -> str:
    return _write_tile(item[0], _core_of(item), folder, profile)


class _Edges:
    """The costs of every tile's four core sides, as the driver knows them: the first and last row
    of each row of tiles (whole raster rows) and the first and last column of each column of
    tiles (whole raster columns), 8 bytes per cell of those lines only.  A tile's halo ring lies
    on the sides of its neighbours' cores (or of its own, where the raster ends)."""

    def __init__(self, grid: list[Tile], ntr: int, ntc: int, shape: tuple[int, int]) -> None:
        self.grid, self.ntr, self.ntc = grid, ntr, ntc
        self.top = [np.full(shape[1], np.inf) for _ in range(ntr)]
        self.bottom = [np.full(shape[1], np.inf) for _ in range(ntr)]
        self.left = [np.full(shape[0], np.inf) for _ in range(ntc)]
        self.right = [np.full(shape[0], np.inf) for _ in range(ntc)]

    def ring(self, i: int) -> np.ndarray:
        """The costs of tile ``i``'s halo ring, in the order of :func:`_ring` over its window."""
        t = self.grid[i]
        tr, tc = divmod(i, self.ntc)
        above = self.bottom[tr - 1] if tr > 0 else self.top[tr]  # raster row hr0
        below = self.top[tr + 1] if tr < self.ntr - 1 else self.bottom[tr]  # raster row hr1 - 1
        before = self.right[tc - 1] if tc > 0 else self.left[tc]  # raster column hc0
        after = self.left[tc + 1] if tc < self.ntc - 1 else self.right[tc]  # raster column hc1 - 1
        h = t.hr1 - t.hr0
        first, last = above[t.hc0 : t.hc1], below[t.hc0 : t.hc1]
        if h == 1:
            return first.copy()
        inner = np.column_stack([before[t.hr0 + 1 : t.hr1 - 1], after[t.hr0 + 1 : t.hr1 - 1]])
        if t.hc1 - t.hc0 == 1:
            inner = inner[:, :1]
        return np.concatenate([first, inner.ravel(), last])

    def merge(self, order: list[int], sides: list) -> set[int]:
        """Lower the lines to the solved cores' sides; the tiles whose halo holds a lowered cell
        (the one above when the top row fell, the one up-left when the top-left corner fell, …):
        only they see a change."""
        active = set()
        for i, (top, bottom, left, right) in zip(order, sides):
            t = self.grid[i]
            tr, tc = divmod(i, self.ntc)
            fell = []
            for line, new in (
                (self.top[tr][t.c0 : t.c1], top),
                (self.bottom[tr][t.c0 : t.c1], bottom),
                (self.left[tc][t.r0 : t.r1], left),
                (self.right[tc][t.r0 : t.r1], right),
            ):
                lower = new < line
                line[lower] = new[lower]
                fell.append(lower)
            top_fell, bottom_fell, left_fell, right_fell = fell
            for (dr, dc), seen in {
                (-1, 0): top_fell.any(),
                (1, 0): bottom_fell.any(),
                (0, -1): left_fell.any(),
                (0, 1): right_fell.any(),
                (-1, -1): top_fell[0],
                (-1, 1): top_fell[-1],
                (1, -1): bottom_fell[0],
                (1, 1): bottom_fell[-1],
            }.items():
                if seen and 0 <= tr + dr < self.ntr and 0 <= tc + dc < self.ntc:
                    active.add((tr + dr) * self.ntc + tc + dc)
        return active


@dataclass(frozen=True)
class TiledCost:
    """Accumulated cost by tiles: the cost grid (NaN unreached) in memory, or the VRT mosaic it
    was written to; and how many rounds and tile solves it took."""

    cost: Raster | None
    path: Path | None
    rounds: int
    solves: int


def accumulated_cost_tiled(
    dem: Raster | str | Path,
    sources: np.ndarray,
    *,
    model: str = "tobler",
    params: Mapping[str, float] | None = None,
    multiplier: np.ndarray | str | Path | None = None,
    travel: str = "from_sources",
    tile: int = 512,
    max_rounds: int = 1000,
    out: str | Path | None = None,
    executor: Executor | None = None,
) -> TiledCost:
    """Accumulated cost (Dijkstra, 8 neighbours) by tiles with iterative boundary exchange.

    The strategy and why it is exact are in the module docstring.  The move costs are those
    of :func:`borderscape.geo.costdistance.accumulated_cost` with ``neighbours=8``, a constant
    cell value and an optional multiplier; the result equals it (relative difference
    ≤ 1e-12: equal-cost paths may be summed in another order).

    For a raster larger than memory, give the DEM (and the multiplier) as files and ``out``:
    each worker then reads its tiles' windows itself, and writes their costs at the end, and
    this process holds only the sides of the tiles (and ``sources``, which may be a
    ``numpy.memmap``).

    Parameters
    ----------
    dem
        Elevations, metres, projected CRS; missing cells are impassable.  A :class:`Raster`, or
        a GeoTIFF path (read by windows where the tiles are solved: on a remote cluster, a path
        the workers can read).
    sources
        Boolean array on the DEM grid (True = source, cost 0).
    model, params
        Registered cost model and its parameters (:mod:`borderscape.geo.costmodels`).
    multiplier
        Cost multiplier (≥ 0) on the DEM grid, averaged over a move's two cells; NaN is
        impassable.  An array with a :class:`Raster` DEM, a raster file on the same grid with
        a DEM file.
    travel
        ``"from_sources"`` or ``"to_sources"`` (as in ``accumulated_cost``).
    tile
        Largest tile side, cells (:func:`tile_grid`): a tile's data and costs take about
        ``(tile + 2)² × 17`` bytes on its worker, its solve as much again while it runs.
    max_rounds
        Give up (:class:`RasterError`) after this many rounds.
    out
        None: the costs come back as a :class:`Raster` (``cost``).  A ``….vrt`` path: each tile's
        costs are written as a float64 GeoTIFF in ``<stem>_tiles/`` by the worker that holds
        them, ``out`` is their VRT mosaic (``path``), and the whole grid is never in memory.
    executor
        Runs the tile solves of a round; default the run's, else serial.

    Returns
    -------
    TiledCost
    """
    cm = get_model(model)
    packed = cm.pack(params)
    p = padded(packed)
    # the constant cell value, as accumulated_cost passes it (float32)
    cv = float(np.float32(packed[cm.param_names.index(cm.cell_param)])) if cm.cell_param else 0.0
    if travel not in ("from_sources", "to_sources"):
        raise InputError(f"travel must be 'from_sources' or 'to_sources', got {travel!r}")
    out = None if out is None else _vrt_path(out)
    in_memory = isinstance(dem, Raster)
    if in_memory:
        shape, profile, (xres, yres) = dem.shape, _tile_profile(dem.crs, dem.transform), dem.res
        if multiplier is not None:
            multiplier = np.asarray(multiplier)
            if multiplier.shape != shape:
                raise InputError(f"the multiplier has shape {multiplier.shape}, the DEM {shape}")
    else:
        shape, profile = _profile(dem)
        xres, yres = abs(profile["transform"].a), abs(profile["transform"].e)
        if multiplier is not None:
            if not isinstance(multiplier, (str, Path)):
                raise InputError("with a DEM file, give the multiplier as a raster file on the same grid too")
            mshape, mprofile = _profile(multiplier)
            if mshape != shape or mprofile["transform"] != profile["transform"]:
                raise InputError(
                    f"the multiplier {multiplier} is not on the grid of the DEM {dem}",
                    remedy="warp it onto the DEM's grid (gdalwarp -te … -tr …)",
                )
    sources = np.asarray(sources)
    if sources.shape != shape:
        raise InputError(f"sources have shape {sources.shape}, the DEM {shape}")
    grid = tile_grid(shape, tile, 1)
    ntc = sum(t.r0 == 0 for t in grid)  # tiles per row of tiles
    ntr = len(grid) // ntc
    windows = [(slice(t.hr0, t.hr1), slice(t.hc0, t.hc1)) for t in grid]
    # the sources of each window as flat indices (few, next to the window's cells)
    src = [np.flatnonzero(sources[w]) for w in windows]
    active = {i for i, t in enumerate(grid) if sources[t.r0 : t.r1, t.c0 : t.c1].any()}
    ex = resolve(executor)
    # what does not change between rounds is placed where the tiles are solved, once: sent from
    # here for a Raster, read there by windows for a file
    if in_memory:
        valid = dem.valid_mask()
        static = ex.put(
            [
                _static(dem.array[w], valid[w], None if multiplier is None else multiplier[w], src[i])
                for i, w in enumerate(windows)
            ]
        )
    else:
        static = ex.keep(
            _read_static,
            list(zip(grid, src)),
            path=str(dem),
            multiplier=None if multiplier is None else str(multiplier),
        )
    del src
    edges = _Edges(grid, ntr, ntc, shape)
    state: list[Any] = [None] * len(grid)  # each solved tile's costs, kept where it was solved
    shared = dict(xres=float(xres), yres=float(yres), model_id=cm.model_id, p=p, cv=cv, reverse=travel == "to_sources")
    rounds = solves = 0
    try:
        while active:
            rounds += 1
            if rounds > max_rounds:
                raise RasterError(
                    f"tiled accumulated cost did not converge in {max_rounds} rounds",
                    remedy="use larger tiles or raise max_rounds",
                )
            order = sorted(active)
            # every solve of a round sees the sides of the round before (all are in before any
            # is merged), whatever runs them
            solved = ex.keep(_cost_solve, [(grid[i], static[i], state[i], edges.ring(i)) for i in order], **shared)
            sides = list(ex.imap(_core_edges, [(grid[i], h) for i, h in zip(order, solved)], ahead=len(order)))
            ex.drop([state[i] for i in order if state[i] is not None])
            for i, h in zip(order, solved):
                state[i] = h
            solves += len(order)
            active = edges.merge(order, sides)
        items = list(zip(grid, state))
        ahead = 2 * ex.workers
        if out is not None:
            profile.update(dtype="float64", nodata=float("nan"))
            path = _mosaic(
                out,
                shape,
                profile,
                grid,
                lambda folder: list(ex.imap(_write_core, items, ahead=ahead, folder=folder, profile=profile)),
            )
            return TiledCost(None, path, rounds, solves)
        cost = np.empty(shape)
        for t, core in zip(grid, ex.imap(_core_of, items, ahead=ahead)):
            cost[t.r0 : t.r1, t.c0 : t.c1] = core
    finally:
        ex.drop(static)
        ex.drop([h for h in state if h is not None])
    return TiledCost(Raster(cost, dem.transform, dem.crs, np.nan), None, rounds, solves)
