"""Distances at sea, and comparisons of incidents that respect how they cluster in time.

Every distance is measured on the WGS84 ellipsoid (:data:`GEOD`; Karney 2013 geodesics), not in
a projection: at the scale of the Mediterranean a projected distance errs by several percent.
Incidents come in clusters (several boats of one departure wave, the dead of one shipwreck
recorded as several incidents, months of intense crossings): :func:`month_block_comparison`
compares two sides of a split with whole months as the unit, and :func:`monthly_trend` tests a
trend on monthly medians.

References
----------
Karney, C. F. F. (2013). Algorithms for geodesics. J. Geodesy 87, 43–55.
Wessel, P. & Smith, W. H. F. (1996). A global, self-consistent, hierarchical, high-resolution
shoreline database. J. Geophys. Res. 101(B4), 8741–8743 (GSHHG levels).
Davison, A. C. & Hinkley, D. V. (1997). Bootstrap Methods and their Application, §3.8 and §4.3. CUP.
Good, P. (2005). Permutation, Parametric and Bootstrap Tests of Hypotheses, 3rd ed. Springer (cluster permutation).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer

from borderscape.analyses.stats.resampling import cluster_bootstrap
from borderscape.analyses.stats.seeds import generator
from borderscape.geo.errors import InputError
from borderscape.geo.viewshed import active_at
from borderscape.layers.quality import usable

__all__ = [
    "GEOD",
    "MonthComparison",
    "area_changes",
    "departure_coast",
    "distance_to_active_areas",
    "distance_to_each_area",
    "geodesic_distance_to_lines",
    "month_block_comparison",
    "monthly_series",
    "nearest_active",
]

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


def distance_to_each_area(
    points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, *, crs: Any
) -> tuple[list[str], np.ndarray]:
    """Geodesic distance (m) from every point to each area as if it were active throughout (0 inside).

    The same incidents measured to one fixed area: a change of these distances is the incidents
    moving, not the area (:func:`distance_to_active_areas` changes with the areas in force;
    :func:`nearest_active` derives it from these).

    Returns
    -------
    (labels, distances)
        One label per area (``operation``, else ``name``, else ``area <row>``; made unique) and an
        array (points × areas).
    """
    labels: list[str] = []
    out = np.full((len(points), len(areas)), np.nan)
    lon, lat = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    for i, g in enumerate(areas.geometry.values):
        row = areas.iloc[i]
        label = next((str(row[c]) for c in ("operation", "name") if c in areas.columns and pd.notna(row[c])), "")
        label = label or f"area {i}"
        labels.append(label if label not in labels else f"{label} ({i})")
        if len(points) == 0:
            continue
        inside = shapely.contains_xy(g, lon, lat)
        d, _, _ = geodesic_distance_to_lines(lon, lat, gpd.GeoSeries([shapely.boundary(g)], crs="EPSG:4326"), crs=crs)
        out[:, i] = np.where(inside, 0.0, d)
    return labels, out


def nearest_active(each: np.ndarray, areas: gpd.GeoDataFrame, dates: Any) -> np.ndarray:
    """From :func:`distance_to_each_area`'s array: the distance to the nearest area active on each
    point's date (NaN when none is) — the same as :func:`distance_to_active_areas`, without measuring
    twice (the distance to a union of areas is the smallest distance to one of them)."""
    d = pd.to_datetime(pd.Series(dates)).to_numpy(dtype="datetime64[ns]")
    af = pd.to_datetime(areas["active_from"]).to_numpy(dtype="datetime64[ns]")
    at = pd.to_datetime(areas["active_to"]).to_numpy(dtype="datetime64[ns]")
    active = active_at(len(areas), af, at, d).T  # (points, areas)
    masked = np.where(active, each, np.inf)
    best = masked.min(axis=1) if masked.shape[1] else np.full(len(d), np.inf)
    return np.where(np.isfinite(best), best, np.nan)


def area_changes(areas: gpd.GeoDataFrame, first: Any, last: Any) -> list[pd.Timestamp]:
    """The days in ``(first, last]`` on which the set of areas in force changes (an area starts, or the
    day after one ends)."""
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    days = set(pd.to_datetime(areas["active_from"]).dropna()) | {
        d + pd.Timedelta(days=1) for d in pd.to_datetime(areas["active_to"]).dropna()
    }
    return sorted(d for d in days if first < d <= last)


def monthly_series(dates: Any, values: Any, *, minimum: int = 1, how: str = "median") -> pd.DataFrame:
    """The median (or mean) of ``values`` per calendar month, for months with at least ``minimum`` values.

    Returns
    -------
    pandas.DataFrame
        ``month`` (first day), ``value``, ``n`` — in month order.
    """
    d = pd.DataFrame({"month": pd.to_datetime(dates).to_period("M").to_timestamp(), "v": np.asarray(values, float)})
    d = d[np.isfinite(d["v"])]
    g = d.groupby("month")["v"].agg([how, "size"]).reset_index()
    g.columns = ["month", "value", "n"]
    return g[g["n"] >= minimum].reset_index(drop=True)


@dataclass(frozen=True)
class MonthComparison:
    """The result of :func:`month_block_comparison`."""

    estimate: float
    ci: tuple[float, float]
    p_value: float
    n_before: int
    n_after: int
    months_before: int
    months_after: int
    resamples: int
    permutations: int


def month_block_comparison(
    values: Any,
    months: Any,
    after: Any,
    statistic: Callable[[np.ndarray, np.ndarray], float],
    *,
    seed: int | np.random.Generator,
    resamples: int = 999,
    permutations: int = 999,
    confidence: float = 0.95,
) -> MonthComparison:
    """``statistic(after values, before values)`` with whole months as the unit of inference.

    Interval: a month-block bootstrap (months resampled with replacement within each side,
    :func:`~borderscape.analyses.stats.resampling.cluster_bootstrap`; Davison & Hinkley 1997 §3.8),
    percentile.  p-value: a permutation test that reassigns whole months to the two sides (the number
    of months of each side kept), two-sided on |statistic|, ``(1 + #{|T*| ≥ |T|}) / (1 + permutations)``
    (Good 2005) — incidents of one month are never split between the sides, so a month of many
    incidents weighs as one month, not as many independent draws.  With ``permutations = 0`` the
    p-value is NaN.

    Parameters
    ----------
    values
        One value per record (a distance, 0/1 for inside a region).
    months
        One label per record (e.g. ``YYYY-MM``); all records of a month must lie on one side.
    after
        True for the records after the split.
    statistic
        ``f(after_values, before_values) -> float`` (e.g. a difference of medians).
    seed
        A generator (the study's, spawned per hypothesis) or an integer.
    """
    v = np.asarray(values, dtype=float)
    lab = np.asarray(months).astype(str)
    a = np.asarray(after, dtype=bool)
    if not (v.size == lab.size == a.size):
        raise InputError("values, months and after must have one entry per record")
    side = pd.DataFrame({"m": lab, "a": a}).groupby("m")["a"].nunique()
    if (side > 1).any():
        raise InputError(
            f"month(s) {', '.join(side[side > 1].index[:3])} lie on both sides of the split",
            remedy="split at the first day of a month",
        )
    rng = generator(seed, what="the month-block comparison")
    boot_rng, perm_rng = rng.spawn(2)

    def stat(idx: np.ndarray) -> float:
        sel = a[idx]
        if not sel.any() or sel.all():
            return math.nan
        return float(statistic(v[idx][sel], v[idx][~sel]))

    boot = cluster_bootstrap(lab, stat, seed=boot_rng, resamples=resamples, confidence=confidence, strata=a)
    est = boot.estimate
    p = math.nan
    if permutations > 0 and math.isfinite(est):
        codes, inverse = np.unique(lab, return_inverse=True)
        month_after = np.zeros(codes.size, dtype=bool)
        month_after[inverse[a]] = True
        k = int(month_after.sum())
        hits = 0
        for _ in range(permutations):
            perm = np.zeros(codes.size, dtype=bool)
            perm[perm_rng.choice(codes.size, size=k, replace=False)] = True
            s = perm[inverse]
            t = float(statistic(v[s], v[~s]))
            hits += bool(abs(t) >= abs(est) - 1e-12 * max(1.0, abs(est)))
        p = (1 + hits) / (1 + permutations)
    return MonthComparison(
        est,
        boot.ci,
        p,
        int((~a).sum()),
        int(a.sum()),
        int(np.unique(lab[~a]).size),
        int(np.unique(lab[a]).size),
        resamples,
        permutations,
    )
