"""Terrain derivatives of a DEM: slope (Horn), aspect and the terrain ruggedness index, and the
focal mean that summarises any of them over a neighbourhood.

Each function takes a :class:`~borderscape.geo.raster.Raster` of elevations in metres on a
projected grid and returns a new float32 raster on the same grid.  Cells on the outer edge,
and cells whose 3×3 window holds a missing value, are NaN (as ``gdaldem`` without
``-compute_edges``).  The window around cell ``e`` is::

    a b c
    d e f
    g h i      (row 0 = north)
"""

from __future__ import annotations

import math

import numba
import numpy as np
from scipy import ndimage

from borderscape.geo.crs import require_projected
from borderscape.geo.errors import InputError
from borderscape.geo.raster import Raster

_SLOPE, _ASPECT, _TRI = 0, 1, 2


@numba.njit(cache=True, nogil=True)
def _window_kernel(z: np.ndarray, xres: float, yres: float, mode: int) -> np.ndarray:
    rows, cols = z.shape
    out = np.full((rows, cols), np.nan, dtype=np.float32)
    for r in range(1, rows - 1):
        for c in range(1, cols - 1):
            a = z[r - 1, c - 1]
            b = z[r - 1, c]
            cc = z[r - 1, c + 1]
            d = z[r, c - 1]
            e = z[r, c]
            f = z[r, c + 1]
            g = z[r + 1, c - 1]
            h = z[r + 1, c]
            i = z[r + 1, c + 1]
            s = a + b + cc + d + e + f + g + h + i
            if np.isnan(s):
                continue
            if mode == _TRI:
                t = (
                    (a - e) ** 2
                    + (b - e) ** 2
                    + (cc - e) ** 2
                    + (d - e) ** 2
                    + (f - e) ** 2
                    + (g - e) ** 2
                    + (h - e) ** 2
                    + (i - e) ** 2
                )
                out[r, c] = np.sqrt(t)
                continue
            dzdx = ((cc + 2.0 * f + i) - (a + 2.0 * d + g)) / (8.0 * xres)  # east-positive
            dzdy = ((a + 2.0 * b + cc) - (g + 2.0 * h + i)) / (8.0 * yres)  # north-positive
            if mode == _SLOPE:
                out[r, c] = np.degrees(np.arctan(np.sqrt(dzdx * dzdx + dzdy * dzdy)))
            elif dzdx == 0.0 and dzdy == 0.0:
                out[r, c] = np.nan
            else:
                az = np.degrees(np.arctan2(-dzdx, -dzdy))
                out[r, c] = az + 360.0 if az < 0.0 else az
    return out


def _run(dem: Raster, mode: int) -> Raster:
    require_projected(dem.crs, name="the DEM")
    z = dem.array.astype(np.float64)
    z[~dem.valid_mask()] = np.nan
    xres, yres = dem.res
    return dem.with_array(_window_kernel(z, float(xres), float(yres), mode), nodata=np.nan)


def slope(dem: Raster) -> Raster:
    """Slope in degrees by Horn's (1981) method.

    ∂z/∂x = ((c + 2f + i) − (a + 2d + g)) / (8 Δx),  ∂z/∂y = ((a + 2b + c) − (g + 2h + i)) / (8 Δy),
    slope = atan(√((∂z/∂x)² + (∂z/∂y)²)), in degrees (0 = flat, 90 = vertical).

    Reference: Horn, B. K. P. (1981). Hill shading and the reflectance map. *Proc. IEEE* 69(1),
    14–47.  Same as ``gdaldem slope`` (default algorithm) and GRASS ``r.slope.aspect``.

    Parameters
    ----------
    dem
        Elevations in metres on a projected grid (cell sizes Δx, Δy in metres).

    Returns
    -------
    Raster
        float32 degrees; NaN on the edge and next to missing cells.
    """
    return _run(dem, _SLOPE)


def aspect(dem: Raster) -> Raster:
    """Aspect: the compass direction the slope faces (downhill), degrees clockwise from north.

    With Horn's gradients (see :func:`slope`), aspect = atan2(−∂z/∂x, −∂z/∂y) mapped to
    [0, 360): 0 = north-facing, 90 = east-facing.  Flat cells (zero gradient) are NaN.
    Matches ``gdaldem aspect`` (which writes −9999 for flat cells).

    Parameters
    ----------
    dem
        Elevations in metres on a projected grid.

    Returns
    -------
    Raster
        float32 degrees in [0, 360); NaN on the edge, next to missing cells and where flat.
    """
    return _run(dem, _ASPECT)


def ruggedness(dem: Raster) -> Raster:
    """Terrain ruggedness index (Riley, DeGloria & Elliot 1999), metres.

    TRI = √(Σᵢ (zᵢ − z₀)²) over the eight neighbours zᵢ of the centre cell z₀.

    Reference: Riley, S. J., DeGloria, S. D. & Elliot, R. (1999). A terrain ruggedness index
    that quantifies topographic heterogeneity. *Intermountain J. Sciences* 5, 23–27.
    Matches ``gdaldem TRI -alg Riley``.

    Parameters
    ----------
    dem
        Elevations in metres.

    Returns
    -------
    Raster
        float32 metres; NaN on the edge and next to missing cells.
    """
    return _run(dem, _TRI)


def focal_mean(raster: Raster, window_m: float) -> Raster:
    """Mean of the valid cells in a square window of side ``window_m`` centred on each cell.

    The window spans ``2·⌊window_m / (2Δ)⌋ + 1`` cells along each axis (Δ the cell size of that
    axis; 270 m at 90 m is 3 cells, at 30 m 9 cells), at least the cell itself.  Missing cells and
    cells outside the grid are left out of the mean, as GRASS ``r.neighbors method=average``
    does; a cell whose window holds no valid cell is NaN.

    Parameters
    ----------
    raster
        Values on a projected grid (for example :func:`slope` or :func:`ruggedness`).
    window_m
        Side of the square window in CRS units (metres); > 0.

    Returns
    -------
    Raster
        float64 means on the same grid, NaN where the window holds no data.
    """
    require_projected(raster.crs, name="the raster")
    if not (math.isfinite(window_m) and window_m > 0):
        raise InputError(f"the focal window must be a positive number of metres, got {window_m!r}")
    xres, yres = raster.res
    size = tuple(2 * int(math.floor(window_m / (2.0 * r) + 1e-9)) + 1 for r in (yres, xres))
    valid = raster.valid_mask()
    values = np.where(valid, raster.array, 0.0).astype(np.float64)
    weight = valid.astype(np.float64)
    total = ndimage.uniform_filter(values, size=size, mode="constant", cval=0.0)
    count = ndimage.uniform_filter(weight, size=size, mode="constant", cval=0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(count > 0.5 / (size[0] * size[1]), total / count, np.nan)
    return raster.with_array(out, nodata=np.nan)
