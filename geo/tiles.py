"""Rasters larger than memory: tiles with overlaps (halos), read and written by windows.

A raster is cut into rectangular tiles (:func:`tile_grid`).  A kernel that looks ``h`` cells
around a cell gets each tile with a halo of ``h`` cells on every side (cut at the raster's
edges), computes, and keeps the tile's core; the core results are then those of the whole
raster, bit for bit.  Tiles are read with rasterio windows (:func:`read_window`), processed as
tasks of an executor (:mod:`borderscape.geo.parallel`), a few per worker in flight, and written by
windows into the output GeoTIFF as they come back (the workers compute the next tiles while
this process compresses and writes), so neither the input nor the output raster is ever whole
in memory.  Writing one GeoTIFF is done by one process: with deflate it can take as long as
the kernel, so ``terrain_tiled`` speeds up with workers only until the writer is busy all the
time.
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
  Bellman–Ford over tiles.  Every round, each tile whose surroundings changed solves a
  Dijkstra over its core plus a 1-cell halo, seeded with the sources it holds (cost 0) and
  with the current costs of its halo and core cells; its core keeps the result.  Every value
  is the cost of a real path, so values only decrease, and a tile's Dijkstra finds every
  improvement that enters through its halo; rounds stop when no core value changes, which
  is then the whole-raster Dijkstra result (up to the rounding of equal-cost paths taken in
  another order, ~1e-15 relative).  The elevations, mask and multiplier of each tile (with its
  halo) go to a worker once (:meth:`~borderscape.geo.parallel.Executor.put`), so the workers
  together hold them once (5 to 9 bytes per cell); each round sends only the float64 costs of
  the tiles it solves, and all of a round's results are in before any is merged, so the
  rounds do not depend on the executor.  The driver keeps the float64 cost grid (8 bytes per
  cell, e.g. a ``numpy.memmap``).  The number of rounds grows
  with how many times the least-cost paths cross tile boundaries in opposite directions;
  on terrain with a smooth cost field it is the number of tiles from the sources to the far
  edge plus one or two.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numba
import numpy as np
import rasterio
import rasterio.windows

from borderscape.geo import terrain
from borderscape.geo.costkernel import DC, DR, as_tuple, move_cost, padded
from borderscape.geo.costmodels import get_model
from borderscape.geo.errors import InputError, RasterError
from borderscape.geo.files import atomic_path
from borderscape.geo.parallel import Executor, resolve
from borderscape.geo.raster import Raster
from borderscape.geo.viewshed import EARTH_RADIUS_M, REFRACTION_DEFAULT, coverage_count

#: Tiles in flight per worker while this process writes the finished ones out.
_AHEAD_PER_WORKER = 4


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
    """Tiles of ``tile`` × ``tile`` cells covering a raster of ``shape``, row by row, with
    halos of ``halo`` cells cut at its edges."""
    if tile < 1 or halo < 0:
        raise InputError(f"tile size {tile} must be ≥ 1 and halo {halo} ≥ 0")
    rows, cols = shape
    out = []
    for r0 in range(0, rows, tile):
        for c0 in range(0, cols, tile):
            r1, c1 = min(rows, r0 + tile), min(cols, c0 + tile)
            out.append(Tile(r0, r1, c0, c1, max(0, r0 - halo), min(rows, r1 + halo), max(0, c0 - halo),
                            min(cols, c1 + halo)))
    return out


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
        return (src.height, src.width), dict(driver="GTiff", width=src.width, height=src.height, count=1,
                                             crs=src.crs, transform=src.transform, tiled=True,
                                             blockxsize=256, blockysize=256, compress="deflate")


def _tiled(path: str | Path, out: str | Path, halo: int, tile: int, dtype: str, nodata: Any,
           task: Callable[..., np.ndarray], executor: Executor | None, **shared: Any) -> Path:
    """Run ``task(tile, path=..., **shared) -> core array`` over the tiles, writing by windows."""
    shape, profile = _profile(path)
    ex = resolve(executor)
    profile.update(dtype=dtype, nodata=nodata)
    out = Path(out)
    grid = tile_grid(shape, tile, halo)
    with atomic_path(out) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        # the workers compute the next tiles while this process compresses and writes each core
        for t, core in zip(grid, ex.imap(task, grid, ahead=_AHEAD_PER_WORKER * ex.workers, path=str(path), **shared)):
            dst.write(core, 1, window=rasterio.windows.Window(t.c0, t.r0, t.c1 - t.c0, t.r1 - t.r0))
    return out


def _terrain_task(t: Tile, *, path: str, measure: str) -> np.ndarray:
    return getattr(terrain, measure)(read_window(path, t)).array[t.core]


def terrain_tiled(path: str | Path, out: str | Path, *, measure: str = "slope", tile: int = 1024,
                  executor: Executor | None = None) -> Path:
    """Slope, aspect or ruggedness of a DEM file, by tiles with a 1-cell halo.

    Equal, cell for cell, to :func:`borderscape.geo.terrain.slope` (``aspect``,
    ``ruggedness``) on the whole DEM (same 3 × 3 kernels and formulas; see there).

    Parameters
    ----------
    path
        DEM GeoTIFF (metres, projected CRS).
    out
        Output GeoTIFF (float32, NaN nodata), written atomically.
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


def _coverage_task(t: Tile, *, path: str, x: np.ndarray, y: np.ndarray, height: np.ndarray, range_: np.ndarray,
                   options: Mapping[str, Any]) -> np.ndarray:
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


def coverage_tiled(path: str | Path, out: str | Path, x: np.ndarray, y: np.ndarray, height: np.ndarray | float,
                   range_: np.ndarray | float, *, target_height: float = 0.0, curvature: bool = True,
                   refraction: float = REFRACTION_DEFAULT, earth_radius: float = EARTH_RADIUS_M,
                   tile: int = 1024, executor: Executor | None = None) -> Path:
    """Coverage count (:func:`borderscape.geo.viewshed.coverage_count`) of a DEM file, by tiles.

    Each tile is read with a halo of ``2 · ceil(max range / cell size) + 1`` cells and gets the
    observers whose range windows meet its core; each observer's viewshed is then computed in
    the window it has on the whole DEM, so the counts equal the whole-raster ones.

    Parameters
    ----------
    path
        DEM GeoTIFF (metres, projected CRS).
    out
        Output GeoTIFF (int32), written atomically.
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
    return _tiled(path, out, halo, tile, "int32", None, _coverage_task, executor, x=x, y=y, height=height,
                  range_=range_, options=options)


# -- accumulated cost by tiles --------------------------------------------------------------

@numba.njit(cache=True, error_model="numpy")
def _seeded_dijkstra(z, blocked, mult, const_mult, acc, xres, yres, model_id, p, cv, reverse):
    """Dijkstra over a window from every cell with a finite cost in ``acc`` (updated in place).

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
            if acc[r, c] < np.inf and not blocked[r, c]:
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


def _cost_task(item: tuple, *, xres: float, yres: float, model_id: int, p: np.ndarray, cv: float,
               reverse: bool) -> np.ndarray:
    t, (z, blocked, mult), acc = item
    acc = acc.copy()
    _seeded_dijkstra(z, blocked, mult, mult.shape == (1, 1), acc, xres, yres, model_id, p, cv, reverse)
    return acc[t.core]


@dataclass(frozen=True)
class TiledCost:
    """Accumulated cost by tiles: the cost grid (NaN unreached), and how many rounds and tile
    solves it took."""

    cost: Raster
    rounds: int
    solves: int


def accumulated_cost_tiled(dem: Raster, sources: np.ndarray, *, model: str = "tobler",
                           params: Mapping[str, float] | None = None, multiplier: np.ndarray | None = None,
                           travel: str = "from_sources", tile: int = 512, max_rounds: int = 1000,
                           executor: Executor | None = None) -> TiledCost:
    """Accumulated cost (Dijkstra, 8 neighbours) by tiles with iterative boundary exchange.

    The strategy and why it is exact are in the module docstring.  The move costs are those
    of :func:`borderscape.geo.costdistance.accumulated_cost` with ``neighbours=8``, a constant
    cell value and an optional multiplier; the result equals it (relative difference
    ≤ 1e-12: equal-cost paths may be summed in another order).

    Parameters
    ----------
    dem
        Elevations, metres, projected CRS; missing cells are impassable.
    sources
        Boolean array on the DEM grid (True = source, cost 0).
    model, params
        Registered cost model and its parameters (:mod:`borderscape.geo.costmodels`).
    multiplier
        Cost multiplier (≥ 0) on the DEM grid, averaged over a move's two cells; NaN is
        impassable.
    travel
        ``"from_sources"`` or ``"to_sources"`` (as in ``accumulated_cost``).
    tile
        Tile side, cells: a worker holds about ``(tile + 2)² × 30`` bytes.
    max_rounds
        Give up (:class:`RasterError`) after this many rounds.
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
    src = np.asarray(sources, dtype=bool)
    if src.shape != dem.shape:
        raise InputError(f"sources have shape {src.shape}, the DEM {dem.shape}")
    blocked = ~dem.valid_mask()
    z = np.where(blocked, 0.0, dem.array).astype(np.float32)
    if multiplier is None:
        mult = np.ones((1, 1), dtype=np.float32)
    else:
        mult = np.asarray(multiplier, dtype=np.float32)
        if mult.shape != dem.shape:
            raise InputError(f"the multiplier has shape {mult.shape}, the DEM {dem.shape}")
        if np.nanmin(mult) < 0:
            raise InputError("cost multipliers must be ≥ 0")
        blocked = blocked | ~np.isfinite(mult)
    acc = np.full(dem.shape, np.inf)
    acc[src & ~blocked] = 0.0
    tiles = tile_grid(dem.shape, tile, 1)
    ntr = math.ceil(dem.shape[0] / tile)
    ntc = math.ceil(dem.shape[1] / tile)
    active = {i for i, t in enumerate(tiles) if src[t.r0:t.r1, t.c0:t.c1].any()}
    ex = resolve(executor)
    xres, yres = dem.res
    rounds = solves = 0
    windows = [(slice(t.hr0, t.hr1), slice(t.hc0, t.hc1)) for t in tiles]
    # what does not change between rounds goes to the workers once; each round sends the costs
    static = ex.put([(z[w], blocked[w], mult if mult.shape == (1, 1) else mult[w]) for w in windows])
    try:
        while active:
            rounds += 1
            if rounds > max_rounds:
                raise RasterError(f"tiled accumulated cost did not converge in {max_rounds} rounds",
                                  remedy="use larger tiles or raise max_rounds")
            order = sorted(active)
            # every solve of a round sees the costs of the round before (all results are in
            # before any is merged), whatever runs them
            items = [(tiles[i], static[i], acc[windows[i]]) for i in order]
            results = list(ex.imap(_cost_task, items, ahead=len(items), xres=float(xres), yres=float(yres),
                                   model_id=cm.model_id, p=p, cv=cv, reverse=travel == "to_sources"))
            solves += len(order)
            active = _merge(acc, tiles, order, results, ntr, ntc)
    finally:
        ex.drop(static)
    cost = np.where(np.isfinite(acc), acc, np.nan)
    return TiledCost(dem.with_array(cost, nodata=np.nan), rounds, solves)


def _merge(acc: np.ndarray, tiles: list[Tile], order: list[int], results: list[np.ndarray], ntr: int,
           ntc: int) -> set[int]:
    """Lower ``acc`` (in place) to the solved cores; the tiles next to a changed core."""
    active = set()
    for i, core in zip(order, results):
        t = tiles[i]
        old = acc[t.r0:t.r1, t.c0:t.c1]
        better = core < old
        if better.any():
            old[better] = core[better]
            tr, tc = divmod(i, ntc)
            # its neighbours see new halo values; the tile itself is consistent with its halo
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    if (dr or dc) and 0 <= tr + dr < ntr and 0 <= tc + dc < ntc:
                        active.add((tr + dr) * ntc + tc + dc)
    return active

