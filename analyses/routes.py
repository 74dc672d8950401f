"""Least-energy routes across a DEM: origins on the border, routes, their walking energy.

The walking energy of a move is Pandolf et al. (1977) with the Santee et al. (2001) downhill
correction, as published or made continuous at zero grade (``[parameters.cost] downhill``;
:mod:`borderscape.geo.costmodels`), in kJ; routes are found by Dijkstra on the
accumulated cost (:mod:`borderscape.geo.costdistance`).  :func:`energy_variants` names the
parameter sets of a sensitivity analysis (terrain factor η, load, downhill model).  These describe what crossing a past
landscape cost; nothing here forecasts crossings.

References
----------
Pandolf, K. B., Givoni, B. & Goldman, R. F. (1977). J. Appl. Physiol. 43(4), 577–581.
Santee, W. R. et al. (2001). Aviat. Space Environ. Med. 72, 562–566.
Leutenegger, S. T., Lopez, M. A. & Edgington, J. (1997). STR: a simple and efficient algorithm
for R-tree packing. Proc. 13th ICDE, 497–506.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely

from borderscape.geo.costdistance import accumulated_cost, least_cost_paths
from borderscape.geo.costmodels import get_model, terrain_label
from borderscape.geo.nearest import nearest
from borderscape.geo.raster import Raster

__all__ = [
    "avoidance_multiplier",
    "border_origins",
    "distance_to_lines",
    "energy_variants",
    "least_energy_routes",
    "north_edge",
    "route_energy",
    "routes_under",
    "walker",
]

if TYPE_CHECKING:
    from borderscape.analyses.study import Study

#: η of the sensitivity variants (Soule & Goldman 1972: light brush, swampy bog, loose sand)
VARIANT_ETA = (1.2, 1.8, 2.1)
#: loads (kg) of the sensitivity variants: none, and a heavy day pack with water
VARIANT_LOAD_KG = (0.0, 20.0)
#: avoidance strengths of the sensitivity variants of H3: milder, stronger, covered cells forbidden
VARIANT_AVOIDANCE: tuple[float | str, ...] = (1.5, 4.0, "impassable")


def walker(study: Study) -> dict[str, float]:
    """The study's walker as Pandolf parameters: :func:`~borderscape.analyses.battery.common.pandolf_params`
    (W, L, V, η) and the downhill model of ``[parameters.cost] downhill`` (``continuous``: 1.0 when
    ``"continuous"``, else 0.0; :mod:`borderscape.geo.costmodels`)."""
    from borderscape.analyses.battery.common import pandolf_params  # battery imports this module

    params = dict(pandolf_params(study))
    params.setdefault("continuous", 1.0 if study.params.cost.downhill == "continuous" else 0.0)
    return params


def energy_variants(study: Study) -> list[tuple[str, dict[str, float]]]:
    """Named Pandolf parameter sets for the sensitivity of an energy result to the cost model.

    Each variant is the study's walker (:func:`walker`, i.e.
    :func:`~borderscape.analyses.battery.common.pandolf_params` plus the downhill model) with one
    thing changed:

    - ``"eta 1.2 (light brush)"``, ``"eta 1.8 (swampy bog)"``, ``"eta 2.1 (loose sand)"`` —
      the terrain factor η, from the table of Soule & Goldman (1972);
    - ``"load 0 kg"``, ``"load 20 kg"`` — the load L;
    - ``"downhill continuous"`` — Santee's downhill correction made continuous at zero grade
      (``continuous = 1``; :mod:`borderscape.geo.costmodels`), or ``"downhill santee"`` (as
      published) when the study already uses the continuous form.

    A variant equal to the study's own walker (e.g. η = 1.2 when the study says 1.2) is left out.

    Parameters
    ----------
    study
        The study; ``[parameters.cost]`` gives the walker.

    Returns
    -------
    list of (str, dict)
        (name, parameters) in the order above; each dict has the keys of :func:`walker` (W, L, V,
        eta, continuous) and can be passed as ``params`` to
        :func:`~borderscape.geo.costdistance.accumulated_cost` (model ``"pandolf"``),
        :func:`route_energy` or :func:`least_energy_routes`.

    Examples
    --------
    >>> from borderscape.analyses.study import load_study
    >>> [name for name, _ in energy_variants(load_study("arizona-sonora"))]  # doctest: +NORMALIZE_WHITESPACE
    ['eta 1.2 (light brush)', 'eta 1.8 (swampy bog)', 'eta 2.1 (loose sand)', 'load 0 kg', 'load 20 kg',
     'downhill continuous']
    """
    base = walker(study)
    changes: list[tuple[str, dict[str, float]]] = [
        *((f"eta {eta:g} ({terrain_label(eta)})", {"eta": eta}) for eta in VARIANT_ETA),
        *((f"load {load:g} kg", {"L": load}) for load in VARIANT_LOAD_KG),
        (
            ("downhill santee", {"continuous": 0.0})
            if base["continuous"] == 1.0
            else ("downhill continuous", {"continuous": 1.0})
        ),
    ]
    out = []
    for name, change in changes:
        params = {**base, **change}
        if params != base:
            out.append((name, params))
    return out


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


def avoidance_multiplier(covered: np.ndarray | None, avoidance: float | str) -> np.ndarray | None:
    """The cost multiplier of :func:`least_energy_routes` from a coverage mask: ``avoidance`` on covered
    cells (NaN, impassable, for ``"impassable"``), 1 elsewhere; None (no multiplier) without a mask.
    float32, as :func:`~borderscape.geo.costdistance.accumulated_cost` reads multipliers."""
    if covered is None:
        return None
    value = np.nan if avoidance == "impassable" else float(avoidance)
    return np.where(covered, value, 1.0).astype(np.float32)


def routes_under(
    item: tuple[np.ndarray | None, float | str, dict[str, float]], *, dem: Raster, target: Any, origins: gpd.GeoSeries
) -> tuple[np.ndarray, list]:
    """:func:`least_energy_routes` for ``item = (covered, avoidance, params)``: the coverage mask (or
    None for unconstrained routes), the avoidance strength and the Pandolf parameters.  A top-level
    function of one item, so that an executor can run one cost surface per task; the multiplier
    (:func:`avoidance_multiplier`) is built inside the task, so only the mask travels."""
    covered, avoidance, params = item
    return least_energy_routes(
        avoidance_multiplier(covered, avoidance), dem=dem, target=target, params=params, origins=origins
    )


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
