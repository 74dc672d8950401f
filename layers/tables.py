"""Reading files defensively: delimited text (:func:`read_table`) and vector files (:func:`read_vector`).

Every value of a delimited file is read as text (what it means is decided by
:mod:`borderscape.layers.parse`, which records what it repaired); the encoding and the
delimiter are detected and reported.  Files that are not tables — empty, header-only,
binary, a single enormous line — raise :class:`~borderscape.geo.errors.IngestError` with
what to do, never a traceback.  Vector files are read with pyogrio in EPSG:4326; a file
without a CRS is a :class:`~borderscape.geo.errors.CRSError` (a CRS is never guessed).
"""

from __future__ import annotations

import csv
import os
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from borderscape.geo.errors import CRSError, IngestError

WGS84 = "EPSG:4326"

#: Longest line accepted (bytes).  A CSV line longer than this is not a table row.
MAX_LINE_BYTES = 8 * 1024 * 1024
_SNIFF_BYTES = 256 * 1024
_DELIMITERS = ",;\t|"


@dataclass(frozen=True)
class Table:
    """A delimited file read as text.

    Attributes
    ----------
    frame
        One row per record, every column of dtype object (str or None for empty cells).
    encoding, delimiter
        What was detected.
    notes
        What the reader had to decide (shown in the quality report).
    """

    frame: pd.DataFrame
    encoding: str
    delimiter: str
    notes: list[str] = field(default_factory=list)


def _check_bytes(path: Path, head: bytes) -> None:
    if not head:
        raise IngestError(f"{path.name} is empty", remedy="check that the download finished; fetch it again")
    if b"\x00" in head[:8192]:
        raise IngestError(
            f"{path.name} is binary, not a delimited text file",
            remedy="give the CSV export of the source, or the right file name",
        )
    if b"\n" not in head and b"\r" not in head and os.path.getsize(path) > len(head):
        raise IngestError(
            f"{path.name} has no line break in its first {len(head) // 1024} KiB: it is not a table",
            remedy="check the file; a CSV has one record per line",
        )


def _decode(path: Path, head: bytes) -> tuple[str, list[str]]:
    for enc in ("utf-8-sig", "utf-8"):
        try:
            head.decode(enc)
            return enc, []
        except UnicodeDecodeError as exc:
            # a multi-byte character cut at the end of the sniffed block is fine
            if exc.start >= len(head) - 4:
                return enc, []
    return "latin-1", [f"{path.name} is not UTF-8; read as Latin-1 (ISO-8859-1)"]


def read_table(path: str | os.PathLike, *, delimiter: str | None = None) -> Table:
    """Read a delimited text file into a frame of strings.

    Parameters
    ----------
    path
        The file.
    delimiter
        Force a delimiter; by default it is detected among ``, ; TAB |``.

    Raises
    ------
    IngestError
        For an empty, header-only, binary or single-enormous-line file, or one whose rows
        cannot be split consistently.
    """
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(min(_SNIFF_BYTES, MAX_LINE_BYTES))
    _check_bytes(path, head)
    if os.path.getsize(path) > len(head):
        with open(path, "rb") as fh:
            while True:
                line = fh.readline(MAX_LINE_BYTES + 1)
                if not line:
                    break
                if len(line) > MAX_LINE_BYTES:
                    raise IngestError(
                        f"{path.name} has a line longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB: it is not a table",
                        remedy="check the file; a CSV has one record per line",
                    )
    encoding, notes = _decode(path, head)
    text_head = head.decode(encoding, errors="replace")
    if delimiter is None:
        first_lines = "\n".join(text_head.splitlines()[:50])
        try:
            delimiter = csv.Sniffer().sniff(first_lines, delimiters=_DELIMITERS).delimiter
        except csv.Error:
            delimiter = ","
        header = text_head.splitlines()[0] if text_head.splitlines() else ""
        # the sniffer can be fooled by commas inside quoted text: prefer the delimiter that
        # splits the header into the most fields
        counts = {d: len(next(csv.reader([header], delimiter=d))) for d in _DELIMITERS}
        best = max(counts, key=counts.get)  # type: ignore[arg-type]
        if counts[best] > counts.get(delimiter, 1):
            delimiter = best
    try:
        frame = pd.read_csv(
            path,
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_values=[],
            encoding=encoding,
            encoding_errors="strict",
            engine="python" if len(delimiter) > 1 else "c",
            on_bad_lines="error",
            skipinitialspace=False,
        )
    except UnicodeDecodeError:
        encoding = "latin-1"
        notes.append(f"{path.name} is not UTF-8 throughout; read as Latin-1 (ISO-8859-1)")
        frame = pd.read_csv(path, sep=delimiter, dtype=str, keep_default_na=False, na_values=[], encoding=encoding)
    except pd.errors.EmptyDataError as exc:
        raise IngestError(f"{path.name} has no header or no data", remedy="check that the download finished") from exc
    except pd.errors.ParserError as exc:
        raise IngestError(
            f"{path.name} cannot be split into columns with delimiter {delimiter!r}: {exc}",
            remedy="check the delimiter and quoting; ingest a clean CSV export",
        ) from exc
    if frame.shape[1] <= 1 and delimiter == ",":
        raise IngestError(
            f"{path.name} has a single column: the delimiter was not recognised",
            remedy="use a comma-, semicolon-, tab- or pipe-separated file",
        )
    if frame.empty:
        raise IngestError(f"{path.name} has a header but no data rows", remedy="check that the export is not empty")
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.astype(object).where(frame.ne(""), None)
    return Table(frame.reset_index(drop=True), encoding, delimiter, notes)


def _vector_uri(path: Path) -> str:
    """A GDAL path for a vector file; a ``.zip`` is opened on the first shapefile/GPKG/KML inside."""
    if path.suffix.lower() != ".zip":
        return str(path)
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise IngestError(f"{path.name} is not a readable zip archive", remedy="download the archive again") from exc
    for suffix in (".shp", ".gpkg", ".geojson", ".kml"):
        inside = sorted(n for n in names if n.lower().endswith(suffix))
        if inside:
            return f"/vsizip/{path}/{inside[0]}"
    raise IngestError(
        f"{path.name} holds no shapefile, GeoPackage, GeoJSON or KML",
        remedy="give the archive published by the source, or the vector file itself",
    )


def read_vector(path: str | os.PathLike) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read a vector file (shapefile, zipped shapefile, GeoPackage, GeoJSON, KML, KMZ) in EPSG:4326.

    A GeoJSON without a ``crs`` member is WGS84 by RFC 7946, and KML is always WGS84; any
    other file must declare its CRS.  Layers in another CRS are reprojected to EPSG:4326
    (noted); Z coordinates are dropped.

    Returns
    -------
    frame, notes

    Raises
    ------
    CRSError
        The file declares no CRS (a shapefile without ``.prj``, a GeoPackage layer without
        a spatial reference).
    IngestError
        The file cannot be read as vector data.
    """
    path = Path(path)
    uri = _vector_uri(path)
    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = gpd.read_file(uri, engine="pyogrio")
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        pyogrio.errors.FieldError,
        pyogrio.errors.GeometryError,
        pyogrio.errors.CRSError,
        OSError,
        ValueError,
    ) as exc:
        raise IngestError(
            f"{path.name} cannot be read as vector data ({type(exc).__name__})",
            remedy="give a shapefile (with .prj), GeoPackage, GeoJSON, KML or KMZ file",
        ) from exc
    if frame.crs is None:
        raise CRSError(
            f"{path.name} declares no coordinate reference system",
            remedy="set the CRS in the file (e.g. ogr2ogr -a_srs EPSG:4326) and ingest it again; "
            "borderscape never guesses a CRS",
        )
    if not frame.crs.equals(WGS84):
        notes.append(f"reprojected from {frame.crs.to_string()} to EPSG:4326")
        frame = frame.to_crs(WGS84)
    frame = frame.set_geometry(shapely.force_2d(frame.geometry.values), crs=WGS84)
    return frame.reset_index(drop=True), notes
