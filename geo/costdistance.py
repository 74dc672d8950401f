"""Anisotropic accumulated cost, backlinks, least-cost paths and corridors on a DEM.

Accumulated cost is found by Dijkstra's algorithm with an indexed 4-ary heap (a d-ary
generalisation of the binary heap: half the depth, fewer cache misses), in numba
(``cache=True``), over the cells of a DEM in a projected CRS (metres).  Memory: about 18 bytes
per cell (float64 cost, int8 backlink, int32 heap index, float32 padded elevations).

How the cost of a move is evaluated (the same rule as GRASS ``r.walk`` and ``r.cost``)
-----------------------------------------------------------------------------------
A move goes from a cell ``o`` to a neighbour ``t``: 8 neighbours (rook and bishop moves), or
16 with the knight's moves (±1, ±2) and (±2, ±1) — r.walk/r.cost ``-k``.

* ``d`` — horizontal distance between the cell centres, metres:
  √((Δcol·Δx)² + (Δrow·Δy)²).
* ``dz`` — elevation of ``t``'s centre minus elevation of ``o``'s centre, metres (positive
  uphill) when walking away from the sources (``travel="from_sources"``, as r.walk); the
  opposite sign when walking towards them (``travel="to_sources"``).
* the model's per-cell value (Pandolf's η, r.walk's friction), and the cost multiplier, are
  averaged over the cells of the move: the two cells for a rook/bishop move, and four for a
  knight's move — ``o``, ``t`` and the two cells the move passes between (for a move
  (−2, −1): (−1, 0) and (−1, −1)), exactly as r.walk and r.cost do.
* cost of the move = :func:`borderscape.geo.costkernel.move_cost` (model, parameters, dz, d,
  averaged cell value) × averaged multiplier.

A move into an impassable cell (a barrier, or a cell with no elevation, or with a NaN
multiplier) is not made; a knight's move is not made when either cell it passes between is
impassable.  Source cells have cost 0.  With ``max_cost``, cells whose accumulated cost
exceeds it are left unreached (NaN); r.walk's ``max_cost`` also stops there but keeps the
fringe of cells it had already priced above the cut-off — below it, the two agree.

Backlinks record, for every reached cell, the move that reached it, coded 1…16 in r.walk's
order of neighbours (1 W, 2 E, 3 N, 4 S, 5 NW, 6 NE, 7 SE, 8 SW, 9 NNW, 10 NNE, 11 SSE,
12 SSW, 13 WNW, 14 ENE, 15 ESE, 16 WSW: the direction of the move from the previous cell);
0 marks a source and −1 an unreached cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import shapely
from rasterio.features import rasterize

from borderscape.geo.costkernel import BLOCKED, accumulate, padded, trace
from borderscape.geo.costmodels import get_model
from borderscape.geo.crs import require_projected, to_crs
from borderscape.geo.errors import InputError, RasterError
from borderscape.geo.raster import Raster

_PAD = 2  # impassable cells around the grid in the kernel (a knight's move spans 2)

Sources = gpd.GeoDataFrame | gpd.GeoSeries | np.ndarray


@dataclass(frozen=True)
class CostSurface:
    """Accumulated cost from a set of sources, with its backlinks.

    Attributes
    ----------
    cost
        Accumulated cost (float64, in ``units``; NaN where unreached).
    backlink
        int8 move codes (see the module docstring); −1 where unreached, 0 at sources.
    model, units, params
        The cost model, its units and the parameter values used.
    neighbours
        8 or 16.
    travel
        ``"from_sources"`` (walking away from the sources) or ``"to_sources"``.
    """

    cost: Raster
    backlink: Raster
    model: str
    units: str
    params: dict[str, float] = field(default_factory=dict)
    neighbours: int = 8
    travel: str = "from_sources"


def _same_grid(dem: Raster, other: Raster, what: str) -> None:
    if other.shape != dem.shape or not other.transform.almost_equals(dem.transform) or other.crs != dem.crs:
        raise RasterError(
            f"{what} is not on the DEM's grid (shape, transform and CRS must match)",
            remedy="resample it onto the DEM first, e.g. with gdalwarp -te … -tr … or Raster.reproject",
        )


def _as_grid_array(dem: Raster, value: Raster | np.ndarray, what: str) -> np.ndarray:
    if isinstance(value, Raster):
        _same_grid(dem, value, what)
        a = (
            np.where(value.valid_mask(), value.array, np.nan)
            if np.issubdtype(value.array.dtype, np.floating)
            else value.array
        )
        return np.asarray(a)
    a = np.asarray(value)
    if a.shape != dem.shape:
        raise RasterError(f"{what} has shape {a.shape}, the DEM {dem.shape}")
    return a


def source_cells(dem: Raster, sources: Sources) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the DEM cells that hold sources.

    Parameters
    ----------
    dem
        The grid.
    sources
        A GeoDataFrame/GeoSeries (with a CRS; reprojected to the DEM's) of points (the cell
        containing each), lines (every cell the line touches) or polygons (cells whose centre
        is inside); or a boolean array on the DEM's grid.

    Raises
    ------
    InputError
        When a point lies outside the DEM, or no source cell lies on it.
    CRSError
        When the layer has no CRS.
    """
    if isinstance(sources, (gpd.GeoDataFrame, gpd.GeoSeries)):
        geoms = to_crs(sources, dem.crs, name="sources").geometry
        geoms = geoms[~(geoms.is_empty | geoms.isna())]
        kinds = shapely.get_type_id(geoms.values)
        mask = np.zeros(dem.shape, dtype=bool)
        points = geoms[np.isin(kinds, (0, 4))].explode(index_parts=False)
        if len(points):
            r, c = dem.rowcol(points.x.to_numpy(), points.y.to_numpy())
            outside = (r < 0) | (r >= dem.shape[0]) | (c < 0) | (c >= dem.shape[1])
            if outside.any():
                raise InputError(
                    f"{int(outside.sum())} source point(s) lie outside the DEM",
                    remedy="use a DEM that covers every source, or drop those points",
                )
            mask[r, c] = True
        for type_ids, touched in (((1, 2, 5), True), ((3, 6), False)):
            part = geoms[np.isin(kinds, type_ids)]
            if len(part):
                mask |= rasterize(
                    part,
                    out_shape=dem.shape,
                    transform=dem.transform,
                    fill=0,
                    default_value=1,
                    all_touched=touched,
                    dtype="uint8",
                ).astype(bool)
    else:
        mask = np.asarray(sources)
        if mask.dtype != bool or mask.shape != dem.shape:
            raise InputError("a source array must be boolean and on the DEM's grid")
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        raise InputError("no source lies on the DEM", remedy="check the sources' CRS and extent")
    return rows.astype(np.int64), cols.astype(np.int64)


# -- public API -----------------------------------------------------------------------------
def accumulated_cost(
    dem: Raster,
    sources: Sources,
    *,
    model: str = "tobler",
    params: Mapping[str, float] | None = None,
    cell_values: Raster | np.ndarray | None = None,
    neighbours: Literal[8, 16] = 8,
    barriers: Raster | np.ndarray | None = None,
    multiplier: Raster | np.ndarray | None = None,
    max_cost: float | None = None,
    travel: Literal["from_sources", "to_sources"] = "from_sources",
) -> CostSurface:
    """Anisotropic accumulated walking cost from many sources (Dijkstra, numba).

    Parameters
    ----------
    dem
        Elevations in metres on a projected grid in metres; missing cells are impassable.
    sources
        Points, lines (e.g. the border) or polygons as a GeoDataFrame/GeoSeries with a CRS,
        or a boolean array on the DEM's grid; see :func:`source_cells`.
    model
        Registered cost model (:data:`borderscape.geo.costmodels.MODELS`).
    params
        Model parameters (name → value); unknown names raise :class:`InputError`.
    cell_values
        Per-cell values of the model's cell parameter (Pandolf's ``eta`` from land cover,
        r.walk's ``friction``) on the DEM's grid; default the constant from ``params``.
    neighbours
        8, or 16 to add knight's moves (r.walk ``-k``): straight-line error ≤ 2.75 % instead
        of ≤ 8.24 %.
    barriers
        Boolean impassable mask (True = impassable) on the DEM's grid.
    multiplier
        Cost multiplier (≥ 0) on the DEM's grid, averaged over a move's cells; NaN is
        impassable.
    max_cost
        Cut-off in the model's units: cells costlier than this are left unreached.
    travel
        ``"from_sources"``: cost of walking away from the sources (r.walk's convention);
        ``"to_sources"``: cost of walking from each cell to the nearest (cheapest) source.

    Returns
    -------
    CostSurface
        Accumulated cost in the model's units (s or kJ) and backlinks.

    Raises
    ------
    InputError, RasterError, CRSError
        For an unknown model or parameter, a grid mismatch, or a DEM not in metres.
    """
    cm = get_model(model)
    p = cm.pack(params)
    require_projected(dem.crs, name="the DEM")
    if neighbours not in (8, 16):
        raise InputError(f"neighbours must be 8 or 16, got {neighbours}")
    if travel not in ("from_sources", "to_sources"):
        raise InputError(f"travel must be 'from_sources' or 'to_sources', got {travel!r}")
    # the kernel works on flat arrays padded with 2 impassable cells on every side, so that no
    # move needs a bounds check
    shape = (dem.shape[0] + 2 * _PAD, dem.shape[1] + 2 * _PAD)
    inner = (slice(_PAD, -_PAD), slice(_PAD, -_PAD))
    blocked = np.ones(shape, dtype=bool)
    blocked[inner] = ~dem.valid_mask()
    z = np.zeros(shape, dtype=np.float32)
    z[inner] = dem.array
    if cell_values is None:
        cv = np.array([p[cm.param_names.index(cm.cell_param)] if cm.cell_param else 0.0], dtype=np.float32)
    else:
        if cm.cell_param is None:
            raise InputError(
                f"model {cm.name!r} has no per-cell parameter",
                remedy="per-cell values are for pandolf (eta) and rwalk (friction); "
                "use multiplier= to scale any model's cost",
            )
        values = _as_grid_array(dem, cell_values, f"the {cm.cell_param} raster").astype(np.float32)
        if np.nanmin(values) < 0:
            raise InputError(f"{cm.cell_param} values must be ≥ 0")
        blocked[inner] |= np.isnan(values)
        cv = np.zeros(shape, dtype=np.float32)
        cv[inner] = values
    if barriers is not None:
        blocked[inner] |= _as_grid_array(dem, barriers, "the barrier raster").astype(bool)
    if multiplier is None:
        mv = np.ones(1, dtype=np.float32)
    else:
        values = _as_grid_array(dem, multiplier, "the multiplier raster").astype(np.float32)
        if np.nanmin(values) < 0:
            raise InputError("cost multipliers must be ≥ 0")
        blocked[inner] |= ~np.isfinite(values)
        mv = np.zeros(shape, dtype=np.float32)
        mv[inner] = values
    rows, cols = source_cells(dem, sources)
    xres, yres = dem.res
    pos = np.full(shape, -1, dtype=np.int32)
    pos[blocked] = BLOCKED
    del blocked
    acc, back = accumulate(
        z.ravel(),
        shape[1],
        float(xres),
        float(yres),
        cv.ravel(),
        mv.ravel(),
        pos.ravel(),
        (rows + _PAD) * shape[1] + cols + _PAD,
        cm.model_id,
        padded(p),
        int(neighbours),
        np.inf if max_cost is None else float(max_cost),
        travel == "to_sources",
    )
    del z, pos, cv, mv
    acc = acc.reshape(shape)[inner]
    back = back.reshape(shape)[inner]
    return CostSurface(
        cost=dem.with_array(acc, nodata=np.nan),
        backlink=dem.with_array(back, nodata=-1),
        model=cm.name,
        units=cm.units,
        params=dict(zip(cm.param_names, p.tolist())),
        neighbours=int(neighbours),
        travel=travel,
    )


def least_cost_paths(surface: CostSurface, targets: gpd.GeoDataFrame | gpd.GeoSeries) -> gpd.GeoDataFrame:
    """Least-cost paths between the sources and many targets, with the total cost of each.

    Parameters
    ----------
    surface
        From :func:`accumulated_cost`.
    targets
        Points with a CRS (reprojected to the surface's).

    Returns
    -------
    geopandas.GeoDataFrame
        Aligned to ``targets``' index: ``cost`` (total cost along the path, in ``units``, e.g.
        kJ for Pandolf), ``units``, ``length_m`` (horizontal length, metres), ``cells`` and
        ``geometry`` — a LineString through the cell centres, in the direction of travel
        (source → target for ``from_sources``).  Unreachable targets have NaN cost and no
        geometry; a target on a source has a one-point path of zero cost (geometry None).
    """
    grid = surface.cost
    pts = to_crs(targets, grid.crs, name="targets").geometry
    if not np.all(shapely.get_type_id(pts.values) == 0):
        raise InputError("path targets must be points", remedy="use the points' centroids or vertices")
    r_all, c_all = grid.rowcol(pts.x.to_numpy(), pts.y.to_numpy())
    back = surface.backlink.array
    costs, lengths, ncells, geoms = [], [], [], []
    for r, c in zip(r_all, c_all):
        inside = 0 <= r < grid.shape[0] and 0 <= c < grid.shape[1]
        if not inside or back[r, c] < 0:
            costs.append(np.nan), lengths.append(np.nan), ncells.append(0), geoms.append(None)
            continue
        pr, pc = trace(back, int(r), int(c))
        if surface.travel == "from_sources":
            pr, pc = pr[::-1], pc[::-1]
        x, y = grid.xy(pr, pc)
        costs.append(float(grid.array[r, c]))
        lengths.append(float(np.hypot(np.diff(x), np.diff(y)).sum()))
        ncells.append(len(pr))
        geoms.append(shapely.LineString(np.column_stack([x, y])) if len(pr) > 1 else None)
    return gpd.GeoDataFrame(
        {"cost": costs, "units": surface.units, "length_m": lengths, "cells": ncells},
        geometry=geoms,
        index=targets.index,
        crs=grid.crs,
    )


def corridor(dem: Raster, sources_a: Sources, sources_b: Sources, **options: Any) -> Raster:
    """Cost of the cheapest route from set A to set B that passes through each cell.

    corridor = C_A→(cell) + C_(cell)→B: accumulated cost from A walking away from it plus
    accumulated cost to B walking towards it (so anisotropic costs add up in the direction of
    travel A → B).  The minimum of the corridor is the cost of the least-cost route A → B.

    Parameters
    ----------
    dem, sources_a, sources_b
        As :func:`accumulated_cost`.
    **options
        Passed to :func:`accumulated_cost` (model, params, neighbours, barriers, …;
        not ``travel``).

    Returns
    -------
    Raster
        float64 cost in the model's units; NaN where either surface is unreached.
    """
    if "travel" in options:
        raise InputError("corridor sets the direction of travel itself (A → B); drop travel=")
    a = accumulated_cost(dem, sources_a, travel="from_sources", **options)
    b = accumulated_cost(dem, sources_b, travel="to_sources", **options)
    return dem.with_array(a.cost.array + b.cost.array, nodata=np.nan)
