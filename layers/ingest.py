"""Ingest: a raw file becomes a typed layer plus a quality report.

Reader contract
---------------
Every catalog entry names a ``loader``; :data:`READERS` maps that name to a reader::

    def read_x(located: Located, *, keep_personal: bool) -> Layer

``located``
    A :class:`borderscape.layers.fetch.Located` (``located.paths`` are the file(s) to read,
    ``located.format`` is the catalog's format name of the chosen pattern, ``located.source``
    is the :class:`~borderscape.layers.catalog.Source`).  Readers only read ``located.paths``;
    they never search for files themselves.
``keep_personal``
    False by default: the reader removes personal identifiers (names of people, case or
    record numbers that identify a person) and lists them in ``report.removed_columns``.
    True keeps them, for a researcher's own layer file only.

A reader returns a :class:`borderscape.layers.schemas.Layer` whose

* the layer is made by :func:`borderscape.layers.parse.finish` (``finish_raster`` for
  grids), never assembled by hand;
* ``frame`` holds EVERY input record, in input order, with the ledger columns ``row``,
  ``status`` and ``reason``; quarantined rows stay in the frame;
* ``frame`` is a GeoDataFrame in EPSG:4326 for spatial kinds (``deaths``, ``sensors``,
  ``context``; rows that cannot be located get no geometry and are quarantined), a
  plain DataFrame for ``table`` layers; a ``deaths`` or ``sensors`` frame has the schema
  columns first (:func:`borderscape.layers.schemas.conform`);
* ``report`` comes from the ledger with ``files=[]``: :func:`ingest` fills
  ``report.files`` afterwards (path, sha256, how found);
* ``kept + repaired + quarantined == rows_read == len(frame)`` (checked by ``Layer``).

Raster sources return a :class:`borderscape.layers.schemas.RasterLayer` (one ledger entry
per cell: valid cells kept, nodata cells quarantined with reason ``elevation is missing
(nodata)``; :func:`borderscape.layers.parse.finish_raster`).

A reader raises a :class:`~borderscape.geo.errors.BorderscapeError` subclass (usually
:class:`~borderscape.geo.errors.IngestError`) for a file it cannot read at all, with a
remedy; it never lets a raw exception escape.  Readers never log or print a value of a
personal column.

Every reader, and :func:`ingest_file` here, reads cells, checks geometries and finishes
its layer with :mod:`borderscape.layers.parse` — one dialect (what is missing, how counts,
measures, dates and coordinates are read, how the ledger is worded), documented there as a
table.  Reader modules (``readers_us``, ``readers_med``) must not import this module (it
imports them); files are opened with :mod:`borderscape.layers.tables` (``read_table``,
``read_vector``).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as ProjCRSError

from borderscape.geo.errors import CRSError, InputError, SourceError
from borderscape.geo.files import atomic_path, write_text_atomic
from borderscape.layers import parse
from borderscape.layers.catalog import get_source
from borderscape.layers.fetch import locate as locate_files
from borderscape.layers.fetch import sha256_file
from borderscape.layers.quality import Ledger
from borderscape.layers.readers_med import READERS as _MED_READERS
from borderscape.layers.readers_us import READERS as _US_READERS
from borderscape.layers.readers_us import check_sensors, has_prior_ledger, read_sensor_vector
from borderscape.layers.schemas import SCHEMAS, Layer, RasterLayer
from borderscape.layers.tables import read_table, read_vector

#: loader name (the catalog's ``Source.loader``) → reader
READERS: dict[str, Callable[..., Layer | RasterLayer]] = {**_US_READERS, **_MED_READERS}

#: Roles a column mapping may name, per kind of layer (geometry roles are common to all).
DMS_ROLES = ("lat_deg", "lat_min", "lat_sec", "lat_hemi", "lon_deg", "lon_min", "lon_sec", "lon_hemi")
GEOMETRY_ROLES = ("lat", "lon", "latlon", "wkt", "x", "y") + DMS_ROLES
ROLES: dict[str, tuple[str, ...]] = {
    "deaths": ("date", "dead", "missing", "cause", "location_precision", "record_id"),
    "sensors": ("kind", "height", "range", "swath", "active_from", "active_to", "deployment", "name"),
    "context": ("name", "kind", "date"),
}
#: Column names that identify a person in a deaths table (names, case numbers).
PERSONAL_COLUMN = re.compile(
    r"(^|[^a-z])(names?|surname|first.?name|last.?name|full.?name|decedent|"
    r"ml.?(number|no)|case.?(number|no|id))([^a-z]|$)",
    re.I,
)
_VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".kml", ".kmz")
_TABLE_SUFFIXES = (".csv", ".tsv", ".txt")


def ingest(
    source_id: str,
    file: str | os.PathLike | None = None,
    *,
    data_dir: str | os.PathLike | None = None,
    keep_personal: bool = False,
) -> Layer | RasterLayer:
    """Ingest a catalog source into a typed layer with its quality report.

    Parameters
    ----------
    source_id
        Catalog id (``pcome``, ``ibwc-boundary`` …; see ``borderscape sources``).
    file
        An explicit file (overrides the mirror), or a folder to search.
    data_dir
        Local mirror folder (default: ``BORDERSCAPE_DATA``, then the download cache).
    keep_personal
        Keep names and case numbers in the layer (for a researcher's own file; rendered
        outputs never show them).  Removed by default.

    Returns
    -------
    Layer or RasterLayer
        Every input row (cell) with its status; ``report.files`` lists each file read with
        its sha256 and how it was found.

    Raises
    ------
    SourceError, SourceNotFound, IngestError, CRSError
        Unknown source, no file found, or a file that cannot be read.
    """
    source = get_source(source_id)
    reader = READERS.get(source.loader)
    if reader is None:
        raise SourceError(
            f"no reader for source {source.id!r} (loader {source.loader!r})",
            remedy="this source cannot be ingested by this version of borderscape",
        )
    located = locate_files(source.id, file=file, data_dir=data_dir)
    layer = reader(located, keep_personal=keep_personal)
    files = [
        {"path": str(p), "sha256": h, "how": located.how, "format": located.format, "chosen": located.describe()}
        for p, h in zip(located.paths, located.sha256)
    ]
    return dataclasses.replace(layer, report=dataclasses.replace(layer.report, files=files))


def ingest_file(
    kind: str,
    path: str | os.PathLike,
    *,
    columns: Mapping[str, str],
    keep: Sequence[str] = (),
    region: tuple[float, float, float, float] | None = None,
    crs: str | None = None,
    keep_personal: bool = False,
    sensor_role: str | None = None,
    date_format: str | None = None,
) -> Layer:
    """Ingest a file that has no catalog entry, given which column plays which role.

    Parameters
    ----------
    kind
        ``deaths``, ``sensors`` or ``context``.
    path
        A delimited text file (CSV, TSV …) or a vector file (GeoJSON, GeoPackage,
        shapefile or zipped shapefile, KML, KMZ; read with pyogrio and reprojected to
        EPSG:4326 — a GeoPackage or shapefile without a CRS is an error, a GeoJSON without
        a ``crs`` member is WGS84 by RFC 7946).
    columns
        Role → column of the file.  Geometry of a table: ``lat`` + ``lon`` (decimal degrees
        or degrees–minutes–seconds text such as ``31°20'15"N``), or either axis from separate
        columns ``lat_deg``, ``lat_min``, ``lat_sec``, ``lat_hemi`` / ``lon_deg``, ``lon_min``,
        ``lon_sec``, ``lon_hemi`` (degrees required; minutes, seconds and the hemisphere N/S,
        E/W optional — without it the sign of the degrees holds), ``latlon`` (one ``"lat, lon"`` text), ``wkt`` (WKT
        geometry, lon-first), or ``x`` + ``y`` (in ``crs``; lon/lat degrees when ``crs`` is
        not given).  Attributes: deaths — ``date``, ``dead``, ``missing``, ``cause``,
        ``location_precision``, ``record_id``; sensors — ``kind``, ``height`` (m), ``range``
        (m), ``swath`` (m), ``active_from``, ``active_to``, ``deployment`` (the source's
        status text: existing, proposed …), ``name``; context —
        ``name``, ``kind``, ``date``.
    keep
        More columns to keep as text (by their name in the file; stripped, missing markers
        such as ``NA`` read as missing — :func:`borderscape.layers.parse.text`).  Only mapped
        and kept columns reach the layer.
    region
        Expected (west, south, east, north) in degrees: swapped or sign-flipped coordinates
        are repaired against it, others outside quarantined.  ``None``: only the valid
        range of degrees is checked.
    crs
        CRS of ``x``/``y`` (e.g. ``EPSG:32612``).
    keep_personal
        Needed to keep a column of a deaths table whose name says it identifies a person
        (name, surname, case/ML number …; see :data:`PERSONAL_COLUMN`), for a researcher's
        own file only.  Columns of the file named like that and neither mapped nor kept are
        dropped (as every unmapped column) and listed in ``report.removed_columns``; their
        values are never read into the layer or the report.
    sensor_role
        Sensors only: ``towers``/``coastal_stations`` (points), ``aerial_tracks`` (lines) or
        ``operational_areas`` (polygons); None: the family most geometries belong to.  Every
        sensors layer is checked by :func:`borderscape.layers.readers_us.check_sensors`
        (plausible heights, ranges and swaths; geometries of the role; end not before start;
        duplicates; an empty file is an :class:`IngestError`).
    date_format
        A strptime pattern (``%m/%d/%Y %H:%M:%S``) every ``date``, ``active_from`` and
        ``active_to`` cell must match; a cell that does not is quarantined with the reason
        (``date is not a date in the format …``).  None: the layouts of
        :mod:`borderscape.layers.dates` (ISO, ``M/D/YYYY``, ``M/D/YY``, with or without a
        time).  Times are dropped to the day.

    Returns
    -------
    Layer
        ``source`` is ``kind``; rows that cannot be placed are quarantined with the reason.
        Cells are read as by every catalog reader (:mod:`borderscape.layers.parse`):
        coordinates are required; ``date`` is optional; ``dead`` and ``missing`` are
        optional counts; ``height``, ``range`` and ``swath`` are measures that cannot be
        negative.  Exact duplicate rows are quarantined and likely duplicates listed
        (:func:`borderscape.layers.parse.finish`); the report holds samples of the rejected
        values per reason and the warnings (whole-number coordinates, refused repairs).

    Raises
    ------
    InputError
        Unknown kind or role, a mapped column absent from the file, or a personal column
        in ``keep`` without ``keep_personal``.
    IngestError, CRSError
        A file that is not a table or vector file, or a vector file without a CRS.
    """
    if kind not in ROLES:
        raise InputError(f"unknown layer kind {kind!r}", remedy="use deaths, sensors or context")
    columns = dict(columns)
    personal = (
        [c for c in list(keep) + list(columns.values()) if PERSONAL_COLUMN.search(str(c))] if kind == "deaths" else []
    )
    if personal and not keep_personal:
        raise InputError(
            f"column(s) {personal} look like names or case numbers of people",
            remedy="leave them out; to keep them in your own research file only, add --keep-personal "
            "(keep_personal=True)",
        )
    allowed = GEOMETRY_ROLES + ROLES[kind]
    unknown = sorted(set(columns) - set(allowed))
    if unknown:
        raise InputError(
            f"unknown role(s) {unknown} for a {kind} layer", remedy=f"map columns to: {', '.join(allowed)}"
        )
    _check_dms_roles(columns)
    path = Path(path)
    if not path.is_file():
        raise InputError(f"the file {path} does not exist", remedy="check the path")
    suffix = path.suffix.lower()
    notes: list[str] = []
    if suffix in _VECTOR_SUFFIXES:
        geo_roles = sorted(set(columns) & set(GEOMETRY_ROLES))
        if geo_roles:
            raise InputError(
                f"{path.name} is a vector file with its own geometry; do not map {geo_roles}",
                remedy="map only attribute columns (date, kind, ...)",
            )
        frame, notes = read_sensor_vector(path) if kind == "sensors" else read_vector(path)
        raw = pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype(object)
        raw = raw.where(raw.notna(), None)
        _check_columns(raw, columns, keep, path)
        ledger = Ledger(len(raw))
        geometry = parse.check_geometries(frame.geometry, ledger, region)
        # the geometry is not a cell of a vector file: compare it too (rows without one are quarantined)
        parse.exact_duplicates(raw, ledger, geometry)
    else:
        if suffix not in _TABLE_SUFFIXES:
            notes.append(f"{path.name}: suffix {suffix or '(none)'} not recognised; read as delimited text")
        table = read_table(path)
        raw = table.frame
        notes += table.notes
        _check_columns(raw, columns, keep, path)
        ledger = Ledger(len(raw))
        geometry = _table_geometry(raw, columns, ledger, region, crs)
    _check_prior_ledger(raw, columns, keep, path)
    out = _attributes(kind, raw, columns, ledger, notes, date_format)
    for col in keep:
        if (
            col in out.columns
            or col in ("row", "status", "reason", "geometry", "source_id")
            or (kind in SCHEMAS and col in SCHEMAS[kind])
        ):
            raise InputError(f"kept column {col!r} has the name of a layer column", remedy="rename it in the file")
        out[col] = parse.text(raw[col])
    if "source_id" in out.columns or kind in ("deaths", "sensors"):
        out["source_id"] = kind
    if kind == "sensors":
        geometry = check_sensors(out, geometry, ledger, raw=raw, role=sensor_role, name=path.name, notes=notes)
    used = set(columns.values()) | set(keep)
    removed = [str(c) for c in raw.columns if c not in used and PERSONAL_COLUMN.search(str(c))]
    if removed:
        notes.append(
            f"{len(removed)} column(s) named like names or case numbers of people were in the file and dropped "
            "(removed_columns); their values were not read into the layer"
        )
    layer = parse.finish(kind, kind, out, ledger, geometry=geometry, notes=notes, removed=removed, raw=raw)
    files = [{"path": str(path), "sha256": sha256_file(path), "how": "file", "format": suffix.lstrip(".")}]
    return dataclasses.replace(layer, report=dataclasses.replace(layer.report, files=files))


def _check_columns(raw: pd.DataFrame, columns: Mapping[str, str], keep: Sequence[str], path: Path) -> None:
    wanted = list(columns.values()) + list(keep)
    absent = [c for c in wanted if c not in raw.columns]
    if absent:
        shown = ", ".join(repr(str(c)) for c in list(raw.columns)[:40])
        raise InputError(f"{path.name} has no column(s) {absent}", remedy=f"use the file's column names: {shown}")


def _check_dms_roles(columns: Mapping[str, str]) -> None:
    for axis in ("lat", "lon"):
        parts = [r for r in DMS_ROLES if r.startswith(axis + "_") and r in columns]
        if parts and f"{axis}_deg" not in columns:
            raise InputError(
                f"{', '.join(parts)} mapped without {axis}_deg",
                remedy=f"map {axis}_deg=COL (the degrees), with {axis}_min, {axis}_sec, {axis}_hemi as the file has them",
            )
        if parts and axis in columns:
            raise InputError(
                f"both {axis} and {axis}_deg are mapped",
                remedy=f"map {axis}=COL for one decimal or DMS text column, or {axis}_deg/_min/_sec/_hemi, not both",
            )


def _check_prior_ledger(raw: pd.DataFrame, columns: Mapping[str, str], keep: Sequence[str], path: Path) -> None:
    """A file written by ``borderscape ingest``: its ``status`` is the ledger's, never data."""
    if not has_prior_ledger(raw):
        return
    mapped = [c for c in list(columns.values()) + list(keep) if parse.snake(c) in ("status", "reason", "row")]
    if mapped:
        raise InputError(
            f"{path.name} was written by `borderscape ingest`: its column(s) {mapped} are that ingest's ledger "
            "(kept/repaired/quarantined), not data",
            remedy="map the source's own columns (e.g. deployment=<the source's status column>), or use the layer file "
            "as it is",
        )


def _axis(raw: pd.DataFrame, columns: Mapping[str, str], ledger: Ledger, axis: str) -> tuple[np.ndarray, np.ndarray]:
    """One axis (``lat`` or ``lon``) from a decimal/DMS text column or from separate DMS columns."""
    if axis in columns:
        return parse.coordinates(raw[columns[axis]], ledger)

    def part(name: str) -> pd.Series | None:
        role = f"{axis}_{name}"
        return raw[columns[role]] if role in columns else None

    return parse.dms_coordinates(part("deg"), part("min"), part("sec"), part("hemi"), ledger, axis=axis)


def _table_geometry(
    raw: pd.DataFrame,
    columns: Mapping[str, str],
    ledger: Ledger,
    region: tuple[float, float, float, float] | None,
    crs: str | None,
) -> gpd.GeoSeries:
    if ("lat" in columns or "lat_deg" in columns) and ("lon" in columns or "lon_deg" in columns):
        lat, bad_lat = _axis(raw, columns, ledger, "lat")
        lon, bad_lon = _axis(raw, columns, ledger, "lon")
        unreadable = bad_lat | bad_lon
    elif "latlon" in columns:
        lat, lon, unreadable = parse.coordinate_pairs(raw[columns["latlon"]], ledger)
    elif "x" in columns and "y" in columns:
        x, bad_x = parse.coordinates(raw[columns["x"]], ledger)
        y, bad_y = parse.coordinates(raw[columns["y"]], ledger)
        unreadable = bad_x | bad_y
        if crs is None:
            lon, lat = x, y
        else:
            try:
                src = CRS.from_user_input(crs)
            except ProjCRSError as exc:
                raise CRSError(f"unknown CRS {crs!r}", remedy="give an EPSG code such as EPSG:32612") from exc
            with np.errstate(invalid="ignore"):
                lon, lat = Transformer.from_crs(src, "EPSG:4326", always_xy=True).transform(x, y)
            lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
            lon[~np.isfinite(lon)] = np.nan
            lat[~np.isfinite(lat)] = np.nan
    elif "wkt" in columns:
        return parse.check_geometries(parse.wkt_geometries(raw[columns["wkt"]], ledger), ledger, region)
    else:
        raise InputError(
            "no coordinates mapped",
            remedy="map lat=COL,lon=COL (decimal or DMS text), or lat_deg/lat_min/lat_sec/lat_hemi and "
            "lon_deg/lon_min/lon_sec/lon_hemi, or latlon=COL ('lat, lon' text), or wkt=COL, or x=COL,y=COL",
        )
    return parse.locate(lat, lon, ledger, region, unreadable=unreadable)[0]


def _attributes(
    kind: str,
    raw: pd.DataFrame,
    columns: Mapping[str, str],
    ledger: Ledger,
    notes: list[str],
    date_format: str | None = None,
) -> pd.DataFrame:
    out = pd.DataFrame(index=raw.index)

    def col(role: str) -> pd.Series:
        return raw[columns[role]]

    if "date" in columns:
        out["date"], precision = parse.dates(col("date"), ledger, "date", date_format=date_format)
        if kind == "deaths":
            out["date_precision"] = pd.array(precision, dtype="string")
    if kind == "deaths":
        if "dead" in columns:
            out["dead"] = parse.counts(col("dead"), ledger, "dead")
        else:
            out["dead"] = 1
            notes.append("no 'dead' column mapped: each row counts one dead person")
        if "missing" in columns:
            out["missing"] = parse.counts(col("missing"), ledger, "missing")
        for role in ("cause", "location_precision", "record_id"):
            if role in columns:
                out[role] = parse.text(col(role))
    elif kind == "sensors":
        for role, name in (("height", "height_m"), ("range", "range_m"), ("swath", "swath_m")):
            if role in columns:
                out[name] = parse.measures(col(role), ledger, name, negative_ok=False)
        for role in ("active_from", "active_to"):
            if role in columns:
                out[role], _ = parse.dates(col(role), ledger, role, date_format=date_format)
        for role in ("kind", "deployment", "name"):
            if role in columns:
                out[role] = parse.text(col(role))
    else:
        for role in ("name", "kind"):
            if role in columns:
                out[role] = parse.text(col(role))
    return out


def write_layer(
    layer: Layer | RasterLayer, path: str | os.PathLike, *, credit: Mapping[str, str] | None = None
) -> Path:
    """Write a layer atomically (temporary file in the same folder, then rename), with the record of
    what it is (:mod:`borderscape.layers.layerfile`: kind, schema version, source and credit,
    quality report) so that :func:`~borderscape.layers.layerfile.read_layer` reads it back.

    ``.parquet`` → GeoParquet (plain Parquet for table layers; record in the schema's key-value
    metadata), ``.gpkg`` → GeoPackage (record in the layer's ``gpkg_metadata``), ``.geojson`` →
    GeoJSON (record as the top-level member ``"borderscape"``), ``.csv`` → CSV (geometry as WKT;
    record in the sidecar ``<name>.csv.json``), ``.tif``/``.tiff`` → GeoTIFF (raster layers only,
    no record).

    Parameters
    ----------
    credit
        Whom to credit (publisher, licence, citation, url, caveats); default: the catalog entry
        of ``layer.source``, none for a file with no catalog entry.

    Raises
    ------
    InputError
        A suffix that does not fit the layer (a raster to ``.parquet``, a vector layer to ``.tif`` …).
    """
    from borderscape.layers.layerfile import layer_record, sidecar, write_record_file

    path = Path(path)
    suffix = path.suffix.lower()
    if isinstance(layer, RasterLayer):
        if suffix not in (".tif", ".tiff"):
            raise InputError(
                f"{layer.source} is a raster layer and cannot be written as {suffix or 'a file without suffix'}",
                remedy="use an output name ending in .tif (GeoTIFF)",
            )
        return layer.raster.write(path)
    frame = layer.frame
    spatial = isinstance(frame, gpd.GeoDataFrame)
    record = layer_record(layer, credit=credit)
    if suffix in (".parquet", ".gpkg", ".geojson"):

        def write(tmp: str) -> None:
            write_record_file(frame, tmp, suffix, record, layer.source)
    elif suffix == ".csv":

        def write(tmp: str) -> None:
            out = pd.DataFrame(frame.copy())
            if spatial:
                out[frame.geometry.name] = frame.geometry.to_wkt()
            # text that a spreadsheet would run as a formula is escaped (one rule for every CSV)
            from borderscape.layers.tables import write_csv

            write_csv(out, tmp)
    else:
        raise InputError(
            f"cannot write a layer as {suffix or 'a file without suffix'}",
            remedy="name the output .parquet (GeoParquet), .gpkg (GeoPackage), .geojson, .csv, or .tif for rasters",
        )
    with atomic_path(path) as tmp:
        write(str(tmp))
    if suffix == ".csv":
        import json

        write_text_atomic(sidecar(path), json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    return path


#: The documented user format: attribute of the sensors layer → column name in the file
#: (``lon``/``lat`` only for delimited text; vector files carry their geometry).
SENSOR_FILE_COLUMNS = {
    "lon": "lon",
    "lat": "lat",
    "height": "height_m",
    "range": "range_m",
    "swath": "swath_m",
    "active_from": "active_from",
    "active_to": "active_to",
    "name": "name",
    "kind": "kind",
}


def read_sensor_file(path: str | os.PathLike, *, role: str | None = None) -> Layer:
    """Ingest a user's coastal stations, aerial tracks or operational areas in the documented
    format (see :func:`borderscape.analyses.sensors.sea_coverage`): a CSV with ``lon``, ``lat`` and any of ``height_m``,
    ``range_m``, ``swath_m``, ``active_from``, ``active_to``, ``name``, ``kind``; or a GeoJSON
    / KML file whose features carry those properties.

    Rows are checked by :func:`borderscape.layers.readers_us.check_sensors`: coastal stations
    are points (height 0–500 m, range 0–200 km), aerial tracks lines (swath 0–200 km), and
    operational areas polygons; a row of another geometry, with a value out of range, ending
    before it starts, or repeating an earlier row exactly is quarantined with the reason.

    Parameters
    ----------
    path
        The file.
    role
        ``coastal_stations``, ``aerial_tracks`` or ``operational_areas`` (the study role the
        file is read for); None: the family most of the file's geometries belong to (a CSV
        holds stations).

    Returns
    -------
    Layer
        A ``sensors`` layer (EPSG:4326) with the ingest ledger.

    Raises
    ------
    InputError
        A CSV without ``lon`` and ``lat`` columns.
    IngestError
        An empty file (a CSV without data rows, a KML without placemarks, a GeoJSON without
        features) or one that cannot be read.
    """
    path = Path(path)
    tabular = path.suffix.lower() in (".csv", ".tsv", ".txt")
    if tabular:
        fields = [str(c) for c in read_table(path).frame.columns]
        if not {"lon", "lat"} <= set(fields):
            raise InputError(
                f"{path.name} has no lon and lat columns (found {', '.join(fields)})",
                remedy="name the columns lon, lat, height_m, range_m, active_from, active_to",
            )
    else:
        fields = [str(c) for c in read_sensor_vector(path)[0].columns]
    columns = {
        key: col for key, col in SENSOR_FILE_COLUMNS.items() if col in fields and (tabular or key not in ("lon", "lat"))
    }
    if role is None and tabular:
        role = "coastal_stations"
    return ingest_file("sensors", path, columns=columns, sensor_role=role)


#: One small example file of each user sensor format (:func:`read_sensor_file`) (file name →
#: text); illustrative positions and values, not real sensors.
SENSOR_FILE_EXAMPLES: dict[str, str] = {
    "stations.csv": (
        "name,lon,lat,height_m,range_m,active_from,active_to\n"
        "example-A,14.20,36.40,60,45000,2012-01-01,\n"
        "example-B,12.90,35.60,80,50000,2015-06-01,2020-12-31\n"
    ),
    "tracks.geojson": (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"properties": {"name": "patrol-1", "swath_m": 40000, "active_from": "2017-01-01", '
        '"active_to": "2017-12-31"}, '
        '"geometry": {"type": "LineString", "coordinates": [[12.5, 34.8], [14.8, 35.4]]}}]}\n'
    ),
    "areas.kml": (
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>\n'
        "<Placemark><name>area-1</name><ExtendedData>\n"
        '  <Data name="active_from"><value>2016-01-01</value></Data>\n'
        '  <Data name="active_to"><value>2018-12-31</value></Data></ExtendedData>\n'
        "  <Polygon><outerBoundaryIs><LinearRing><coordinates>\n"
        "    13.0,34.5 14.0,34.5 14.0,35.2 13.0,35.2 13.0,34.5\n"
        "  </coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>\n"
        "</Document></kml>\n"
    ),
}
