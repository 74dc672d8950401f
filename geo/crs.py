"""Coordinate reference systems: pick a local projected CRS (UTM) and reproject layers.

Every computation in borderscape happens in metres in a projected CRS.  A layer without a CRS
is an error (:class:`~borderscape.geo.errors.CRSError`), never a guess.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from pyproj import CRS, Transformer

from borderscape.geo.errors import CRSError

LONLAT = CRS.from_epsg(4326)


def utm_crs(lon: float, lat: float) -> CRS:
    """The WGS 84 / UTM zone CRS that contains a point.

    Zone = floor((lon + 180) / 6) + 1 (1…60); EPSG:326zz north of the equator, 327zz south.
    The Norway/Svalbard exceptions are ignored (no study area lies there).

    Parameters
    ----------
    lon, lat
        Longitude and latitude in degrees (WGS 84).

    Returns
    -------
    pyproj.CRS
        A projected CRS in metres.
    """
    if not (-180.0 <= lon <= 180.0 and -80.0 <= lat <= 84.0):
        raise CRSError(
            f"({lon}, {lat}) is outside the UTM domain (lon −180…180, lat −80…84)",
            remedy="give lon/lat in degrees, or choose a projected CRS yourself",
        )
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def local_crs(obj: Any, *, crs: Any = None) -> CRS:
    """A local UTM CRS for a study area.

    Parameters
    ----------
    obj
        A GeoDataFrame/GeoSeries (with a CRS), or bounds ``(west, south, east, north)``.
    crs
        CRS of ``obj`` when it is bounds; default lon/lat degrees (EPSG:4326).

    Returns
    -------
    pyproj.CRS
        The UTM zone containing the centre of the area.

    Raises
    ------
    CRSError
        When a GeoDataFrame has no CRS.
    """
    if isinstance(obj, (gpd.GeoDataFrame, gpd.GeoSeries)):
        require_crs(obj)
        bounds = obj.total_bounds
        src = obj.crs
    else:
        bounds = tuple(float(v) for v in obj)
        if len(bounds) != 4:
            raise CRSError(f"bounds need 4 numbers (west, south, east, north), got {len(bounds)}")
        src = LONLAT if crs is None else crs
    west, south, east, north = (float(v) for v in bounds)
    x, y = (west + east) / 2.0, (south + north) / 2.0
    lon, lat = Transformer.from_crs(CRS.from_user_input(src), LONLAT, always_xy=True).transform(x, y)
    return utm_crs(lon, lat)


def require_crs(layer: gpd.GeoDataFrame | gpd.GeoSeries, *, name: str = "layer") -> CRS:
    """The CRS of a layer, or a :class:`CRSError` when it has none.

    Parameters
    ----------
    layer
        GeoDataFrame or GeoSeries.
    name
        How to call the layer in the error message.
    """
    if layer.crs is None:
        raise CRSError(
            f"{name} has no CRS",
            remedy="set the CRS the coordinates were recorded in, e.g. "
            "gdf.set_crs('EPSG:4326') for lon/lat degrees; borderscape never guesses",
        )
    return CRS.from_user_input(layer.crs)


def to_crs(layer: gpd.GeoDataFrame | gpd.GeoSeries, crs: Any, *, name: str = "layer"):
    """A copy of ``layer`` in ``crs`` (the input is not modified).

    Raises
    ------
    CRSError
        When the layer has no CRS.
    """
    src = require_crs(layer, name=name)
    dst = CRS.from_user_input(crs)
    if src == dst:
        return layer.copy()
    return layer.to_crs(dst)


def require_projected(crs: Any, *, name: str = "raster") -> CRS:
    """``crs`` as a :class:`pyproj.CRS`, or a :class:`CRSError` when it is not projected in metres."""
    crs = CRS.from_user_input(crs)
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if not crs.is_projected or unit not in ("metre", "meter"):
        raise CRSError(
            f"{name} is in {crs.name!r}, not a projected CRS in metres",
            remedy="reproject it first, e.g. Raster.reproject() picks the local UTM zone",
        )
    return crs
