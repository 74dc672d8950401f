"""Typed layers and their schemas.

A :class:`Layer` is a GeoDataFrame (EPSG:4326 for ingested point/line layers; a
layer without a CRS is an error) with a known set of columns for its kind, plus the quality
report of the ingest that made it.  Every layer also carries ``row``, ``status`` and
``reason`` (see :mod:`borderscape.layers.quality`).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from borderscape.geo.errors import CRSError, InputError
from borderscape.geo.raster import Raster
from borderscape.layers.quality import QualityReport

LEDGER_COLUMNS = ("row", "status", "reason")

#: Deaths: one row per recovered person or incident.
DEATHS = {
    "date": "datetime64[ns]",  # date of death, of the incident, or of the recovery (see date_kind)
    "date_kind": "string",  # 'reported' (PCOME: remains reported/found), 'incident', ...
    "date_precision": "string",  # 'day' | 'month' | 'year' | None
    "dead": "Int64",  # number dead (1 for a PCOME case)
    "missing": "Int64",  # number missing (0 when the source has none)
    "cause": "string",  # cause of death as the source states it
    "location_precision": "string",  # the source's own words, or a coordinate-quality class
    "source_id": "string",  # catalog id
    "record_id": "string",  # the source's record id (not a personal identifier); None when removed
}

#: Sensors: point sensors (towers, radars ...), tracks with a swath, or areas.
SENSORS = {
    "kind": "string",  # IFT, RVSS, AST, MSC, aerostat, coastal_radar, ALPR, area, track ...
    "height_m": "float64",  # height above ground of the sensor, metres
    "range_m": "float64",  # nominal range, metres
    "swath_m": "float64",  # swath width for tracks, metres
    "active_from": "datetime64[ns]",  # first day active (NaT: unknown, defaults per kind apply)
    "active_to": "datetime64[ns]",  # last day active (NaT: still active / unknown)
    "deployment": "string",  # the source's deployment status text (existing, proposed, removed ...);
    # not "status", which is the ledger's column
    "source_id": "string",
}

#: Context layers (border, roads, stations, coastlines, SAR regions ...) keep their own
#: attribute columns; tables (encounters, arrivals ...) have no geometry.
SCHEMAS = {"deaths": DEATHS, "sensors": SENSORS}


@dataclass(frozen=True, eq=False)
class Layer:
    """An ingested layer: the data and what happened to every input row.

    Attributes
    ----------
    source
        Catalog id, or ``deaths``/``sensors``/``context`` for a file with no catalog entry.
    kind
        ``deaths``, ``sensors``, ``context``, ``table`` or ``raster``.
    frame
        A GeoDataFrame (a plain DataFrame for ``table`` layers) holding every input row.
    report
        The quality report.
    """

    source: str
    kind: str
    frame: pd.DataFrame
    report: QualityReport

    def __post_init__(self) -> None:
        missing = [c for c in LEDGER_COLUMNS if c not in self.frame.columns]
        if missing:
            raise InputError(f"layer {self.source!r} lacks the ledger columns {missing}")
        if isinstance(self.frame, gpd.GeoDataFrame) and self.frame.crs is None:
            raise CRSError(f"layer {self.source!r} has no CRS", remedy="set the CRS the coordinates are in")
        schema = SCHEMAS.get(self.kind)
        if schema:
            absent = [c for c in schema if c not in self.frame.columns]
            if absent:
                raise InputError(f"{self.kind} layer {self.source!r} lacks schema columns {absent}")
        if len(self.frame) != self.report.rows_read:
            raise AssertionError("a layer holds every input row: len(frame) must equal rows_read")


def conform(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """A copy of ``frame`` with every schema column of ``kind`` present (missing → empty) and cast."""
    out = frame.copy()
    for column, dtype in SCHEMAS[kind].items():
        if column not in out.columns:
            empty = {"datetime64[ns]": pd.NaT, "float64": float("nan")}.get(dtype, pd.NA)
            out[column] = pd.Series(empty, index=out.index)
        out[column] = out[column].astype(dtype)
    return out


@dataclass(frozen=True, eq=False)
class RasterLayer:
    """An ingested raster (elevation): the grid and what happened to every cell.

    The report counts cells: valid cells are kept, nodata cells (and cells with values that
    cannot be elevations) are quarantined with the reason.

    Attributes
    ----------
    source
        Catalog id.
    raster
        The checked grid (:class:`borderscape.geo.raster.Raster`); quarantined cells are nodata.
    report
        The quality report (``rows_read`` = number of cells).
    kind
        Always ``raster``.
    """

    source: str
    raster: Raster
    report: QualityReport
    kind: str = "raster"

    def __post_init__(self) -> None:
        if self.raster.crs is None:
            raise CRSError(f"raster layer {self.source!r} has no CRS", remedy="set the CRS the grid is in")
        if self.raster.array.size != self.report.rows_read:
            raise AssertionError("a raster layer's report counts every cell: size must equal rows_read")
