"""Least-energy routes across a DEM: origins on the border, routes, their walking energy.

The walking energy of a move is Pandolf et al. (1977) with the Santee et al. (2001) downhill
correction (:mod:`borderscape.geo.costmodels`), in kJ; routes are found by Dijkstra on the
accumulated cost (:mod:`borderscape.geo.costdistance`).  These describe what crossing a past
landscape cost; nothing here forecasts crossings.

References
----------
Pandolf, K. B., Givoni, B. & Goldman, R. F. (1977). J. Appl. Physiol. 43(4), 577–581.
Santee, W. R. et al. (2001). Aviat. Space Environ. Med. 72, 562–566.
Leutenegger, S. T., Lopez, M. A. & Edgington, J. (1997). STR: a simple and efficient algorithm
for R-tree packing. Proc. 13th ICDE, 497–506.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from borderscape.geo.costdistance import accumulated_cost, least_cost_paths
from borderscape.geo.costmodels import get_model
from borderscape.geo.nearest import nearest
from borderscape.geo.raster import Raster

__all__ = ["border_origins", "distance_to_lines", "least_energy_routes", "north_edge", "route_energy"]


def route_energy(dem: Raster, route: shapely.LineString, params: dict[str, float]) -> float:
    """Pandolf energy (kJ) of walking a route through cell centres, move by move.

    E = Σ Pandolf(dz, d) over consecutive vertices, dz the elevation difference (m, uphill
    positive, in the direction of the line) and d the horizontal distance (m); see
    :mod:`borderscape.geo.costmodels` (Pandolf et al. 1977; Santee et al. 2001).
    """
    xy = shapely.get_coordinates(route)
    r, c = dem.rowcol(xy[:, 0], xy[:, 1])
    z = dem.array[r, c].astype(np.float64)
    step = np.hypot(np.diff(xy[:, 0]), np.diff(xy[:, 1]))
    return float(get_model("pandolf").cost(np.diff(z), step, **params).sum())


def border_origins(border: gpd.GeoDataFrame, dem: Raster, n: int) -> np.ndarray:
    """``n`` points evenly spaced along the border inside the DEM, at (j + ½)/n of its length.

    Returns
    -------
    numpy.ndarray
        (m, 2) x, y in the DEM's CRS (metres), m ≤ n: points on invalid cells are dropped.
    """
    left, bottom, right, top = dem.bounds
    inner = shapely.box(left + dem.res[0], bottom + dem.res[1], right - dem.res[0], top - dem.res[1])
    geoms = border.geometry.to_crs(dem.crs).to_numpy()
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    polygons = np.isin(shapely.get_type_id(geoms), (3, 6))
    geoms[polygons] = shapely.boundary(geoms[polygons])  # a border given as an area: its outline
    clipped = shapely.get_parts(shapely.intersection(shapely.union_all(geoms), inner))
    lines = [g for g in clipped if g.geom_type in ("LineString", "MultiLineString")]
    parts = (
        [g for g in shapely.get_parts(shapely.line_merge(shapely.union_all(lines))) if g.length > 0] if lines else []
    )
    if not parts:
        return np.zeros((0, 2))
    lengths = np.array([g.length for g in parts])
    s = (np.arange(n) + 0.5) / n * lengths.sum()
    which = np.searchsorted(np.cumsum(lengths), s, side="right").clip(0, len(parts) - 1)
    offset = s - np.concatenate([[0.0], np.cumsum(lengths)])[which]
    pts = shapely.get_coordinates([parts[w].interpolate(o) for w, o in zip(which, offset)])
    r, c = dem.rowcol(pts[:, 0], pts[:, 1])
    return pts[dem.valid_mask()[r, c]]


def north_edge(dem: Raster) -> tuple[np.ndarray, int | None]:
    """The destination cells of routes to the north edge: the valid cells of the first row that
    holds any, counting from the top.

    A DEM already in the study's grid usually has a valid top row (row 0), which is then the
    destination.  A DEM reprojected to the study's CRS and clipped to its bounding box (whose
    northern edge, a parallel, is a curve in a projected CRS), or a coarse DEM whose top row was
    left empty by the resampling, has no data in row 0; the first row below it that holds valid
    cells is used instead.

    Returns
    -------
    (numpy.ndarray, int or None)
        A boolean grid of the DEM's shape (True = destination) and the row used; None (and an
        all-False grid) when the DEM holds no valid cell at all.
    """
    valid = dem.valid_mask()
    target = np.zeros(dem.shape, dtype=bool)
    rows = np.flatnonzero(valid.any(axis=1))
    if not rows.size:
        return target, None
    row = int(rows[0])
    target[row] = valid[row]
    return target, row


def least_energy_routes(
    multiplier: np.ndarray | None, *, dem: Raster, target: Any, params: dict[str, float], origins: gpd.GeoSeries
) -> tuple[np.ndarray, list]:
    """Least-energy routes from ``origins`` to ``target`` under a cost multiplier.

    The accumulated Pandolf cost towards ``target`` (:func:`borderscape.geo.costdistance.accumulated_cost`,
    ``travel="to_sources"``, each move's energy times the mean ``multiplier`` of its two cells)
    and the routes down its backlinks (:func:`~borderscape.geo.costdistance.least_cost_paths`).
    A top-level function of one item, so that an executor can run one cost surface per task.

    Parameters
    ----------
    multiplier
        Cost multiplier per DEM cell (NaN impassable), or None.
    dem
        Elevations (m), projected CRS.
    target
        Destination cells (boolean grid) or geometries.
    params
        Pandolf parameters (W, L, V, eta).
    origins
        Route origins (points in the DEM's CRS).

    Returns
    -------
    tuple
        Energies (kJ, :func:`route_energy`, without the multiplier; NaN where unreachable) and
        LineStrings (None where unreachable).
    """
    surface = accumulated_cost(dem, target, model="pandolf", params=params, multiplier=multiplier, travel="to_sources")
    geoms = list(least_cost_paths(surface, origins).geometry)
    return np.array([route_energy(dem, g, params) if g is not None else np.nan for g in geoms]), geoms


def distance_to_lines(points: np.ndarray, lines: list) -> np.ndarray:
    """Distance (m) from each point to the nearest of ``lines`` (None entries skipped).

    Lines are cut into their straight segments (collinear vertices removed first, which
    changes no distance) and searched with an STR-tree (Leutenegger et al. 1997).
    """
    segments = []
    for line in lines:
        if line is None:
            continue
        xy = shapely.get_coordinates(shapely.simplify(line, 0.0))
        segments.append(shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1)))
    return nearest(np.asarray(points), np.concatenate(segments))[1]
