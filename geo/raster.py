"""A small raster type: a 2-D array with its affine transform, CRS and nodata value.

Computations happen in metres in a projected CRS; a raster without a CRS is an error, never
a guess.  Inputs are never modified in place: every operation returns a new ``Raster``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.merge
import rasterio.windows
from affine import Affine
from pyproj import CRS
from rasterio.enums import Resampling
from rasterio.features import rasterize
from rasterio.warp import calculate_default_transform, transform_bounds
from rasterio.warp import reproject as warp_reproject

from borderscape.geo.crs import local_crs, to_crs
from borderscape.geo.errors import CRSError, RasterError
from borderscape.geo.files import atomic_path


@dataclass(frozen=True, eq=False)
class Raster:
    """A single-band raster.

    Attributes
    ----------
    array
        2-D array of values (rows, columns); row 0 is the northern edge for north-up rasters.
    transform
        Affine transform from (column, row) of a cell's upper-left corner to map coordinates.
    crs
        Coordinate reference system (:class:`pyproj.CRS`); never ``None``.
    nodata
        Value that marks missing cells, or ``None``.  NaN marks missing cells of float arrays too.
    source_res_m
        Cell size (metres, the coarser side) of the file this raster was resampled from, when
        known (set by :func:`borderscape.analyses.inputs.prepare_dem`): a DEM resampled to 90 m
        from 10 km cells holds no 90 m detail.  None when unknown; operations that make a new
        raster do not carry it.
    """

    array: np.ndarray
    transform: Affine
    crs: CRS
    nodata: float | None = None
    source_res_m: float | None = None

    def __post_init__(self) -> None:
        if self.array.ndim != 2:
            raise RasterError(
                f"a Raster holds a 2-D array, got {self.array.ndim} dimensions", remedy="select one band, e.g. array[0]"
            )
        if self.crs is None:
            raise CRSError(
                "the raster has no CRS",
                remedy="assign the CRS the data were made in (e.g. EPSG:4326 for lon/lat degrees)",
            )
        object.__setattr__(self, "crs", CRS.from_user_input(self.crs))

    # -- geometry ----------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return self.array.shape  # type: ignore[return-value]

    @property
    def res(self) -> tuple[float, float]:
        """Cell size (x, y) in CRS units, both positive."""
        return abs(self.transform.a), abs(self.transform.e)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in CRS units."""
        rows, cols = self.shape
        x0, y0 = self.transform @ (0, 0)
        x1, y1 = self.transform @ (cols, rows)
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)

    def xy(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map coordinates of the centres of cells (rows, cols)."""
        rows = np.asarray(rows, dtype=float)
        cols = np.asarray(cols, dtype=float)
        t = self.transform
        x = t.c + (cols + 0.5) * t.a + (rows + 0.5) * t.b
        y = t.f + (cols + 0.5) * t.d + (rows + 0.5) * t.e
        return x, y

    def rowcol(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Integer (row, col) of the cells containing map coordinates (x, y); may lie outside."""
        inv = ~self.transform
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        cols = inv.a * x + inv.b * y + inv.c
        rows = inv.d * x + inv.e * y + inv.f
        return np.floor(rows).astype(np.int64), np.floor(cols).astype(np.int64)

    def valid_mask(self) -> np.ndarray:
        """Boolean array: True where the cell holds data."""
        a = self.array
        mask = np.ones(a.shape, dtype=bool)
        if self.nodata is not None and not (isinstance(self.nodata, float) and np.isnan(self.nodata)):
            mask &= a != self.nodata
        if np.issubdtype(a.dtype, np.floating):
            mask &= ~np.isnan(a)
        return mask

    def with_array(self, array: np.ndarray, *, nodata: float | None = ...) -> Raster:  # type: ignore[assignment]
        """A new raster on the same grid holding ``array``."""
        if array.shape != self.shape:
            raise RasterError(f"array shape {array.shape} differs from the grid {self.shape}")
        return Raster(array, self.transform, self.crs, self.nodata if nodata is ... else nodata)

    # -- I/O ---------------------------------------------------------------------------
    @classmethod
    def read(
        cls,
        path: str | os.PathLike,
        *,
        band: int = 1,
        bounds: tuple[float, float, float, float] | None = None,
        bounds_crs: Any = None,
    ) -> Raster:
        """Read one band of a GeoTIFF/COG (or any GDAL raster) into memory.

        Parameters
        ----------
        path
            File path (a COG is read block by block: only the window is fetched).
        band
            Band number, from 1.
        bounds
            Optional window ``(left, bottom, right, top)``; only the cells it touches are read,
            rounded outward to whole cells and cut to the file's extent.
        bounds_crs
            CRS of ``bounds``; default the file's own CRS.

        Raises
        ------
        RasterError
            When the file cannot be opened as a raster, or ``bounds`` miss it.
        CRSError
            When the file has no CRS.
        """
        try:
            with rasterio.open(path) as src:
                if src.crs is None:
                    raise CRSError(
                        f"raster {path} has no CRS", remedy="assign one with gdal_edit.py -a_srs EPSG:XXXX, then retry"
                    )
                crs = CRS.from_wkt(src.crs.to_wkt())
                window = None
                transform = src.transform
                if bounds is not None:
                    if bounds_crs is not None and CRS.from_user_input(bounds_crs) != crs:
                        bounds = transform_bounds(
                            CRS.from_user_input(bounds_crs).to_wkt(), crs.to_wkt(), *bounds, densify_pts=21
                        )
                    window = _window(src.transform, src.width, src.height, bounds, path)
                    transform = src.window_transform(window)
                array = src.read(band, window=window)
                nodata = src.nodata
        except rasterio.errors.RasterioIOError as exc:
            raise RasterError(
                f"cannot read raster {path}: {exc}",
                remedy="check the path and that the file is a GeoTIFF or another GDAL raster",
            ) from exc
        return cls(array, transform, crs, nodata)

    # -- reprojection and clipping -------------------------------------------------------
    def reproject(self, crs: Any = None, *, res: float | None = None, resampling: str = "bilinear") -> Raster:
        """This raster resampled onto a north-up grid in another CRS.

        Parameters
        ----------
        crs
            Target CRS; default the local UTM zone of the raster's centre
            (:func:`borderscape.geo.crs.local_crs`).
        res
            Target cell size in target CRS units (metres for UTM); default chosen by GDAL to
            keep about the same number of cells.
        resampling
            GDAL resampling name: ``nearest``, ``bilinear`` (default, for elevations), ``cubic``,
            ``average`` …

        Returns
        -------
        Raster
            float32 (float64 if the input is float64) with NaN outside the source.
        """
        dst_crs = local_crs(self.bounds, crs=self.crs) if crs is None else CRS.from_user_input(crs)
        dtype = np.float64 if self.array.dtype == np.float64 else np.float32
        src = self.array.astype(dtype)
        src[~self.valid_mask()] = np.nan
        transform, width, height = calculate_default_transform(
            self.crs.to_wkt(), dst_crs.to_wkt(), self.shape[1], self.shape[0], *self.bounds, resolution=res
        )
        out = np.full((height, width), np.nan, dtype=dtype)
        warp_reproject(
            src,
            out,
            src_transform=self.transform,
            src_crs=self.crs.to_wkt(),
            dst_transform=transform,
            dst_crs=dst_crs.to_wkt(),
            src_nodata=np.nan,
            dst_nodata=np.nan,
            resampling=_resampling(resampling),
        )
        return Raster(out, transform, dst_crs, np.nan)

    def clip(self, geometry: Any, *, crs: Any = None, crop: bool = True) -> Raster:
        """Cells outside a study-area polygon set to missing (NaN, or nodata for integers).

        Parameters
        ----------
        geometry
            A shapely (multi)polygon, or a GeoDataFrame/GeoSeries whose union is used.
        crs
            CRS of a shapely ``geometry``; required for one (a GeoDataFrame carries its own).
        crop
            Also cut the grid to the polygon's bounding box (whole cells).

        Returns
        -------
        Raster
            A new raster; a cell is kept when its centre lies in the polygon.

        Raises
        ------
        CRSError
            When the geometry has no CRS.
        """
        if isinstance(geometry, (gpd.GeoDataFrame, gpd.GeoSeries)):
            geom = to_crs(geometry, self.crs, name="study area").union_all()
        else:
            if crs is None:
                raise CRSError(
                    "the study-area geometry has no CRS",
                    remedy="pass crs=… with the shapely geometry, or a GeoDataFrame",
                )
            geom = gpd.GeoSeries([geometry], crs=crs).to_crs(self.crs).iloc[0]
        raster = self
        if crop:
            bounds = geom.bounds
            window = _window(
                self.transform, self.shape[1], self.shape[0], (bounds[0], bounds[1], bounds[2], bounds[3]), "raster"
            )
            (r0, r1), (c0, c1) = window.toranges()
            raster = Raster(
                self.array[r0:r1, c0:c1].copy(),
                rasterio.windows.transform(window, self.transform),
                self.crs,
                self.nodata,
            )
        inside = rasterize(
            [(geom, 1)], out_shape=raster.shape, transform=raster.transform, fill=0, dtype="uint8"
        ).astype(bool)
        array = raster.array
        nodata = raster.nodata
        if np.issubdtype(array.dtype, np.floating):
            array = np.where(inside, array, np.nan).astype(array.dtype)
            nodata = np.nan if nodata is None else nodata
        else:
            if nodata is None:
                raise RasterError(
                    "an integer raster without a nodata value cannot mark clipped cells",
                    remedy="convert it to float, or give it a nodata value",
                )
            array = np.where(inside, array, nodata).astype(array.dtype)
        return Raster(array, raster.transform, raster.crs, nodata)

    def write(self, path: str | os.PathLike, *, compress: str = "deflate") -> Path:
        """Write a GeoTIFF atomically (a temporary file in the same folder, then rename)."""
        path = Path(path)
        profile = {
            "driver": "GTiff",
            "height": self.shape[0],
            "width": self.shape[1],
            "count": 1,
            "dtype": self.array.dtype,
            "crs": self.crs.to_wkt(),
            "transform": self.transform,
            "nodata": self.nodata,
            "compress": compress,
        }
        with atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
            dst.write(self.array, 1)
        return path


def _resampling(name: str) -> Resampling:
    try:
        return Resampling[name]
    except KeyError:
        raise RasterError(
            f"unknown resampling {name!r}", remedy="use one of " + ", ".join(r.name for r in Resampling)
        ) from None


def _window(
    transform: Affine, width: int, height: int, bounds: tuple[float, float, float, float], what: Any
) -> rasterio.windows.Window:
    """Whole-cell window covering ``bounds``, cut to the grid; an error when they miss it."""
    window = rasterio.windows.from_bounds(*bounds, transform=transform)
    window = window.round_offsets(op="floor").round_lengths(op="ceil")
    try:
        window = window.intersection(rasterio.windows.Window(0, 0, width, height))
    except rasterio.errors.WindowError:
        window = None
    if window is None or window.width < 1 or window.height < 1:
        raise RasterError(
            f"the bounds {tuple(round(b, 3) for b in bounds)} do not overlap {what}",
            remedy="check the bounds and their CRS (bounds_crs=)",
        )
    return rasterio.windows.Window(
        int(window.col_off), int(window.row_off), int(np.ceil(window.width)), int(np.ceil(window.height))
    )


def mosaic(
    paths: list[str | os.PathLike],
    *,
    bounds: tuple[float, float, float, float],
    crs: Any = None,
    bounds_crs: Any = "EPSG:4326",
    res: float = 30.0,
    resampling: str = "bilinear",
) -> Raster:
    """A DEM for a bounding box, built from local tiles (Copernicus GLO-30, USGS 3DEP …).

    Each tile is resampled onto one north-up grid in ``crs`` covering ``bounds``; where tiles
    overlap, the first tile in ``paths`` with data wins.  Tiles that miss the box are skipped.
    Downloading the tiles is done by :mod:`borderscape.layers`; this takes local paths.

    Parameters
    ----------
    paths
        GeoTIFF/COG tiles (any CRS; each must carry one).
    bounds
        ``(west, south, east, north)`` of the area, in ``bounds_crs``.
    crs
        CRS of the result; default the local UTM zone of the box.
    bounds_crs
        CRS of ``bounds``; default lon/lat degrees (EPSG:4326).
    res
        Cell size of the result in ``crs`` units (metres), default 30.
    resampling
        GDAL resampling name (default ``bilinear``).

    Returns
    -------
    Raster
        float32 elevations, NaN where no tile has data.

    Raises
    ------
    RasterError
        When no tile overlaps the box, or a tile cannot be read.
    CRSError
        When a tile has no CRS.
    """
    if not paths:
        raise RasterError("no DEM tiles given", remedy="fetch the tiles first: borderscape fetch dem-copernicus")
    bounds_crs = CRS.from_user_input(bounds_crs)
    dst_crs = local_crs(bounds, crs=bounds_crs) if crs is None else CRS.from_user_input(crs)
    left, bottom, right, top = transform_bounds(bounds_crs.to_wkt(), dst_crs.to_wkt(), *bounds, densify_pts=21)
    left, bottom = np.floor(left / res) * res, np.floor(bottom / res) * res
    right, top = np.ceil(right / res) * res, np.ceil(top / res) * res
    width, height = int(round((right - left) / res)), int(round((top - bottom) / res))
    transform = Affine(res, 0.0, left, 0.0, -res, top)
    box = (left, bottom, right, top)
    groups: dict[str, list[Any]] = {}  # tiles that overlap the box, by CRS, in the order given
    for path in paths:
        try:
            with rasterio.open(path) as src:
                if src.crs is None:
                    raise CRSError(
                        f"DEM tile {path} has no CRS",
                        remedy="assign one with gdal_edit.py -a_srs EPSG:XXXX, then retry",
                    )
                b = transform_bounds(dst_crs.to_wkt(), src.crs, *box, densify_pts=21)
                sb = src.bounds
                if b[0] < sb.right and b[2] > sb.left and b[1] < sb.top and b[3] > sb.bottom:
                    groups.setdefault(src.crs.to_wkt(), []).append(path)
        except rasterio.errors.RasterioIOError as exc:
            raise RasterError(
                f"cannot read DEM tile {path}: {exc}", remedy="check the file; fetch it again if it is truncated"
            ) from exc
    if not groups:
        raise RasterError(
            f"none of the {len(paths)} DEM tiles overlaps the bounds {bounds}",
            remedy="fetch the tiles that cover the study area, and check the bounds' CRS",
        )
    out = np.full((height, width), np.nan, dtype=np.float32)
    for src_wkt, group in groups.items():
        # merge the tiles in their own CRS first, so that resampling sees across the seams
        # (on the first tile's grid, with a margin of 3 cells for the resampling kernel)
        with rasterio.open(group[0]) as first:
            rx, ry = first.res
            x0, y0 = first.bounds.left, first.bounds.top
        b = transform_bounds(dst_crs.to_wkt(), src_wkt, *box, densify_pts=21)
        snapped = (
            x0 + (np.floor((b[0] - x0) / rx) - 3) * rx,
            y0 + (np.floor((b[1] - y0) / ry) - 3) * ry,
            x0 + (np.ceil((b[2] - x0) / rx) + 3) * rx,
            y0 + (np.ceil((b[3] - y0) / ry) + 3) * ry,
        )
        merged, merged_transform = rasterio.merge.merge(
            group, bounds=snapped, dtype="float32", nodata=np.nan, indexes=[1]
        )
        tile = np.full_like(out, np.nan)
        warp_reproject(
            merged[0],
            tile,
            src_transform=merged_transform,
            src_crs=src_wkt,
            dst_transform=transform,
            dst_crs=dst_crs.to_wkt(),
            src_nodata=np.nan,
            dst_nodata=np.nan,
            resampling=_resampling(resampling),
        )
        fill = np.isnan(out) & ~np.isnan(tile)
        out[fill] = tile[fill]
    return Raster(out, transform, dst_crs, np.nan)
