"""Raster values at points and zonal statistics over polygons.

Nothing is dropped: a point outside the raster, on nodata, or with an empty geometry gets
NaN, and every result is aligned to its input (same order, same index).
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely
from affine import Affine

from borderscape.geo.errors import CRSError, InputError, RasterError
from borderscape.geo.raster import Raster

Method = Literal["nearest", "bilinear"]


def _north_up(raster: Raster) -> None:
    t = raster.transform
    if t.b != 0 or t.d != 0:
        raise RasterError("the raster grid is rotated", remedy="warp it to a north-up grid (gdalwarp) first")


def _float_values(raster: Raster) -> np.ndarray:
    """Raster values as float64 with NaN on nodata (a copy)."""
    values = raster.array.astype(np.float64)
    values[~raster.valid_mask()] = np.nan
    return values


def sample(raster: Raster, x: np.ndarray, y: np.ndarray, *, method: Method = "nearest") -> np.ndarray:
    """Raster values at points given by map coordinates.

    ``nearest`` returns the value of the cell containing the point (as ``rasterio.sample``).
    ``bilinear`` interpolates between the four cell centres around the point:

        v = (1−fx)(1−fy)·v00 + fx(1−fy)·v01 + (1−fx)fy·v10 + fx·fy·v11

    with ``fx``, ``fy`` the fractional position between centres; within half a cell of the
    raster's edge the nearest edge centres are used along that axis.  A bilinear value is
    NaN if any centre with non-zero weight is nodata.

    Parameters
    ----------
    raster
        The raster to sample (north-up grid).
    x, y
        Point coordinates in the raster's CRS (1-D arrays of equal length; NaN allowed).
    method
        ``"nearest"`` or ``"bilinear"``.

    Returns
    -------
    numpy.ndarray
        float64 values aligned with the input order; NaN outside the raster, on nodata or
        where a coordinate is NaN.
    """
    _north_up(raster)
    x = np.atleast_1d(np.asarray(x, dtype=float))
    y = np.atleast_1d(np.asarray(y, dtype=float))
    if x.shape != y.shape or x.ndim != 1:
        raise InputError(f"x and y must be 1-D arrays of one length, got shapes {x.shape} and {y.shape}")
    values = _float_values(raster)
    nrows, ncols = raster.shape
    inv = ~raster.transform
    col_f = inv.a * x + inv.b * y + inv.c  # continuous column, 0 at the left edge
    row_f = inv.d * x + inv.e * y + inv.f
    inside = (col_f >= 0) & (col_f < ncols) & (row_f >= 0) & (row_f < nrows)
    out = np.full(x.shape, np.nan)
    if method == "nearest":
        r = np.floor(row_f[inside]).astype(np.int64)
        c = np.floor(col_f[inside]).astype(np.int64)
        out[inside] = values[r, c]
    elif method == "bilinear":
        # positions relative to cell centres, clamped to the outermost centres
        rc = np.clip(row_f[inside] - 0.5, 0.0, nrows - 1.0)
        cc = np.clip(col_f[inside] - 0.5, 0.0, ncols - 1.0)
        r0 = np.minimum(np.floor(rc).astype(np.int64), max(nrows - 2, 0))
        c0 = np.minimum(np.floor(cc).astype(np.int64), max(ncols - 2, 0))
        fy = rc - r0
        fx = cc - c0
        r1 = np.minimum(r0 + 1, nrows - 1)
        c1 = np.minimum(c0 + 1, ncols - 1)
        acc = np.zeros(r0.shape)
        for rr, cc_, w in (
            (r0, c0, (1 - fx) * (1 - fy)),
            (r0, c1, fx * (1 - fy)),
            (r1, c0, (1 - fx) * fy),
            (r1, c1, fx * fy),
        ):
            v = values[rr, cc_]
            acc += np.where(w > 0, v * w, 0.0)  # NaN (nodata) with weight > 0 propagates
        out[inside] = acc
    else:
        raise InputError(f"unknown sampling method {method!r}", remedy="use 'nearest' or 'bilinear'")
    return out


def _in_raster_crs(raster: Raster, geoms: gpd.GeoSeries | gpd.GeoDataFrame) -> gpd.GeoSeries:
    series = geoms.geometry if isinstance(geoms, gpd.GeoDataFrame) else geoms
    if not isinstance(series, gpd.GeoSeries):
        raise InputError("expected a GeoSeries or GeoDataFrame")
    if series.crs is None:
        raise CRSError("the geometries have no CRS", remedy="set the CRS the coordinates were made in (set_crs)")
    if not raster.crs.equals(series.crs):
        series = series.to_crs(raster.crs)
    return series


def sample_points(raster: Raster, points: gpd.GeoSeries | gpd.GeoDataFrame, *, method: Method = "nearest") -> pd.Series:
    """Raster values at point geometries, reprojected to the raster's CRS when needed.

    Parameters
    ----------
    raster
        The raster to sample.
    points
        Point geometries (with a CRS).  Empty or missing geometries give NaN.
    method
        ``"nearest"`` or ``"bilinear"`` (see :func:`sample`).

    Returns
    -------
    pandas.Series
        float64 values with the input's index.
    """
    series = _in_raster_crs(raster, points)
    geom = series.values
    missing = shapely.is_missing(geom) | shapely.is_empty(geom)
    kinds = shapely.get_type_id(geom[~missing])
    if np.any(kinds != 0):
        raise InputError(
            "sample_points takes Point geometries only",
            remedy="use centroids (gdf.centroid) or zonal_stats for polygons",
        )
    x = np.full(len(series), np.nan)
    y = np.full(len(series), np.nan)
    x[~missing] = shapely.get_x(geom[~missing])
    y[~missing] = shapely.get_y(geom[~missing])
    return pd.Series(sample(raster, x, y, method=method), index=series.index, name="value")


def zonal_stats(
    raster: Raster, polygons: gpd.GeoSeries | gpd.GeoDataFrame, *, all_touched: bool = False
) -> pd.DataFrame:
    """Statistics of the raster's valid cells inside each polygon.

    A cell belongs to a polygon when its centre lies inside it (or, with ``all_touched``,
    when the polygon touches it), the convention of GDAL rasterisation and ``rasterstats``.
    Polygons may overlap; each is measured on its own.

    Parameters
    ----------
    raster
        The raster (nodata cells are ignored).
    polygons
        Polygon geometries with a CRS; reprojected to the raster's CRS when needed.
    all_touched
        Count every cell the polygon touches.

    Returns
    -------
    pandas.DataFrame
        Columns ``count`` (valid cells), ``sum``, ``mean``, ``min``, ``max`` and ``std``
        (population standard deviation, ``sqrt(mean((v − mean)²))``), one row per polygon,
        with the input's index.  A polygon without valid cells has count 0, sum 0 and NaN
        for the rest.
    """
    _north_up(raster)
    series = _in_raster_crs(raster, polygons)
    values = _float_values(raster)
    nrows, ncols = raster.shape
    inv = ~raster.transform
    t = raster.transform
    rows_out = []
    for geom in series.values:
        stats = {"count": 0, "sum": 0.0, "mean": np.nan, "min": np.nan, "max": np.nan, "std": np.nan}
        if geom is not None and not geom.is_empty:
            minx, miny, maxx, maxy = geom.bounds
            cols_ = sorted(inv.a * xx + inv.c for xx in (minx, maxx))
            rows_ = sorted(inv.e * yy + inv.f for yy in (miny, maxy))
            c0 = max(int(np.floor(cols_[0])) - 1, 0)
            c1 = min(int(np.ceil(cols_[1])) + 1, ncols)
            r0 = max(int(np.floor(rows_[0])) - 1, 0)
            r1 = min(int(np.ceil(rows_[1])) + 1, nrows)
            if c1 > c0 and r1 > r0:
                wt = Affine(t.a, t.b, t.c + c0 * t.a + r0 * t.b, t.d, t.e, t.f + c0 * t.d + r0 * t.e)
                inside = rasterio.features.geometry_mask(
                    [geom], out_shape=(r1 - r0, c1 - c0), transform=wt, invert=True, all_touched=all_touched
                )
                v = values[r0:r1, c0:c1][inside]
                v = v[~np.isnan(v)]
                if v.size:
                    stats = {
                        "count": int(v.size),
                        "sum": float(v.sum()),
                        "mean": float(v.mean()),
                        "min": float(v.min()),
                        "max": float(v.max()),
                        "std": float(v.std()),
                    }
        rows_out.append(stats)
    return pd.DataFrame(rows_out, index=series.index, columns=["count", "sum", "mean", "min", "max", "std"])
