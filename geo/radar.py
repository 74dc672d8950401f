"""Surveillance at sea: radar horizon, coastal station coverage masked by land, aerial swaths.

Radar horizon (4/3-earth model)
-------------------------------
Standard atmospheric refraction bends radar rays downward; the usual model replaces the
earth radius R by an effective radius k·R with k = 4/3 (Skolnik, *Introduction to Radar
Systems*, 3rd ed., McGraw-Hill 2001, ch. 8, propagation of radar waves).  A ray from an antenna at height
h_a grazes the sea at sqrt(2 k R h_a) and reaches a target at height h_t when

    d = sqrt(2 k R h_a) + sqrt(2 k R h_t)

With R = 6 371 000 m and k = 4/3, sqrt(2 k R) = 4 121.8 m^½, i.e. the textbook
d_km ≈ 4.12 (√h_a + √h_t) with heights in metres.

In the viewshed's terms (:mod:`borderscape.geo.viewshed`), an effective radius k·R is the
refraction coefficient 1 − 1/k (0.25 for k = 4/3), since d²/(2kR) = d²/(2R)·(1 − (1 − 1/k)).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import rasterio.enums
import rasterio.features

from borderscape.geo.errors import CRSError, InputError
from borderscape.geo.raster import Raster
from borderscape.geo.viewshed import EARTH_RADIUS_M, coverage_count

#: Effective earth-radius factor of the standard (4/3-earth) radar atmosphere.
K_FOUR_THIRDS = 4.0 / 3.0


def radar_horizon(
    antenna_height: np.ndarray | float,
    target_height: np.ndarray | float = 0.0,
    *,
    k: float = K_FOUR_THIRDS,
    earth_radius: float = EARTH_RADIUS_M,
) -> np.ndarray | float:
    """Radar horizon over a smooth sea, metres.

    ``d = sqrt(2 k R h_a) + sqrt(2 k R h_t)`` (Skolnik 2001, ch. 8): about
    4.12 km · (√h_a + √h_t) for heights in metres with k = 4/3.

    Parameters
    ----------
    antenna_height
        Antenna height above sea level, metres.
    target_height
        Target height above sea level, metres (0 for the sea surface).
    k
        Effective earth-radius factor (dimensionless); 4/3 for a standard atmosphere, 1 for
        the geometric horizon.
    earth_radius
        Earth radius R, metres.

    Returns
    -------
    float or numpy.ndarray
        Distance to the horizon, metres.
    """
    ha = np.asarray(antenna_height, dtype=float)
    ht = np.asarray(target_height, dtype=float)
    if np.any(ha < 0) or np.any(ht < 0) or k <= 0:
        raise InputError("heights must be ≥ 0 m and k > 0")
    d = np.sqrt(2.0 * k * earth_radius * ha) + np.sqrt(2.0 * k * earth_radius * ht)
    return float(d) if d.ndim == 0 else d


def coastal_coverage(
    dem: Raster,
    x: np.ndarray,
    y: np.ndarray,
    antenna_height: np.ndarray | float,
    *,
    max_range: np.ndarray | float | None = None,
    target_height: float = 0.0,
    k: float = K_FOUR_THIRDS,
    earth_radius: float = EARTH_RADIUS_M,
    sea_only: bool = True,
    active_from: np.ndarray | None = None,
    active_to: np.ndarray | None = None,
    date: np.datetime64 | str | None = None,
) -> Raster:
    """How many coastal stations see each cell, with land masking the sea behind it.

    The sea surface is level at 0 m: cells with elevation ≤ 0 (bathymetry) and DEM nodata
    (many DEMs leave the sea empty) are set to 0 m; land (> 0 m) keeps its elevation and
    hides what lies behind it.  Visibility is the viewshed of
    :func:`borderscape.geo.viewshed.coverage_count` with the 4/3-earth model, i.e.
    refraction coefficient ``1 − 1/k``, so over open sea it ends at :func:`radar_horizon`.

    Parameters
    ----------
    dem
        Elevations in metres (projected CRS, north-up).
    x, y
        Station positions in the DEM's CRS, metres.
    antenna_height
        Antenna height above the ground at each station, metres (array or one value).
    max_range
        Instrumented range of each station, metres; ``None`` for the radar horizon of the
        antenna's height above sea level (ground + mast) for ``target_height``.
    target_height
        Height of targets above the surface, metres (a small boat: 1–3 m).
    k
        Effective earth-radius factor (4/3 standard atmosphere).
    earth_radius
        Earth radius R, metres.
    sea_only
        Count only sea cells (elevation ≤ 0 or nodata); land cells are 0.
    active_from, active_to, date
        Validity intervals, as in :func:`~borderscape.geo.viewshed.coverage_count`.

    Returns
    -------
    Raster
        int32 count of stations that see each cell.
    """
    if k < 1:
        raise InputError(f"k = {k} < 1 would bend rays upward", remedy="use k = 4/3 (standard) or 1 (geometric)")
    valid = dem.valid_mask()
    z = dem.array.astype(np.float64)
    sea = ~valid | (z <= 0)
    z[sea] = 0.0
    surface = dem.with_array(z, nodata=None)
    x = np.atleast_1d(np.asarray(x, dtype=float))
    y = np.atleast_1d(np.asarray(y, dtype=float))
    heights = np.broadcast_to(np.asarray(antenna_height, dtype=float), x.shape)
    if max_range is None:
        rows, cols = surface.rowcol(x, y)
        inside = (rows >= 0) & (rows < dem.shape[0]) & (cols >= 0) & (cols < dem.shape[1])
        if not inside.all():
            raise InputError(
                f"{(~inside).sum()} station(s) lie outside the DEM",
                remedy="clip the stations to the DEM extent or use a larger DEM",
            )
        above_sea = z[rows, cols] + heights
        max_range = radar_horizon(above_sea, target_height, k=k, earth_radius=earth_radius) + max(dem.res)
    count = coverage_count(
        surface,
        x,
        y,
        heights,
        max_range,
        target_height=target_height,
        curvature=True,
        refraction=1.0 - 1.0 / k,
        earth_radius=earth_radius,
        active_from=active_from,
        active_to=active_to,
        date=date,
    )
    if not sea_only:
        return count
    return count.with_array(np.where(sea, count.array, 0).astype(np.int32))


def _projected(tracks: gpd.GeoSeries | gpd.GeoDataFrame) -> gpd.GeoSeries:
    series = tracks.geometry if isinstance(tracks, gpd.GeoDataFrame) else tracks
    if series.crs is None:
        raise CRSError("the tracks have no CRS", remedy="set the CRS the coordinates were made in (set_crs)")
    if not series.crs.is_projected:
        raise CRSError(
            "the tracks are in geographic coordinates (degrees)",
            remedy="reproject them to a projected CRS in metres, e.g. the local UTM zone",
        )
    return series


def swath_polygons(tracks: gpd.GeoSeries | gpd.GeoDataFrame, swath_width: np.ndarray | float) -> gpd.GeoSeries:
    """Areas seen from aerial tracks: each line buffered by half its swath width.

    The swath is the union of discs of radius w/2 centred on the track (a round-capped
    buffer), so its area is L·w + π(w/2)² for a straight track of length L.

    Parameters
    ----------
    tracks
        LineString (or MultiLineString/Point) geometries in a projected CRS (metres).
    swath_width
        Full swath width of each track, metres (array aligned to ``tracks`` or one value).

    Returns
    -------
    geopandas.GeoSeries
        Polygons with the input's index and CRS.
    """
    series = _projected(tracks)
    w = np.broadcast_to(np.asarray(swath_width, dtype=float), (len(series),))
    if np.any(~np.isfinite(w)) or np.any(w <= 0):
        raise InputError("swath widths must be positive numbers of metres")
    return gpd.GeoSeries(series.buffer(w / 2.0, quad_segs=32).values, index=series.index, crs=series.crs)


def swath_count(tracks: gpd.GeoSeries | gpd.GeoDataFrame, swath_width: np.ndarray | float, like: Raster) -> Raster:
    """How many track swaths cover each cell of a grid (cells whose centre lies inside).

    Parameters
    ----------
    tracks
        Track geometries; reprojected to ``like``'s CRS when it differs.
    swath_width
        Full swath width of each track, metres.
    like
        The grid to rasterise onto.

    Returns
    -------
    Raster
        int32 counts on ``like``'s grid.
    """
    series = _projected(tracks)
    polys = swath_polygons(series, swath_width)
    if not like.crs.equals(polys.crs):
        polys = polys.to_crs(like.crs)
    shapes = [(g, 1) for g in polys.values if g is not None and not g.is_empty]
    if not shapes:
        return like.with_array(np.zeros(like.shape, np.int32), nodata=None)
    count = rasterio.features.rasterize(
        shapes,
        out_shape=like.shape,
        transform=like.transform,
        fill=0,
        dtype="int32",
        merge_alg=rasterio.enums.MergeAlg.add,
    )
    return like.with_array(count, nodata=None)
