"""Distances at sea: geodesic distances to shorelines and to the operational areas in force.

Every distance is measured on the WGS84 ellipsoid (:data:`GEOD`; Karney 2013 geodesics), not in
a projection: at the scale of the Mediterranean a projected distance errs by several percent.

References
----------
Karney, C. F. F. (2013). Algorithms for geodesics. J. Geodesy 87, 43–55.
Wessel, P. & Smith, W. H. F. (1996). A global, self-consistent, hierarchical, high-resolution
shoreline database. J. Geophys. Res. 101(B4), 8741–8743 (GSHHG levels).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer

from borderscape.geo.errors import InputError
from borderscape.geo.viewshed import active_at
from borderscape.layers.quality import usable

__all__ = ["GEOD", "departure_coast", "distance_to_active_areas", "geodesic_distance_to_lines"]

#: The WGS84 ellipsoid used for every distance (pyproj.Geod; Karney 2013 geodesics).
GEOD = Geod(ellps="WGS84")


def geodesic_distance_to_lines(
    lon: np.ndarray, lat: np.ndarray, lines: gpd.GeoSeries, *, crs: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shortest geodesic distance (WGS84, metres) from points to polylines, and the nearest point.

    The polylines are their lon/lat vertices joined by straight lon/lat segments (as GSHHG
    draws them). Candidate segments are those within 1.05 × (nearest projected distance)
    + 1 km in ``crs``; on each, the point ``P(s) = A + s (B - A)``, ``0 ≤ s ≤ 1``, that
    minimises the geodesic distance (Karney 2013, ``pyproj.Geod.inv``) is found by golden-section
    search (45 steps); the smallest over candidates is returned.

    Parameters
    ----------
    lon, lat
        Points, decimal degrees.
    lines
        LineStrings or polygon boundaries, EPSG:4326.
    crs
        A projected CRS (metres) to preselect segments.

    Returns
    -------
    tuple of numpy.ndarray
        Distance (m), and lon, lat of the nearest point on the lines.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if lines.crs is None or not CRS.from_user_input(lines.crs).equals(CRS.from_epsg(4326)):
        raise InputError("lines must be in EPSG:4326", remedy="reproject them with to_crs('EPSG:4326')")
    coords, index = shapely.get_coordinates(shapely.get_parts(lines.values), return_index=True)
    same = index[1:] == index[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    if len(a) == 0:
        raise InputError("no line segments to measure to", remedy="give lines with at least two vertices")
    if len(lon) == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    ax, ay = tr.transform(a[:, 0], a[:, 1])
    bx, by = tr.transform(b[:, 0], b[:, 1])
    px, py = tr.transform(lon, lat)
    segs = shapely.linestrings(np.stack([np.c_[ax, ay], np.c_[bx, by]], axis=1))
    pts = shapely.points(px, py)
    tree = shapely.STRtree(segs)
    _, d0 = tree.query_nearest(pts, return_distance=True, all_matches=False)
    pi, si = tree.query(pts, predicate="dwithin", distance=d0 * 1.02 + 2000.0)
    # keep, per point, the 3 segments whose point nearest in a local equirectangular frame
    # (x scaled by cos(latitude)) is nearest geodesically
    cosl = np.cos(np.radians(lat[pi]))
    ux, uy = (b[si, 0] - a[si, 0]) * cosl, b[si, 1] - a[si, 1]
    wx, wy = (lon[pi] - a[si, 0]) * cosl, lat[pi] - a[si, 1]
    s_eq = np.clip((ux * wx + uy * wy) / np.maximum(ux * ux + uy * uy, 1e-300), 0.0, 1.0)
    d_eq = GEOD.inv(lon[pi], lat[pi], a[si, 0] + s_eq * (b[si, 0] - a[si, 0]), a[si, 1] + s_eq * (b[si, 1] - a[si, 1]))[
        2
    ]
    order = np.lexsort((d_eq, pi))
    rank = np.arange(len(order)) - np.searchsorted(pi[order], pi[order], side="left")
    keep = order[rank < 3]
    pi, si = pi[keep], si[keep]
    x0, y0 = a[si, 0], a[si, 1]
    dx, dy = b[si, 0] - x0, b[si, 1] - y0
    plon, plat = lon[pi], lat[pi]

    def dist(s: np.ndarray) -> np.ndarray:
        return GEOD.inv(plon, plat, x0 + s * dx, y0 + s * dy)[2]

    g = (math.sqrt(5) - 1) / 2
    lo, hi = np.zeros(len(pi)), np.ones(len(pi))
    c, d = hi - g * (hi - lo), lo + g * (hi - lo)
    fc, fd = dist(c), dist(d)
    for _ in range(45):
        left = fc < fd
        hi = np.where(left, d, hi)
        lo = np.where(left, lo, c)
        c, d = hi - g * (hi - lo), lo + g * (hi - lo)
        fc, fd = dist(c), dist(d)
    best_s = np.clip((lo + hi) / 2, 0, 1)
    cand = np.stack([np.zeros_like(best_s), best_s, np.ones_like(best_s)])
    dists = np.stack([dist(s) for s in cand])
    pick = np.argmin(dists, axis=0)
    s_best = cand[pick, np.arange(len(pi))]
    d_best = dists[pick, np.arange(len(pi))]
    order = np.lexsort((d_best, pi))
    first = order[np.r_[True, pi[order][1:] != pi[order][:-1]]]
    out_d = np.full(len(lon), np.nan)
    out_x = np.full(len(lon), np.nan)
    out_y = np.full(len(lon), np.nan)
    out_d[pi[first]] = d_best[first]
    out_x[pi[first]] = x0[first] + s_best[first] * dx[first]
    out_y[pi[first]] = y0[first] + s_best[first] * dy[first]
    return out_d, out_x, out_y


def departure_coast(coastline: gpd.GeoDataFrame, coasts: Sequence[dict[str, Any]]) -> gpd.GeoSeries:
    """The shoreline of the departure countries: GSHHG land shorelines (level 1) clipped to
    each box.

    Parameters
    ----------
    coastline
        Ingested ``gshhg`` shorelines (EPSG:4326 lines with ``level``).
    coasts
        ``{"name": ..., "bbox": [west, south, east, north]}`` in degrees, as in the study's
        ``[[parameters.maritime.departure_coasts]]``.

    Returns
    -------
    geopandas.GeoSeries
        LineStrings, EPSG:4326.
    """
    lines = usable(coastline)
    if "level" in lines.columns:
        lines = lines[lines["level"].astype("Int64") == 1]
    parts = []
    for coast in coasts:
        w, s, e, n = (float(v) for v in coast["bbox"])
        clipped = shapely.clip_by_rect(lines.geometry.values, w, s, e, n)
        parts += [g for g in shapely.get_parts(clipped) if not g.is_empty and g.geom_type == "LineString"]
    return gpd.GeoSeries(parts, crs="EPSG:4326")


def distance_to_active_areas(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, *, crs: Any) -> np.ndarray:
    """Geodesic distance (m) from each dated point to the nearest operational area active on its
    date (:func:`borderscape.geo.viewshed.active_at`: ``active_from <= date <= active_to``,
    ``active_to`` the last day active, NaT = open); 0 inside an area, NaN when none is active.

    Parameters
    ----------
    points
        EPSG:4326 points with a ``date`` column.
    areas
        EPSG:4326 polygons with ``active_from`` / ``active_to``.
    crs
        Projected CRS for the preselection of :func:`geodesic_distance_to_lines`.
    """
    dates = pd.to_datetime(points["date"]).to_numpy(dtype="datetime64[ns]")
    af = pd.to_datetime(areas["active_from"]).to_numpy(dtype="datetime64[ns]")
    at = pd.to_datetime(areas["active_to"]).to_numpy(dtype="datetime64[ns]")
    active = active_at(len(areas), af, at, dates).T  # (points, areas)
    out = np.full(len(points), np.nan)
    keys = [tuple(r) for r in active]
    lon, lat = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    for key in sorted(set(keys)):
        if not any(key):
            continue
        rows = np.array([k == key for k in keys])
        geoms = areas.geometry.values[np.array(key)]
        inside = np.zeros(rows.sum(), bool)
        for g in geoms:
            inside |= shapely.contains_xy(g, lon[rows], lat[rows])
        d, _, _ = geodesic_distance_to_lines(
            lon[rows], lat[rows], gpd.GeoSeries(shapely.boundary(geoms), crs="EPSG:4326"), crs=crs
        )
        out[rows] = np.where(inside, 0.0, d)
    return out
